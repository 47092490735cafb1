// The next manifest while the admins sign it (protocol §4.5, "Proposals"),
// the twin of candor/teamops.py's propose, pending_proposal and sign_proposal:
// with a threshold above 1, admins sign from their own consoles and no file
// is passed around by hand.
import { ApiError, type TeamClient } from "./api.js";
import { isObject } from "./check.js";
import { todayUtc } from "./manifest.js";
import { checkPartial, partialManifest, signManifest } from "./roster.js";
import type { Writer } from "./teamops.js";
import type { Manifest } from "./types.js";

/** A proposal as the server keeps it, checked as the successor of the current manifest. */
export interface Proposal {
  manifest: Manifest;
  signed: string[];
  missing: number;
}

const PROPOSAL = "/v1/team/manifest/proposal";

/** The checked proposal in an answer of the proposal routes. @throws {ManifestInvalid} */
function checkedProposal(current: Manifest, answer: unknown, today: string): Proposal {
  const manifest = partialManifest(current, isObject(answer) ? answer.manifest : null, today);
  const { signers, missing } = checkPartial(current, manifest, today);
  return { manifest, signed: signers, missing };
}

/** Publish when no signature is missing (the last signer does, as the CLI does). */
async function publishWhenComplete(client: TeamClient, proposal: Proposal): Promise<Proposal & { published: boolean }> {
  if (proposal.missing > 0) return { ...proposal, published: false };
  await client.call("PUT", "/v1/team/manifest", { body: proposal.manifest });
  return { ...proposal, published: true };
}

/**
 * The proposal waiting for signatures (show manifestDiff(current, p.manifest),
 * who signed and how many are missing), or null.
 * @throws {ApiError} | {ManifestInvalid} when the server's proposal does not verify
 */
export async function pendingProposal(
  client: TeamClient,
  current: Manifest,
  today: string = todayUtc(),
): Promise<Proposal | null> {
  try {
    return checkedProposal(current, await client.call("GET", PROPOSAL), today);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Sign `unsigned` (roster.ts's nextManifest, with the threshold wanted) and
 * store it for the other admins; published at once when one signature is enough.
 * @throws {ApiError} (409 when another proposal waits: sign it, or pass replace) | {ManifestInvalid}
 */
export async function proposeManifest(
  writer: Writer,
  current: Manifest,
  unsigned: Manifest,
  replace = false,
  today: string = todayUtc(),
): Promise<Proposal & { published: boolean }> {
  const signed = signManifest({ ...unsigned, sigs: [] }, writer.key.member, writer.key.signingSeed);
  const answer = await writer.client.call("PUT", PROPOSAL, { body: { manifest: signed, replace } });
  return publishWhenComplete(writer.client, checkedProposal(current, answer, today));
}

/**
 * Add this admin's signature to the waiting proposal, and publish it when
 * the threshold is reached.
 * @throws {ApiError} | {ManifestInvalid} | {Error} when no proposal waits
 */
export async function signProposal(
  writer: Writer,
  current: Manifest,
  today: string = todayUtc(),
): Promise<Proposal & { published: boolean }> {
  const waiting = await pendingProposal(writer.client, current, today);
  if (waiting === null) throw new Error("no proposal is waiting for signatures");
  if (waiting.signed.includes(writer.key.member)) return publishWhenComplete(writer.client, waiting);
  const mine = signManifest({ ...waiting.manifest, sigs: [] }, writer.key.member, writer.key.signingSeed).sigs;
  const manifest = { ...waiting.manifest, sigs: [...waiting.manifest.sigs, ...mine] };
  const answer = await writer.client.call("PUT", PROPOSAL, { body: { manifest } });
  return publishWhenComplete(writer.client, checkedProposal(current, answer, today));
}
