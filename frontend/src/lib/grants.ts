// Access after submission, the reading side (protocol §4.4 "Grants"): the
// twin of candor/grants.py's `assemble` and `readable`. A granted member
// reads a blob as their grant header followed by the stored blob's bytes
// after its own header; that is a valid age v1 file, because the header MAC
// covers only the header's own stanzas. Who is on a case is proven from the
// report and the signed grant documents, never taken from the server.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { expand, extract, hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { MLKEM768X25519 } from "@noble/post-quantum/hybrid.js";
import { base64nopad, bech32 } from "@scure/base";
import { Decrypter } from "age-encryption";
import { FETCH_OPTIONS, fetchManifests, getBlob, type TeamClient } from "./api.js";
import { isObject, isString } from "./check.js";
import { caseHash, OpenFailed } from "./documents.js";
import { b64u, concat, fromB64u, utf8 } from "./encoding.js";
import { memberSigningKeys } from "./manifest.js";
import { reporterExclusions } from "./routes.js";
import { signDocument, verifyDocument } from "./sign.js";
import type { CaseDetail, Manifest, MemberEntry } from "./types.js";

const INTRO = new TextEncoder().encode("age-encryption.org/v1\n");
const NL = 0x0a;
const MAC_LINE = [NL, 0x2d, 0x2d, 0x2d]; // "\n---"

/** Offset just past an age header's MAC line, or -1. Body lines are base64,
 * which has no "-", so the first line starting with "---" is the MAC line. */
export function headerEnd(bytes: Uint8Array): number {
  if (!INTRO.every((b, i) => bytes[i] === b)) return -1;
  for (let i = 0; i + MAC_LINE.length <= bytes.length; i++) {
    if (MAC_LINE.every((b, j) => bytes[i + j] === b)) {
      const end = bytes.indexOf(NL, i + 1);
      return end < 0 ? -1 : end + 1;
    }
  }
  return -1;
}

/** The file a granted member decrypts: `header`, then `sealed`'s payload
 * after its own header. A bad header fails when decrypting.
 * @throws {OpenFailed} for a blob without a header */
export function assemble(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  const end = headerEnd(sealed);
  if (end < 0) throw new OpenFailed("header");
  return concat(header, sealed.subarray(end));
}

/** The caller's grant header in a blob answer, or null. @throws {EncodingError} */
export function grantHeader(answer: object): Uint8Array | null {
  const header: unknown = (answer as { header?: unknown }).header;
  return isString(header) ? fromB64u(header) : null;
}

/** A blob answer's bytes as stored (what hashes and `prev` name) and as this
 * member decrypts them (with its grant header, when the answer has one).
 * @throws {OpenFailed} */
export function readable(answer: { sealed: string; header?: unknown }): {
  stored: Uint8Array;
  mine: Uint8Array;
} {
  const stored = fromB64u(answer.sealed);
  const header = grantHeader(answer);
  return { stored, mine: header === null ? stored : assemble(header, stored) };
}

// -- who is on the case ------------------------------------------------------------------

/** A grant as the case lists it (protocol §4.4): who, by whom, and the signed document. */
export interface GrantListing {
  member: string;
  by: string;
  day: string;
  grant: unknown;
}

const GRANT_FIELDS = ["by", "case", "member", "sig", "type", "v"];

/** The grants a case answer lists (none from an older server). */
export function grantsOf(detail: object): GrantListing[] {
  const listed: unknown = (detail as { grants?: unknown }).grants;
  if (!Array.isArray(listed)) return [];
  return listed.filter(
    (g): g is GrantListing => isObject(g) && isString(g.member) && isString(g.by) && isString(g.day),
  );
}

/** Why `doc` is not the grant document of this case, member and granter (signature apart), or null. */
export function grantDocumentProblem(doc: unknown, replyTo: string, member: string, by: string): string | null {
  if (!isObject(doc) || JSON.stringify(Object.keys(doc).sort()) !== JSON.stringify(GRANT_FIELDS))
    return "a grant document has exactly the fields " + GRANT_FIELDS.join(", ");
  if (doc.v !== 1 || doc.type !== "grant" || doc.case !== caseHash(replyTo))
    return "the grant document is not one of this case";
  if (doc.member !== member || doc.by !== by) return "the grant document names another member or granter";
  return null;
}

