// The case view's read-only sections: warnings, the case's bookkeeping,
// the report rendered from the questionnaire, and the thread and notes
// with each entry's verdict. Values are flat lists of nodes and strings, so
// an optional part is left out whole (no "(,[object …],)").
import drills from "candor:drills";
import questionnaire from "candor:questionnaire";
import { blobHash, findGaps } from "../lib/documents.js";
import { drillCheck, MARK_KEYS, scenarioTitle } from "../lib/drill.js";
import type { CaseRead, Shown } from "../lib/teamops.js";
import type { CaseDetail, ReportDoc } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { attachmentItem } from "./attachments.js";
import { todayUtc } from "../lib/manifest.js";
import { overdueByDays, sourceOf } from "./inbox-sort.js";
import { sourceLabel } from "./inbox-table.js";
import { i18n, memberName } from "./session.js";
import { categoryLabel } from "./views.js";

/** A case as the case view shows it. */
export type View = CaseRead & { id: string };

/**
 * A drill's banner (its scenario, when it started, a link to its
 * after-action summary), or the warning that the listing's flag and the
 * sealed mark disagree; nothing for a real report (lib/drill.ts drillCheck).
 */
function drillNotice(v: View, openSummary: (id: string) => void): HTMLElement | null {
  const check = drillCheck(v.detail.drill, v.report.form);
  if (check.kind === "real") return null;
  if (check.kind === "mismatch") {
    const attrs = { class: "alert alert-error case-warning", role: "alert", dataset: { warning: "drill" } };
    return el("p", attrs, tr(`console.warn.drill_${check.by}`));
  }
  const lang = i18n().lang;
  const scenario = scenarioTitle(drills, check.scenario, lang) ?? i18n().t("console.drills.unknown");
  const started = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(check.started),
  );
  const link = el(
    "button",
    { type: "button", class: "link", dataset: { drillSummary: "" } },
    tr("console.drills.summary"),
  );
  link.addEventListener("click", () => {
    openSummary(v.id);
  });
  return el(
    "section",
    {
      class: "alert alert-info drill-banner",
      "aria-labelledby": "drill-banner-title",
      dataset: { drillBanner: check.scenario },
    },
    el("h2", { id: "drill-banner-title" }, tr("console.drill.badge")),
    el("p", {}, tr("console.drill.case_text", { scenario, started })),
    el("p", {}, link),
  );
}

export function renderWarnings(v: View, openSummary: (id: string) => void): void {
  const alerts = v.warnings.map((w) =>
    el(
      "p",
      {
        class: `alert ${w.code === "keys" ? "alert-warn" : "alert-error"} case-warning`,
        role: "alert",
        dataset: { warning: w.code },
      },
      tr(`console.warn.${w.code}`, { name: w.detail ?? "" }),
    ),
  );
  const forged = [...v.messages, ...v.notes].filter((m) => m.verdict !== "ok");
  if (forged.length) {
    const attrs = { class: "alert alert-error case-warning", role: "alert", dataset: { warning: "forged" } };
    alerts.push(el("p", attrs, tr("console.warn.forged", { n: forged.length })));
  }
  const drill = drillNotice(v, openSummary);
  $("case-warnings").replaceChildren(...(drill ? [drill] : []), ...alerts);
}

/** " (done DAY)" after a deadline that was met; nothing when it was not (yet). */
const done = (day: string | null): (Node | string)[] => (day ? [" (", tr("console.meta.done", { day }), ")"] : []);

export function renderMeta(d: CaseDetail, form: Readonly<Record<string, string>>): void {
  // Each value is a flat list of nodes and strings; an optional part is left out whole.
  const resolution = d.resolution ? [" — ", tr(`console.resolution.${d.resolution}`)] : [];
  const rows: [string, (Node | string)[]][] = [
    ["console.meta.case", [d.id]],
    ["console.meta.status", [tr(`console.status.${d.status}`), ...resolution]],
    ["console.meta.received", [d.received]],
    ["console.meta.acknowledge_by", [d.acknowledge_by, ...done(d.acknowledged)]],
    ["console.meta.feedback_by", [d.feedback_by, ...done(d.feedback)]],
    ["console.meta.assignee", [d.assignee ? memberName(d.assignee) : tr("console.inbox.unassigned")]],
    ["console.meta.legal_hold", [tr(d.legal_hold ? "console.yes" : "console.no")]],
    ["console.meta.access", [d.access.map(memberName).join(", ")]],
  ];
  // A filed report says how it came in (protocol §4.4, "Filing"); a page's report says nothing more.
  const source = sourceOf(d);
  if (source !== "page") rows.splice(1, 0, ["console.meta.source", [sourceLabel(source)]]);
  const dl = $("case-meta");
  dl.replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, tr(key)), el("dd", {}, ...value)]));
  // A drill by both words is never late; when one word alone says drill, the days say (as the inbox).
  const drill = drillCheck(d.drill, form).kind;
  if (drill === "drill" ? false : drill === "mismatch" ? overdueByDays(d, todayUtc()) : d.overdue)
    dl.append(el("dt", {}, tr("console.inbox.overdue")), el("dd", { class: "late" }, tr("console.meta.overdue_text")));
}

