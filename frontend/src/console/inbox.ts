// The inbox: every case this member may read, with its report decrypted in
// a pool of workers (console/decrypt-pool.ts) as the listing's pages
// arrive, so the first screen of rows shows while the rest decrypt. The
// table paints only the rows on screen (console/inbox-table.ts); filters,
// sorting and the search of the decrypted text run over the rows in
// memory, without any request. Opening a case is the entry module's
// business (`InboxHooks`), so this view knows nothing of the case view.
import { todayUtc } from "../lib/manifest.js";
import type { ReportFields, Side } from "../lib/inbox-index.js";
import { fetchSealedReports } from "../lib/teamops.js";
import type { CaseDetail, CaseSummary } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { clearBulk, initBulk } from "./bulk.js";
import { DecryptPool } from "./decrypt-pool.js";
import { awaitingTeam, type Filters, isOverdue, matches, sortOf } from "./inbox-sort.js";
import { InboxSync } from "./inbox-sync.js";
import {
  dayCell,
  explainEmpty,
  fillFilterChoices,
  markers,
  toolSelect,
  URGENCY_LEVELS,
  urgencyLabel,
  VirtualRows,
} from "./inbox-table.js";
import { current, i18n, memberName, session, showError, stillOpen } from "./session.js";
import { fillTagFilter, tagBadges, tagFilter } from "./tags.js";
import { button, categoryLabel, input, select, showView } from "./views.js";

export interface InboxHooks {
  openCase(id: string): void;
}

interface Row {
  summary: CaseSummary;
  /** What the inbox lists of the decrypted report (null until decrypted). */
  fields: ReportFields | null;
  failed: false | "unreadable" | "error";
  /** Who wrote the case's last message, as the server said (protocol §4.4, "Inbox index"). */
  last: Side;
  source: "index" | "report" | null;
  /** The case's tags as this member last read them (null: not known until the case is opened). */
  tags: string[] | null;
  /** The painted row, dropped when the row changes (painted again when on screen). */
  tr: HTMLTableRowElement | null;
}

// Requests of reports in flight at once (each names up to 50 cases, one audited request).
const FETCHING = 3;
// GET /v1/team/reports takes up to 50 cases.
const BATCH = 50;

let hooks: InboxHooks | null = null;
let rows = new Map<string, Row>();
let loading: Promise<void> | null = null;
let stale = false;
/** True once the listing arrived (an empty inbox is explained only then). */
let listed = false;
let table: VirtualRows<Row> | null = null;
let decrypter = new DecryptPool();
let sync = new InboxSync();

function fillFilters(): void {
  fillFilterChoices([...rows.values()]);
  fillTagFilter(rows.values());
}

export function initInbox(wiring: InboxHooks): void {
  hooks = wiring;
  const body = $("inbox-rows", HTMLTableSectionElement);
  table = new VirtualRows<Row>(body, paintRow, 8);
  for (const id of ["f-status", "f-category", "f-urgency", "f-assignee", "f-sort", "f-overdue", "f-awaiting"])
    $(id).addEventListener("change", render);
  tagFilter().addEventListener("change", render);
  toolSelect("f-source", "console.source.filter").addEventListener("change", render);
  initBulk({
    newCases: () => [...rows.values()].filter((r) => r.summary.status === "received").map((r) => r.summary.id),
    label: (id) => {
      const summary = rows.get(id)?.fields?.summary.slice(0, 80);
      return summary ? `${summary} (${id})` : id;
    },
    changed: (id, detail) => {
      updateSummary(id, detail);
      stale = true;
    },
  });
  $("inbox-refresh").addEventListener("click", () => void refreshInbox());
  let timer: ReturnType<typeof setTimeout> | undefined;
  $("f-search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 120);
  });
  i18n().onChange(() => {
    if (!session.open) return;
    fillFilters();
    for (const row of rows.values()) row.tr = null;
    render();
  });
}

export function clearInbox(): void {
  clearBulk();
  decrypter.end();
  decrypter = new DecryptPool();
  sync = new InboxSync();
  rows = new Map();
  loading = null;
  stale = false;
  listed = false;
  $("inbox-empty").replaceChildren();
  $("inbox-empty").hidden = true;
  table?.show([]);
  $("inbox-count").textContent = "";
  $("inbox-progress").replaceChildren();
  input("f-search").value = "";
  $("inbox-error").hidden = true;
  button("inbox-refresh").disabled = false;
  const data = $("inbox-progress").dataset;
  delete data.state;
  delete data.loadedMs;
  delete data.firstRowMs;
  delete data.fetched;
  delete data.index;
  delete data.indexSaved;
}

export function showInbox(): Promise<void> {
  showView("view-inbox");
  if (!loading) loading = loadInbox();
  else if (stale) return refreshInbox();
  return loading;
}

/** The member changed a case: the listing is reloaded when the inbox is shown next. */
export function markStale(): void {
  stale = true;
}

/**
 * Reload the listing, keeping the reports already decrypted in memory: only
 * cases new since the last load are fetched and decrypted. A refresh asked
 * for while a load runs starts after it, so no report is decrypted twice.
 */
