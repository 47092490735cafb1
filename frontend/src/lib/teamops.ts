// What a team member does, in the browser: the twin of candor/teamops.py.
// Every request is signed (protocol §4.3); keys are trusted only through the
// verified manifest chain; every message and note shown passes documents.ts's
// checkMessage (protocol §2.3); a reply is refused when the stored case and
// the sealed report disagree (protocol §4.5).
import { downloadSealed, getBlob, getCase, getReports, type TeamClient } from "./api.js";
import { isObject } from "./check.js";
import {
  authorKeys,
  blobHash,
  checkMessage,
  isReport,
  newMessage,
  OpenFailed,
  Opener,
  previousMessage,
  reportProblem,
  sealBytes,
  sealDocument,
  type MessageVerdict,
} from "./documents.js";
import { b64u, hex, sha256 } from "./encoding.js";
import { recipientsForAccess, todayUtc } from "./manifest.js";
import { daysLeft } from "./manifest-status.js";
import { accessProblems, assemble, grantHeader, readable } from "./grants.js";
import { paddedSize } from "./padding.js";
import { AttachmentUpload } from "./upload.js";
import type {
  AttachmentEntry,
  B64u,
  CaseDetail,
  EntryKind,
  Listing,
  Manifest,
  MessageDoc,
  ReportDoc,
} from "./types.js";

// -- the case as stored against the case as sealed (protocol §4.5) --------------------

