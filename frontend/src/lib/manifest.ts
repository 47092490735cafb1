// The team manifest (protocol §4.5): the only source of keys the pages encrypt
// to and verify with. A newer manifest is accepted only through an unbroken
// chain of valid versions from the one built into the page.
import { bech32 } from "@scure/base";
import { b64uOfSize, isInt, isObject, MEMBER_ID } from "./check.js";
import { b64u, sha256 } from "./encoding.js";
import { jcsBytes, without } from "./jcs.js";
import { verifyObject } from "./sign.js";
import type { B64u, Manifest, MemberEntry, RecipientType, Role } from "./types.js";

/** The longest a manifest may be valid, issued to expires (protocol §4.5; MAX_LIFETIME_DAYS in Python). */
export const MAX_LIFETIME_DAYS = 90;
export const DAY_MS = 86400000;

/** A manifest that fails verification; `reason` names the rule (for tests and logs, not for users). */
export class ManifestInvalid extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`manifest invalid: ${reason}`);
    this.reason = reason;
  }
}

/** fingerprint = b64u(H(JCS(manifest without sigs))). */
export const fingerprint = (manifest: Manifest): B64u => b64u(sha256(jcsBytes(without(manifest, "sigs"))));

/** "mlkem768x25519" for age1pq1…, "x25519" for age1…. */
export function recipientType(recipient: string): RecipientType {
  if (recipient.startsWith("age1pq1")) return "mlkem768x25519";
  if (/^age1[02-9ac-hj-np-z]+$/.test(recipient)) return "x25519";
  throw new ManifestInvalid("unknown recipient type");
}

export const activeMembers = (manifest: Manifest): MemberEntry[] => manifest.members.filter((m) => !m.removed);

/** The single recipient type of a manifest's active members. */
export function manifestRecipientType(manifest: Manifest): RecipientType {
  const types = [...new Set(activeMembers(manifest).map((m) => recipientType(m.recipient)))];
  const [only] = types;
  if (types.length !== 1 || only === undefined) throw new ManifestInvalid("recipient types");
  return only;
}

export function parseDay(day: unknown): number {
  if (typeof day !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new ManifestInvalid("day");
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new ManifestInvalid("day");
  }
  return ms;
}

export const todayUtc = (now: number = Date.now()): string => new Date(now).toISOString().slice(0, 10);

const MANIFEST_FIELDS = ["expires", "issued", "members", "sigs", "threshold", "v", "version"];
/** A member entry's fields, sorted (protocol §4.5). */
export const ENTRY_FIELDS = [
  "cert",
  "function",
  "id",
  "name",
  "old_signing_keys",
  "recipient",
  "removed",
  "role",
  "rotation",
  "signing_key",
];
const sameKeys = (obj: object, fields: readonly string[]): boolean =>
  JSON.stringify(Object.keys(obj).sort()) === JSON.stringify(fields);
// Names are shown to reporters: no control characters, no bidi overrides.
// The same set as chalicelib/manifest.py's _DISGUISING: C0 and C1 controls,
// bidirectional controls and line separators.
const UNSAFE_TEXT = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** The longest name or function, in UTF-8 bytes (MAX_LABEL_BYTES in Python). */
export const MAX_LABEL_BYTES = 200;

/** A well-formed age recipient of a type the pages support (bech32, size and case checked). */
export function isRecipient(recipient: unknown): boolean {
  if (typeof recipient !== "string") return false;
  try {
    const { prefix, words } = bech32.decode(recipient as `${string}1${string}`, false);
    const size = bech32.fromWords(words).length;
    return (
      (prefix === "age1pq" && size === 1216) ||
      (prefix === "age" && size === 32 && recipient === recipient.toLowerCase())
    );
  } catch {
    return false;
  }
}

/** At most this many routed categories, each id of this shape (MAX_ROUTES and _CATEGORY in Python). */
const MAX_ROUTES = 64;
const CATEGORY = /^[a-z0-9_]{1,64}$/;

/** Only a re-anchor carries `reanchor`, and then `true` (protocol §4.5). */
const REANCHOR_FIELDS = [...MANIFEST_FIELDS, "reanchor"].sort();
export const isReanchor = (manifest: Manifest): boolean => manifest.reanchor === true;

