// One follow-up visit (protocol §3.3), independent of any page:
//   open(T_n) → next receipt T_{n+1} shown and saved → rotate with a visit
//   secret v kept only in memory → thread, fetch and messages with
//   auth(T_{n+1}) and b64u(v). A page shows nothing of the case (the status
//   `open` returned included) before `rotate` resolved.
// Messages are opened and checked exactly as the console does: documents.ts's
// Opener, checkMessage, findGaps and previousMessage.
import { identityToRecipient } from "age-encryption";
import * as defaultApi from "./api.js";
import { ApiError, downloadSealed, withRetry, type OpenAnswer, type ReporterApi } from "./api.js";
import { isObject } from "./check.js";
import {
  authorKeys,
  blobHash,
  checkMessage,
  checkReport,
  encodeDocument,
  findGaps,
  newMessage,
  Opener,
  previousMessage,
  reporterKeyOf,
  sealBytes,
  type Decoded,
  type MessageVerdict,
} from "./documents.js";
import { b64u, fromB64u, randomBytes, sha256 } from "./encoding.js";
import { sealCaseState } from "./intake.js";
import { accessRecipients } from "./manifest.js";
import { deriveReceipt, generateReceipt, receiptText, type DerivedReceipt } from "./receipt.js";
import type { AttachmentEntry, CaseState, Listing, Manifest, MessageDoc } from "./types.js";

/** The receipt worked a moment ago but another visit retired it first. */
export class ReceiptUsedElsewhere extends Error {}
/** The case state did not open with this receipt: not a case the page can trust. */
export class CaseStateInvalid extends Error {}
/** A step was called out of order (a bug in the page, not the server). */
class OutOfOrder extends Error {}

/** A message of the thread: what the server listed, and what checking it found. */
export interface ThreadItem {
  listing: Listing;
  seq: number;
  /** The document, when it verified; null otherwise (never shown as content). */
  doc: MessageDoc | null;
  hash: string | null;
  verdict: MessageVerdict | "unreadable";
  gapBefore: boolean;
}

/**
 * The team's messages since the reporter's last one (verified ones only: a
 * forged "team" message is no news), with the newest one's day. Nothing is
 * stored between visits, so "new" means "not yet answered".
 */
export function teamWaiting(items: readonly ThreadItem[]): { count: number; day: string | null } {
  const lastOwn = items.map((item) => item.listing.from).lastIndexOf("reporter");
  const waiting = items.slice(lastOwn + 1).filter((item) => item.listing.from === "team" && item.verdict === "ok");
  return { count: waiting.length, day: waiting.at(-1)?.listing.day ?? null };
}

/** Why the reporter's own report is not the one the case was filed with. */
export type ReportProblem = "unreadable" | "hash" | "reporter_key" | "document";

export interface LoadedReport {
  report: Decoded | null;
  reportProblems: ReportProblem[];
}

/** A file already sealed and uploaded: its id and the entry a message lists. */
export interface SentFile {
  id: string | null;
  entry: AttachmentEntry;
}

interface Opened {
  state: CaseState;
  signSeed: Uint8Array;
  replyTo: string;
  opener: Opener;
}

export class Visit {
  readonly chain: readonly Manifest[];
  readonly manifest: Manifest;
  private readonly api: ReporterApi;
  private current: DerivedReceipt | null = null;
  private next: DerivedReceipt | null = null;
  private nextSealedState: Uint8Array | null = null;
  private visitSecret: Uint8Array | null = null;
  private opened: Opened | null = null;
  messages: ThreadItem[] = [];
  report: Decoded | null = null;
  status: OpenAnswer | null = null;

  constructor(chain: readonly Manifest[], api: ReporterApi = defaultApi) {
    const newest = chain[chain.length - 1];
    if (newest === undefined) throw new OutOfOrder("no manifest");
    this.chain = chain;
    this.manifest = newest;
    this.api = api;
  }

  private get case(): Opened {
    if (this.opened === null) throw new OutOfOrder("open first");
    return this.opened;
  }

  private get auth(): string {
    if (this.current === null) throw new OutOfOrder("open first");
    return this.current.auth;
  }

  /** Step 1: open with T_n; decrypts the case state. @throws {ApiError|CaseStateInvalid} */
  async open(receipt: Uint8Array): Promise<OpenAnswer> {
    const current = await deriveReceipt(receipt);
    this.current = current;
    const answer = await withRetry(() => this.api.openFollowup(current.auth));
    try {
      const state = (await new Opener([current.kekIdentity]).document(fromB64u(answer.sealed_identity))) as unknown;
      if (!isObject(state) || typeof state.identity !== "string" || typeof state.sign !== "string") {
        throw new CaseStateInvalid();
      }
      const caseState = state as unknown as CaseState;
      this.opened = {
        state: caseState,
        signSeed: fromB64u(caseState.sign),
        replyTo: await identityToRecipient(caseState.identity),
        opener: new Opener([caseState.identity]),
      };
    } catch {
      throw new CaseStateInvalid();
    }
    this.status = answer;
    return answer;
  }

  /** Step 2: make T_{n+1} and its sealed state (checked to reopen to the same state). */
  async prepareNext(): Promise<string> {
    const nextReceipt = generateReceipt();
    this.next = await deriveReceipt(nextReceipt);
    this.nextSealedState = await sealCaseState(this.case.state, this.next);
    return receiptText(nextReceipt);
  }

