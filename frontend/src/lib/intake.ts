// Submitting a report (protocol §2.4, §3.2, §4.2), independent of any page.
// Every key and recipient is checked before the first request, so if
// encryption cannot work nothing is sent; only sealed bytes and the
// public fields of POST /v1/reports ever leave.
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import * as defaultApi from "./api.js";
import { withRetry, type ReporterApi, type SubmitAnswer } from "./api.js";
import {
  AttachmentUpload,
  browserTransport,
  type UploadProgress,
  type Uploaded,
  type UploadTransport,
} from "./upload.js";
import {
  blobHash,
  buildCaseState,
  buildReport,
  encodeDocument,
  encrypterFor,
  Opener,
  reporterKeyOf,
  sealBytes,
  SealFailed,
} from "./documents.js";
import { b64u } from "./encoding.js";
import { jcs } from "./jcs.js";
import { accessRecipients, activeMembers, manifestRecipientType } from "./manifest.js";
import { paddedSize } from "./padding.js";
import { routeReaders } from "./routes.js";
import { deriveReceipt, generateReceipt, receiptText, type DerivedReceipt } from "./receipt.js";
import { generateSeed } from "./sign.js";
import type { AttachmentEntry, CaseState, Manifest, RecipientType } from "./types.js";

/** The server's default limits (protocol §4.1): attachment ids per report, and the sealed size of one. */
export const MAX_FILES = 10;
export const MAX_SEALED_FILE_BYTES = 2 ** 30;
/** An age header with 32 hybrid stanzas stays below this (each is about 1.6 KB). */
const HEADER_BOUND = 64 * 1024;
const CHUNK = 64 * 1024;
const TAG = 16;

/** At most how large `plainSize` bytes are once padded and sealed (protocol §2.1, §2.2). */
export function sealedSizeBound(plainSize: number): number {
  const padded = paddedSize(Math.max(plainSize, 1));
  return HEADER_BOUND + 16 + padded + TAG * Math.max(1, Math.ceil(padded / CHUNK));
}

/** Whether a file of `plainSize` bytes fits the attachment limit once sealed; checked before any work. */
export const fileFits = (plainSize: number): boolean => sealedSizeBound(plainSize) <= MAX_SEALED_FILE_BYTES;

/** The largest file that fits, for the page to state the limit in bytes a reporter's files have. */
export function largestFile(): number {
  let [fits, tooLarge] = [0, MAX_SEALED_FILE_BYTES];
  while (tooLarge - fits > 1) {
    const middle = Math.floor((fits + tooLarge) / 2);
    if (fileFits(middle)) fits = middle;
    else tooLarge = middle;
  }
  return fits;
}

/**
 * The case's access list: the readers of a report of `category` (every
 * active member without routes; the route and every admin with them,
 * protocol §4.5 "Routes") but the excluded ones. @throws {Error} "no_admin"
 */
export function accessList(manifest: Manifest, excluded: readonly string[], category: unknown = null): string[] {
  const readers = routeReaders(manifest, category);
  const access = activeMembers(manifest).filter((m) => readers.includes(m.id) && !excluded.includes(m.id));
  if (!access.some((m) => m.role === "admin")) throw new Error("no_admin");
  return access.map((m) => m.id);
}

export const generateReplyIdentity = (type: RecipientType): Promise<string> =>
  type === "x25519" ? generateX25519Identity() : generateHybridIdentity();

/** Everything a report needs that is made locally before anything is sent. */
export interface PreparedCase {
  manifest: Manifest;
  access: string[];
  identity: string;
  replyTo: string;
  recipients: string[];
  signSeed: Uint8Array;
  receipt: Uint8Array;
  derived: DerivedReceipt;
}

/**
 * Make the reporter's keys and check that every recipient can be encrypted
 * to. Pure local work: nothing is sent.
 * @throws {SealFailed}
 */
export async function prepareCase(
  manifest: Manifest,
  excluded: readonly string[],
  category: unknown = null,
): Promise<PreparedCase> {
  const access = accessList(manifest, excluded, category);
  const identity = await generateReplyIdentity(manifestRecipientType(manifest));
  const replyTo = await identityToRecipient(identity);
  const recipients = [...accessRecipients(manifest, access), replyTo];
  encrypterFor(recipients);
  const receipt = generateReceipt();
  const derived = await deriveReceipt(receipt);
  encrypterFor([derived.kekRecipient]);
  return { manifest, access, identity, replyTo, recipients, signSeed: generateSeed(), receipt, derived };
}

/**
 * Seal the case state to recipient(kek) and check that it opens to the same
 * state, as protocol §3.2 asks before any rotate. @throws {SealFailed}
 */
export async function sealCaseState(state: CaseState, derived: DerivedReceipt): Promise<Uint8Array> {
  const sealed = await sealBytes(encodeDocument(state), [derived.kekRecipient]);
  let reopened: unknown;
  try {
    reopened = await new Opener([derived.kekIdentity]).document(sealed);
  } catch {
    throw new SealFailed("case state does not reopen");
  }
  if (jcs(reopened) !== jcs(state)) throw new SealFailed("case state differs after sealing");
  return sealed;
}