/** What a stored case says that the checks compare: its reply_to and access list. */
export type StoredCase = Pick<CaseDetail, "reply_to" | "access">;

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
  caseDetail: StoredCase,
  report: unknown,
): ConsistencyWarning[] {
  const warnings: ConsistencyWarning[] = [];
  const problem = reportProblem(report, caseDetail.reply_to);
  if (problem !== null) warnings.push({ code: "report", detail: problem });
  const sealed = isObject(report) ? report : {};
  // Grants and revocations change the stored list (protocol §4.4): it must
  // name only members the report or a verified grant puts on the case.
  for (const detail of accessProblems(chain, caseDetail, sealed)) warnings.push({ code: "access", detail });
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

/**
 * Who a reply (message) or note is sealed to (protocol §2.4), and the removed
 * members of the case's access list left out (candor/teamops.py's _recipients).
 * @throws {ManifestInvalid} for an access member the manifest does not list, or when nobody is left
 */
export function entryRecipients(
  manifest: Manifest,
  caseDetail: StoredCase,
  kind: EntryKind,
): { recipients: string[]; dropped: string[] } {
  const { recipients, dropped } = recipientsForAccess(manifest, caseDetail.access);
  return { recipients: kind === "message" ? [...recipients, caseDetail.reply_to] : recipients, dropped };
}

/** Writing refused: the team's manifest expired (candor/roster.py's ManifestExpired). */
export class ManifestExpired extends Error {
  constructor(manifest: Manifest) {
    super(`the team manifest (version ${manifest.version}) expired on ${manifest.expires}`);
  }
}

/** Seal an attachment (bytes) for a reply or note; returns the sealed bytes and its entry without id. */
export async function sealAttachmentBytes(
  bytes: Uint8Array,
  name: string,
  type: string,
  recipients: readonly string[],
): Promise<{ sealed: Uint8Array; entry: Omit<AttachmentEntry, "id"> }> {
  const padded = new Uint8Array(paddedSize(bytes.length)); // 0x00 after the bytes (protocol §2.2)
  padded.set(bytes);
  const sealed = await sealBytes(padded, recipients);
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

// -- reading a case (candor/teamops.read_case) ---------------------------------------

/** Run `task` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await task(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A message or note as the team sees it: its listing, and the document only if it verified. */
export interface Shown {
  meta: Listing;
  doc: MessageDoc | null;
  sealed: Uint8Array | null;
  verdict: MessageVerdict | "unreadable";
}

/** A case read and checked (candor/teamops.CaseView). */
export interface CaseRead {
  detail: CaseDetail;
  report: ReportDoc;
  reportSealed: Uint8Array;
  messages: Shown[];
  notes: Shown[];
  warnings: ConsistencyWarning[];
  /** The member's stanza index (their place in the access list), tried first when opening. */
  hint: number;
}

/** What reading a case takes: the member's id, client and opener, and the verified chain. */
export interface Reader {
  key: { member: string };
  client: TeamClient;
  opener: Opener;
  chain: readonly Manifest[];
}

/**
 * A document of a case as stored (what hashes and `prev` name) and as this
 * member decrypts it: with their grant header, when a grant gave them the
 * case (protocol §4.4). @throws {ApiError} | {EncodingError} | {OpenFailed}
 */
async function sealedBlob(
  client: TeamClient,
  caseId: string,
  blobId: string,
): Promise<{ stored: Uint8Array; mine: Uint8Array }> {
  const answer = await getBlob(client, caseId, blobId);
  return readable({ ...answer, sealed: answer.sealed ?? "" });
}

/**
 * Fetch a case, open its report (`known`: sealed bytes already fetched for
 * that report id), compare it with the stored case, and open and check
 * every message and note.
 * @throws {OpenFailed} the report does not open or is not a report | {ApiError}
 */
export async function readCase(
  reader: Reader,
  id: string,
  known: { id: string; sealed: Uint8Array } | null,
): Promise<CaseRead> {
  const { client, opener, chain } = reader;
  const detail = await getCase(client, id);
  const hint = detail.access.indexOf(reader.key.member);
  const fetchReport = () => sealedBlob(client, id, detail.report.id);
  let blob = known?.id === detail.report.id ? { stored: known.sealed, mine: known.sealed } : await fetchReport();
  let report: unknown;
  try {
    report = await opener.document(blob.mine, hint);
  } catch (err) {
    // Bytes kept from an earlier read may lack the grant header (protocol §4.4): fetch them.
    if (!(err instanceof OpenFailed) || known?.id !== detail.report.id) throw err;
    blob = await fetchReport();
    report = await opener.document(blob.mine, hint);
  }
  const reportSealed = blob.stored;
  if (!isReport(report)) throw new OpenFailed("not a report");
  const load = async (kind: EntryKind, meta: Listing): Promise<Shown> => {
    const item: Shown = { meta, doc: null, sealed: null, verdict: "unreadable" };
    try {
      const blob = await sealedBlob(client, id, meta.id);
      item.sealed = blob.stored;
      const doc = await opener.document(blob.mine, hint);
      item.verdict = checkMessage(doc, kind, meta, detail.reply_to, authorKeys(doc, chain, report.reporter_key));
      // checkMessage said "ok": a well-formed message or note of this case, signed by its author.
      if (item.verdict === "ok") item.doc = doc as unknown as MessageDoc;
    } catch (err) {
      if (!(err instanceof OpenFailed)) throw err;
    }
    return item;
  };
  const messages: Shown[] = [];
  const notes: Shown[] = [];
  await pool([...detail.messages.entries()], 4, async ([i, m]) => {
    messages[i] = await load("message", m);
  });
  await pool([...detail.notes.entries()], 4, async ([i, m]) => {
    notes[i] = await load("note", m);
  });
  const warnings = consistencyWarnings(chain, detail, report);
  return { detail, report, reportSealed, messages, notes, warnings, hint };
}

/**
 * Download an attachment, check it against its entry's hash and decrypt it
 * (candor/teamops.attachment). @throws {OpenFailed} | {ApiError}
 */
export async function openCaseAttachment(
  reader: Pick<Reader, "client" | "opener">,
  caseId: string,
  entry: AttachmentEntry,
  hint: number,
): Promise<Uint8Array> {
  const answer = await getBlob(reader.client, caseId, entry.id);
  if (!answer.url) throw new OpenFailed("no download URL");
  const stored = await downloadSealed(answer.url);
  const header = grantHeader(answer);
  if (header === null) return reader.opener.attachment(stored, entry, hint);
  // Granted (protocol §4.4): the entry's hash names the stored blob, which
  // this member reads with their own header in front of its payload.
  if (hex(sha256(stored)) !== entry.sha256) throw new OpenFailed("hash");
  const mine = assemble(header, stored);
  return reader.opener.attachment(mine, { ...entry, sha256: hex(sha256(mine)) }, hint);
}

/**
 * The sealed reports (b64u, or null when the case is not visible any more)
 * of a batch of cases, asking again for the ones the server left for
 * another call (answer size): candor/teamops.report_summaries' fetching.
 * @throws {Error} when the server returns none of those it was asked again
 */
export async function fetchSealedReports(
  client: TeamClient,
  ids: readonly string[],
): Promise<[string, string | null][]> {
  const out: [string, string | null][] = [];
  let ask = [...ids];
  while (ask.length) {
    const answer = await getReports(client, ask);
    // A granted member's report comes with their header (protocol §4.4): the bytes they open.
    for (const r of answer.reports) out.push([r.case, grantHeader(r) ? b64u(readable(r).mine) : r.sealed]);
    for (const id of answer.missing) out.push([id, null]);
    const more = answer.more.filter((id) => ask.includes(id));
    if (more.length === ask.length) throw new Error("the server returned no report");
    ask = more;
  }
  return out;
}

// -- writing (candor/teamops.write) -----------------------------------------------------

/** What a signed entry is written with: the member's key and client. */
export interface Writer {
  key: { member: string; signingSeed: Uint8Array };
  client: TeamClient;
}

/** Sees each attachment's upload before it starts (the console shows its progress, lib/upload.ts). */
export type OnUpload = (file: File, upload: AttachmentUpload) => void;

/** Seal, announce and upload one file for an entry (lib/upload.ts: in parts when large); its entry as the document lists it. */
async function uploadFile(
  file: File,
  recipients: readonly string[],
  onUpload: OnUpload = () => undefined,
): Promise<AttachmentEntry> {
  const upload = await AttachmentUpload.prepare(file, recipients);
  onUpload(file, upload);
  const done = await upload.run();
  const type = file.type || "application/octet-stream";
  return { id: done.id, name: file.name, type, size: done.plainSize, sha256: done.sha256 };
}

/**
 * Seal the files and a signed message or note to the case's recipients and
 * post them. `prev` is the last verified message (documents.ts's
 * previousMessage, the rule both twins follow). Refused when the stored
 * case and the sealed report disagree (protocol §4.5), and when the
 * manifest expired. Resolves to the removed members left out, for the sender.
 * @throws {SealFailed} | {ApiError} | {ManifestExpired} | {Error} when writing is refused
 */
export async function postEntry(
  writer: Writer,
  manifest: Manifest,
  thread: Pick<CaseRead, "detail" | "messages" | "warnings">,
  entry: { kind: EntryKind; text: string; files: readonly File[]; onUpload?: OnUpload; onlyAfter?: boolean },
  today: string = todayUtc(),
): Promise<{ dropped: string[] }> {
  const { detail, messages } = thread;
  if (blocksWriting(thread.warnings)) throw new Error("the stored case does not match the sealed report");
  if (daysLeft(manifest, today) < 0) throw new ManifestExpired(manifest);
  const { kind, text } = entry;
  const { recipients, dropped } = entryRecipients(manifest, detail, kind);
  const attachments: AttachmentEntry[] = [];
  for (const file of entry.files) attachments.push(await uploadFile(file, recipients, entry.onUpload));
  const prev = previousMessage(
    messages.map((m) => ({ verdict: m.verdict, hash: m.sealed ? blobHash(m.sealed) : null })),
  );
  const { member, signingSeed: seed } = writer.key;
  const doc = buildEntry({ kind, replyTo: detail.reply_to, member, prev, text, attachments, seed });
  const { body } = await sealEntry(
    doc,
    recipients,
    attachments.map((a) => a.id),
  );
  // onlyAfter: stored only while the case holds no newer entry of its kind than
  // the writer read (`after`, protocol §4.4; else 409 conflict, nothing stored).
  const sent = entry.onlyAfter
    ? { ...body, after: (kind === "message" ? detail.messages : detail.notes).length }
    : body;
  await writer.client.call("POST", `/v1/team/cases/${detail.id}/${kind}s`, { body: sent });
  return { dropped };
}
