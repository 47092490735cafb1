// Documents and sealed blobs (protocol §2), the twin of candor/documents.py:
// build, pad, seal with age, open, and the one strict checker per document
// kind (report, message or note). Every recipient of one blob is of one
// type; a mixed set is refused before anything is encrypted.
import { Decrypter, Encrypter, type Identity } from "age-encryption";
import { b64uOfSize, isInt, isMemberId, isObject, isString } from "./check.js";
import { b64u, fromUtf8, hex, randomId, sha256, utf8 } from "./encoding.js";
import { isRecipient, memberSigningKeys, recipientType } from "./manifest.js";
import { padDocument, unpadAttachment, unpadDocument } from "./padding.js";
import { parseStrict } from "./strict-json.js";
import { publicKey, signDocument, verifyDocument } from "./sign.js";
import type { AttachmentEntry, Author, B64u, CaseState, EntryKind, Manifest, MessageDoc, ReportDoc } from "./types.js";

/** Any failure to seal: nothing must be sent. */
export class SealFailed extends Error {}
/** Any failure to open or parse a sealed document (one opaque error, no oracle). */
export class OpenFailed extends Error {}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An age Encrypter for `recipients`, refusing an empty or mixed set. @throws {SealFailed} */
export function encrypterFor(recipients: readonly string[]): Encrypter {
  try {
    if (recipients.length === 0) throw new Error("no recipients");
    const types = new Set(recipients.map(recipientType));
    if (types.size !== 1) throw new Error("recipients of mixed types");
    const encrypter = new Encrypter();
    for (const r of new Set(recipients)) encrypter.addRecipient(r);
    return encrypter;
  } catch (err) {
    throw new SealFailed(reason(err));
  }
}

/** Seal bytes (already padded) to `recipients`. @throws {SealFailed} */
export async function sealBytes(plaintext: Uint8Array, recipients: readonly string[]): Promise<Uint8Array> {
  const encrypter = encrypterFor(recipients);
  try {
    return await encrypter.encrypt(plaintext);
  } catch (err) {
    throw new SealFailed(reason(err));
  }
}

export const encodeDocument = (doc: object): Uint8Array => padDocument(utf8(JSON.stringify(doc)));

/** Pad the JSON of `doc` (protocol §2.2) and seal it. @throws {SealFailed} */
export const sealDocument = (doc: object, recipients: readonly string[]): Promise<Uint8Array> =>
  sealBytes(encodeDocument(doc), recipients);

/** A decoded document: one JSON object, its fields not yet checked. */
export type Decoded = Record<string, unknown>;

/** Decode a padded document plaintext: one JSON object, nesting ≤ 8. @throws {OpenFailed} */
export function decodeDocument(bytes: Uint8Array): Decoded {
  try {
    const doc = parseStrict(fromUtf8(unpadDocument(bytes)));
    if (!isObject(doc)) throw new Error("not an object");
    return doc;
  } catch {
    throw new OpenFailed("document");
  }
}

/** Decode a document and require `"v": 1`. @throws {OpenFailed} */
export function decodeV1(bytes: Uint8Array): Decoded {
  const doc = decodeDocument(bytes);
  if (doc.v !== 1) throw new OpenFailed("version");
  return doc;
}

// -- opening (the one opener of every page) --------------------------------------------

/**
 * An identity that tries the stanza at `hint` first. Blobs are sealed to
 * the access recipients in list order, so a member's stanza is usually at
 * its index in `access`: one ML-KEM decapsulation instead of several. The
 * order only changes speed; every stanza is still tried.
 */
function hinted(identity: Identity, hint: number): Identity {
  return {
    unwrapFileKey(stanzas) {
      const first = stanzas[hint];
      if (first === undefined || hint < 0) return identity.unwrapFileKey(stanzas);
      return identity.unwrapFileKey([first, ...stanzas.filter((_, i) => i !== hint)]);
    },
  };
}

/** Opens sealed blobs with a list of identities: a member's, or a reporter's reply identity. */
export class Opener {
  private readonly parsed: Identity[];

  constructor(identities: readonly string[]) {
    // Parsed once: addIdentity with a string builds the identity object.
    const probe = new Decrypter();
    for (const identity of identities) probe.addIdentity(identity);
    // age-encryption keeps its parsed identities in a private field.
    this.parsed = (probe as unknown as { identities: Identity[] }).identities;
  }

  /** Decrypt with any identity. @throws {OpenFailed} */
  async bytes(sealed: Uint8Array, hint = -1): Promise<Uint8Array> {
    try {
      const decrypter = new Decrypter();
      for (const identity of this.parsed) decrypter.addIdentity(hinted(identity, hint));
      return await decrypter.decrypt(sealed);
    } catch {
      throw new OpenFailed("decrypt");
    }
  }

  /** Decrypt and parse a padded v1 document. @throws {OpenFailed} */
  async document(sealed: Uint8Array, hint = -1): Promise<Decoded> {
    return decodeV1(await this.bytes(sealed, hint));
  }