  /**
   * Step 3: retire T_n. A lost answer is retried; a 404 then means either our
   * earlier try committed (thread with T_{n+1} and v works) or another visit
   * won the race. @throws {ReceiptUsedElsewhere|ApiError}
   */
  async rotate(): Promise<void> {
    const next = this.next;
    if (next === null || this.nextSealedState === null) throw new OutOfOrder("prepareNext first");
    const visitSecret = randomBytes(32);
    this.visitSecret = visitSecret;
    const body = {
      auth: this.auth,
      token_id: next.tokenId,
      sealed_identity: b64u(this.nextSealedState),
      visit: b64u(sha256(visitSecret)),
    };
    try {
      await withRetry(() => this.api.rotateReceipt(body));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "receipt_unknown") throw err;
      try {
        await this.api.fetchThread(next.auth, b64u(visitSecret));
      } catch {
        throw new ReceiptUsedElsewhere();
      }
    }
    this.current = next;
    this.next = null;
  }

  get visit(): string {
    if (this.visitSecret === null) throw new OutOfOrder("rotate first");
    return b64u(this.visitSecret);
  }

  /** Step 4: the thread, decrypted and checked: the report, and `messages` in thread order. */
  async loadThread(): Promise<LoadedReport & { messages: ThreadItem[] }> {
    const thread = await withRetry(() => this.api.fetchThread(this.auth, this.visit));
    const report = await this.loadReport(thread.report);
    const items: ThreadItem[] = [];
    for (const listing of thread.messages) items.push(await this.loadMessage(listing));
    const gaps = findGaps(items);
    items.forEach((item, i) => (item.gapBefore = gaps.has(i)));
    this.messages = items;
    return { ...report, messages: items };
  }

  private async fetchSealed(id: string): Promise<Uint8Array> {
    const { sealed } = await withRetry(() => this.api.fetchBlob(this.auth, this.visit, id));
    return fromB64u(sealed);
  }

  private async loadMessage(listing: Listing): Promise<ThreadItem> {
    const item: ThreadItem = {
      listing,
      seq: listing.seq,
      doc: null,
      hash: null,
      verdict: "unreadable",
      gapBefore: false,
    };
    const { replyTo, signSeed, opener } = this.case;
    try {
      const bytes = await this.fetchSealed(listing.id);
      item.hash = blobHash(bytes);
      const doc = await opener.document(bytes);
      item.verdict = checkMessage(
        doc,
        "message",
        listing,
        replyTo,
        authorKeys(doc, this.chain, reporterKeyOf(signSeed)),
      );
      if (item.verdict === "ok") item.doc = doc as unknown as MessageDoc;
    } catch {
      item.verdict = "unreadable";
    }
    return item;
  }

  /** The reporter's own report, checked against the case state (protocol §3.2). */
  async loadReport(listing: Listing): Promise<LoadedReport> {
    const { state, signSeed, replyTo, opener } = this.case;
    const bytes = await this.fetchSealed(listing.id);
    let report: Decoded;
    try {
      report = await opener.document(bytes);
    } catch {
      return { report: null, reportProblems: ["unreadable"] };
    }
    const problems: ReportProblem[] = [];
    if (blobHash(bytes) !== state.report) problems.push("hash");
    if (report.reporter_key !== reporterKeyOf(signSeed)) problems.push("reporter_key");
    // Python's check_own_report, and the one report checker (of this case's reply_to).
    if (checkReport(report, replyTo) !== "ok") problems.push("document");
    this.report = report;
    return { report, reportProblems: problems };
  }

  /** Members of the case's access whose keys differ from the manifest version its report named. */
  changedMembers(): string[] {
    const { state } = this.case;
    const then = this.chain.find((m) => m.version === state.manifest);
    if (!then) return [];
    return state.access.filter((id) => {
      const a = then.members.find((m) => m.id === id);
      const b = this.manifest.members.find((m) => m.id === id);
      if (a === undefined || b === undefined) return true;
      return a.recipient !== b.recipient || a.signing_key !== b.signing_key || b.removed;
    });
  }

  /** Recipients of a reporter message: the access recipients now, plus reply_to (protocol §2.4). */
  get recipients(): string[] {
    const { state, replyTo } = this.case;
    return [...accessRecipients(this.manifest, state.access), replyTo];
  }

  /** Seal, sign and post a message; `files` are already sealed and sent. */
  async sendMessage(text: string, files: readonly SentFile[]): Promise<ThreadItem> {
    const { replyTo, signSeed } = this.case;
    const doc = newMessage({
      kind: "message",
      replyTo,
      from: "reporter",
      member: null,
      prev: previousMessage(this.messages),
      text,
      attachments: files.map((f) => f.entry),
      seed: signSeed,
    });
    const sealed = await sealBytes(encodeDocument(doc), this.recipients);
    const body = {
      auth: this.auth,
      visit: this.visit,
      id: doc.id,
      message: b64u(sealed),
      attachments: files.map((f) => f.id),
    };
    const answer = await withRetry(() => this.api.postMessage(body));
    const listing: Listing = { id: answer.id, seq: answer.seq, from: "reporter", attachments: [] };
    if (answer.day !== undefined) listing.day = answer.day;
    const item: ThreadItem = { listing, seq: answer.seq, doc, hash: blobHash(sealed), verdict: "ok", gapBefore: false };
    this.messages = [...this.messages, item];
    return item;
  }

  /**
   * Download, check and open an attachment listed in a document: the
   * plaintext truncated to the listed size. @throws {Error}
   */
  async openAttachment(entry: AttachmentEntry): Promise<Uint8Array> {
    const { url } = await withRetry(() => this.api.fetchBlob(this.auth, this.visit, entry.id));
    if (url === undefined) throw new Error("no attachment URL");
    const sealed = await (this.api.downloadSealed ?? downloadSealed)(url);
    return this.case.opener.attachment(sealed, entry);
  }
}
