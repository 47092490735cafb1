// What a team member does, in the browser: the twin of candor/teamops.py.
// Every request is signed (protocol §4.3); keys are trusted only through the
// verified manifest chain; every message and note shown has its signature,
// case, route and id checked (protocol §2.3); a reply is refused when the stored
// case and the sealed report disagree (protocol §4.5).
import { Decrypter } from "age-encryption";
import { ApiError, readAnswer } from "./api.js";
import { b64u, fromB64u, hex, randomId, sha256, utf8 } from "./encoding.js";
import { blobHash, caseHash, decodeV1, OpenFailed, sealBytes, sealDocument } from "./documents.js";
import { accessRecipients, memberSigningKeys, recipientType } from "./manifest.js";
import { attachmentPadder, unpadAttachment } from "./padding.js";
import { signRequest, canonicalQuery } from "./rfc9421.js";
import { signDocument, verifyDocument } from "./sign.js";

const RETRIES = 8;
const FETCH_OPTIONS = { credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "error" };
const MEMBER_ID = /^m_[A-Za-z0-9_-]{20}$/;
const BLOB_ID = /^b_[A-Za-z0-9_-]{22}$/;
const ATTACHMENT_ID = /^a_[A-Za-z0-9_-]{22}$/;

/** Signed JSON calls to the team routes (protocol §4.4), same origin. */
export class TeamClient {
  /** `key` from keyfile.js; `base` is the API's base path ("" when the API is at /v1 of this origin). */
  constructor(key, { base = "", fetchImpl = (...a) => globalThis.fetch(...a), onCall = () => {} } = {}) {
    Object.assign(this, { key, base, fetchImpl, onCall });
  }

  /**
   * One signed request, retried while the API is throttled or unavailable
   * (signed anew each time: a new nonce; protocol §4.1 makes retries safe).
   * Returns the parsed answer (null for 204). @throws {ApiError}
   */
  async call(method, path, options = {}) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, options);
      } catch (err) {
        if (!(err instanceof ApiError) || !err.retryable || attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random())));
      }
    }
  }

  async once(method, path, { query = {}, body } = {}) {
    const raw = body === undefined ? new Uint8Array(0) : utf8(JSON.stringify(body));
    const fullPath = this.base + path;
    const headers = signRequest(method, fullPath, query, raw, { memberId: this.key.member, seed: this.key.signingSeed });
    if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
    const qs = canonicalQuery(query);
    this.onCall();
    let response;
    try {
      response = await this.fetchImpl(fullPath + (qs === "?" ? "" : qs), {
        ...FETCH_OPTIONS, method, headers, body: body === undefined ? undefined : raw,
      });
    } catch {
      throw new ApiError(0, "network");
    }
    return readAnswer(response);
  }

  get(path, query) {
    return this.call("GET", path, { query });
  }
}

/** Unsigned GET of a sealed attachment from the URL the API handed out. */
export async function downloadBytes(url, fetchImpl = (...a) => globalThis.fetch(...a)) {
  let response;
  try {
    response = await fetchImpl(url, { ...FETCH_OPTIONS, redirect: "follow" });
  } catch {
    throw new ApiError(0, "network");
  }
  if (!response.ok) throw new ApiError(response.status, "not_found");
  return new Uint8Array(await response.arrayBuffer());
}

// -- opening blobs ----------------------------------------------------------------

/**
 * An identity that tries the stanza at `hint` first. Blobs are sealed to
 * the access recipients in list order, so a member's stanza is usually at
 * its index in `access`: one ML-KEM decapsulation instead of several. The
 * order only changes speed; every stanza is still tried.
 */
function hinted(identity, hint) {
  return {
    unwrapFileKey(stanzas) {
      if (!(hint >= 0 && hint < stanzas.length)) return identity.unwrapFileKey(stanzas);
      return identity.unwrapFileKey([stanzas[hint], ...stanzas.filter((_, i) => i !== hint)]);
    },
  };
}

/** Opens sealed blobs with a member's identities. */
export class Opener {
  constructor(identities) {
    this.identities = identities;
    // Parsed once: addIdentity with a string builds the identity object.
    const probe = new Decrypter();
    identities.forEach((i) => probe.addIdentity(i));
    this.parsed = probe.identities;
  }

  /** Decrypt with any identity. @throws {OpenFailed} */
  async bytes(sealed, hint = -1) {
    try {
      const decrypter = new Decrypter();
      for (const identity of this.parsed) decrypter.addIdentity(hinted(identity, hint));
      return await decrypter.decrypt(sealed);
    } catch {
      throw new OpenFailed("decrypt");
    }
  }

  /** Decrypt and parse a padded v1 document. @throws {OpenFailed} */
  async document(sealed, hint = -1) {
    return decodeV1(await this.bytes(sealed, hint));
  }

  /** Check the blob against the entry's hash, decrypt, truncate to size. @throws {OpenFailed} */
  async attachment(sealed, entry, hint = -1) {
    if (!attachmentOk(entry) || hex(sha256(sealed)) !== entry.sha256) throw new OpenFailed("hash");
    const plain = await this.bytes(sealed, hint);
    try {
      return unpadAttachment(plain, entry.size);
    } catch {
      throw new OpenFailed("padding");
    }
  }
}

// -- checks (twins of candor/documents.py) ------------------------------------------

const isInt = (v) => Number.isSafeInteger(v);
function b64uOfSize(value, size) {
  try {
    return fromB64u(value).length === size;
  } catch {
    return false;
  }
}