  /** Check the blob against the entry's hash, decrypt, truncate to size. @throws {OpenFailed} */
  async attachment(sealed: Uint8Array, entry: unknown, hint = -1): Promise<Uint8Array> {
    if (!attachmentOk(entry) || hex(sha256(sealed)) !== entry.sha256) throw new OpenFailed("hash");
    const plain = await this.bytes(sealed, hint);
    try {
      return unpadAttachment(plain, entry.size);
    } catch {
      throw new OpenFailed("padding");
    }
  }
}

/** Decrypt a sealed blob with any of `identities`. @throws {OpenFailed} */
export const openBytes = (sealed: Uint8Array, identities: readonly string[]): Promise<Uint8Array> =>
  new Opener(identities).bytes(sealed);

/** Decrypt and decode a v1 document. @throws {OpenFailed} */
export const openDocument = (sealed: Uint8Array, identities: readonly string[]): Promise<Decoded> =>
  new Opener(identities).document(sealed);

/** b64u(H(sealed bytes)): how reports and messages are named in `prev` and the case state. */
export const blobHash = (sealed: Uint8Array): B64u => b64u(sha256(sealed));

/** case = b64u(H(reply_to)). */
export const caseHash = (replyTo: string): B64u => b64u(sha256(utf8(replyTo)));

export const reporterKeyOf = (signSeed: Uint8Array): B64u => b64u(publicKey(signSeed));

// -- building ---------------------------------------------------------------------------

export interface ReportFields {
  form: Record<string, string>;
  replyTo: string;
  reporterKey: B64u;
  access: string[];
  manifest: number;
  attachments: AttachmentEntry[];
  lang: string;
}

export function buildReport(f: ReportFields): ReportDoc {
  return {
    v: 1,
    type: "report",
    form: f.form,
    reply_to: f.replyTo,
    reporter_key: f.reporterKey,
    access: f.access,
    manifest: f.manifest,
    attachments: f.attachments,
    lang: f.lang,
  };
}

export interface CaseStateFields {
  identity: string;
  signSeed: Uint8Array;
  access: string[];
  manifest: number;
  reportHash: B64u;
}

/** The case state sealed to recipient(kek) (protocol §3.2). */
export function buildCaseState(f: CaseStateFields): CaseState {
  return {
    v: 1,
    identity: f.identity,
    sign: b64u(f.signSeed),
    access: f.access,
    manifest: f.manifest,
    report: f.reportHash,
  };
}

export interface MessageFields {
  kind: EntryKind;
  replyTo: string;
  from: Author;
  member: string | null;
  prev: B64u | null;
  text: string;
  attachments: AttachmentEntry[];
  seed: Uint8Array;
}

/**
 * A signed message or note with a fresh id (protocol §2.2, §2.3): Python's
 * new_message. `prev` is the blob hash of the previous message (see
 * previousMessage). @throws {Error} for fields checkMessage would refuse
 */
export function newMessage(f: MessageFields): MessageDoc {
  const doc = {
    v: 1 as const,
    type: f.kind,
    id: randomId("b_"),
    case: caseHash(f.replyTo),
    from: f.from,
    member: f.member,
    prev: f.prev,
    text: f.text,
    attachments: f.attachments,
  };
  const signed = signDocument(doc, f.seed);
  const problem = messageProblem(signed);
  if (problem !== null) throw new Error(problem);
  return signed;
}

/**
 * The `prev` of a new message (protocol §2.2): the blob hash of the last
 * message in the thread that verified, or null. Forged and unreadable
 * messages are skipped, as candor/teamops.py's write does.
 */
export function previousMessage(thread: readonly { verdict: string; hash: B64u | null }[]): B64u | null {
  for (let i = thread.length - 1; i >= 0; i--) {
    const item = thread[i];
    if (item?.verdict === "ok" && item.hash !== null) return item.hash;
  }
  return null;
}

// -- checks (protocol §2.2, §2.3): one strict checker per document kind ------------------

const BLOB_ID = /^b_[A-Za-z0-9_-]{22}$/;
const ATTACHMENT_ID = /^a_[A-Za-z0-9_-]{22}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** An attachment entry as protocol §2.2 lists it. */
export function attachmentOk(entry: unknown): entry is AttachmentEntry {
  return (
    isObject(entry) &&
    isString(entry.id) &&
    ATTACHMENT_ID.test(entry.id) &&
    isString(entry.name) &&
    isString(entry.type) &&
    isInt(entry.size) &&
    entry.size >= 0 &&
    isString(entry.sha256) &&
    SHA256_HEX.test(entry.sha256)
  );
}

const attachmentsOk = (value: unknown): value is AttachmentEntry[] => Array.isArray(value) && value.every(attachmentOk);