export type Phase = "sealing" | "uploading";
export type Progress = (phase: Phase, done: number, total?: number) => void;

/**
 * A file on its way, through lib/upload.ts: `seal()` checks the recipients
 * and works out the sealed size; `send()` seals as it uploads (in parts for
 * a large file) and, after a failure, resumes from the first part the server
 * has not confirmed. `progress(phase, done, total)` reports "sealing" and
 * "uploading"; a view may follow every state (offline, retrying) through
 * `watch`, and stop the upload with `cancel()`.
 */
export class PendingFile {
  readonly source: Blob | Uint8Array;
  readonly name: string;
  readonly type: string;
  upload: AttachmentUpload | null = null;
  done: Uploaded | null = null;
  watch: (progress: UploadProgress) => void = () => undefined;
  private progress: Progress = () => undefined;

  constructor({ source, name, type }: { source: Blob | Uint8Array; name: string; type: string }) {
    this.source = source;
    this.name = name;
    this.type = type;
  }

  async seal(recipients: readonly string[], progress: Progress = () => undefined): Promise<void> {
    if (this.upload !== null && !this.upload.cancelled) return;
    this.progress = progress;
    this.upload = await AttachmentUpload.prepare(this.source, recipients, {
      transport: this.transport,
      onProgress: (p) => {
        this.watch(p);
        this.progress(p.state === "sealing" ? "sealing" : "uploading", p.sent, p.total);
      },
    });
  }

  /** The routes an upload goes through (tests stand in for the server here). */
  transport: UploadTransport = browserTransport;

  async send(_api?: unknown, progress: Progress = () => undefined): Promise<this> {
    if (this.done) return this;
    if (!this.upload) throw new SealFailed("not sealed");
    this.progress = progress;
    this.done = await this.upload.run();
    return this;
  }

  /** Stop the upload for good; sealing again starts a new one. */
  cancel(): void {
    this.upload?.cancel();
  }

  /** Forget the sealed upload (the readers changed): the next `seal()` seals anew under a new id. */
  reset(): void {
    this.cancel();
    this.upload = null;
    this.done = null;
  }

  get id(): string | null {
    return this.done?.id ?? null;
  }

  /** The entry the report or message lists (protocol §2.2). @throws {SealFailed} before sending */
  get entry(): AttachmentEntry {
    const done = this.done;
    if (!done) throw new SealFailed("not sent");
    return { id: done.id, name: this.name, type: this.type, size: done.plainSize, sha256: done.sha256 };
  }
}

/** How a report the team files came in (protocol §4.4, "Filing"); a reporter's own has none. */
export type Source = "phone" | "walk-in" | "monitoring" | "drill";

/**
 * The team's filing route in place of the page's: `submitCase` seals exactly
 * as the page does, and this posts the body signed by the member, marked
 * with its `source` (and `drill`, which only admins may set), to
 * `POST /v1/team/reports` (protocol §4.4, "Filing").
 */
export const filingApi = (
  client: { call(method: string, path: string, options: { body: unknown }): Promise<unknown> },
  source: Source,
  drill = false,
): Pick<ReporterApi, "submitReport"> => ({
  submitReport: async (body: object): Promise<SubmitAnswer> =>
    (await client.call("POST", "/v1/team/reports", {
      body: { ...body, source, ...(drill ? { drill } : {}) },
    })) as SubmitAnswer,
});

export interface Submission {
  form: Record<string, string>;
  lang: string;
  files: readonly PendingFile[];
}

export interface Submitted {
  /** The receipt, as text. */
  text: string;
  received: string;
  status: string;
}

/**
 * Seal the report and its case state and POST them. `files` must all be
 * sent. @throws {SealFailed|ApiError}
 */
export async function submitCase(
  prepared: PreparedCase,
  { form, lang, files }: Submission,
  api: Pick<ReporterApi, "submitReport"> = defaultApi,
): Promise<Submitted> {
  const { manifest, access, identity, replyTo, recipients, signSeed, receipt, derived } = prepared;
  const report = buildReport({
    form,
    replyTo,
    reporterKey: reporterKeyOf(signSeed),
    access,
    manifest: manifest.version,
    attachments: files.map((f) => f.entry),
    lang,
  });
  const sealedReport = await sealBytes(encodeDocument(report), recipients);
  const state = buildCaseState({
    identity,
    signSeed,
    access,
    manifest: manifest.version,
    reportHash: blobHash(sealedReport),
  });
  const sealedState = await sealCaseState(state, derived);
  const body = {
    report: b64u(sealedReport),
    token_id: derived.tokenId,
    sealed_identity: b64u(sealedState),
    // The server keeps the reply recipient to show the team (protocol §4.2);
    // the console checks it against the sealed report before replying.
    reply_to: replyTo,
    access,
    attachments: files.map((f) => f.id),
  };
  // A retry with a byte-identical body answers as the first did (protocol §4.1).
  const answer: SubmitAnswer = await withRetry(() => api.submitReport(body));
  return { text: receiptText(receipt), received: answer.received, status: answer.status };
}
