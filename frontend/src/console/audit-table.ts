// The audit log as legal counsel reads it: each action in words (its
// protocol code kept beside it), times in the reader's locale, filters by
// case and by person, and the entries shown exported as CSV (csv.ts).
// Loading and verifying the log is audit.ts's business; this module only
// presents what it was given.
import type { AuditEntry } from "../lib/types.js";
import { $, el, saveBlob, tr } from "../page/common.js";
import { toCsv } from "./csv.js";
import { i18n, memberName, session } from "./session.js";
import { button, formOf, select } from "./views.js";

/** An entry and what the browser's check said of it ("ok" or "bad"). */
export interface CheckedEntry {
  entry: AuditEntry;
  verdict: string;
}

/** The protocol's actions (chalicelib/audit_actions.json) that have words in the catalogues. */
const ACTIONS = new Set([
  "case.read",
  "blob.read",
  "reports.read",
  "report.file",
  "message.add",
  "note.add",
  "case.update",
  "case.purge",
  "case.grant",
  "case.revoke",
  "case.export",
  "notice.publish",
  "notice.withdraw",
  "member.add",
  "member.rotate",
  "member.remove",
  "manifest.publish",
  "manifest.propose",
  "manifest.reanchor",
]);

/** The catalogue key naming an action in words; a future action reads "Other action" (its code stays visible). */
export const actionKey = (action: string): string =>
  `console.audit.action.${ACTIONS.has(action) ? action.replace(".", "_") : "other"}`;

/** "ok": chain and request signature verify; "system": an unsigned entry of a shape the table allows. */
const verdictKey = (verdict: string): string =>
  verdict === "ok"
    ? "console.team.audit.ok_entry"
    : verdict === "system"
      ? "console.team.audit.system_entry"
      : "console.team.audit.bad";

/** "30 Nov 2026, 03:04:05" in the reader's language; the log's times are UTC (day_time ends in Z). */
export function formatWhen(dayTime: string, lang: string): string {
  const when = new Date(dayTime);
  if (Number.isNaN(when.getTime())) return dayTime;
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" }).format(when);
}

const personOf = (entry: AuditEntry): string => entry.member ?? "-";
const personName = (entry: AuditEntry): string =>
  entry.member ? memberName(entry.member) : i18n().t("console.team.audit.system");

let loaded: CheckedEntry[] = [];

export function initAuditTable(): void {
  for (const id of ["audit-f-case", "audit-f-member"]) $(id).addEventListener("change", renderTable);
  $("audit-export").addEventListener("click", exportShown);
  i18n().onChange(() => {
    if (session.open && loaded.length) showEntries(loaded);
  });
}

export function clearAuditTable(): void {
  loaded = [];
  for (const id of ["audit-rows", "audit-count", "audit-f-case", "audit-f-member"]) $(id).replaceChildren();
  $("audit-table").hidden = true;
  $("audit-filters").hidden = true;
  button("audit-export").disabled = true;
}

/** Show a verified load, newest first, keeping the filters chosen when they still apply. */
export function showEntries(entries: CheckedEntry[]): void {
  loaded = entries;
  fillFilters();
  $("audit-filters").hidden = false;
  $("audit-table").hidden = false;
  renderTable();
}

/** A case as the filter names it: its id, and its summary when this tab decrypted the report. */
function caseLabel(id: string): string {
  const summary = formOf(session.cases.get(id)?.report).summary;
  return summary ? `${id} · ${summary.slice(0, 60)}` : id;
}

function fill(id: string, options: [string, string][]): void {
  const node = select(id);
  const keep = node.value;
  node.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (options.some(([v]) => v === keep)) node.value = keep;
}

function fillFilters(): void {
  const all: [string, string] = ["", i18n().t("console.inbox.all")];
  const cases = [...new Set(loaded.flatMap(({ entry }) => (entry.case ? [entry.case] : [])))].sort();
  fill("audit-f-case", [all, ...cases.map((id): [string, string] => [id, caseLabel(id)])]);
  const people = new Map(loaded.map(({ entry }) => [personOf(entry), personName(entry)]));
  const sorted = [...people].sort((a, b) => a[1].localeCompare(b[1], i18n().lang));
  fill("audit-f-member", [all, ...sorted]);
}

/** The entries the filters let through, newest first. */
function shown(): CheckedEntry[] {
  const theCase = select("audit-f-case").value;
  const person = select("audit-f-member").value;
  return loaded
    .filter(({ entry }) => (!theCase || entry.case === theCase) && (!person || personOf(entry) === person))
    .reverse();
}

/** A column's heading, repeated on each cell for the stacked layout of narrow screens (console.css). */
const heading = (column: string): string => (column === "seq" ? "#" : i18n().t(`console.team.audit.${column}`));

function row({ entry, verdict }: CheckedEntry): HTMLTableRowElement {
  const when = el("time", { datetime: entry.day_time, title: entry.day_time }, formatWhen(entry.day_time, i18n().lang));
  const action = [tr(actionKey(entry.action)), " ", el("code", { class: "mono action-code" }, entry.action)];
  const cells: [string, string | null, (Node | string)[]][] = [
    ["seq", null, [String(entry.seq)]],
    ["when", null, [when]],
    ["who", null, [personName(entry)]],
    ["action", null, action],
    ["case", "mono", [entry.case ?? ""]],
    ["check", null, [tr(verdictKey(verdict))]],
  ];
  return el(
    "tr",
    { class: verdict === "bad" ? "bad" : null, dataset: { seq: String(entry.seq), verdict, action: entry.action } },
    ...cells.map(([column, cls, children]) =>
      // One span per cell: the stacked layout is a two-column grid of the heading and the value.
      el("td", { class: cls, dataset: { label: heading(column) } }, el("span", {}, ...children)),
    ),
  );
}

function renderTable(): void {
  const rows = shown();
  $("audit-rows").replaceChildren(...rows.map(row));
  $("audit-count").replaceChildren(tr("console.audit.count", { shown: rows.length, total: loaded.length }));
  button("audit-export").disabled = rows.length === 0;
  i18n().apply($("audit-table"));
}

/** The entries shown, as CSV: the time as written in the log (UTC, ISO 8601), every action in words and as code. */
function exportShown(): void {
  const t = (key: string): string => i18n().t(key);
  const header = [
    "#",
    t("console.team.audit.when"),
    t("console.audit.csv.member_id"),
    t("console.team.audit.who"),
    t("console.team.audit.action"),
    t("console.audit.csv.action_code"),
    t("console.team.audit.case"),
    t("console.team.audit.check"),
  ];
  const rows = shown().map(({ entry, verdict }) => [
    String(entry.seq),
    entry.day_time,
    entry.member ?? "",
    personName(entry),
    t(actionKey(entry.action)),
    entry.action,
    entry.case ?? "",
    t(verdictKey(verdict)),
  ]);
  const day = new Date().toISOString().slice(0, 10);
  saveBlob(new Blob([toCsv([header, ...rows])], { type: "text/csv;charset=utf-8" }), `candor-audit-${day}.csv`);
}
