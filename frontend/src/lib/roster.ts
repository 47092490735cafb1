// Member entries and the next manifest (protocol §4.5): the twin of
// chalicelib/manifest.py's build_member_entry, unsigned_manifest,
// sign_manifest and manifest_diff. What an admin signs is checked with
// manifest.js's verifyNext before it leaves the browser.
import { b64u } from "./encoding.js";
import { publicKey, signObject, verifyObject } from "./sign.js";
import {
  activeMembers,
  DAY_MS,
  ENTRY_FIELDS,
  MAX_LIFETIME_DAYS,
  ManifestInvalid,
  rotatedKey,
  todayUtc,
  verifyNext,
} from "./manifest.js";
import { isObject } from "./check.js";
import { keptRoutes } from "./routes.js";
import type { Manifest, ManifestSignature, MemberEntry, Role } from "./types.js";

/** The bytes an entry's cert and rotation sign: JCS(entry without cert and rotation, removed false). */
const certified = (entry: MemberEntry): MemberEntry => ({ ...entry, removed: false });

/**
 * A member entry whose cert is signed with `seed`. When the signing key
 * differs from `previous`'s, `previousSeed` (that key's seed) signs
 * `rotation` and the previous key joins old_signing_keys.
 */
/** What an admin types for a member: the entry's fields that are not keys or signatures. */
export interface MemberFields {
  id: string;
  name: string;
  function: string;
  role: Role;
  recipient: string;
}

export function buildMemberEntry(
  { id, name, function: fn, role, recipient }: MemberFields,
  seed: Uint8Array,
  previous: MemberEntry | null = null,
  previousSeed: Uint8Array | null = null,
): MemberEntry {
  const signingKey = b64u(publicKey(seed));
  let old = previous ? [...previous.old_signing_keys] : [];
  let rotationSeed: Uint8Array | null = null;
  if (previous && previous.signing_key !== signingKey) {
    if (!previousSeed || b64u(publicKey(previousSeed)) !== previous.signing_key) {
      throw new Error("rotating needs the seed of the previous signing key");
    }
    old = [...old, previous.signing_key];
    rotationSeed = previousSeed;
  }
  const entry: MemberEntry = {
    id,
    name,
    function: fn,
    role,
    recipient,
    signing_key: signingKey,
    old_signing_keys: old,
    removed: false,
    cert: "",
    rotation: null,
  };
  entry.cert = signObject(certified(entry), seed, "cert", "rotation");
  if (rotationSeed) entry.rotation = signObject(certified(entry), rotationSeed, "cert", "rotation");
  return entry;
}

/**
 * Check a public card (a new member's entry, certified by its own key).
 * @throws {ManifestInvalid}
 */
export function checkCard(value: unknown): MemberEntry {
  const fields = isObject(value) ? Object.keys(value).sort().join() : "";
  if (fields !== ENTRY_FIELDS.join()) throw new ManifestInvalid("card fields");
  const fieldsOf = value as Record<string, unknown>;
  const history = fieldsOf.old_signing_keys;
  if (fieldsOf.removed !== false || fieldsOf.rotation !== null || !Array.isArray(history) || history.length !== 0) {
    throw new ManifestInvalid("a new member entry has no history");
  }
  const card = value as MemberEntry;
  if (!verifyObject(certified(card), card.cert, [card.signing_key], "cert", "rotation")) {
    throw new ManifestInvalid("card cert");
  }
  return card;
}

const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/**
 * The next manifest from the roster, not yet signed; `routes` only when
 * some are given (protocol §4.5, Routes), categories sorted as
 * candor/roster.py's unsigned_manifest has them.
 */
export function unsignedManifest(
  version: number,
  members: readonly MemberEntry[],
  threshold: number,
  issued: string = todayUtc(),
  routes: Readonly<Record<string, readonly string[]>> = {},
): Manifest {
  const categories = Object.keys(routes).sort();
  return {
    v: 1,
    version,
    issued,
    expires: addDays(issued, MAX_LIFETIME_DAYS),
    threshold,
    members: members.map((m) => ({ ...m, old_signing_keys: [...m.old_signing_keys] })),
    sigs: [],
    ...(categories.length ? { routes: Object.fromEntries(categories.map((c) => [c, [...(routes[c] ?? [])]])) } : {}),
  };
}

