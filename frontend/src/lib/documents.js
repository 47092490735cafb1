// Documents and sealed blobs (protocol §2): build, pad, seal with age, open,
// check. Every recipient of one blob is of one type; a mixed set is refused
// before anything is encrypted.
import { Decrypter, Encrypter } from "age-encryption";
import { b64u, fromUtf8, randomId, sha256, utf8 } from "./encoding.js";
import { recipientType } from "./manifest.js";
import { padDocument, unpadDocument } from "./padding.js";
import { parseStrict } from "./strict-json.js";
import { publicKey, signDocument, verifyDocument } from "./sign.js";

/** Any failure to seal: nothing must be sent. */
export class SealFailed extends Error {}
/** Any failure to open or parse a sealed document (one opaque error, no oracle). */
export class OpenFailed extends Error {}

/** An age Encrypter for `recipients`, refusing an empty or mixed set. */
export function encrypterFor(recipients) {
  try {
    if (recipients.length === 0) throw new Error("no recipients");
    const types = new Set(recipients.map(recipientType));
    if (types.size !== 1) throw new Error("recipients of mixed types");
    const encrypter = new Encrypter();
    for (const r of new Set(recipients)) encrypter.addRecipient(r);
    return encrypter;
  } catch (err) {
    throw new SealFailed(String(err?.message ?? err));
  }
}

/** Seal bytes (already padded) to `recipients`. @throws {SealFailed} */
export async function sealBytes(plaintext, recipients) {
  const encrypter = encrypterFor(recipients);
  try {
    return await encrypter.encrypt(plaintext);
  } catch (err) {
    throw new SealFailed(String(err?.message ?? err));
  }
}

/** Pad the JSON of `doc` (protocol §2.2) and seal it. @throws {SealFailed} */
export const sealDocument = (doc, recipients) => sealBytes(encodeDocument(doc), recipients);

export const encodeDocument = (doc) => padDocument(utf8(JSON.stringify(doc)));

/** Decode a padded document plaintext: one JSON object, nesting ≤ 8. @throws {OpenFailed} */
export function decodeDocument(bytes) {
  try {
    const doc = parseStrict(fromUtf8(unpadDocument(bytes)));
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error("not an object");
    return doc;
  } catch {
    throw new OpenFailed("document");
  }
}

/** Decode a document and require `"v": 1`. @throws {OpenFailed} */
export function decodeV1(bytes) {
  const doc = decodeDocument(bytes);
  if (doc.v !== 1) throw new OpenFailed("version");
  return doc;
}

/** Decrypt a sealed blob with any of `identities`. @throws {OpenFailed} */
export async function openBytes(sealed, identities) {
  try {
    const decrypter = new Decrypter();
    for (const identity of identities) decrypter.addIdentity(identity);
    return await decrypter.decrypt(sealed);
  } catch {
    throw new OpenFailed("decrypt");
  }
}

export const openDocument = async (sealed, identities) =>
  decodeV1(await openBytes(sealed, identities));

/** b64u(H(sealed bytes)): how reports and messages are named in `prev` and the case state. */
export const blobHash = (sealed) => b64u(sha256(sealed));

/** case = b64u(H(reply_to)). */
export const caseHash = (replyTo) => b64u(sha256(utf8(replyTo)));

export function buildReport({ form, replyTo, reporterKey, access, manifest, attachments, lang }) {
  return {
    v: 1,
    type: "report",
    form,
    reply_to: replyTo,
    reporter_key: reporterKey,
    access,
    manifest,
    attachments,
    lang,
  };
}

/** The case state sealed to recipient(kek) (protocol §3.2). */
export function buildCaseState({ identity, signSeed, access, manifest, reportHash }) {
  return { v: 1, identity, sign: b64u(signSeed), access, manifest, report: reportHash };
}

/** A signed reporter message (protocol §2.2, §2.3). */
export function buildReporterMessage({ replyTo, prev, text, attachments, signSeed }) {
  const doc = {
    v: 1,
    type: "message",
    id: randomId("b_"),
    case: caseHash(replyTo),
    from: "reporter",
    member: null,
    prev,
    text,
    attachments,
  };
  return signDocument(doc, signSeed);
}

export const reporterKeyOf = (signSeed) => b64u(publicKey(signSeed));

/**
 * Check a message from the thread. Returns "ok" or "forged": the signature
 * must verify for the author (the reporter's key, or any key the member ever
 * had in the manifest chain), `case`, `type`, `from` and `id` must match the
 * route and listing it came from (protocol §2.3).
 */
export function checkMessage(doc, { listing, replyTo, reporterKey, memberKeys }) {
  if (doc.v !== 1) return "forged";
  if (doc.type !== "message" || doc.from !== listing.from || doc.id !== listing.id) return "forged";
  if (doc.case !== caseHash(replyTo)) return "forged";
  if (typeof doc.text !== "string" || !Array.isArray(doc.attachments ?? [])) return "forged";
  let keys;
  if (doc.from === "reporter") {
    if (doc.member !== null) return "forged";
    keys = [reporterKey];
  } else if (doc.from === "team") {
    if (typeof doc.member !== "string") return "forged";
    keys = memberKeys(doc.member);
  } else {
    return "forged";
  }
  return keys.length > 0 && verifyDocument(doc, keys) ? "ok" : "forged";
}

/**
 * Mark gaps: a `prev` naming a blob missing from the thread, or a missing
 * `seq`. `entries` are in thread order with {seq, hash, doc}; returns a Set
 * of the indices before which something is missing.
 */
export function findGaps(entries) {
  const gaps = new Set();
  const hashes = new Set(entries.map((e) => e.hash));
  entries.forEach((entry, i) => {
    // seq starts at 1 and counts messages only, so any jump is a withheld message.
    const expectedSeq = i === 0 ? 1 : entries[i - 1].seq + 1;
    if (entry.seq !== expectedSeq) gaps.add(i);
    const prev = entry.doc?.prev;
    if (typeof prev === "string" && !hashes.has(prev)) gaps.add(i);
  });
  return gaps;
}