/**
 * The report's `access` and every member a valid grant names, granted by a
 * member proven before it (candor/grants.py's proven_access): a server
 * cannot add a reader, as it can sign no grant document.
 */
export function provenAccess(
  report: { access?: unknown },
  replyTo: string,
  grants: readonly GrantListing[],
  chain: readonly Manifest[],
): Set<string> {
  const proven = new Set(Array.isArray(report.access) ? report.access.filter(isString) : []);
  let pending = [...grants];
  for (;;) {
    const found = pending.filter(
      (g) =>
        proven.has(g.by) &&
        grantDocumentProblem(g.grant, replyTo, g.member, g.by) === null &&
        verifyDocument(g.grant as { sig?: unknown }, memberSigningKeys(chain, g.by)),
    );
    if (!found.length) return proven;
    for (const g of found) proven.add(g.member);
    pending = pending.filter((g) => !found.includes(g));
  }
}

/**
 * Whom the reporter excluded (candor/grants.py's excluded): the readers of
 * the report's category in the manifest version it was sealed with (every
 * current member without routes) that its `access` left out (protocol §4.5,
 * Routes). A member outside the route was never offered the report, so may
 * be granted it. Null when that version is not in `chain`.
 */
export function excluded(
  report: { access?: unknown; manifest?: unknown; form?: unknown },
  chain: readonly Manifest[],
): Set<string> | null {
  const then = chain.find((m) => m.version === report.manifest);
  if (!then) return null;
  const access = Array.isArray(report.access) ? report.access.filter(isString) : [];
  const category = isObject(report.form) ? report.form.category : undefined;
  return reporterExclusions(then, access, category);
}

/** What the stored access list says that the report and the grants do not prove (protocol §4.5). */
export function accessProblems(
  chain: readonly Manifest[],
  detail: { reply_to: string; access: readonly string[] },
  report: { access?: unknown; manifest?: unknown; form?: unknown },
): string[] {
  const proven = provenAccess(report, detail.reply_to, grantsOf(detail), chain);
  const leftOut = excluded(report, chain) ?? new Set<string>();
  return [
    ...detail.access.filter((m) => !proven.has(m)).map((m) => `${m} is on the case without a grant that verifies`),
    ...detail.access.filter((m) => leftOut.has(m)).map((m) => `${m} was excluded by the reporter but is on the case`),
  ];
}

// -- making a grant header (candor/grants.py's grant_header) -----------------------------
// age-encryption can read a header's file key (Decrypter.decryptHeader, which
// checks the header MAC) but wraps only file keys of its own choosing, so the
// two stanza types Candor uses are wrapped here as C2SP age specifies them,
// with the same noble primitives age-encryption is built on; the shared
// vectors and Debian's age check the result.

const X25519_LABEL = utf8("age-encryption.org/v1/X25519");
const MLKEM_LABEL = utf8("age-encryption.org/mlkem768x25519");
const HPKE_MLKEM768X25519 = 0x647a;

/** The file key of the blob whose header starts `head`, for a member holding `identities`. @throws {OpenFailed} */
async function fileKeyOf(head: Uint8Array, identities: readonly string[]): Promise<Uint8Array> {
  const end = headerEnd(head);
  if (end < 0) throw new OpenFailed("header");
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return await decrypter.decryptHeader(head.subarray(0, end));
  } catch {
    throw new OpenFailed("decrypt");
  }
}

function x25519Stanza(recipient: Uint8Array, fileKey: Uint8Array): [string[], Uint8Array] {
  const ephemeral = randomBytes(32);
  const share = x25519.getPublicKey(ephemeral);
  const secret = x25519.getSharedSecret(ephemeral, recipient);
  if (secret.every((b) => b === 0)) throw new Error("invalid X25519 recipient");
  const key = hkdf(sha256, secret, concat(share, recipient), X25519_LABEL, 32);
  return [["X25519", base64nopad.encode(share)], chacha20poly1305(key, new Uint8Array(12)).encrypt(fileKey)];
}

function hpkeLabeled(suite: Uint8Array, label: string, data: Uint8Array): Uint8Array {
  return concat(utf8("HPKE-v1"), suite, utf8(label), data);
}

