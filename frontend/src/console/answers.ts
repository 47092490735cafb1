// The team routes as the console calls them (protocol §4.4, §4.6): their
// answers' shapes, the paging and batching loops, reading a case with every
// message and note checked, opening an attachment, and posting an entry.
// The answers are the server's bookkeeping, not sealed documents: every
// document inside (reports, messages, notes, manifests, audit entries) is
// checked with lib/ before it is trusted. No DOM here: these are the twins
// of candor/teamops.py's read_case, attachment, write and report_summaries,
// and belong in lib/teamops.ts; they move there once lib takes them.
import { createAttachment, downloadSealed } from "../lib/api.js";
import { uploadSealed } from "../lib/attachments.js";
import {
  authorKeys,
  blobHash,
  checkMessage,
  isReport,
  type MessageVerdict,
  OpenFailed,
  Opener,
  previousMessage,
} from "../lib/documents.js";
import { fromB64u } from "../lib/encoding.js";
import {
  buildEntry,
  type ConsistencyWarning,
  consistencyWarnings,
  entryRecipients,
  sealAttachmentBytes,
  sealEntry,
  type TeamClient,
} from "../lib/teamops.js";
import type {
  AttachmentEntry,
  AuditEntry,
  CaseStatus,
  EntryKind,
  Listing,
  Manifest,
  MemberEntry,
  MessageDoc,
  ReportDoc,
  Resolution,
} from "../lib/types.js";

/** A case as GET /v1/team/cases lists it. */
export interface CaseSummary {
  id: string;
  received: string;
  status: CaseStatus;
  assignee: string | null;
  overdue: boolean;
  acknowledge_by: string;
  feedback_by: string;
  updated?: string;
  report: { id: string };
  access: string[];
}

/** How the server lists a message or note, with the member it names. */
export type EntryListing = Listing & { member?: string | null };

/** GET /v1/team/cases/{id}. */
export interface CaseDetail extends CaseSummary {
  reply_to: string;
  resolution: Resolution | null;
  acknowledged: string | null;
  feedback: string | null;
  legal_hold: boolean;
  messages: EntryListing[];
  notes: EntryListing[];
}

interface Page {
  cursor?: string | null;
}

/** One entry of the audit log as listed, with the fields the console shows. */
export type ListedAuditEntry = AuditEntry & { day_time: string; action: string; case?: string | null };

/** The sealed report of each case asked for; `more` are to be asked again (answer size). */
export interface ReportsAnswer {
  reports: { case: string; sealed: string }[];
  missing: string[];
  more: string[];
}

// The casts below give the server's JSON its documented shape; a field
// that is missing shows as a rendering fault, never as trusted content.
async function pages<T>(client: TeamClient, path: string, items: (page: Page) => T[]): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  do {
    const page = (await client.get(path, { cursor })) as Page;
    out.push(...items(page));
    cursor = page.cursor ?? "";
  } while (cursor);
  return out;
}

export const listCases = (client: TeamClient): Promise<CaseSummary[]> =>
  pages(client, "/v1/team/cases", (page) => (page as { cases: CaseSummary[] }).cases);

export const listAudit = (client: TeamClient): Promise<ListedAuditEntry[]> =>
  pages(client, "/v1/team/audit", (page) => (page as { entries: ListedAuditEntry[] }).entries);

export const getCase = async (client: TeamClient, id: string): Promise<CaseDetail> =>
  (await client.get(`/v1/team/cases/${id}`)) as CaseDetail;

export const getReports = async (client: TeamClient, ids: string[]): Promise<ReportsAnswer> =>
  (await client.get("/v1/team/reports", { cases: ids.join(",") })) as ReportsAnswer;

/** GET …/blobs/{id}: the sealed bytes (b64u) of a document, or a download URL for an attachment. */
export const getBlob = async (
  client: TeamClient,
  caseId: string,
  blobId: string,
): Promise<{ sealed?: string; url?: string }> =>
  (await client.get(`/v1/team/cases/${caseId}/blobs/${blobId}`)) as { sealed?: string; url?: string };

export const listMembers = async (client: TeamClient): Promise<MemberEntry[]> =>
  ((await client.get("/v1/team/members")) as { members: MemberEntry[] }).members;

/** PATCH /v1/team/cases/{id}: the case as it is now. */
export const patchCase = async (client: TeamClient, id: string, body: CasePatch): Promise<CaseDetail> =>
  (await client.call("PATCH", `/v1/team/cases/${id}`, { body })) as CaseDetail;

