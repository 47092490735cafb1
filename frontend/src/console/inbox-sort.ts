// The inbox's filters and sort orders, over the rows in memory (no request).
import { isFlaggedDrill, type ReportFields, type Side } from "../lib/inbox-index.js";
import { todayUtc } from "../lib/manifest.js";
import { type CaseSummary, CASE_STATUSES } from "../lib/types.js";

/** What filtering and sorting read of a row. */
export interface SortRow {
  summary: CaseSummary;
  fields: ReportFields | null;
  /** Who wrote the case's last message (protocol §4.4, "Inbox index"). */
  last: Side;
  /** The case's tags as this member last read them (null: not known yet). */
  tags?: readonly string[] | null;
}

export interface Filters {
  status: string;
  category: string;
  urgency: string;
  assignee: string;
  overdue: boolean;
  /** Only cases whose last message came from the reporter. */
  awaiting: boolean;
  words: string[];
  /** Only cases with this tag ("" for any). */
  tag?: string;
  /** Only cases from this source (sourceOf; "" for any). */
  source?: string;
}

export const SORTS = ["received_desc", "received_asc", "urgency", "acknowledge_by", "feedback_by", "status"] as const;

// Days before a deadline from which the inbox says it is due soon (chalicelib/domain/notify.py uses the same).
export const ACKNOWLEDGE_SOON_DAYS = 2;
export const FEEDBACK_SOON_DAYS = 14;

/**
 * What a row is, from both of its words (as lib/drill.ts drillCheck for a
 * case): the listing's plaintext flag (protocol §4.4 "Filing") and the
 * sealed report's mark as the inbox read it. Only a drill by both has
 * practice deadlines, never overdue or due soon here; when one word alone
 * says drill ("mismatch") the row is worked as a real case and says so,
 * also while its report is not read (or cannot be): the server's flag
 * alone confirms nothing.
 */
export function drillState(row: Pick<SortRow, "summary" | "fields">): "drill" | "mismatch" | "real" {
  const listed = isFlaggedDrill(row.summary);
  const marked = Boolean(row.fields?.drill);
  if (listed && marked) return "drill";
  return listed || marked ? "mismatch" : "real";
}

export const isDrill = (row: Pick<SortRow, "summary" | "fields">): boolean => drillState(row) === "drill";

/** The sources a member may file a report for (protocol §4.4, "Filing"); a page's report has none. */
export const SOURCES = ["phone", "walk-in", "monitoring", "drill"] as const;

/** Where a case came from: the plaintext `source` of a filed report, or "page". */
export function sourceOf(s: CaseSummary): string {
  const source = (s as CaseSummary & { source?: unknown }).source;
  return typeof source === "string" ? source : "page";
}

/** The reporter spoke last: the team owes an answer. */
export const awaitingTeam = (row: SortRow): boolean => row.last === "reporter";

export function matches(row: SortRow, f: Filters): boolean {
  const s = row.summary;
  if (f.status && s.status !== f.status) return false;
  if (f.overdue && !isOverdue(row)) return false;
  if (f.awaiting && !awaitingTeam(row)) return false;
  if (f.assignee === "-" ? s.assignee : f.assignee && s.assignee !== f.assignee) return false;
  if (f.category && row.fields?.category !== f.category) return false;
  if (f.urgency && row.fields?.urgency !== f.urgency) return false;
  if (f.tag && !row.tags?.includes(f.tag)) return false;
  if (f.source && sourceOf(s) !== f.source) return false;
  const text = row.fields?.text ?? "";
  const tags = row.tags ?? [];
  return f.words.every((w) => text.includes(w) || s.id.toLowerCase().includes(w) || tags.some((t) => t.includes(w)));
}

const DAY_MS = 86_400_000;
const daysUntil = (today: string, day: string): number => (Date.parse(day) - Date.parse(today)) / DAY_MS;

/**
 * A row past a deadline: as the server says, except a drill by both words
 * never is, and a mismatch is judged from its days, as the server judges a
 * real case (protocol §4.4): the server left it out as a drill.
 */
export function isOverdue(row: Pick<SortRow, "summary" | "fields">, today: string = todayUtc()): boolean {
  const state = drillState(row);
  return state === "mismatch" ? overdueByDays(row.summary, today) : state === "real" && row.summary.overdue;
}

/** The server's rule for a real case (protocol §4.4; chalicelib/domain/cases.py deadlines), from its days. */
export const overdueByDays = (
  s: Pick<CaseSummary, "acknowledge_by" | "feedback_by" | "acknowledged" | "feedback" | "status">,
  today: string,
): boolean =>
  (today > s.acknowledge_by && !s.acknowledged) || (today > s.feedback_by && !s.feedback && s.status !== "closed");

/**
 * Which deadline is close or past: "overdue" as isOverdue says, else
 * "acknowledge_soon" while a received case's acknowledge-by day is at most
 * ACKNOWLEDGE_SOON_DAYS away, else "feedback_soon" while an open case's
 * feedback-by day is at most FEEDBACK_SOON_DAYS away (days are UTC, YYYY-MM-DD).
 */
export function dueState(
  row: Pick<SortRow, "summary" | "fields">,
  today: string,
): "overdue" | "acknowledge_soon" | "feedback_soon" | null {
  if (isDrill(row)) return null;
  const s = row.summary;
  if (isOverdue(row, today)) return "overdue";
  if (s.status === "closed") return null;
  const ack = daysUntil(today, s.acknowledge_by);
  if (s.status === "received" && ack >= 0 && ack <= ACKNOWLEDGE_SOON_DAYS) return "acknowledge_soon";
  const feedback = daysUntil(today, s.feedback_by);
  if (feedback >= 0 && feedback <= FEEDBACK_SOON_DAYS) return "feedback_soon";
  return null;
}

type Compare = (a: SortRow, b: SortRow) => number;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const newest: Compare = (a, b) => cmp(b.summary.received, a.summary.received) || cmp(a.summary.id, b.summary.id);

/** Most urgent first, in the questionnaire's order of its options; unknown or not yet decrypted last. */
function byUrgency(levels: readonly string[]): Compare {
  const rank = (r: SortRow): number => {
    const i = levels.indexOf(r.fields?.urgency ?? "");
    return i < 0 ? levels.length : i;
  };
  return (a, b) => rank(a) - rank(b) || newest(a, b);
}

const BY: Record<Exclude<(typeof SORTS)[number], "urgency">, Compare> = {
  received_desc: newest,
  received_asc: (a, b) => cmp(a.summary.received, b.summary.received) || cmp(a.summary.id, b.summary.id),
  acknowledge_by: (a, b) => cmp(a.summary.acknowledge_by, b.summary.acknowledge_by),
  feedback_by: (a, b) => cmp(a.summary.feedback_by, b.summary.feedback_by),
  status: (a, b) => CASE_STATUSES.indexOf(a.summary.status) - CASE_STATUSES.indexOf(b.summary.status),
};

/** The order `value` names; `levels` are the urgency values, most urgent first. */
export function sortOf(value: string, levels: readonly string[] = []): Compare {
  const sort = SORTS.find((s) => s === value) ?? "received_desc";
  return sort === "urgency" ? byUrgency(levels) : BY[sort];
}
