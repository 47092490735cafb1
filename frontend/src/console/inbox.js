// The inbox: every case this member may read, with its report decrypted in
// the browser (bounded concurrency), filters, search over the decrypted
// text, and sorting. Overdue cases stand out.
import questionnaire from "candor:questionnaire";
import { fromB64u } from "../lib/encoding.js";
import { todayUtc } from "../lib/manifest.js";
import { OpenFailed } from "../lib/teamops.js";
import { $, el, tr } from "../page/common.js";
import { i18n, memberName, session, showError, stillOpen } from "./session.js";
import { showView } from "./views.js";
import { openCase } from "./case.js";

export const STATUSES = ["received", "acknowledged", "investigating", "closed"];
const CONCURRENCY = 8;
// GET /v1/team/reports takes up to 50 cases: one audited request per batch.
const BATCH = 25;
const categoryField = questionnaire.fields.find((f) => f.key === "category");
const SORTS = ["received_desc", "received_asc", "acknowledge_by", "feedback_by", "status"];

let rows = new Map(); // case id → {summary, report, text, tr}
let loading = null;

/** Run `task` over `items` with at most `limit` at a time. */
export async function pool(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function categoryLabel(value) {
  const option = categoryField?.options.find((o) => o.value === value);
  return option ? i18n().local(option.label) : value ?? "";
}

function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

function fillFilters() {
  const t = (k) => i18n().t(k);
  fillSelect($("f-status"), [["", t("console.inbox.all")], ...STATUSES.map((s) => [s, t(`console.status.${s}`)])]);
  fillSelect($("f-category"), [["", t("console.inbox.all")], ...(categoryField?.options ?? []).map((o) => [o.value, i18n().local(o.label)])]);
  const assignees = new Set([...rows.values()].map((r) => r.summary.assignee).filter(Boolean));
  fillSelect($("f-assignee"), [["", t("console.inbox.all")], ["-", t("console.inbox.unassigned")],
    ...[...assignees].map((id) => [id, memberName(id)])]);
  fillSelect($("f-sort"), SORTS.map((s) => [s, t(`console.sort.${s}`)]));
}

export function initInbox() {
  for (const id of ["f-status", "f-category", "f-assignee", "f-sort", "f-overdue"]) $(id).addEventListener("change", render);
  $("inbox-refresh").addEventListener("click", () => refreshInbox());
  let timer = null;
  $("f-search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 120);
  });
  i18n().onChange(() => {
    if (!session.key) return;
    fillFilters();
    for (const row of rows.values()) paintRow(row);
    render();
  });
}

export function clearInbox() {
  rows = new Map();
  loading = null;
  stale = false;
  $("inbox-rows").replaceChildren();
  $("inbox-count").textContent = "";
  $("inbox-progress").replaceChildren();
  $("f-search").value = "";
  $("inbox-error").hidden = true;
  $("inbox-refresh").disabled = false;
  delete $("inbox-progress").dataset.state;
}

export function showInbox() {
  showView("view-inbox");
  if (!loading) loading = loadInbox();
  else if (stale) refreshInbox();
  return loading;
}

let stale = false;
/** The member changed a case: the listing is reloaded when the inbox is shown next. */
export function markStale() {
  stale = true;
}

/**
 * Reload the listing, keeping the reports already decrypted in memory: only
 * cases new since the last load are fetched and decrypted. A refresh asked
 * for while a load runs starts after it, so no report is decrypted twice.
 */
export function refreshInbox() {
  stale = false;
  $("inbox-progress").dataset.state = "loading";
  const previous = loading ?? Promise.resolve();
  loading = previous.catch(() => {}).then(() => loadInbox());
  return loading;
}

/** Drop a case that is gone (deleted in the case view) from the listing. */
export function forgetCase(id) {
  rows.get(id)?.tr?.remove();
  rows.delete(id);
  session.cases.delete(id);
  render();
}

