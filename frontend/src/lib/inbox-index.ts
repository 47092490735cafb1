// The inbox's reading of reports (protocol §4.4) and the member's personal
// inbox index (protocol §4.4, "Inbox index"; candor/inboxindex.py is the
// CLI's twin). A report opens to the few fields the inbox lists; the index
// keeps those fields per case, signed and sealed to the member's own
// recipient, so that an unlock decrypts one blob plus the reports of the
// cases it lacks, and fails closed to decrypting every report when the
// index disagrees with the case list.
import { isTagList } from "./case-meta.js";
import { isCaseId, isObject, isString } from "./check.js";
import { type Decoded, Opener, OpenFailed, sealDocument } from "./documents.js";
import { drillOf, isScenarioId } from "./drill.js";
import { b64u, fromB64u } from "./encoding.js";
import { ApiError, type TeamClient } from "./api.js";
import { signDocument, verifyDocument } from "./sign.js";
import type { B64u, CaseSummary } from "./types.js";

/** What the inbox lists of one report (its answers, as text). */
export interface ReportFields {
  summary: string;
  category: string;
  urgency: string;
  /** Every text answer, lower case, for the search box (not kept in the index). */
  text: string;
  /** The scenario of the report's sealed drill mark (lib/drill.ts drillOf); "" when it has none. */
  drill: string;
}

/** A decrypted report and what the inbox lists of it. */
export interface OpenedReport {
  report: Decoded;
  fields: ReportFields;
}