/** `unsigned` with this admin's signature over JCS(manifest without sigs) appended. */
export function signManifest(unsigned: Manifest, memberId: string, seed: Uint8Array): Manifest {
  if (unsigned.sigs.some((s) => s.member === memberId)) throw new Error("already signed");
  return { ...unsigned, sigs: [...unsigned.sigs, { member: memberId, sig: signObject(unsigned, seed, "sigs") }] };
}

/**
 * Prepare the next manifest from the server's roster and check it as the
 * successor of `current` (so a server cannot slip in an invalid entry),
 * keeping `current`'s routes to members still listed and not removed.
 * Returns {unsigned, changes}. @throws {ManifestInvalid}
 */
export function nextManifest(
  current: Manifest,
  roster: readonly MemberEntry[],
  today: string = todayUtc(),
  threshold: number = current.threshold,
): { unsigned: Manifest; changes: ManifestChange[] } {
  const order = new Map(current.members.map((m, i) => [m.id, i]));
  const members = [...roster].sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
  // The routes stay, without removed members (candor/roster.py's next_manifest):
  // a publish from the console must not turn routing off.
  const routes = keptRoutes(current.routes, members);
  const unsigned = unsignedManifest(current.version + 1, members, threshold, today, routes);
  const probe = { ...unsigned, sigs: [] };
  // verifyNext checks everything but the signatures here; those come next.
  try {
    verifyNext(current, probe, today);
  } catch (err) {
    if (!(err instanceof ManifestInvalid) || err.reason !== "threshold") throw err;
  }
  return { unsigned, changes: manifestDiff(current, unsigned) };
}

/**
 * Renewal (candor/roster.py's renew_manifest): the next version with the
 * same members, roles and threshold and new dates; a member's pending key
 * rotation in `roster` (the server's list) is taken over, so an admin who
 * rotated signs with the new key. Continuity: issue it on or before the
 * current version's `expires`. @throws {ManifestInvalid}
 */
export function renewManifest(
  current: Manifest,
  roster: readonly MemberEntry[] = [],
  today: string = todayUtc(),
): { unsigned: Manifest; changes: ManifestChange[] } {
  const pending = new Map(roster.map((m) => [m.id, m]));
  const members = current.members.map((entry) => {
    const newer = pending.get(entry.id);
    const rotated =
      newer !== undefined &&
      !entry.removed &&
      !newer.removed &&
      newer.role === entry.role &&
      newer.signing_key !== entry.signing_key;
    return rotated ? newer : entry;
  });
  return nextManifest(current, members, today);
}

/**
 * An unsigned re-anchor (protocol §4.5): `threshold` of its own admins sign
 * it, and clients accept it only as a built-in anchor.
 */
export function reanchorManifest(
  version: number,
  members: readonly MemberEntry[],
  threshold: number,
  issued: string = todayUtc(),
): Manifest {
  return { ...unsignedManifest(version, members, threshold, issued), reanchor: true };
}

/**
 * What `next` changes from `previous`, as {change, entry, from?, to?}
 * records the page words in the reader's language.
 */
export type ManifestChange =
  | { change: "threshold"; from: number; to: number }
  | { change: "added" | "removed" | "signing_key" | "recipient" | "dropped"; entry: MemberEntry }
  | { change: "renamed" | "function" | "role"; entry: MemberEntry; from: string }
  | { change: "routes_on" | "routes_off" }
  | { change: "route"; from: string; to: string }
  | { change: "route_removed"; from: string };

export function manifestDiff(previous: Manifest, next: Manifest): ManifestChange[] {
  const changes: ManifestChange[] = [];
  if (previous.threshold !== next.threshold)
    changes.push({ change: "threshold", from: previous.threshold, to: next.threshold });
  const before = new Map(previous.members.map((m) => [m.id, m]));
  for (const entry of next.members) {
    const old = before.get(entry.id);
    if (!old) {
      changes.push({ change: "added", entry });
      continue;
    }
    if (entry.removed && !old.removed) {
      changes.push({ change: "removed", entry });
      continue;
    }
    if (old.name !== entry.name) changes.push({ change: "renamed", entry, from: old.name });
    if (old.function !== entry.function) changes.push({ change: "function", entry, from: old.function });
    if (old.role !== entry.role) changes.push({ change: "role", entry, from: old.role });
    if (old.signing_key !== entry.signing_key) changes.push({ change: "signing_key", entry });
    if (old.recipient !== entry.recipient) changes.push({ change: "recipient", entry });
  }
  for (const old of previous.members) {
    if (!next.members.some((m) => m.id === old.id)) changes.push({ change: "dropped", entry: old });
  }
  return [...changes, ...routesDiff(previous, next)];
}