async function loadInbox() {
  const epoch = session.epoch;
  const started = performance.now();
  const progress = $("inbox-progress");
  progress.dataset.state = "loading";
  $("inbox-refresh").disabled = true;
  fillFilters();
  try {
    const summaries = [];
    let cursor = "";
    do {
      const page = await session.client.get("/v1/team/cases", { cursor });
      if (!stillOpen(epoch)) return;
      summaries.push(...page.cases);
      cursor = page.cursor ?? "";
    } while (cursor);
    const fresh = new Map();
    for (const summary of summaries) {
      const row = rows.get(summary.id) ?? { report: null, failed: false, text: "" };
      row.summary = summary;
      fresh.set(summary.id, row);
    }
    rows = fresh;
    // Cases that are gone (deleted, or no longer visible) leave the memory too.
    for (const id of [...session.cases.keys()]) if (!rows.has(id)) session.cases.delete(id);
    for (const row of rows.values()) paintRow(row);
    fillFilters();
    render();
    const todo = [...rows.values()].filter((r) => !r.report);
    progress.dataset.fetched = String(todo.length);
    let done = rows.size - todo.length;
    const say = () => progress.replaceChildren(tr("console.inbox.decrypting", { done, total: rows.size }));
    say();
    i18n().apply(progress);
    let renderTimer = null;
    const batches = [];
    for (let i = 0; i < todo.length; i += BATCH) batches.push(todo.slice(i, i + BATCH));
    const fetched = [];
    await pool(batches, 2, async (batch) => {
      if (!stillOpen(epoch)) return;
      for (const [row, sealed] of await fetchReports(batch)) fetched.push(decrypting(row, sealed));
    });
    // Decryption runs as the batches arrive; wait for the last ones.
    await Promise.all(fetched);
    async function decrypting(row, sealed) {
      if (!stillOpen(epoch)) return;
      await decryptRow(row, sealed, epoch);
      if (!stillOpen(epoch)) return;
      done++;
      paintRow(row);
      say();
      i18n().apply(progress);
      renderTimer ??= setTimeout(() => { renderTimer = null; render(); }, 250);
    }
    if (!stillOpen(epoch)) return;
    clearTimeout(renderTimer);
    fillFilters();
    render();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    progress.replaceChildren(tr("console.inbox.loaded", { total: rows.size, seconds }));
    progress.dataset.loadedMs = String(Math.round(performance.now() - started));
    progress.dataset.state = "done";
    i18n().apply(progress);
  } catch (err) {
    if (stillOpen(epoch)) showError($("inbox-error"), err);
    loading = null;
  } finally {
    if (stillOpen(epoch)) $("inbox-refresh").disabled = false;
  }
}

/**
 * The sealed reports of a batch of rows, [row, sealed b64u or null], asking
 * again for the ones the server left for another call (answer size).
 */
async function fetchReports(batch) {
  const out = [];
  let ask = batch;
  while (ask.length) {
    const byId = new Map(ask.map((row) => [row.summary.id, row]));
    const answer = await session.client.get("/v1/team/reports", { cases: [...byId.keys()].join(",") });
    for (const r of answer.reports) out.push([byId.get(r.case), r.sealed]);
    for (const id of answer.missing) out.push([byId.get(id), null]);
    const more = answer.more.map((id) => byId.get(id));
    if (more.length === ask.length) throw new Error("the server returned no report");
    ask = more;
  }
  return out;
}

async function decryptRow(row, sealed, epoch) {
  const id = row.summary.id;
  try {
    if (sealed === null) throw new OpenFailed("the case is no longer visible");
    // The listing names the report and the access list.
    const { report: ref, access } = row.summary;
    const bytes = fromB64u(sealed);
    const report = await session.opener.document(bytes, access.indexOf(session.key.member));
    if (!stillOpen(epoch)) return;
    row.report = report;
    row.text = Object.values(report.form ?? {}).filter((v) => typeof v === "string").join("\n").toLowerCase();
    // The case view reloads the case itself and reuses these sealed bytes.
    session.cases.set(id, { detail: { report: ref }, reportSealed: bytes, report });
  } catch (err) {
    row.failed = err instanceof OpenFailed ? "unreadable" : "error";
  }
}

