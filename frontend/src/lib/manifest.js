// The team manifest (protocol §4.5): the only source of keys the pages encrypt
// to and verify with. A newer manifest is accepted only through an unbroken
// chain of valid versions from the one built into the page.
import { bech32 } from "@scure/base";
import { b64u, sha256 } from "./encoding.js";
import { jcsBytes, without } from "./jcs.js";
import { verifyObject } from "./sign.js";

const MAX_VALIDITY_DAYS = 90;
const DAY_MS = 86400000;

/** A manifest that fails verification; `reason` names the rule (for tests and logs, not for users). */
export class ManifestInvalid extends Error {
  constructor(reason) {
    super(`manifest invalid: ${reason}`);
    this.reason = reason;
  }
}

/** fingerprint = b64u(H(JCS(manifest without sigs))). */
export const fingerprint = (manifest) => b64u(sha256(jcsBytes(without(manifest, "sigs"))));

/** "mlkem768x25519" for age1pq1…, "x25519" for age1…. */
export function recipientType(recipient) {
  if (recipient.startsWith("age1pq1")) return "mlkem768x25519";
  if (/^age1[02-9ac-hj-np-z]+$/.test(recipient)) return "x25519";
  throw new ManifestInvalid("unknown recipient type");
}

export const activeMembers = (manifest) => manifest.members.filter((m) => !m.removed);

/** The single recipient type of a manifest's active members. */
export function manifestRecipientType(manifest) {
  const types = new Set(activeMembers(manifest).map((m) => recipientType(m.recipient)));
  if (types.size !== 1) throw new ManifestInvalid("recipient types");
  return [...types][0];
}

function parseDay(day) {
  if (typeof day !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new ManifestInvalid("day");
  const ms = Date.parse(day + "T00:00:00Z");
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new ManifestInvalid("day");
  }
  return ms;
}

export const todayUtc = (now = Date.now()) => new Date(now).toISOString().slice(0, 10);

const MANIFEST_FIELDS = ["expires", "issued", "members", "sigs", "threshold", "v", "version"];
const ENTRY_FIELDS = ["cert", "function", "id", "name", "old_signing_keys", "recipient", "removed", "role", "rotation", "signing_key"];
const sameKeys = (obj, fields) => JSON.stringify(Object.keys(obj).sort()) === JSON.stringify(fields);
const MEMBER_ID = /^m_[A-Za-z0-9_-]{20}$/;
// Names are shown to reporters: no control characters, no bidi overrides.
const UNSAFE_TEXT = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** A well-formed age recipient of a type the pages support. */
function validRecipient(recipient) {
  try {
    const { prefix, words } = bech32.decode(recipient, false);
    const size = bech32.fromWords(words).length;
    return (prefix === "age1pq" && size === 1216) || (prefix === "age" && size === 32 && recipient === recipient.toLowerCase());
  } catch {
    return false;
  }
}

function checkShape(manifest) {
  const ok =
    manifest &&
    sameKeys(manifest, MANIFEST_FIELDS) &&
    manifest.v === 1 &&
    Number.isSafeInteger(manifest.version) &&
    manifest.version >= 1 &&
    Number.isSafeInteger(manifest.threshold) &&
    manifest.threshold >= 1 &&
    Array.isArray(manifest.members) &&
    Array.isArray(manifest.sigs);
  if (!ok) throw new ManifestInvalid("shape");
  const ids = new Set();
  for (const m of manifest.members) {
    const fields = ["id", "name", "function", "role", "recipient", "signing_key", "cert"];
    if (!m || !sameKeys(m, ENTRY_FIELDS) || !fields.every((f) => typeof m[f] === "string") ||
        !Array.isArray(m.old_signing_keys) || typeof m.removed !== "boolean" ||
        !(m.rotation === null || typeof m.rotation === "string")) {
      throw new ManifestInvalid("member shape");
    }
    if (!["admin", "reviewer"].includes(m.role) || ids.has(m.id) || !MEMBER_ID.test(m.id)) {
      throw new ManifestInvalid("member role or id");
    }
    if (UNSAFE_TEXT.test(m.name) || UNSAFE_TEXT.test(m.function)) throw new ManifestInvalid("member text");
    if (!validRecipient(m.recipient)) throw new ManifestInvalid("recipient");
    ids.add(m.id);
  }
  const liveAdmins = activeMembers(manifest).filter((m) => m.role === "admin").length;
  if (manifest.threshold > liveAdmins) throw new ManifestInvalid("threshold above admins");
  const issued = parseDay(manifest.issued);
  const expires = parseDay(manifest.expires);
  if (expires < issued || expires - issued > MAX_VALIDITY_DAYS * DAY_MS) {
    throw new ManifestInvalid("validity period");
  }
}

/**
 * Every entry's cert verifies with its own key (over the entry as it was
 * before removal: removal needs no signature of the removed member); a
 * changed key carries a rotation signed by the previous one; a removed
 * entry is the previous entry plus `removed` and never changes again.
 */