export function refreshInbox(): Promise<void> {
  stale = false;
  $("inbox-progress").dataset.state = "loading";
  const previous = loading ?? Promise.resolve();
  loading = previous.catch(() => undefined).then(() => loadInbox());
  return loading;
}

/** Every listed case with its decrypted inbox fields, once the inbox has loaded (the figures dashboard). */
export async function inboxCases(): Promise<{ summary: CaseSummary; fields: ReportFields | null }[]> {
  loading ??= loadInbox();
  await loading;
  return [...rows.values()].map((r) => ({ summary: r.summary, fields: r.fields }));
}

/** A case's summary as the inbox shows it (from the index or its report), if known. */
export const inboxSummary = (id: string): string | undefined => rows.get(id)?.fields?.summary;

/** Drop a case that is gone (deleted in the case view) from the listing. */
export function forgetCase(id: string): void {
  rows.delete(id);
  session.cases.delete(id);
  render();
}

/** Take one page of the listing, keeping what was decrypted of the cases already there. */
function takePage(summaries: readonly CaseSummary[], fresh: Map<string, Row>): Row[] {
  const todo: Row[] = [];
  for (const summary of summaries) {
    const row: Row = rows.get(summary.id) ?? {
      summary,
      fields: null,
      failed: false,
      last: null,
      source: null,
      tags: null,
      tr: null,
    };
    row.summary = summary;
    row.tr = null;
    fresh.set(summary.id, row);
    rows.set(summary.id, row);
    if (!row.fields) todo.push(row);
  }
  return todo;
}

/** The listing's end: cases that are gone (deleted, or no longer visible) leave the memory too. */
function endListing(fresh: Map<string, Row>): void {
  rows = fresh;
  for (const id of [...session.cases.keys()]) if (!rows.has(id)) session.cases.delete(id);
}

function progressSay(done: number): void {
  const progress = $("inbox-progress");
  progress.replaceChildren(tr("console.inbox.decrypting", { done, total: rows.size }));
  i18n().apply(progress);
}

async function loadInbox(): Promise<void> {
  const epoch = session.epoch;
  const started = performance.now();
  const progress = $("inbox-progress");
  progress.dataset.state = "loading";
  delete progress.dataset.firstRowMs;
  delete progress.dataset.indexSaved; // set again once this load's index write ends
  button("inbox-refresh").disabled = true;
  fillFilters();
  try {
    // A key rotation (session.rekey) brings a new identity: a new pool starts with it.
    if (decrypter.identities !== current().key.identities) {
      if (decrypter.identities) {
        decrypter.end();
        decrypter = new DecryptPool();
      }
      decrypter.unlock(current().key.identities);
    }
    await listAndDecrypt(epoch, started);
    if (!stillOpen(epoch)) return;
    void saveIndex(epoch);
    fillFilters();
    render();
    // "0,1 s" in German: numbers in the reader's locale (issue 19 item 9).
    const seconds = new Intl.NumberFormat(i18n().lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
      (performance.now() - started) / 1000,
    );
    progress.replaceChildren(tr("console.inbox.loaded", { total: rows.size, seconds }));
    progress.dataset.loadedMs = String(Math.round(performance.now() - started));
    progress.dataset.state = "done";
    i18n().apply(progress);
  } catch (err) {
    if (stillOpen(epoch)) showError($("inbox-error"), err);
    loading = null;
  } finally {
    if (stillOpen(epoch)) button("inbox-refresh").disabled = false;
  }
}

/**
 * Page through the listing; each page's reports are fetched (one request
 * per page) and handed to the pool while the next page is listed, and the
 * table is painted as rows arrive (at most every 250 ms).
 */
async function listAndDecrypt(epoch: number, started: number): Promise<void> {
  const fresh = new Map<string, Row>();
  let done = 0;
  let fetched = 0;
  let renderTimer: ReturnType<typeof setTimeout> | undefined;
  const soon = (): void => {
    renderTimer ??= setTimeout(() => {
      renderTimer = undefined;
      if (stillOpen(epoch)) render();
    }, 250);
  };
  const decrypting: Promise<void>[] = [];
  const inFlight = new Set<Promise<void>>();
  const fetchPage = async (todo: Row[]): Promise<void> => {
    const answers = await fetchSealedReports(
      current().client,
      todo.map((r) => r.summary.id),
    );
    for (const [id, sealed] of answers) {
      const row = rows.get(id);
      if (!row || !stillOpen(epoch)) continue;
      decrypting.push(
        decryptRow(row, sealed, epoch).then(() => {
          if (!stillOpen(epoch)) return;
          done++;
          row.tr = null;
          if (!$("inbox-progress").dataset.firstRowMs) {
            $("inbox-progress").dataset.firstRowMs = String(Math.round(performance.now() - started));
            render();
          }
          progressSay(done);
          soon();
        }),
      );
    }
  };
  let cursor = "";
  do {
    const page = await sync.page(cursor);
    if (!stillOpen(epoch)) return;
    $("inbox-progress").dataset.index = sync.use;
    const todo = sync.apply(takePage(page.cases, fresh), rows.values()) as Row[];
    fetched += todo.length;
    listed = true;
    if (!$("inbox-progress").dataset.firstRowMs && page.cases.some((s) => rows.get(s.id)?.fields)) {
      $("inbox-progress").dataset.firstRowMs = String(Math.round(performance.now() - started));
      render();
    } else soon();
    // In the order the table shows them, so the first screen fills first; one request per 50.
    todo.sort(sortOf(select("f-sort").value, URGENCY_LEVELS));
    for (let i = 0; i < todo.length; i += BATCH) {
      const task = fetchPage(todo.slice(i, i + BATCH)).finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= FETCHING) await Promise.race(inFlight);
    }
    cursor = page.cursor ?? "";
  } while (cursor);
  endListing(fresh);
  $("inbox-progress").dataset.fetched = String(fetched);
  await Promise.all(inFlight);
  await Promise.all(decrypting);
  clearTimeout(renderTimer);
}