export function attachmentOk(entry) {
  return !!entry && typeof entry === "object" && ATTACHMENT_ID.test(entry.id ?? "") && typeof entry.name === "string" &&
    typeof entry.type === "string" && isInt(entry.size) && entry.size >= 0 && /^[0-9a-f]{64}$/.test(entry.sha256 ?? "");
}

/** Why a report is not a well-formed v1 report of this case, or null. */
export function reportProblem(doc, caseReplyTo = null) {
  if (doc?.v !== 1 || doc.type !== "report") return "not a v1 report";
  const form = doc.form;
  if (!form || typeof form !== "object" || Array.isArray(form) || !Object.values(form).every((v) => typeof v === "string")) return "form";
  try {
    recipientType(String(doc.reply_to));
  } catch {
    return "reply_to";
  }
  if (!b64uOfSize(doc.reporter_key, 32)) return "reporter_key";
  if (!Array.isArray(doc.access) || !doc.access.length || !doc.access.every((m) => MEMBER_ID.test(m))) return "access";
  if (!isInt(doc.manifest) || doc.manifest < 1) return "manifest";
  if (!Array.isArray(doc.attachments) || !doc.attachments.every(attachmentOk)) return "attachments";
  if (typeof doc.lang !== "string") return "lang";
  if (caseReplyTo !== null && doc.reply_to !== caseReplyTo) return "reply_to differs";
  return null;
}

function entryProblem(doc) {
  if (doc?.v !== 1 || !["message", "note"].includes(doc.type) || !["reporter", "team"].includes(doc.from)) return "shape";
  if (!BLOB_ID.test(doc.id ?? "")) return "id";
  if (doc.from === "reporter" && (doc.type !== "message" || doc.member !== null)) return "reporter";
  if (doc.from === "team" && !MEMBER_ID.test(doc.member ?? "")) return "member";
  if (doc.prev !== null && !b64uOfSize(doc.prev, 32)) return "prev";
  if (typeof doc.text !== "string") return "text";
  if (!Array.isArray(doc.attachments) || !doc.attachments.every(attachmentOk)) return "attachments";
  return null;
}

/**
 * Whether a decrypted message or note may be shown (protocol §2.3): shape,
 * route (`kind`, listing.from, listing.id), case and signature. "ok" or a reason.
 */
export function checkEntry(doc, kind, listing, replyTo, keys) {
  const problem = entryProblem(doc);
  if (problem) return problem;
  if (doc.type !== kind || doc.from !== listing.from) return "route";
  if (doc.case !== caseHash(replyTo)) return "case";
  if (doc.id !== listing.id) return "id";
  if (!keys.length || !verifyDocument(doc, keys)) return "signature";
  return "ok";
}

/** The keys a message may be signed with: the report's reporter_key, or every key a member had in the chain. */
export const authorKeys = (doc, chain, reporterKey) =>
  doc?.from === "reporter" ? [reporterKey] : doc?.from === "team" && typeof doc.member === "string" ? memberSigningKeys(chain, doc.member) : [];

/**
 * What the stored case says that the sealed report does not (protocol §4.5):
 * [{code: "report"|"access"|"keys", detail}]. "report" and "access" block writing.
 */
export function consistencyWarnings(chain, caseDetail, report) {
  const warnings = [];
  const problem = reportProblem(report, caseDetail.reply_to);
  if (problem) warnings.push({ code: "report", detail: problem });
  if (JSON.stringify(report?.access ?? []) !== JSON.stringify(caseDetail.access)) warnings.push({ code: "access" });
  const current = chain[chain.length - 1];
  const then = chain.find((m) => m.version === report?.manifest);
  if (then && then !== current) {
    const old = new Map(then.members.map((m) => [m.id, m]));
    for (const m of current.members) {
      const was = old.get(m.id);
      if (caseDetail.access.includes(m.id) && was && (was.recipient !== m.recipient || was.signing_key !== m.signing_key)) {
        warnings.push({ code: "keys", detail: m.name });
      }
    }
  }
  return warnings;
}

export const blocksWriting = (warnings) => warnings.some((w) => w.code === "report" || w.code === "access");

// -- writing -------------------------------------------------------------------------

/** Who a reply (message) or note is sealed to (protocol §2.4). @throws {Error} for an access member not current */
export function entryRecipients(manifest, caseDetail, kind) {
  const access = accessRecipients(manifest, caseDetail.access);
  if (access.length !== caseDetail.access.length) throw new Error("an access member is no longer current");
  return kind === "message" ? [...access, caseDetail.reply_to] : access;
}

/** Seal an attachment (bytes) for a reply or note; returns {sealed, entry without id}. */
export async function sealAttachmentBytes(bytes, name, type, recipients) {
  const padded = await new Response(new Blob([bytes]).stream().pipeThrough(attachmentPadder(bytes.length))).arrayBuffer();
  const sealed = await sealBytes(new Uint8Array(padded), recipients);
  return { sealed, entry: { name, type, size: bytes.length, sha256: hex(sha256(sealed)) } };
}

/**
 * A signed message or note document (protocol §2.2, §2.3). `prev` is the blob
 * hash of the last verified message (messages only).
 */
export function buildEntry({ kind, replyTo, member, prev, text, attachments, seed }) {
  const doc = {
    v: 1, type: kind, id: randomId("b_"), case: caseHash(replyTo), from: "team", member,
    prev: kind === "message" ? prev : null, text, attachments,
  };
  return signDocument(doc, seed);
}

/** Seal `doc` and the request body for POST …/messages or …/notes. */
export async function sealEntry(doc, recipients, attachmentIds) {
  const sealed = await sealDocument(doc, recipients);
  return { sealed, body: { id: doc.id, [doc.type]: b64u(sealed), attachments: attachmentIds } };
}

export { blobHash, OpenFailed };
