// One follow-up visit (protocol §3.3), independent of any page:
//   open(T_n) → next receipt T_{n+1} shown and saved → rotate with a visit
//   secret v kept only in memory → thread, fetch and messages with
//   auth(T_{n+1}) and b64u(v).
import * as defaultApi from "./api.js";
import { ApiError, downloadSealed } from "./api.js";
import {
  blobHash, buildReporterMessage, checkMessage, decodeDocument, decodeV1, encodeDocument, findGaps,
  openBytes, openDocument, reporterKeyOf, sealBytes,
} from "./documents.js";
import { b64u, equalBytes, fromB64u, fromHex, randomBytes, sha256 } from "./encoding.js";
import { identityToRecipient } from "age-encryption";
import { sealCaseState } from "./intake.js";
import { accessRecipients, memberSigningKeys } from "./manifest.js";
import { unpadAttachment } from "./padding.js";
import { deriveReceipt, generateReceipt, receiptText } from "./receipt.js";

/** The receipt worked a moment ago but another visit retired it first. */
export class ReceiptUsedElsewhere extends Error {}
/** The case state did not open with this receipt: not a case the page can trust. */
export class CaseStateInvalid extends Error {}

export class Visit {
  constructor(chain, api = defaultApi) {
    this.chain = chain;
    this.manifest = chain[chain.length - 1];
    this.api = api;
  }

  /** Step 1: open with T_n; decrypts the case state. @throws {ApiError|CaseStateInvalid} */
  async open(receipt) {
    this.current = await deriveReceipt(receipt);
    const answer = await defaultApi.withRetry(() => this.api.openFollowup(this.current.auth));
    try {
      this.state = await openDocument(fromB64u(answer.sealed_identity), [this.current.kekIdentity]);
      this.signSeed = fromB64u(this.state.sign);
      this.replyTo = await identityToRecipient(this.state.identity);
    } catch {
      throw new CaseStateInvalid();
    }
    this.status = answer;
    return answer;
  }

  /** Step 2: make T_{n+1} and its sealed state (checked to reopen to the same state). */
  async prepareNext() {
    this.nextReceipt = generateReceipt();
    this.next = await deriveReceipt(this.nextReceipt);
    this.nextSealedState = await sealCaseState(this.state, this.next);
    return receiptText(this.nextReceipt);
  }

  /**
   * Step 3: retire T_n. A lost answer is retried; a 404 then means either our
   * earlier try committed (thread with T_{n+1} and v works) or another visit
   * won the race. @throws {ReceiptUsedElsewhere|ApiError}
   */
  async rotate() {
    this.visitSecret = randomBytes(32);
    const body = {
      auth: this.current.auth,
      token_id: this.next.tokenId,
      sealed_identity: b64u(this.nextSealedState),
      visit: b64u(sha256(this.visitSecret)),
    };
    try {
      await defaultApi.withRetry(() => this.api.rotateReceipt(body));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "receipt_unknown") throw err;
      try {
        await this.api.fetchThread(this.next.auth, b64u(this.visitSecret));
      } catch {
        throw new ReceiptUsedElsewhere();
      }
    }
    this.current = this.next;
    this.next = null;
  }

  get visit() {
    return b64u(this.visitSecret);
  }

  /**
   * Step 4: the thread, decrypted and checked. Returns {report, reportCheck,
   * messages: [{listing, doc, status: "ok"|"forged"|"unreadable", gapBefore}]}.
   */
  async loadThread() {
    const auth = this.current.auth;
    const thread = await defaultApi.withRetry(() => this.api.fetchThread(auth, this.visit));
    const report = await this.loadReport(thread.report);
    const reporterKey = reporterKeyOf(this.signSeed);
    const entries = [];
    for (const listing of thread.messages) {
      const entry = { listing, seq: listing.seq, doc: null, hash: null, status: "unreadable" };
      try {
        const { sealed } = await defaultApi.withRetry(() => this.api.fetchBlob(auth, this.visit, listing.id));
        const bytes = fromB64u(sealed);
        entry.hash = blobHash(bytes);
        entry.doc = decodeDocument(await openBytes(bytes, [this.state.identity]));
        entry.status = checkMessage(entry.doc, {
          listing, replyTo: this.replyTo, reporterKey,
          memberKeys: (id) => memberSigningKeys(this.chain, id),
        });
      } catch {
        entry.doc = null;
      }
      entries.push(entry);
    }
    const gaps = findGaps(entries);
    entries.forEach((e, i) => (e.gapBefore = gaps.has(i)));
    this.messages = entries;
    return { ...report, messages: entries };
  }

  /** The reporter's own report, checked against the case state (protocol §3.2). */
  async loadReport(listing) {
    const { sealed } = await defaultApi.withRetry(() => this.api.fetchBlob(this.current.auth, this.visit, listing.id));
    const bytes = fromB64u(sealed);
    const problems = [];
    let report = null;
    try {
      report = decodeV1(await openBytes(bytes, [this.state.identity]));
    } catch {
      return { report: null, reportProblems: ["unreadable"] };
    }
    if (blobHash(bytes) !== this.state.report) problems.push("hash");
    if (report.reporter_key !== reporterKeyOf(this.signSeed)) problems.push("reporter_key");
    if (report.type !== "report" || report.reply_to !== this.replyTo) problems.push("document");
    this.report = report;
    return { report, reportProblems: problems };
  }

  /** Members of the case's access whose keys differ from the manifest version its report named. */
  changedMembers() {
    const then = this.chain.find((m) => m.version === this.state.manifest);
    if (!then) return [];
    return this.state.access.filter((id) => {
      const a = then.members.find((m) => m.id === id);
      const b = this.manifest.members.find((m) => m.id === id);
      return !a || !b || a.recipient !== b.recipient || a.signing_key !== b.signing_key || b.removed;
    });
  }

  /** Recipients of a reporter message: the access recipients now, plus reply_to (protocol §2.4). */
  get recipients() {
    return [...accessRecipients(this.manifest, this.state.access), this.replyTo];
  }

  /** Seal, sign and post a message; `files` are PendingFile objects already sent. */
  async sendMessage(text, files) {
    const readable = (this.messages ?? []).filter((m) => m.hash);
    const prev = readable.length ? readable[readable.length - 1].hash : null;
    const doc = buildReporterMessage({
      replyTo: this.replyTo, prev, text, attachments: files.map((f) => f.entry), signSeed: this.signSeed,
    });
    const sealed = await sealBytes(encodeDocument(doc), this.recipients);
    const body = { auth: this.current.auth, visit: this.visit, id: doc.id, message: b64u(sealed), attachments: files.map((f) => f.id) };
    const answer = await defaultApi.withRetry(() => this.api.postMessage(body));
    const listing = { id: answer.id, seq: answer.seq, day: answer.day, from: "reporter", attachments: [] };
    const entry = { listing, seq: answer.seq, doc, hash: blobHash(sealed), status: "ok", gapBefore: false };
    this.messages = [...(this.messages ?? []), entry];
    return entry;
  }

  /**
   * Download, check and open an attachment listed in a document. Returns
   * the plaintext truncated to the listed size. @throws {Error}
   */
  async openAttachment(entry) {
    const { url } = await defaultApi.withRetry(() => this.api.fetchBlob(this.current.auth, this.visit, entry.id));
    const sealed = await (this.api.downloadSealed ?? downloadSealed)(url);
    if (!equalBytes(sha256(sealed), fromHex(entry.sha256))) throw new Error("attachment hash");
    return unpadAttachment(await openBytes(sealed, [this.state.identity]), entry.size);
  }
}
