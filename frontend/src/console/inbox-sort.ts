// The inbox's filters and sort orders, over the rows in memory (no request).
import type { ReportFields } from "../lib/inbox-index.js";
import { type CaseSummary, CASE_STATUSES } from "../lib/types.js";

/** What filtering and sorting read of a row. */
export interface SortRow {
  summary: CaseSummary;
  fields: ReportFields | null;
}

export interface Filters {
  status: string;
  category: string;
  assignee: string;
  overdue: boolean;
  words: string[];
}

export const SORTS = ["received_desc", "received_asc", "acknowledge_by", "feedback_by", "status"] as const;

export function matches(row: SortRow, f: Filters): boolean {
  const s = row.summary;
  if (f.status && s.status !== f.status) return false;
  if (f.overdue && !s.overdue) return false;
  if (f.assignee === "-" ? s.assignee : f.assignee && s.assignee !== f.assignee) return false;
  if (f.category && row.fields?.category !== f.category) return false;
  const text = row.fields?.text ?? "";
  return f.words.every((w) => text.includes(w) || s.id.toLowerCase().includes(w));
}

type Compare = (a: SortRow, b: SortRow) => number;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const BY: Record<(typeof SORTS)[number], Compare> = {
  received_desc: (a, b) => cmp(b.summary.received, a.summary.received) || cmp(a.summary.id, b.summary.id),
  received_asc: (a, b) => cmp(a.summary.received, b.summary.received) || cmp(a.summary.id, b.summary.id),
  acknowledge_by: (a, b) => cmp(a.summary.acknowledge_by, b.summary.acknowledge_by),
  feedback_by: (a, b) => cmp(a.summary.feedback_by, b.summary.feedback_by),
  status: (a, b) => CASE_STATUSES.indexOf(a.summary.status) - CASE_STATUSES.indexOf(b.summary.status),
};
export const sortOf = (value: string): Compare => BY[SORTS.find((s) => s === value) ?? "received_desc"];