function checkShape(manifest: unknown): asserts manifest is Manifest {
  if (isObject(manifest) && "reanchor" in manifest) {
    const ok = manifest.reanchor === true && isInt(manifest.version) && manifest.version > 1;
    if (!ok || !sameKeys(without(manifest, "routes"), REANCHOR_FIELDS)) throw new ManifestInvalid("reanchor");
  }
  const ok =
    isObject(manifest) &&
    sameKeys(without(without(manifest, "reanchor"), "routes"), MANIFEST_FIELDS) &&
    manifest.v === 1 &&
    isInt(manifest.version) &&
    manifest.version >= 1 &&
    isInt(manifest.threshold) &&
    manifest.threshold >= 1 &&
    Array.isArray(manifest.members) &&
    Array.isArray(manifest.sigs);
  if (!ok) throw new ManifestInvalid("shape");
  checkMembers(manifest.members as unknown[]);
  const valid = manifest as unknown as Manifest;
  if ("routes" in manifest) checkRoutes(manifest.routes, valid);
  const liveAdmins = activeMembers(valid).filter((m) => m.role === "admin").length;
  if (valid.threshold > liveAdmins) throw new ManifestInvalid("threshold above admins");
  const issued = parseDay(valid.issued);
  const expires = parseDay(valid.expires);
  if (expires < issued || expires - issued > MAX_LIFETIME_DAYS * DAY_MS) {
    throw new ManifestInvalid("validity period");
  }
}

/** `routes`, as chalicelib/manifest_shape.py's check_routes (protocol §4.5, Routes). */
function checkRoutes(routes: unknown, manifest: Manifest): void {
  // An intake member files reports and reads none: never on a route (protocol §4.5, Roles).
  const current = new Set(activeMembers(manifest).flatMap((m) => (m.role === "intake" ? [] : [m.id])));
  const entries = isObject(routes) ? Object.entries(routes) : [];
  if (entries.length === 0 || entries.length > MAX_ROUTES) throw new ManifestInvalid("routes");
  for (const [category, route] of entries) {
    const ok =
      CATEGORY.test(category) &&
      Array.isArray(route) &&
      route.length > 0 &&
      new Set(route).size === route.length &&
      route.every((m) => typeof m === "string" && current.has(m));
    if (!ok) throw new ManifestInvalid(`route ${category}`);
  }
}

const ROLES: readonly string[] = ["admin", "reviewer", "intake"] satisfies Role[];
const ENTRY_TEXT_FIELDS = ["id", "name", "function", "role", "recipient", "signing_key", "cert"] as const;

function checkMembers(members: readonly unknown[]): asserts members is MemberEntry[] {
  if (members.length === 0) throw new ManifestInvalid("members is empty");
  const ids = new Set<string>();
  for (const m of members) {
    const entry = checkEntryShape(m);
    if (ids.has(entry.id)) throw new ManifestInvalid("member role or id");
    ids.add(entry.id);
  }
  // Every member, removed or not, is of the one recipient type (as parse_manifest checks).
  if (new Set((members as MemberEntry[]).map((e) => recipientType(e.recipient))).size !== 1) {
    throw new ManifestInvalid("recipient types");
  }
}

/** A name or function as chalicelib/manifest.py's _check_label accepts it. */
const labelOk = (text: string, emptyOk: boolean): boolean =>
  (emptyOk || text !== "") &&
  text === text.normalize("NFC") &&
  text.isWellFormed() &&
  !UNSAFE_TEXT.test(text) &&
  new TextEncoder().encode(text).length <= MAX_LABEL_BYTES;

/** One member entry's fields, as chalicelib/manifest.py's _check_entry_shape. */
function checkEntryShape(m: unknown): MemberEntry {
  if (
    !isObject(m) ||
    !sameKeys(m, ENTRY_FIELDS) ||
    !ENTRY_TEXT_FIELDS.every((f) => typeof m[f] === "string") ||
    !Array.isArray(m.old_signing_keys) ||
    typeof m.removed !== "boolean" ||
    !(m.rotation === null || typeof m.rotation === "string")
  ) {
    throw new ManifestInvalid("member shape");
  }
  const entry = m as unknown as MemberEntry;
  if (!ROLES.includes(entry.role) || !MEMBER_ID.test(entry.id)) {
    throw new ManifestInvalid("member role or id");
  }
  if (!labelOk(entry.name, false) || !labelOk(entry.function, true)) throw new ManifestInvalid("member text");
  if (!isRecipient(entry.recipient)) throw new ManifestInvalid("recipient");
  const keys = [...entry.old_signing_keys, entry.signing_key];
  if (!keys.every((k) => b64uOfSize(k, 32)) || new Set(keys).size !== keys.length) {
    throw new ManifestInvalid("signing keys");
  }
  if (!b64uOfSize(entry.cert, 64) || (entry.rotation !== null && !b64uOfSize(entry.rotation, 64))) {
    throw new ManifestInvalid("signatures");
  }
  return entry;
}

/**
 * Every entry's cert verifies with its own key (over the entry as it was
 * before removal: removal needs no signature of the removed member); a
 * changed key carries a rotation signed by the previous one; a removed
 * entry is the previous entry plus `removed` and never changes again.
 */