/** The report's answers; a drill's mark (shown by its banner) is left out. */
export function renderReport(report: ReportDoc, drill: boolean): void {
  const form = drill
    ? Object.fromEntries(Object.entries(report.form).filter(([key]) => !MARK_KEYS.includes(key)))
    : report.form;
  const items: HTMLElement[] = [];
  for (const f of questionnaire.fields) {
    const answer = form[f.key];
    if (answer === undefined) continue;
    const option = f.options?.find((o) => o.value === answer);
    const value = f.key === "category" ? categoryLabel(answer) : option ? i18n().local(option.label) : answer;
    items.push(el("dt", {}, i18n().local(f.label)), el("dd", {}, value));
  }
  // Fields the questionnaire no longer has are still shown, under their key.
  for (const [key, value] of Object.entries(form)) {
    if (!questionnaire.fields.some((f) => f.key === key))
      items.push(el("dt", { class: "mono" }, key), el("dd", {}, value));
  }
  items.push(el("dt", {}, tr("console.case.language")), el("dd", {}, languageName(report.lang, i18n().lang)));
  $("case-report").replaceChildren(...items);
}

/** "Deutsch" for "de" in a German console, "German" in an English one; the tag itself when the browser cannot name it. */
export function languageName(tag: string, uiLang: string): string {
  try {
    return new Intl.DisplayNames([uiLang], { type: "language", fallback: "code" }).of(tag) ?? tag;
  } catch {
    // A tag that is not well-formed BCP 47 (the report is the reporter's word).
    return tag;
  }
}

// -- thread and notes ------------------------------------------------------------------

export function renderEntries(list: HTMLElement, v: View, items: Shown[], emptyKey: string): void {
  if (!items.length) {
    list.replaceChildren(el("li", { class: "small" }, tr(emptyKey)));
    return;
  }
  const gaps = findGaps(
    items.map((m) => ({ seq: m.meta.seq, hash: m.sealed ? blobHash(m.sealed) : null, doc: m.doc })),
  );
  const nodes: HTMLLIElement[] = [];
  items.forEach((item, i) => {
    if (gaps.has(i)) nodes.push(el("li", { class: "message gap" }, tr("console.thread.gap")));
    nodes.push(entryItem(item, { caseId: v.id, hint: v.hint }));
  });
  list.replaceChildren(...nodes);
}

function entryItem(item: Shown, place: { caseId: string; hint: number }): HTMLLIElement {
  const { meta, doc, verdict } = item;
  const author =
    meta.from === "reporter" ? tr("console.thread.reporter") : memberName(meta.member ?? doc?.member ?? "");
  const sig = doc
    ? "console.thread.verified"
    : verdict === "unreadable"
      ? "console.thread.unreadable"
      : "console.thread.forged";
  const head = el(
    "p",
    { class: "message-head" },
    `#${meta.seq} · ${meta.day ?? ""} · `,
    author,
    " · ",
    el("span", { class: doc ? "sig-ok" : "sig-bad" }, tr(sig)),
  );
  const files = doc?.attachments.length
    ? el("ul", { class: "file-list" }, ...doc.attachments.map((a) => attachmentItem(a, place)))
    : null;
  const body = doc
    ? [el("p", { class: "message-text" }, doc.text), files]
    : [el("p", { class: "small" }, tr("console.thread.not_shown"))];
  return el(
    "li",
    { class: `message ${meta.from}${doc ? "" : " forged"}`, dataset: { id: meta.id, verdict } },
    head,
    ...body,
  );
}