/** The text answers of a report's form (none when it has no form). */
export function formAnswers(report: unknown): Record<string, string> {
  const form = typeof report === "object" && report !== null && "form" in report ? report.form : null;
  if (typeof form !== "object" || form === null) return {};
  return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The inbox's fields of a decoded report (empty strings for missing answers). */
export function reportFields(report: unknown): ReportFields {
  const form = formAnswers(report);
  return {
    summary: (form.summary ?? "").slice(0, 200),
    category: form.category ?? "",
    urgency: form.urgency ?? "",
    text: Object.values(form).join("\n").toLowerCase(),
    drill: drillOf(form)?.scenario ?? "",
  };
}

/**
 * Open one sealed report with the member's identities (the stanza at
 * `hint`, the member's index in the case's access list, tried first).
 * @throws {OpenFailed} not readable with these identities, or not a v1 document
 */
export async function openReport(opener: Opener, sealed: Uint8Array, hint: number): Promise<OpenedReport> {
  const report = await opener.document(sealed, hint);
  return { report, fields: reportFields(report) };
}

/** A decrypt worker's job: one sealed report, as the API sent it (b64u: decoding is work too). */
export interface DecryptJob {
  job: number;
  sealed: string;
  hint: number;
}

/** A decrypt worker's answer to one job: the report, or why it failed ("unreadable": OpenFailed). */
export type DecryptReply =
  | { job: number; report: Decoded; fields: ReportFields; sealed: Uint8Array }
  | { job: number; failed: "unreadable" | "error"; sealed: Uint8Array };

/** Run one job (in a worker, or on the page when workers are refused). */
export async function runDecryptJob(opener: Opener, { job, sealed: text, hint }: DecryptJob): Promise<DecryptReply> {
  let sealed: Uint8Array = new Uint8Array(0);
  try {
    sealed = fromB64u(text);
    const { report, fields } = await openReport(opener, sealed, hint);
    return { job, report, fields, sealed };
  } catch (err) {
    return { job, failed: err instanceof OpenFailed ? "unreadable" : "error", sealed };
  }
}

// -- the personal inbox index (protocol §4.4, "Inbox index") ----------------------------

export const INDEX_TYPE = "inbox-index";
/** Who wrote a case's last message (null: none yet). */
export type Side = "reporter" | "team" | null;

/** One case of the index: what the inbox lists of its report, and what changes. */
export interface IndexEntry {
  case: string;
  report: string;
  updated: string;
  summary: string;
  category: string;
  urgency: string;
  last: Side;
  /** The case's tags as this member last read them (protocol §2.2, "Tags and links"); absent: not known. */
  tags?: string[];
  /** The scenario of the report's sealed drill mark; absent when the report has none. */
  drill?: string;
}

/** The index document, signed by its member and sealed to the member's own recipient. */
export interface InboxIndex {
  v: 1;
  type: typeof INDEX_TYPE;
  member: string;
  recipient: string;
  /** The server's version this document was written as: a replayed older blob does not match. */
  seq: number;
  /** The UTC day it was written: cases updated on or after it are taken again from the server. */
  cursor: string;
  cases: IndexEntry[];
  sig: B64u;
}

/** The member an index belongs to, as the unlocked key file says. */
export interface IndexOwner {
  member: string;
  recipient: string;
  signingKey: B64u;
  signingSeed: Uint8Array;
}

/** Why an index cannot be used: the console fails closed to a full rebuild. */
export class IndexRejected extends Error {}

/** The index entry of a decrypted case (`tags` null: not known, left out). */
export const entryOf = (
  summary: CaseSummary,
  fields: ReportFields,
  last: Side,
  tags: readonly string[] | null = null,
): IndexEntry => ({
  case: summary.id,
  report: summary.report.id,
  updated: summary.updated,
  summary: fields.summary,
  category: fields.category,
  urgency: fields.urgency,
  last,
  ...(tags ? { tags: [...tags] } : {}),
  ...(fields.drill ? { drill: fields.drill } : {}),
});

/** An entry's fields as the inbox lists them (the index keeps no full text: search covers the summary). */
export const fieldsOf = (entry: IndexEntry): ReportFields => ({
  summary: entry.summary,
  category: entry.category,
  urgency: entry.urgency,
  text: entry.summary.toLowerCase(),
  drill: entry.drill ?? "",
});

/** Sign, pad (protocol §2.2) and seal an index to the owner's recipient alone. @throws {SealFailed} */
export function sealIndex(
  owner: IndexOwner,
  cases: readonly IndexEntry[],
  seq: number,
  cursor: string,
): Promise<Uint8Array> {
  const doc = {
    v: 1,
    type: INDEX_TYPE,
    member: owner.member,
    recipient: owner.recipient,
    seq,
    cursor,
    cases: [...cases].sort((a, b) => (a.case < b.case ? -1 : 1)),
  };
  return sealDocument(signDocument(doc, owner.signingSeed), [owner.recipient]);
}

const SIDES: readonly unknown[] = ["reporter", "team", null];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isEntry(value: unknown): value is IndexEntry {
  if (!isObject(value)) return false;
  const { case: id, report, updated, summary, category, urgency, last, tags, drill, ...rest } = value;
  if (Object.keys(rest).length || !("last" in value) || (tags !== undefined && !isTagList(tags))) return false;
  if (drill !== undefined && !isScenarioId(drill)) return false;
  return (
    isCaseId(id) &&
    [report, summary, category, urgency].every(isString) &&
    isString(updated) &&
    DAY.test(updated) &&
    SIDES.includes(last)
  );
}

/**
 * Open the stored index and check it is this member's current one: it
 * decrypts with the member's identities, names the member and its current
 * recipient (a key rotation rebuilds it), carries the member's own
 * signature under the current signing key, says it was written as the
 * server's `version`, and its entries are well formed and distinct.
 * @throws {IndexRejected} on any of these
 */
export async function openIndex(
  opener: Opener,
  sealed: Uint8Array,
  owner: IndexOwner,
  version: number,
  today: string,
): Promise<InboxIndex> {
  let doc: Decoded;
  try {
    doc = await opener.document(sealed);
  } catch {
    throw new IndexRejected("not readable with this member's keys");
  }
  if (doc.type !== INDEX_TYPE || doc.member !== owner.member) throw new IndexRejected("not this member's index");
  if (doc.recipient !== owner.recipient) throw new IndexRejected("sealed before a key rotation");
  if (!verifyDocument(doc, [owner.signingKey])) throw new IndexRejected("not signed by this member's key");
  if (doc.seq !== version) throw new IndexRejected("not the stored version");
  if (!isString(doc.cursor) || !DAY.test(doc.cursor) || doc.cursor > today) throw new IndexRejected("bad cursor");
  const cases = doc.cases;
  if (!Array.isArray(cases) || !cases.every(isEntry)) throw new IndexRejected("malformed entries");
  if (new Set(cases.map((e) => e.case)).size !== cases.length) throw new IndexRejected("duplicate entries");
  return doc as unknown as InboxIndex;
}

/** What an unlock does with a verified index: the entries it keeps, and the cases to decrypt. */
export interface Plan {
  known: Map<string, IndexEntry>;
  todo: CaseSummary[];
}

/**
 * Check the index against the case list and plan the unlock. Entries of
 * cases no longer listed (taken off, deleted, purged) are dropped; listed
 * cases the index lacks are decrypted; a kept entry takes the listing's
 * `updated` and, for cases the server says changed, their last side. A
 * case the listing flags as a drill whose entry has no drill mark is
 * decrypted again (an index written before entries kept the mark, or a
 * flag the sealed report does not back: the inbox shows which).
 * @throws {IndexRejected} when an entry names another report than the
 *   listing, or an `updated` later than the listing's: not this team's
 *   state, so nothing of the index is trusted
 */
export function planUnlock(
  index: InboxIndex,
  listing: readonly CaseSummary[],
  changed: ReadonlyMap<string, Side>,
): Plan {
  const byCase = new Map(index.cases.map((e) => [e.case, e]));
  const known = new Map<string, IndexEntry>();
  const todo: CaseSummary[] = [];
  for (const summary of listing) {
    const entry = byCase.get(summary.id);
    if (!entry) {
      todo.push(summary);
      continue;
    }
    if (entry.report !== summary.report.id) throw new IndexRejected("an entry names another report");
    if (entry.updated > summary.updated) throw new IndexRejected("an entry is newer than the case");
    if (isFlaggedDrill(summary) && !entry.drill) {
      todo.push(summary);
      continue;
    }
    const last = changed.has(summary.id) ? (changed.get(summary.id) ?? null) : entry.last;
    known.set(summary.id, { ...entry, updated: summary.updated, last });
  }
  return { known, todo };
}

/** The listing's plaintext drill flag (protocol §4.4, "Filing"): the server's word alone. */
export const isFlaggedDrill = (s: CaseSummary): boolean => (s as CaseSummary & { drill?: unknown }).drill === true;

// -- the index route (GET and PUT /v1/team/index) --------------------------------------

/** A case as the index route lists it: `last` for cases updated on or after the index's day. */
export type IndexedCase = CaseSummary & { last?: Side };

/** One page of GET /v1/team/index; the first also carries the stored index. */
export interface IndexPage {
  sealed?: string | null;
  version?: number;
  cases: IndexedCase[];
  cursor: string | null;
}

/** GET /v1/team/index: one page of the member's cases (by id), the first with the stored index. */
export async function getIndexPage(client: TeamClient, cursor = ""): Promise<IndexPage> {
  const page = (await client.get("/v1/team/index", { cursor })) as IndexPage;
  if (!Array.isArray(page.cases)) throw new Error("bad index answer");
  if (!cursor && (typeof page.sealed === "undefined" || !Number.isSafeInteger(page.version)))
    throw new Error("bad index answer");
  return page;
}

/** The sides the server gave for a page's changed cases. */
export const changedSides = (cases: readonly IndexedCase[]): Map<string, Side> =>
  new Map(cases.flatMap((c) => (c.last !== undefined && SIDES.includes(c.last) ? [[c.id, c.last]] : [])));

/** What an unlock starts from: the verified index (null: none, or refused) and its version. */
export interface StoredIndex {
  index: InboxIndex | null;
  version: number;
  /** Why the stored index was refused (for the page's status), when it was. */
  refused: string | null;
}

/** Verify the index of a first page (openIndex): a refused one counts as none, and is rebuilt. */
export async function storedIndex(
  opener: Opener,
  owner: IndexOwner,
  first: IndexPage,
  today: string,
): Promise<StoredIndex> {
  const version = first.version ?? 0;
  if (!first.sealed) return { index: null, version, refused: null };
  try {
    return { index: await openIndex(opener, fromB64u(first.sealed), owner, version, today), version, refused: null };
  } catch (err) {
    if (!(err instanceof IndexRejected)) throw err;
    return { index: null, version, refused: err.message };
  }
}

/**
 * Store `entries` as the member's index over `version`. When another
 * console of the member wrote meanwhile (409), its entries (after the same
 * checks) of `listed` cases that `entries` lacks are added, and the write
 * is tried again: nothing either console learned of a case the member
 * still sees is lost, and no case the member no longer sees comes back.
 * Resolves with the new version.
 */
export async function saveIndex(
  client: TeamClient,
  opener: Opener,
  owner: IndexOwner,
  entries: Map<string, IndexEntry>,
  listed: ReadonlySet<string>,
  version: number,
  today: string,
): Promise<number> {
  for (let tries = 0; ; tries++) {
    const sealed = await sealIndex(owner, [...entries.values()], version + 1, today);
    try {
      await client.call("PUT", "/v1/team/index", { body: { sealed: b64u(sealed), version } });
      return version + 1;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409) || tries >= 2) throw err;
    }
    const theirs = await storedIndex(opener, owner, await getIndexPage(client), today);
    for (const entry of theirs.index?.cases ?? [])
      if (listed.has(entry.case) && !entries.has(entry.case)) entries.set(entry.case, entry);
    version = theirs.version;
  }
}