function checkEntries(manifest: Manifest, previous: Manifest | null): void {
  const before = new Map((previous?.members ?? []).map((m) => [m.id, m]));
  for (const entry of manifest.members) {
    checkEntrySignatures(entry);
    const old = before.get(entry.id);
    if (old) checkTransition(entry, old);
  }
  for (const id of before.keys()) {
    if (!manifest.members.some((m) => m.id === id)) throw new ManifestInvalid(`${id} dropped`);
  }
}

/**
 * The cert verifies with the entry's own key, and a rotation with the last
 * of its old keys (the key it replaced), as chalicelib/manifest.py's
 * _verify_entry_signatures.
 */
function checkEntrySignatures(entry: MemberEntry): void {
  const certified = { ...entry, removed: false };
  if (!verifyObject(certified, entry.cert, [entry.signing_key], "cert", "rotation")) {
    throw new ManifestInvalid(`cert of ${entry.id}`);
  }
  if (entry.rotation === null) return;
  const replaced = entry.old_signing_keys[entry.old_signing_keys.length - 1];
  if (replaced === undefined || !verifyObject(certified, entry.rotation, [replaced], "cert", "rotation")) {
    throw new ManifestInvalid(`rotation of ${entry.id}`);
  }
}

/**
 * `entry` as the successor of `old` (chalicelib/manifest.py's
 * _verify_transition): a removed entry is the previous one plus `removed`
 * and never changes again; an unchanged key keeps its old keys; a changed
 * key carries a rotation and adds exactly the previous key to old_signing_keys.
 */
function checkTransition(entry: MemberEntry, old: MemberEntry): void {
  if (old.removed || entry.removed) {
    const same = jcsOf(without(old, "removed")) === jcsOf(without(entry, "removed"));
    if (!entry.removed || !same) throw new ManifestInvalid(`removed entry of ${entry.id} changed`);
    return;
  }
  const expected =
    old.signing_key === entry.signing_key ? old.old_signing_keys : [...old.old_signing_keys, old.signing_key];
  if (old.signing_key !== entry.signing_key && entry.rotation === null) {
    throw new ManifestInvalid(`rotation of ${entry.id}`);
  }
  if (jcsOf(entry.old_signing_keys) !== jcsOf(expected)) throw new ManifestInvalid(`old keys of ${entry.id}`);
}

const jcsOf = (x: unknown): string => new TextDecoder().decode(jcsBytes(x));

/**
 * At least `signers.threshold` distinct admins of `signers` signed
 * `manifest`, and every entry of `sigs` is such a signature: as in
 * chalicelib/manifest.py, one bad or foreign signature refuses the whole
 * manifest rather than being skipped.
 */
function checkSignatures(manifest: Manifest, signers: Manifest): void {
  checkAdminSignatures(manifest, signers, manifest === signers ? null : manifest);
}

/**
 * The signature rule of a manifest or a release (protocol §4.5, §4.8), as
 * chalicelib/manifest.py's verify_admin_sigs: every `sigs` item by a distinct
 * admin of `signers`, under that admin's key or, when `successor` is the
 * next manifest, the new key its rotation links to it; at least `threshold`.
 * @throws {ManifestInvalid}
 */
export function checkAdminSignatures(
  doc: { sigs: readonly unknown[] },
  signers: Manifest,
  successor: Manifest | null,
): void {
  const admins = new Map(
    activeMembers(signers)
      .filter((m) => m.role === "admin")
      .map((m) => [m.id, m]),
  );
  const body = without(doc, "sigs");
  const signed = new Set<string>();
  // The shape check left the items unchecked: each is checked here.
  for (const item of doc.sigs) {
    const { member, sig } = isObject(item) ? item : {};
    if (typeof member !== "string") throw new ManifestInvalid("signed by someone who is not an admin");
    if (signed.has(member)) throw new ManifestInvalid("signed twice");
    const admin = admins.get(member);
    if (!admin) throw new ManifestInvalid("signed by someone who is not an admin");
    // The signers' own keys count, and an admin's new key only when its
    // rotation in `manifest` links it to the signers' key (protocol §4.5).
    const keys = [admin.signing_key, ...rotatedKey(successor, member, admin.signing_key)];
    if (typeof sig !== "string" || !verifyObject(body, sig, keys)) {
      throw new ManifestInvalid("bad signature");
    }
    signed.add(member);
  }
  if (signed.size < signers.threshold) throw new ManifestInvalid("threshold");
}

/**
 * The new key of `member` in `successor` when its `rotation` links it to
 * `key` (the key of the version before), as chalicelib/manifest.py's
 * _rotated_key: an admin who rotated still signs the next version. The
 * rotation itself was checked with the entry.
 */
export function rotatedKey(successor: Manifest | null, member: string, key: B64u): B64u[] {
  const entry = successor?.members.find((m) => m.id === member);
  if (!entry || entry.removed || entry.rotation === null) return [];
  return entry.old_signing_keys.at(-1) === key ? [entry.signing_key] : [];
}