function dayCell(day, late) {
  return el("td", { class: late ? "late" : null }, day ?? "—", late ? el("span", { class: "visually-hidden" }, " ", tr("console.inbox.overdue")) : null);
}

function paintRow(row) {
  const s = row.summary;
  const form = row.report?.form ?? {};
  const open = el("button", { type: "button", class: "link case-link", dataset: { case: s.id } },
    row.report ? String(form.summary ?? "").slice(0, 160) || s.id : row.failed ? tr("console.inbox.unreadable") : tr("console.inbox.pending"));
  open.addEventListener("click", () => openCase(s.id));
  // The summary does not say which deadline passed: past acknowledge_by while still "received" is the likely one.
  const ackLate = s.overdue && s.status === "received" && todayUtc() > s.acknowledge_by;
  row.tr = el("tr", { class: s.overdue ? "overdue" : null, dataset: { case: s.id, status: s.status } },
    el("td", {}, s.received),
    el("td", {}, open, s.overdue ? el("span", { class: "badge badge-late" }, tr("console.inbox.overdue")) : null),
    el("td", {}, row.report ? categoryLabel(form.category) : ""),
    el("td", {}, tr(`console.status.${s.status}`)),
    el("td", {}, s.assignee ? memberName(s.assignee) : tr("console.inbox.unassigned")),
    dayCell(s.acknowledge_by, s.overdue && ackLate),
    dayCell(s.feedback_by, s.overdue && !ackLate));
  i18n().apply(row.tr);
}

function matches(row, f) {
  const s = row.summary;
  if (f.status && s.status !== f.status) return false;
  if (f.overdue && !s.overdue) return false;
  if (f.assignee === "-" ? s.assignee : f.assignee && s.assignee !== f.assignee) return false;
  if (f.category && row.report?.form?.category !== f.category) return false;
  if (f.words.length && !f.words.every((w) => row.text.includes(w) || s.id.toLowerCase().includes(w))) return false;
  return true;
}

const BY = {
  received_desc: (a, b) => cmp(b.summary.received, a.summary.received) || cmp(a.summary.id, b.summary.id),
  received_asc: (a, b) => cmp(a.summary.received, b.summary.received) || cmp(a.summary.id, b.summary.id),
  acknowledge_by: (a, b) => cmp(a.summary.acknowledge_by, b.summary.acknowledge_by),
  feedback_by: (a, b) => cmp(a.summary.feedback_by, b.summary.feedback_by),
  status: (a, b) => STATUSES.indexOf(a.summary.status) - STATUSES.indexOf(b.summary.status),
};
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function render() {
  const filters = {
    status: $("f-status").value,
    category: $("f-category").value,
    assignee: $("f-assignee").value,
    overdue: $("f-overdue").checked,
    words: $("f-search").value.toLowerCase().split(/\s+/).filter(Boolean),
  };
  const shown = [...rows.values()].filter((r) => matches(r, filters)).sort(BY[$("f-sort").value] ?? BY.received_desc);
  $("inbox-rows").replaceChildren(...shown.map((r) => r.tr));
  const count = $("inbox-count");
  count.replaceChildren(tr("console.inbox.count", { shown: shown.length, total: rows.size }));
  i18n().apply(count);
}

/** Update one case's summary after a change made in the case view. */
export function updateSummary(id, detail) {
  const row = rows.get(id);
  if (!row) return;
  Object.assign(row.summary, {
    status: detail.status, assignee: detail.assignee, overdue: detail.overdue,
    acknowledge_by: detail.acknowledge_by, feedback_by: detail.feedback_by, updated: detail.updated,
  });
  paintRow(row);
  render();
}