/**
 * What `next` changes in the routes (candor/roster.py's _routes_diff): an
 * admin sees a route change before signing, as a member change. `to` names
 * the route's members; the administrators receive every category as well.
 */
function routesDiff(previous: Manifest, next: Manifest): ManifestChange[] {
  const before = previous.routes ?? {};
  const after = next.routes ?? {};
  const had = Object.keys(before).length > 0;
  const has = Object.keys(after).length > 0;
  if (had && !has) return [{ change: "routes_off" }];
  const names = new Map(next.members.map((m) => [m.id, m.name]));
  const changes: ManifestChange[] = has && !had ? [{ change: "routes_on" }] : [];
  for (const category of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const route = after[category];
    if (route === undefined) changes.push({ change: "route_removed", from: category });
    else if (JSON.stringify(before[category]) !== JSON.stringify(route))
      changes.push({ change: "route", from: category, to: route.map((m) => names.get(m) ?? m).join(", ") });
  }
  return changes;
}

// -- collecting signatures (threshold > 1) ----------------------------------------------

/**
 * Check a next manifest that is signed by fewer than `current.threshold`
 * admins so far, as one admin hands it to the next: everything
 * chalicelib/manifest.py's verify_next_manifest checks except the count,
 * and every signature already in `sigs` must be by a distinct admin of
 * `current` and verify (the server refuses the whole manifest otherwise).
 * Returns {signers: [member ids], missing: signatures still needed}.
 * @throws {ManifestInvalid}
 */
export function checkPartial(
  current: Manifest,
  value: unknown,
  today: string = todayUtc(),
): { signers: string[]; missing: number } {
  if (!isObject(value) || !Array.isArray(value.sigs)) throw new ManifestInvalid("shape");
  const candidate = value as unknown as Manifest;
  const admins = new Map(
    activeMembers(current)
      .filter((m) => m.role === "admin")
      .map((m) => [m.id, m.signing_key]),
  );
  const signers: string[] = [];
  for (const item of candidate.sigs as unknown[]) {
    if (!isObject(item) || Object.keys(item).sort().join() !== "member,sig") throw new ManifestInvalid("sig fields");
    const { member, sig } = item as Partial<ManifestSignature>;
    if (typeof member !== "string") throw new ManifestInvalid("signed by a non-admin");
    if (signers.includes(member)) throw new ManifestInvalid("signed twice");
    const key = admins.get(member);
    if (key === undefined) throw new ManifestInvalid("signed by a non-admin");
    // An admin who rotated signs with the new key its rotation links to `key` (protocol §4.5).
    const keys = [key, ...rotatedKey(candidate, member, key)];
    if (typeof sig !== "string" || !verifyObject(candidate, sig, keys, "sigs"))
      throw new ManifestInvalid("bad signature");
    signers.push(member);
  }
  try {
    verifyNext(current, candidate, today);
  } catch (err) {
    if (!(err instanceof ManifestInvalid) || err.reason !== "threshold") throw err;
  }
  return { signers, missing: Math.max(0, current.threshold - signers.length) };
}

/** checkPartial, returning the candidate as the Manifest it was checked to be. @throws {ManifestInvalid} */
export function partialManifest(current: Manifest, value: unknown, today: string = todayUtc()): Manifest {
  checkPartial(current, value, today);
  return value as Manifest;
}

/**
 * Add this admin's signature to a (partly signed) next manifest. Returns
 * {manifest, signers, missing}; `missing` is 0 when it can be published.
 * @throws {ManifestInvalid} the candidate is invalid, or this member is not an admin of `current` or already signed
 */
export function addSignature(
  current: Manifest,
  candidate: Manifest,
  memberId: string,
  seed: Uint8Array,
  today: string = todayUtc(),
): { manifest: Manifest; signers: string[]; missing: number } {
  const { signers } = checkPartial(current, candidate, today);
  if (signers.includes(memberId)) throw new ManifestInvalid("already signed");
  const signed = signManifest(candidate, memberId, seed);
  const result = checkPartial(current, signed, today);
  if (!result.missing) verifyNext(current, signed, today);
  return { manifest: signed, ...result };
}
