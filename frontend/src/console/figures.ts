// The figures the board asks for (issue 16): computed in this browser from
// the cases the member reads (lib/figures.ts), each chart (uPlot, bundled:
// no script, style or data from elsewhere) beside a table holding the same
// numbers, which is what screen readers and the printout read. Nothing is
// sent anywhere: printing is the browser's own (the print style sheet
// keeps only this view). Drills count only in their own table.
import drillLibrary from "candor:drills";
import playbooks from "candor:playbooks";
import uPlot from "uplot";
import { computeFigures, type DrillScore, type Figures } from "../lib/figures.js";
import { textIn } from "../lib/playbook.js";
import type { ReportFields } from "../lib/inbox-index.js";
import { todayUtc } from "../lib/manifest.js";
import { type CaseSummary, RESOLUTIONS } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { drillScores, factsOf, loadCases } from "./case-facts.js";
import { i18n, session, showError, stillOpen } from "./session.js";
import { categoryField, categoryLabel, showView } from "./views.js";

// Colour-blind-safe (Okabe-Ito); the tables carry the same numbers.
const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#f0e442"];
const CHART_HEIGHT = 260;

let charts: uPlot[] = [];
let shown: { figures: Figures; drills: DrillScore[] } | null = null;

export interface FigureHooks {
  /** The inbox's cases with what it decrypted of them (the inbox's own load, awaited). */
  inboxCases(): Promise<{ summary: CaseSummary; fields: ReportFields | null }[]>;
}

let hooks: FigureHooks | null = null;

export function initFigures(wiring: FigureHooks): void {
  hooks = wiring;
  $("figures-print").addEventListener("click", () => {
    window.print();
  });
  $("figures-refresh").addEventListener("click", () => void loadFigures());
  i18n().onChange(() => {
    if (session.open && shown && !$("view-figures").hidden) render(shown.figures, shown.drills);
  });
}

export function clearFigures(): void {
  for (const chart of charts) chart.destroy();
  charts = [];
  shown = null;
  $("figures-body").replaceChildren();
  $("figures-status").replaceChildren();
  $("figures-error").hidden = true;
}

export async function showFigures(): Promise<void> {
  showView("view-figures");
  if (!shown) await loadFigures();
}

async function loadFigures(): Promise<void> {
  const epoch = session.epoch;
  const status = $("figures-status");
  $("figures-error").hidden = true;
  try {
    // The inbox decrypted (or keeps in its index) every report's category: none is opened twice.
    const inbox = new Map((await (hooks?.inboxCases() ?? Promise.resolve([]))).map((c) => [c.summary.id, c]));
    const known = (id: string, report: string): string | null => {
      const row = inbox.get(id);
      return row?.fields && row.summary.report.id === report ? row.fields.category : null;
    };
    const progress = (done: number, total: number): void => {
      status.replaceChildren(tr("console.figures.loading", { done, total }));
      i18n().apply(status);
    };
    const cases = await loadCases(progress, () => true, known);
    const drills = await drillScores(cases, playbooks);
    if (!stillOpen(epoch)) return;
    const categories = (categoryField?.options ?? []).map((o) => o.value);
    const figures = computeFigures(
      cases.map((c) => factsOf(c)),
      categories,
      todayUtc(),
    );
    shown = { figures, drills };
    render(figures, drills);
    status.replaceChildren(tr("console.figures.computed", { cases: figures.total, day: todayUtc() }));
    i18n().apply(status);
    $("view-figures").dataset.state = "ready";
  } catch (err) {
    if (stillOpen(epoch)) showError($("figures-error"), err);
  }
}

// -- rendering ---------------------------------------------------------------------

const num = (n: number | null): string =>
  n === null ? "–" : new Intl.NumberFormat(i18n().lang, { maximumFractionDigits: 1 }).format(n);

function monthName(month: string): string {
  const fmt = new Intl.DateTimeFormat(i18n().lang, { year: "numeric", month: "short", timeZone: "UTC" });
  return fmt.format(new Date(`${month}-01T00:00:00Z`));
}

/**
 * A table: a caption, one header row, then rows whose first cell is a row
 * header. Its box scrolls sideways on a narrow screen, so it takes the
 * keyboard focus and is named by the caption.
 */
function table(id: string, caption: string, head: readonly string[], rows: readonly (readonly string[])[]) {
  const th = (key: string) => el("th", { scope: "col" }, key.startsWith("console.") ? tr(key) : key);
  const body = rows.map(([first, ...rest]) =>
    el("tr", {}, el("th", { scope: "row" }, first ?? ""), ...rest.map((cell) => el("td", {}, cell))),
  );
  return el(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-labelledby": `${id}-caption` },
    el(
      "table",
      { id, class: "cases figure-table" },
      el("caption", { id: `${id}-caption` }, tr(caption)),
      el("thead", {}, el("tr", {}, ...head.map(th))),
      el("tbody", {}, ...body),
    ),
  );
}

/** A figure: its heading, then the chart (if any) beside its table. */
function figure(id: string, titleKey: string, chart: HTMLElement | null, body: HTMLElement): HTMLElement {
  return el(
    "section",
    { class: "figure", id: `figure-${id}`, "aria-labelledby": `figure-${id}-title` },
    el("h2", { id: `figure-${id}-title` }, tr(titleKey)),
    el("div", { class: "figure-row" }, chart, body),
  );
}