/** HPKE base mode key schedule (RFC 9180 §5.1), X-Wing KEM, HKDF-SHA256, ChaCha20-Poly1305. */
function hpkeKeyNonce(sharedSecret: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const suite = concat(
    utf8("HPKE"),
    new Uint8Array([HPKE_MLKEM768X25519 >> 8, HPKE_MLKEM768X25519 & 0xff, 0, 1, 0, 3]),
  );
  const none = new Uint8Array(0);
  const pskIdHash = extract(sha256, hpkeLabeled(suite, "psk_id_hash", none));
  const infoHash = extract(sha256, hpkeLabeled(suite, "info_hash", info));
  const context = concat(new Uint8Array([0]), pskIdHash, infoHash);
  const secret = extract(sha256, hpkeLabeled(suite, "secret", none), sharedSecret);
  const expandTo = (label: string, length: number) =>
    expand(sha256, secret, concat(new Uint8Array([0, length]), hpkeLabeled(suite, label, context)), length);
  return { key: expandTo("key", 32), nonce: expandTo("base_nonce", 12) };
}

function mlkemStanza(recipient: Uint8Array, fileKey: Uint8Array): [string[], Uint8Array] {
  const { cipherText, sharedSecret } = MLKEM768X25519.encapsulate(recipient);
  const { key, nonce } = hpkeKeyNonce(sharedSecret, MLKEM_LABEL);
  return [["mlkem768x25519", base64nopad.encode(cipherText)], chacha20poly1305(key, nonce).encrypt(fileKey)];
}

/** One stanza wrapping `fileKey` for an `age1…` or `age1pq1…` recipient. @throws {Error} */
function stanzaFor(recipient: string, fileKey: Uint8Array): [string[], Uint8Array] {
  const { prefix, words } = bech32.decode(recipient as `${string}1${string}`, false);
  const bytes = bech32.fromWords(words);
  if (prefix === "age1pq" && bytes.length === 1216) return mlkemStanza(bytes, fileKey);
  if (prefix === "age" && bytes.length === 32) return x25519Stanza(bytes, fileKey);
  throw new Error("unsupported recipient");
}

/** A stanza's encoding: its arguments, then the body in lines of 64 columns, the last one short. */
function encodeStanza(args: readonly string[], body: Uint8Array): string {
  const b64 = base64nopad.encode(body);
  const lines = [`-> ${args.join(" ")}`];
  for (let i = 0; i <= b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return lines.join("\n") + "\n";
}

/**
 * The age header that gives `recipient` the blob whose header (as this
 * member reads it: the blob's own, or their grant header) starts `head`.
 * @throws {OpenFailed} when this member cannot open it
 */
export async function makeGrantHeader(
  head: Uint8Array,
  identities: readonly string[],
  recipient: string,
): Promise<Uint8Array> {
  const fileKey = await fileKeyOf(head, identities);
  const [args, body] = stanzaFor(recipient, fileKey);
  const noMac = utf8("age-encryption.org/v1\n" + encodeStanza(args, body) + "---");
  const mac = hmac(sha256, hkdf(sha256, fileKey, undefined, utf8("header"), 32), noMac);
  return concat(noMac, utf8(` ${base64nopad.encode(mac)}\n`));
}

// -- granting and revoking (candor/grants.py's grant and revoke) ------------------------

/** Why this client refuses a grant: the console says it in the member's language. */
export type RefusalReason = "excluded" | "not_member" | "on_case" | "unknown_version" | "access";
export class GrantRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`grant refused: ${reason}`);
  }
}

interface Report {
  access?: unknown;
  manifest?: unknown;
  form?: unknown;
}

/**
 * The manifests to name the reporter's exclusions with: the verified chain,
 * and when the report was sealed with a version older than its anchor, the
 * server's earlier versions before it (candor/grants.py takes them so too;
 * the server refuses excluded members by its own record as well).
 */
export async function exclusionChain(chain: readonly Manifest[], report: Report): Promise<Manifest[]> {
  const first = chain[0];
  if (excluded(report, chain) !== null || !first) return [...chain];
  const listed = (await fetchManifests(0)).manifests ?? [];
  const older = listed.filter(
    (m): m is Manifest =>
      isObject(m) && typeof m.version === "number" && m.version < first.version && Array.isArray(m.members),
  );
  return [...older, ...chain];
}