/**
 * Check the manifest built into the page: well-formed, one recipient type,
 * valid certs; version 1 must also be signed by its own admins.
 * @throws {ManifestInvalid}
 */
export function verifyBuiltIn(manifest: unknown, today: string | null = null): Manifest {
  checkShape(manifest);
  manifestRecipientType(manifest);
  checkEntries(manifest, null);
  // A re-anchor is signed by its own admins, as version 1 is.
  if (manifest.version === 1 || isReanchor(manifest)) checkSignatures(manifest, manifest);
  if (today !== null) checkUnexpired(manifest, today);
  return manifest;
}

/** The latest manifest or release of a chain is unexpired on `today` (inclusive). */
export function checkUnexpired(doc: { expires: string }, today: string): void {
  if (parseDay(today) > parseDay(doc.expires)) throw new ManifestInvalid("expired");
}

/** Version, order and continuity of a manifest or release after `previous` (protocol §4.5). */
export function checkSuccession(
  previous: { version: number; issued: string; expires: string },
  next: { version: number; issued: string },
): void {
  if (next.version !== previous.version + 1) throw new ManifestInvalid("version");
  if (parseDay(next.issued) < parseDay(previous.issued)) throw new ManifestInvalid("issued goes back");
  // Continuity: a long-superseded version's admins cannot fork the chain.
  if (parseDay(next.issued) > parseDay(previous.expires)) throw new ManifestInvalid("issued after expiry");
}

/**
 * Check that `next` validly follows `previous` (protocol §4.5).
 * @throws {ManifestInvalid}
 */
export function verifyNext(previous: Manifest, next: unknown, today: string | null = null): Manifest {
  checkShape(next);
  if (isReanchor(next)) throw new ManifestInvalid(`version ${next.version} is a re-anchor`);
  checkSuccession(previous, next);
  if (manifestRecipientType(next) !== manifestRecipientType(previous)) {
    throw new ManifestInvalid("recipient type changed");
  }
  checkEntries(next, previous);
  checkSignatures(next, previous);
  if (today !== null) checkUnexpired(next, today);
  return next;
}

/**
 * Walk `newer` (oldest first, as `GET /v1/manifest?since=` answers) from
 * the built-in manifest and return every version in the chain, the newest
 * last. The newest must be unexpired on `today` (expires is inclusive).
 * @throws {ManifestInvalid}
 */
export function verifyChain(builtIn: unknown, newer: readonly unknown[], today: string = todayUtc()): Manifest[] {
  const { chain, newest } = walk(builtIn, newer);
  // Only the newest must be current: older versions are superseded, not expired.
  checkUnexpired(newest, today);
  return chain;
}

/** The chain without the expiry check (chalicelib/manifest.py's follow_chain), and its newest. */
export function walk(builtIn: unknown, newer: readonly unknown[]): { chain: Manifest[]; newest: Manifest } {
  let newest = verifyBuiltIn(builtIn);
  const chain = [newest];
  for (const next of newer) {
    newest = verifyNext(newest, next);
    chain.push(newest);
  }
  return { chain, newest };
}

/** Every signing key (current and old) a member ever had in the chain. */
export function memberSigningKeys(chain: readonly Manifest[], memberId: string): B64u[] {
  const keys = new Set<B64u>();
  for (const manifest of chain) {
    const m = manifest.members.find((e) => e.id === memberId);
    if (m) for (const k of [m.signing_key, ...m.old_signing_keys]) keys.add(k);
  }
  return [...keys];
}

/**
 * The recipients of a new blob of a case: the members of `access` who are
 * still members, and the ids of removed ones left out (candor/roster.py's
 * recipients_for_access), so that a removal never blocks a reply.
 * @throws {ManifestInvalid} for an id the manifest does not list, or when nobody is left
 */
export function recipientsForAccess(
  manifest: Manifest,
  access: readonly string[],
): { recipients: string[]; dropped: string[] } {
  const entries = new Map(manifest.members.map((m) => [m.id, m]));
  const recipients: string[] = [];
  const dropped: string[] = [];
  for (const id of access) {
    const entry = entries.get(id);
    if (entry === undefined) throw new ManifestInvalid(`${id} is not a member`);
    if (entry.removed) dropped.push(id);
    else recipients.push(entry.recipient);
  }
  if (recipients.length === 0) throw new ManifestInvalid("nobody in the access list is still a member");
  return { recipients, dropped };
}

/** Current recipients of the members in `access` (removed members are never recipients). */
export function accessRecipients(manifest: Manifest, access: readonly string[]): string[] {
  const active = new Map(activeMembers(manifest).map((m) => [m.id, m.recipient]));
  return access.flatMap((id) => {
    const recipient = active.get(id);
    return recipient === undefined ? [] : [recipient];
  });
}