/** Why a report is not a well-formed v1 report (of the case with `caseReplyTo`), or null. */
export function reportProblem(doc: unknown, caseReplyTo: string | null = null): string | null {
  if (!isObject(doc) || doc.v !== 1 || doc.type !== "report") return "not a v1 report";
  const form = doc.form;
  if (!isObject(form) || !Object.values(form).every(isString)) return "form is not an object of strings";
  if (!isRecipient(doc.reply_to)) return "reply_to is not an age recipient";
  if (!b64uOfSize(doc.reporter_key, 32)) return "reporter_key is not an Ed25519 public key";
  const access = doc.access;
  if (!Array.isArray(access) || access.length === 0 || !access.every(isMemberId)) {
    return "access is not a list of member ids";
  }
  if (!isInt(doc.manifest) || doc.manifest < 1) return "manifest is not a version";
  if (!attachmentsOk(doc.attachments)) return "bad attachments";
  if (!isString(doc.lang)) return "lang is not a string";
  if (caseReplyTo !== null && doc.reply_to !== caseReplyTo) return "the report's reply_to is not the case's";
  return null;
}

/** A report's verdict (Python's check_report): "ok", "malformed", or "case" (another case's reply_to). */
export type ReportVerdict = "ok" | "malformed" | "case";

export function checkReport(doc: unknown, caseReplyTo: string | null = null): ReportVerdict {
  if (reportProblem(doc) !== null) return "malformed";
  return reportProblem(doc, caseReplyTo) === null ? "ok" : "case";
}

export const isReport = (doc: unknown): doc is ReportDoc => reportProblem(doc) === null;

function messageProblem(doc: unknown): string | null {
  if (!isObject(doc) || doc.v !== 1) return "not a v1 message or note";
  if ((doc.type !== "message" && doc.type !== "note") || (doc.from !== "reporter" && doc.from !== "team")) {
    return "not a v1 message or note";
  }
  if (!isString(doc.id) || !BLOB_ID.test(doc.id)) return "id is not b_ + b64u(16 bytes)";
  if (doc.from === "reporter" && (doc.type !== "message" || doc.member !== null)) {
    return "a reporter writes only messages, with member null";
  }
  if (doc.from === "team" && !isMemberId(doc.member)) return "a team message names its member";
  if (doc.prev !== null && !b64uOfSize(doc.prev, 32)) return "prev is not a blob hash";
  if (!isString(doc.text)) return "text is not a string";
  if (!attachmentsOk(doc.attachments)) return "bad attachments";
  return null;
}

/**
 * A message's or note's verdict (Python's check_message): "ok", or why it
 * must not be shown as content: "malformed" (shape, ids, types), "route"
 * (type or from not the route's), "case" (another case), "listing" (not the
 * id the server listed) or "signature".
 */
export type MessageVerdict = "ok" | "malformed" | "route" | "case" | "listing" | "signature";

/** Where a message or note was listed: its route kind, and the listing's `from` and `id`. */
export interface Route {
  from: string;
  id?: string | null;
}

/**
 * Whether a decrypted message or note may be shown (protocol §2.3): shape,
 * route (`kind`, route.from), case, listed id (when known) and a signature
 * by one of `keys` (see authorKeys). Never throws.
 */
export function checkMessage(
  doc: unknown,
  kind: EntryKind,
  route: Route,
  replyTo: string,
  keys: readonly B64u[],
): MessageVerdict {
  if (messageProblem(doc) !== null) return "malformed";
  const message = doc as MessageDoc;
  if (message.type !== kind || message.from !== route.from) return "route";
  if (message.case !== caseHash(replyTo)) return "case";
  if (route.id !== undefined && route.id !== null && message.id !== route.id) return "listing";
  if (keys.length === 0 || !verifyDocument(message, keys)) return "signature";
  return "ok";
}

/** checkMessage for a note (the route kind "note"). */
export const checkNote = (doc: unknown, route: Route, replyTo: string, keys: readonly B64u[]): MessageVerdict =>
  checkMessage(doc, "note", route, replyTo, keys);

/**
 * The keys a message may be signed with: the report's reporter_key for the
 * reporter, every key a member had in the manifest chain for the team.
 */
export function authorKeys(doc: unknown, chain: readonly Manifest[], reporterKey: B64u): B64u[] {
  if (!isObject(doc)) return [];
  if (doc.from === "reporter") return [reporterKey];
  if (doc.from === "team" && isString(doc.member)) return memberSigningKeys(chain, doc.member);
  return [];
}

/** One entry of a thread, for findGaps: its seq, blob hash, and the document if it verified. */
export interface GapItem {
  seq: number;
  hash: B64u | null;
  doc: { prev?: unknown } | null;
}

/**
 * Mark gaps: a missing `seq`, or a verified message's `prev` naming a blob
 * missing from the thread. `entries` are in thread order; returns the
 * indices before which something is missing.
 */
export function findGaps(entries: readonly GapItem[]): Set<number> {
  const gaps = new Set<number>();
  const hashes = new Set(entries.map((e) => e.hash));
  entries.forEach((entry, i) => {
    // seq starts at 1 and counts messages only, so any jump is a withheld message.
    const expectedSeq = i === 0 ? 1 : (entries[i - 1]?.seq ?? 0) + 1;
    if (entry.seq !== expectedSeq) gaps.add(i);
    const prev = entry.doc?.prev;
    if (typeof prev === "string" && !hashes.has(prev)) gaps.add(i);
  });
  return gaps;
}