/** The member's entry in the current manifest, if the case may be given to them. @throws {GrantRefused} */
export function checkGrantable(
  chain: readonly Manifest[],
  detail: CaseDetail,
  report: Report,
  member: string,
): MemberEntry {
  const leftOut = excluded(report, chain);
  if (leftOut === null) throw new GrantRefused("unknown_version");
  if (leftOut.has(member)) throw new GrantRefused("excluded");
  if (accessProblems(chain, detail, report).length) throw new GrantRefused("access");
  const entry = chain[chain.length - 1]?.members.find((m) => m.id === member);
  // An intake member files reports and reads none (protocol §4.5, Roles).
  if (!entry || entry.removed || entry.role === "intake") throw new GrantRefused("not_member");
  const granted = grantsOf(detail).map((g) => g.member);
  if (detail.access.includes(member) && !granted.includes(member)) throw new GrantRefused("on_case");
  return entry;
}

const MAX_HEAD = 1 << 20;

/** An attachment's age header, read from the start of its download and no further. @throws {OpenFailed} */
async function downloadHead(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { ...FETCH_OPTIONS, redirect: "follow" });
  if (!response.ok || !response.body) throw new OpenFailed("download");
  const reader = response.body.getReader();
  let head: Uint8Array = new Uint8Array(0);
  try {
    while (headerEnd(head) < 0 && head.length <= MAX_HEAD) {
      const { done, value } = await reader.read();
      if (done) break;
      head = concat(head, value);
    }
  } finally {
    await reader.cancel(); // the rest of a large attachment is never fetched
  }
  const end = headerEnd(head);
  if (end < 0) throw new OpenFailed("header");
  return head.subarray(0, end);
}

/** Every blob of the case with the header this member reads it with. */
async function headsOf(client: TeamClient, detail: CaseDetail): Promise<Map<string, Uint8Array>> {
  const heads = new Map<string, Uint8Array>();
  const path = (blob: string) => `/v1/team/cases/${detail.id}/blobs/${blob}`;
  const attachments = (detail.report.attachments ?? []).map((a) => a.id);
  for (const blob of [detail.report.id, ...detail.messages.map((m) => m.id), ...detail.notes.map((n) => n.id)]) {
    const answer = await getBlob(client, detail.id, blob);
    heads.set(blob, readable({ ...answer, sealed: answer.sealed ?? "" }).mine);
  }
  for (const m of [...detail.messages, ...detail.notes]) attachments.push(...(m.attachments ?? []).map((a) => a.id));
  for (const blob of attachments) {
    const answer = (await client.get(path(blob))) as { url?: string; header?: unknown };
    const header = grantHeader(answer);
    heads.set(blob, header ?? (await downloadHead(answer.url ?? "")));
  }
  return heads;
}

/**
 * Give `member` the case: wrap every blob's file key to them and post the
 * headers with a signed grant document (protocol §4.4).
 * @throws {GrantRefused} | {OpenFailed} | {ApiError}
 */
export async function grantCase(
  client: TeamClient,
  key: { member: string; identities: readonly string[]; signingSeed: Uint8Array },
  chain: readonly Manifest[],
  detail: CaseDetail,
  report: Report,
  member: string,
): Promise<unknown> {
  const entry = checkGrantable(await exclusionChain(chain, report), detail, report, member);
  const headers: Record<string, string> = {};
  for (const [blob, head] of await headsOf(client, detail)) {
    headers[blob] = b64u(await makeGrantHeader(head, key.identities, entry.recipient));
  }
  const unsigned = { v: 1, type: "grant", case: caseHash(detail.reply_to), member, by: key.member };
  const grant = signDocument(unsigned, key.signingSeed);
  return client.call("POST", `/v1/team/cases/${detail.id}/access`, { body: { member, grant, headers } });
}

/** Take `member` off the case (an admin in it); what they read stays read. @throws {ApiError} */
export async function revokeMember(client: TeamClient, caseId: string, member: string): Promise<void> {
  await client.call("DELETE", `/v1/team/cases/${caseId}/access/${member}`);
}