export interface CasePatch {
  status?: CaseStatus;
  resolution?: Resolution;
  assignee?: string | null;
  legal_hold?: boolean;
}

/** Run `task` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The sealed reports (b64u, or null when the case is not visible any more)
 * of a batch of cases, asking again for the ones the server left for
 * another call (answer size). The twin of candor/teamops.report_summaries.
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
    for (const r of answer.reports) out.push([r.case, r.sealed]);
    for (const id of answer.missing) out.push([id, null]);
    const more = answer.more.filter((id) => ask.includes(id));
    if (more.length === ask.length) throw new Error("the server returned no report");
    ask = more;
  }
  return out;
}

/** What a signed entry is written with: the member's key and client. */
export interface Writer {
  key: { member: string; signingSeed: Uint8Array };
  client: TeamClient;
}

/**
 * Seal the files and a signed message or note to the case's recipients and
 * post them (candor/teamops.write's twin). `prev` is the last verified
 * message (documents.previousMessage, the rule both twins follow).
 * @throws {SealFailed} | {ApiError} | {Error} when an access member is no longer current
 */
export async function postEntry(
  writer: Writer,
  manifest: Manifest,
  thread: { detail: CaseDetail; messages: readonly { verdict: string; sealed: Uint8Array | null }[] },
  entry: { kind: EntryKind; text: string; files: readonly File[] },
): Promise<void> {
  const { detail, messages } = thread;
  const { kind, text } = entry;
  const recipients = entryRecipients(manifest, detail, kind);
  const attachments: AttachmentEntry[] = [];
  for (const file of entry.files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const sealedFile = await sealAttachmentBytes(bytes, file.name, file.type || "application/octet-stream", recipients);
    const announced = await createAttachment(sealedFile.sealed.length);
    await uploadSealed(announced.upload, new Blob([sealedFile.sealed as BlobPart]));
    attachments.push({ id: announced.id, ...sealedFile.entry });
  }
  const prev =
    kind === "message"
      ? previousMessage(messages.map((m) => ({ verdict: m.verdict, hash: m.sealed ? blobHash(m.sealed) : null })))
      : null;
  const { member, signingSeed: seed } = writer.key;
  const doc = buildEntry({ kind, replyTo: detail.reply_to, member, prev, text, attachments, seed });
  const { body } = await sealEntry(
    doc,
    recipients,
    attachments.map((a) => a.id),
  );
  await writer.client.call("POST", `/v1/team/cases/${detail.id}/${kind}s`, { body });
}

/** A message or note as the team sees it: its listing, and the document only if it verified. */
export interface Shown {
  meta: EntryListing;
  doc: MessageDoc | null;
  sealed: Uint8Array | null;
  verdict: MessageVerdict | "unreadable";
}

/** A case read and checked (candor/teamops.CaseView's twin). */
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
 * Fetch a case, open its report (`known`: sealed bytes already fetched for
 * that report id), compare it with the stored case, and open and check
 * every message and note (candor/teamops.read_case's twin).
 * @throws {OpenFailed} the report does not open or is not a report | {ApiError}
 */
export async function readCase(
  reader: Reader,
  id: string,
  known: { id: string; sealed: Uint8Array } | null,
): Promise<CaseRead> {
  const { client, opener, chain } = reader;
  const detail = await getCase(client, id);
  const reportSealed =
    known?.id === detail.report.id ? known.sealed : fromB64u((await getBlob(client, id, detail.report.id)).sealed);
  const hint = detail.access.indexOf(reader.key.member);
  const report = await opener.document(reportSealed, hint);
  if (!isReport(report)) throw new OpenFailed("not a report");
  const load = async (kind: EntryKind, meta: EntryListing): Promise<Shown> => {
    const item: Shown = { meta, doc: null, sealed: null, verdict: "unreadable" };
    try {
      item.sealed = fromB64u((await getBlob(client, id, meta.id)).sealed);
      const doc = await opener.document(item.sealed, hint);
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
 * (candor/teamops.attachment's twin). @throws {OpenFailed} | {ApiError}
 */
export async function openCaseAttachment(
  reader: Pick<Reader, "client" | "opener">,
  caseId: string,
  entry: AttachmentEntry,
  hint: number,
): Promise<Uint8Array> {
  const { url } = await getBlob(reader.client, caseId, entry.id);
  if (!url) throw new OpenFailed("no download URL");
  return reader.opener.attachment(await downloadSealed(url), entry, hint);
}
