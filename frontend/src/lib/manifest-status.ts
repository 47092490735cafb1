// How long the team's manifest stays valid (protocol §4.5, "Expiry and
// renewal"), the twin of chalicelib/manifest_status.py: pages keep reading
// and verifying with an expired head; whatever would seal to the team stops.
import { DAY_MS, todayUtc, walk } from "./manifest.js";
import type { Manifest } from "./types.js";

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** Warnings start this many days before the head expires (WARN_DAYS in Python). */
export const WARN_DAYS = 30;

/** Days until `expires` (0 on its last valid day, negative once expired). */
export const daysLeft = (manifest: Manifest, today: string = todayUtc()): number =>
  Math.round((dayMs(manifest.expires) - dayMs(today)) / DAY_MS);

export interface ChainStatus {
  chain: Manifest[];
  newest: Manifest;
  expired: boolean;
  daysLeft: number;
  /** True from WARN_DAYS before expiry: show the renewal banner. */
  warn: boolean;
}

/**
 * Follow the chain like verifyChain, but return an expired newest version
 * marked expired (chalicelib/manifest_status.py's chain_status): pages
 * still read and verify with it; whatever would encrypt to the team stops.
 * @throws {ManifestInvalid} for a broken chain
 */
export function chainStatus(builtIn: unknown, newer: readonly unknown[], today: string = todayUtc()): ChainStatus {
  const { chain, newest } = walk(builtIn, newer);
  const left = daysLeft(newest, today);
  return { chain, newest, expired: left < 0, daysLeft: left, warn: left <= WARN_DAYS };
}