async function decryptRow(row: Row, sealed: string | null, epoch: number): Promise<void> {
  if (sealed === null) {
    row.failed = "unreadable";
    return;
  }
  const { summary } = row;
  const reply = await decrypter.decrypt(sealed, summary.access.indexOf(current().key.member));
  if (!stillOpen(epoch)) return;
  if ("failed" in reply) {
    row.failed = reply.failed;
    return;
  }
  row.fields = reply.fields;
  row.failed = false;
  row.source = "report";
  // The case view reloads the case itself and reuses these sealed bytes.
  session.cases.set(summary.id, {
    detail: { report: summary.report },
    reportSealed: reply.sealed,
    report: reply.report,
  });
}

/** Write the member's index when the load learned something (in the background: the rows are shown). */
async function saveIndex(epoch: number): Promise<void> {
  const progress = $("inbox-progress");
  try {
    const outcome = await sync.save([...rows.values()]);
    if (stillOpen(epoch)) progress.dataset.indexSaved = outcome;
  } catch {
    // Not saved: the next unlock reads the older index, or decrypts the reports again.
    if (stillOpen(epoch)) progress.dataset.indexSaved = "failed";
  }
}

function caseLink(row: Row): HTMLButtonElement {
  const s = row.summary;
  const summary = row.fields ? row.fields.summary.slice(0, 160) || s.id : null;
  const label = summary ?? tr(row.failed ? "console.inbox.unreadable" : "console.inbox.pending");
  const link = el("button", { type: "button", class: "link case-link", dataset: { case: s.id } }, label);
  link.addEventListener("click", () => hooks?.openCase(s.id));
  return link;
}

function paintRow(row: Row): HTMLTableRowElement {
  if (row.tr) return row.tr;
  const s = row.summary;
  // The summary does not say which deadline passed: past acknowledge_by while still "received" is the likely one.
  const late = isOverdue(row);
  const ackLate = late && s.status === "received" && todayUtc() > s.acknowledge_by;
  const mark = markers(row, awaitingTeam(row), todayUtc());
  const urgency = row.fields?.urgency ?? "";
  row.tr = el(
    "tr",
    { class: mark.cls, dataset: { case: s.id, status: s.status, urgency } },
    el("td", {}, s.received),
    el("td", {}, caseLink(row), ...mark.nodes, ...tagBadges(row.tags)),
    el("td", {}, row.fields ? categoryLabel(row.fields.category) : ""),
    el("td", {}, urgencyLabel(urgency)),
    el("td", {}, tr(`console.status.${s.status}`)),
    el("td", {}, s.assignee ? memberName(s.assignee) : tr("console.inbox.unassigned")),
    dayCell(s.acknowledge_by, ackLate),
    dayCell(s.feedback_by, late && !ackLate),
  );
  i18n().apply(row.tr);
  return row.tr;
}

function render(): void {
  const filters: Filters = {
    status: select("f-status").value,
    category: select("f-category").value,
    urgency: select("f-urgency").value,
    assignee: select("f-assignee").value,
    overdue: input("f-overdue").checked,
    awaiting: input("f-awaiting").checked,
    words: input("f-search").value.toLowerCase().split(/\s+/).filter(Boolean),
    tag: tagFilter().value,
    source: select("f-source").value,
  };
  const shown = [...rows.values()]
    .filter((r) => matches(r, filters))
    .sort(sortOf(select("f-sort").value, URGENCY_LEVELS));
  table?.show(shown);
  const count = $("inbox-count");
  count.replaceChildren(tr("console.inbox.count", { shown: shown.length, total: rows.size }));
  i18n().apply(count);
  explainEmpty(!listed || rows.size > 0);
}

/** Update one case's summary (and its tags, when read) after a change made in the case view. */
export function updateSummary(id: string, detail: CaseDetail, meta?: { tags: string[] }): void {
  const row = rows.get(id);
  if (!row) return;
  if (meta) {
    row.tags = meta.tags;
    fillTagFilter(rows.values());
  }
  const { status, assignee, overdue, acknowledge_by, feedback_by, updated } = detail;
  Object.assign(row.summary, { status, assignee, overdue, acknowledge_by, feedback_by, updated });
  row.last = detail.messages.at(-1)?.from ?? null;
  row.tr = null;
  render();
}