function checkEntries(manifest, previous) {
  const before = new Map((previous?.members ?? []).map((m) => [m.id, m]));
  for (const entry of manifest.members) {
    const certified = { ...entry, removed: false };
    if (!verifyObject(certified, entry.cert, [entry.signing_key], "cert", "rotation")) {
      throw new ManifestInvalid(`cert of ${entry.id}`);
    }
    const old = before.get(entry.id);
    if (old && (old.removed || entry.removed)) {
      const same = jcsOf(without(old, "removed")) === jcsOf(without(entry, "removed"));
      if (!entry.removed || !same) throw new ManifestInvalid(`removed entry of ${entry.id} changed`);
      continue;
    }
    if (old && old.signing_key !== entry.signing_key) {
      if (typeof entry.rotation !== "string" || !verifyObject(certified, entry.rotation, [old.signing_key], "cert", "rotation")) {
        throw new ManifestInvalid(`rotation of ${entry.id}`);
      }
      if (!entry.old_signing_keys.includes(old.signing_key)) {
        throw new ManifestInvalid(`old keys of ${entry.id}`);
      }
    } else if (!old && typeof entry.rotation === "string") {
      // An anchor (or a new entry) with a rotation: it must verify with a listed old key.
      if (!verifyObject(certified, entry.rotation, entry.old_signing_keys, "cert", "rotation")) {
        throw new ManifestInvalid(`rotation of ${entry.id}`);
      }
    }
  }
  for (const id of before.keys()) {
    if (!manifest.members.some((m) => m.id === id)) throw new ManifestInvalid(`${id} dropped`);
  }
}

const jcsOf = (x) => new TextDecoder().decode(jcsBytes(x));

/**
 * At least `signers.threshold` distinct admins of `signers` signed
 * `manifest`, and every entry of `sigs` is such a signature: as in
 * chalicelib/manifest.py, one bad or foreign signature refuses the whole
 * manifest rather than being skipped.
 */
function checkSignatures(manifest, signers) {
  const admins = new Map(activeMembers(signers).filter((m) => m.role === "admin").map((m) => [m.id, m]));
  const body = without(manifest, "sigs");
  const signed = new Set();
  for (const item of manifest.sigs) {
    const { member, sig } = item ?? {};
    if (signed.has(member)) throw new ManifestInvalid("signed twice");
    const admin = admins.get(member);
    if (!admin) throw new ManifestInvalid("signed by someone who is not an admin");
    // Only the signers' own keys count: an admin's key new in `manifest` proves nothing yet.
    if (typeof sig !== "string" || !verifyObject(body, sig, [admin.signing_key])) {
      throw new ManifestInvalid("bad signature");
    }
    signed.add(member);
  }
  if (signed.size < signers.threshold) throw new ManifestInvalid("threshold");
}

/**
 * Check the manifest built into the page: well-formed, one recipient type,
 * valid certs; version 1 must also be signed by its own admins.
 * @throws {ManifestInvalid}
 */
export function verifyBuiltIn(manifest, today = null) {
  checkShape(manifest);
  manifestRecipientType(manifest);
  checkEntries(manifest, null);
  if (manifest.version === 1) checkSignatures(manifest, manifest);
  if (today !== null) checkUnexpired(manifest, today);
  return manifest;
}

function checkUnexpired(manifest, today) {
  if (parseDay(today) > parseDay(manifest.expires)) throw new ManifestInvalid("expired");
}

/**
 * Check that `next` validly follows `previous` (protocol §4.5).
 * @throws {ManifestInvalid}
 */
export function verifyNext(previous, next, today = null) {
  checkShape(next);
  if (next.version !== previous.version + 1) throw new ManifestInvalid("version");
  if (parseDay(next.issued) < parseDay(previous.issued)) throw new ManifestInvalid("issued goes back");
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
export function verifyChain(builtIn, newer, today = todayUtc()) {
  const chain = [verifyBuiltIn(builtIn)];
  for (const next of newer) chain.push(verifyNext(chain[chain.length - 1], next));
  // Only the newest must be current: older versions are superseded, not expired.
  checkUnexpired(chain[chain.length - 1], today);
  return chain;
}

/** Every signing key (current and old) a member ever had in the chain. */
export function memberSigningKeys(chain, memberId) {
  const keys = new Set();
  for (const manifest of chain) {
    const m = manifest.members.find((e) => e.id === memberId);
    if (m) [m.signing_key, ...m.old_signing_keys].forEach((k) => keys.add(k));
  }
  return [...keys];
}

/** Current recipients of the members in `access` (removed members are never recipients). */
export function accessRecipients(manifest, access) {
  const active = new Map(activeMembers(manifest).map((m) => [m.id, m.recipient]));
  return access.filter((id) => active.has(id)).map((id) => active.get(id));
}