/** A chart box: an image to assistive technology, described by the table beside it. */
const chartBox = (labelKey: string): HTMLElement =>
  el("div", { class: "chart", role: "img", "aria-label": i18n().t(labelKey) });

function lineChart(box: HTMLElement, months: string[], series: { label: string; values: (number | null)[] }[]) {
  const width = Math.max(280, Math.min(560, box.parentElement?.clientWidth ?? 560));
  const opts: uPlot.Options = {
    width,
    height: CHART_HEIGHT,
    // Labels only (no values under a cursor): the table beside the chart has the numbers.
    legend: { show: true, live: false },
    cursor: { show: false },
    scales: { x: { time: false } },
    axes: [{ values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? monthName(months[i] ?? "") : "")) }, {}],
    series: [
      {},
      ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { size: 6 } })),
    ],
  };
  const data = [months.map((_, i) => i), ...series.map((s) => s.values)] as uPlot.AlignedData;
  charts.push(new uPlot(opts, data, box));
}

function volumes(f: Figures): HTMLElement {
  const box = f.months.length ? chartBox("console.figures.volume.chart") : null;
  const head = ["console.figures.col.category", ...f.months.map(monthName), "console.figures.col.total"];
  const rows = f.categories.map((c, i) => {
    const counts = f.volumes[i] ?? [];
    return [categoryLabel(c) || "–", ...counts.map(num), num(counts.reduce((a, b) => a + b, 0))];
  });
  const section = figure(
    "volume",
    "console.figures.volume.title",
    box,
    table("figures-volume", "console.figures.volume.caption", head, rows),
  );
  if (box)
    queueMicrotask(() => {
      lineChart(
        box,
        f.months,
        f.categories.map((c, i) => ({ label: categoryLabel(c), values: f.volumes[i] ?? [] })),
      );
    });
  return section;
}

function timeliness(f: Figures): HTMLElement {
  const box = f.months.length ? chartBox("console.figures.time.chart") : null;
  const head = [
    "console.figures.col.deadline",
    "console.figures.col.on_time",
    "console.figures.col.late",
    "console.figures.col.missed",
    "console.figures.col.pending",
    "console.figures.col.median",
  ];
  const row = (key: string, t: Figures["acknowledge"]) => [
    i18n().t(key),
    num(t.onTime),
    num(t.late),
    num(t.missed),
    num(t.pending),
    num(t.medianDays),
  ];
  const monthly = f.months.map((m, i) => [
    monthName(m),
    num(f.monthlyAcknowledgeDays[i] ?? null),
    num(f.monthlyFeedbackDays[i] ?? null),
  ]);
  const body = el(
    "div",
    { class: "figure-tables" },
    table("figures-deadlines", "console.figures.time.caption", head, [
      row("console.figures.time.acknowledge", f.acknowledge),
      row("console.figures.time.feedback", f.feedback),
    ]),
    table(
      "figures-monthly",
      "console.figures.time.monthly_caption",
      ["console.figures.col.month", "console.figures.time.acknowledge", "console.figures.time.feedback"],
      monthly,
    ),
  );
  const section = figure("time", "console.figures.time.title", box, body);
  if (box)
    queueMicrotask(() => {
      lineChart(box, f.months, [
        { label: i18n().t("console.figures.time.acknowledge"), values: f.monthlyAcknowledgeDays },
        { label: i18n().t("console.figures.time.feedback"), values: f.monthlyFeedbackDays },
      ]);
    });
  return section;
}

function states(f: Figures): HTMLElement {
  const rows = [
    [i18n().t("console.figures.state.open"), num(f.open)],
    [i18n().t("console.figures.state.overdue"), num(f.overdue)],
    [i18n().t("console.figures.state.closed"), num(f.closed)],
    ...RESOLUTIONS.map((r) => [i18n().t(`console.resolution.${r}`), num(f.resolutions[r])]),
  ];
  const head = ["console.figures.col.state", "console.figures.col.cases"];
  return figure(
    "states",
    "console.figures.state.title",
    null,
    table("figures-states", "console.figures.state.caption", head, rows),
  );
}

function drillTable(drills: readonly DrillScore[]): HTMLElement {
  const head = [
    "console.figures.col.scenario",
    "console.figures.col.started",
    "console.figures.col.ack_days",
    "console.figures.col.steps",
    "console.figures.col.late_steps",
    "console.figures.col.score",
  ];
  const scenario = (id: string): string => {
    const s = drillLibrary.scenarios.find((x) => x.id === id);
    return s ? textIn(s.answers.summary, i18n().lang) : id;
  };
  const rows = drills.map((d) => [
    scenario(d.scenario),
    d.started.slice(0, 10),
    num(d.acknowledgeDays),
    `${num(d.done)}/${num(d.steps.length)}`,
    num(d.steps.filter((s) => s.late || s.overdue).length + (d.acknowledgeLate ? 1 : 0)),
    `${num(d.score)} %`,
  ]);
  return figure(
    "drills",
    "console.figures.drills.title",
    null,
    table("figures-drills", "console.figures.drills.caption", head, rows),
  );
}

function render(f: Figures, drills: readonly DrillScore[]): void {
  for (const chart of charts) chart.destroy();
  charts = [];
  const note = el("p", { class: "small" }, tr("console.figures.drills_apart", { drills: f.drills }));
  $("figures-body").replaceChildren(volumes(f), timeliness(f), states(f), drillTable(drills), note);
  i18n().apply($("figures-body"));
}
