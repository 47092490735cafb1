// What a team member does, in the browser: the twin of candor/teamops.py.
// Every request is signed (protocol §4.3); keys are trusted only through the
// verified manifest chain; every message and note shown passes documents.ts's
// checkMessage (protocol §2.3); a reply is refused when the stored case and
// the sealed report disagree (protocol §4.5).
import { ApiError, FETCH_OPTIONS, readAnswer, withRetry, type FetchImpl } from "./api.js";
import { attachmentPadder } from "./padding.js";
import { b64u, hex, sha256, utf8 } from "./encoding.js";
import { isObject } from "./check.js";
import { newMessage, reportProblem, sealBytes, sealDocument } from "./documents.js";
import { accessRecipients } from "./manifest.js";
import { canonicalQuery, signRequest, type Query } from "./rfc9421.js";
import type { AttachmentEntry, B64u, EntryKind, Manifest, MessageDoc } from "./types.js";

/** The signing part of an opened key file (keyfile.ts's TeamKey). */
export interface SigningKey {
  member: string;
  signingSeed: Uint8Array;
}

export interface TeamClientOptions {
  /** The API's base path ("" when the API is at /v1 of this origin). */
  base?: string;
  fetchImpl?: FetchImpl;
  /** Called before each request goes out (the console's idle timer). */
  onCall?: () => void;
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
}

/** Signed JSON calls to the team routes (protocol §4.4), same origin. */
export class TeamClient {
  readonly key: SigningKey;
  readonly base: string;
  private readonly fetchImpl: FetchImpl;
  private readonly onCall: () => void;

  constructor(key: SigningKey, options: TeamClientOptions = {}) {
    this.key = key;
    this.base = options.base ?? "";
    this.fetchImpl = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.onCall = options.onCall ?? (() => undefined);
  }

  /**
   * One signed request, retried by api.ts's withRetry while the API is
   * throttled or unavailable (signed anew each time: a new nonce; protocol
   * §4.1 makes retries safe). Returns the parsed answer (null for 204).
   * @throws {ApiError}
   */
  call(method: string, path: string, options: CallOptions = {}): Promise<unknown> {
    return withRetry(() => this.once(method, path, options));
  }

  async once(method: string, path: string, { query = {}, body }: CallOptions = {}): Promise<unknown> {
    const raw = body === undefined ? new Uint8Array(0) : utf8(JSON.stringify(body));
    const fullPath = this.base + path;
    const headers: Record<string, string> = signRequest(method, fullPath, query, raw, {
      memberId: this.key.member,
      seed: this.key.signingSeed,
    });
    if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
    const qs = canonicalQuery(query);
    this.onCall();
    let response: Response;
    try {
      response = await this.fetchImpl(fullPath + (qs === "?" ? "" : qs), {
        ...FETCH_OPTIONS,
        method,
        headers,
        body: body === undefined ? null : (raw as BodyInit),
      });
    } catch {
      throw new ApiError(0, "network");
    }
    return readAnswer(response);
  }

  get(path: string, query?: Query): Promise<unknown> {
    return this.call("GET", path, query === undefined ? {} : { query });
  }
}

// -- the case as stored against the case as sealed (protocol §4.5) --------------------

/** What the console knows of a stored case to check it: its reply_to and access list. */
export interface CaseDetail {
  reply_to: string;
  access: string[];
}

export type WarningCode = "report" | "access" | "keys";
export interface ConsistencyWarning {
  code: WarningCode;
  detail?: string;
}

/**
 * What the stored case says that the sealed report does not (protocol §4.5),
 * as candor/teamops.py's consistency_warnings. "report" and "access" block writing.
 */
export function consistencyWarnings(
  chain: readonly Manifest[],
  caseDetail: CaseDetail,
  report: unknown,
): ConsistencyWarning[] {
  const warnings: ConsistencyWarning[] = [];
  const problem = reportProblem(report, caseDetail.reply_to);
  if (problem !== null) warnings.push({ code: "report", detail: problem });
  const sealed = isObject(report) ? report : {};
  const sealedAccess: unknown = sealed.access ?? [];
  if (JSON.stringify(sealedAccess) !== JSON.stringify(caseDetail.access)) warnings.push({ code: "access" });
  for (const name of rotatedSince(chain, sealed.manifest, caseDetail.access))
    warnings.push({ code: "keys", detail: name });
  return warnings;
}

/** Names of the access members whose keys changed since manifest `version` (the report's). */
function rotatedSince(chain: readonly Manifest[], version: unknown, access: readonly string[]): string[] {
  const current = chain[chain.length - 1];
  const then = chain.find((m) => m.version === version);
  if (current === undefined || then === undefined || then === current) return [];
  const old = new Map(then.members.map((m) => [m.id, m]));
  return current.members
    .filter((m) => {
      const was = old.get(m.id);
      return (
        access.includes(m.id) &&
        was !== undefined &&
        (was.recipient !== m.recipient || was.signing_key !== m.signing_key)
      );
    })
    .map((m) => m.name);
}

export const blocksWriting = (warnings: readonly ConsistencyWarning[]): boolean =>
  warnings.some((w) => w.code === "report" || w.code === "access");

// -- writing -------------------------------------------------------------------------

/** Who a reply (message) or note is sealed to (protocol §2.4). @throws {Error} for an access member not current */
export function entryRecipients(manifest: Manifest, caseDetail: CaseDetail, kind: EntryKind): string[] {
  const access = accessRecipients(manifest, caseDetail.access);
  if (access.length !== caseDetail.access.length) throw new Error("an access member is no longer current");
  return kind === "message" ? [...access, caseDetail.reply_to] : access;
}

/** Seal an attachment (bytes) for a reply or note; returns the sealed bytes and its entry without id. */
export async function sealAttachmentBytes(
  bytes: Uint8Array,
  name: string,
  type: string,
  recipients: readonly string[],
): Promise<{ sealed: Uint8Array; entry: Omit<AttachmentEntry, "id"> }> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(attachmentPadder(bytes.length));
  const padded = await new Response(stream).arrayBuffer();
  const sealed = await sealBytes(new Uint8Array(padded), recipients);
  return { sealed, entry: { name, type, size: bytes.length, sha256: hex(sha256(sealed)) } };
}

export interface EntryFields {
  kind: EntryKind;
  replyTo: string;
  member: string;
  prev: B64u | null;
  text: string;
  attachments: AttachmentEntry[];
  seed: Uint8Array;
}

/**
 * A signed message or note by a team member (protocol §2.2, §2.3). `prev`
 * is documents.ts's previousMessage of the thread (messages only).
 */
export const buildEntry = (f: EntryFields): MessageDoc =>
  newMessage({ ...f, from: "team", prev: f.kind === "message" ? f.prev : null });

/** Seal `doc` and the request body for POST …/messages or …/notes. */
export async function sealEntry(
  doc: MessageDoc,
  recipients: readonly string[],
  attachmentIds: readonly string[],
): Promise<{ sealed: Uint8Array; body: Record<string, unknown> }> {
  const sealed = await sealDocument(doc, recipients);
  return { sealed, body: { id: doc.id, [doc.type]: b64u(sealed), attachments: attachmentIds } };
}

// TEMPORARY (ts-lib): the names the console imported from here before the
// twin consolidation; removed once console/ imports them from documents.ts
// and api.ts.
export { downloadSealed as downloadBytes } from "./api.js";
export {
  attachmentOk,
  authorKeys,
  blobHash,
  checkMessage as checkEntry,
  OpenFailed,
  Opener,
  reportProblem,
} from "./documents.js";
