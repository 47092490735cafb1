// The team manifest (SPEC §4.5): the only source of keys the pages encrypt
// to and verify with. A newer manifest is accepted only through an unbroken
// chain of valid versions from the one built into the page.
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

function checkShape(manifest) {
  const ok =
    manifest &&
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
    if (!fields.every((f) => typeof m[f] === "string") || !Array.isArray(m.old_signing_keys)) {
      throw new ManifestInvalid("member shape");
    }
    if (!["admin", "reviewer"].includes(m.role) || ids.has(m.id)) {
      throw new ManifestInvalid("member role or id");
    }
    ids.add(m.id);
  }
  const issued = parseDay(manifest.issued);
  const expires = parseDay(manifest.expires);
  if (expires < issued || expires - issued > MAX_VALIDITY_DAYS * DAY_MS) {
    throw new ManifestInvalid("validity period");
  }
}

/** Every entry's cert verifies with its own key; a changed key carries a rotation signed by the previous one. */
function checkEntries(manifest, previous) {
  const before = new Map((previous?.members ?? []).map((m) => [m.id, m]));
  for (const entry of manifest.members) {
    if (!verifyObject(entry, entry.cert, [entry.signing_key], "cert", "rotation")) {
      throw new ManifestInvalid(`cert of ${entry.id}`);
    }
    const old = before.get(entry.id);
    if (old && old.signing_key !== entry.signing_key) {
      const rotation = entry.rotation;
      if (typeof rotation !== "string" || !verifyObject(entry, rotation, [old.signing_key], "cert", "rotation")) {
        throw new ManifestInvalid(`rotation of ${entry.id}`);
      }
      if (!entry.old_signing_keys.includes(old.signing_key)) {
        throw new ManifestInvalid(`old keys of ${entry.id}`);
      }
    }
    if (old?.removed && !entry.removed) throw new ManifestInvalid(`${entry.id} returned`);
  }
  for (const id of before.keys()) {
    if (!manifest.members.some((m) => m.id === id)) throw new ManifestInvalid(`${id} dropped`);
  }
}

/** At least `signers.threshold` distinct admins of `signers` signed `manifest`. */
function checkSignatures(manifest, signers) {
  const admins = new Map(activeMembers(signers).filter((m) => m.role === "admin").map((m) => [m.id, m]));
  const body = without(manifest, "sigs");
  const signed = new Set();
  for (const { member, sig } of manifest.sigs) {
    const admin = admins.get(member);
    if (!admin || signed.has(member)) continue;
    // An admin who rotated in this very version may sign with the new key,
    // which the (already verified) rotation links to the old one.
    const keys = [admin.signing_key];
    const entry = manifest.members.find((m) => m.id === member);
    if (entry) keys.push(entry.signing_key);
    if (verifyObject(body, sig, keys)) signed.add(member);
  }
  if (signed.size < signers.threshold) throw new ManifestInvalid("threshold");
}

/**
 * Check the manifest built into the page: well-formed, one recipient type,
 * valid certs; version 1 must also be signed by its own admins.
 * @throws {ManifestInvalid}
 */
export function verifyBuiltIn(manifest) {
  checkShape(manifest);
  manifestRecipientType(manifest);
  checkEntries(manifest, null);
  if (manifest.version === 1) checkSignatures(manifest, manifest);
  return manifest;
}

/**
 * Check that `next` validly follows `previous` (SPEC §4.5).
 * @throws {ManifestInvalid}
 */
export function verifyNext(previous, next) {
  checkShape(next);
  if (next.version !== previous.version + 1) throw new ManifestInvalid("version");
  if (manifestRecipientType(next) !== manifestRecipientType(previous)) {
    throw new ManifestInvalid("recipient type changed");
  }
  checkEntries(next, previous);
  checkSignatures(next, previous);
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
  for (const next of newer) {
    if (next.version <= builtIn.version) continue;
    chain.push(verifyNext(chain[chain.length - 1], next));
  }
  const latest = chain[chain.length - 1];
  if (parseDay(today) > parseDay(latest.expires)) throw new ManifestInvalid("expired");
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
