// Drills (issue 16): an admin starts one from the scenario library
// (frontend/drills.json, built in): a synthetic report sealed exactly as
// the reporter page seals one (lib/intake.ts), marked as a drill inside it
// (lib/drill.ts) and filed through the team filing route with the
// plaintext `drill` flag (protocol §4.4, "Filing"), so deadlines, alerts
// and figures leave it out while the audit keeps it. The team works it as
// any case; its after-action summary shows the time to acknowledge, the
// playbook steps done and what was late. The practice link sends
// employees to the reporter page in practice mode, which sends nothing.
import drills from "candor:drills";
import playbooks from "candor:playbooks";
import { drillForm, type Scenario } from "../lib/drill.js";
import type { DrillScore } from "../lib/figures.js";
import { prepareCase, submitCase } from "../lib/intake.js";
import { textIn } from "../lib/playbook.js";
import type { SubmitAnswer } from "../lib/api.js";
import { $, el, tr } from "../page/common.js";
import { drillScoreOf, isDrill, type LoadedCase, loadCases } from "./case-facts.js";
import { current, i18n, isAdmin, manifest, session, showError, stillOpen } from "./session.js";
import { button, categoryLabel, select, showView } from "./views.js";

export interface DrillHooks {
  openCase(id: string): void;
  /** A drill was filed: the inbox lists it when shown next. */
  filed(): void;
}

let hooks: DrillHooks | null = null;
let listed: LoadedCase[] = [];

export function initDrills(wiring: DrillHooks): void {
  hooks = wiring;
  button("drill-start").addEventListener("click", () => void startDrill());
  i18n().onChange(() => {
    if (!session.open || $("view-drills").hidden) return;
    fillScenarios();
    renderList();
  });
}

export function clearDrills(): void {
  listed = [];
  for (const id of ["drill-rows", "drill-start-status", "drills-status", "drill-summary-facts", "drill-summary-steps"])
    $(id).replaceChildren();
  $("drill-summary-late").replaceChildren();
  $("drill-summary").hidden = true;
  $("drill-table").hidden = true;
  $("drill-none").hidden = true;
  $("drills-error").hidden = true;
}

/** The Drills view; with a case id, that drill's after-action summary opens once the list is read. */
export async function showDrills(summaryOf?: string): Promise<void> {
  showView("view-drills");
  $("drill-start-box").hidden = !isAdmin();
  fillScenarios();
  const link = new URL("../?practice", window.location.href).href;
  $("drill-practice-link").textContent = link;
  $("drill-practice-link").setAttribute("href", link);
  await loadList();
  const chosen = listed.find((c) => c.summary.id === summaryOf);
  if (chosen) await showSummary(chosen);
}

const scenarioText = (s: Scenario | undefined): string =>
  s ? textIn(s.answers.summary, i18n().lang) : i18n().t("console.drills.unknown");
const scenarioOf = (id: string): Scenario | undefined => drills.scenarios.find((s) => s.id === id);

function fillOptions(list: HTMLSelectElement, options: [string, string][]): void {
  list.replaceChildren(...options.map(([value, text]) => el("option", { value }, text)));
}

function fillScenarios(): void {
  const scenario = select("drill-scenario");
  const chosen = scenario.value;
  fillOptions(
    scenario,
    drills.scenarios.map((s): [string, string] => [s.id, `${categoryLabel(s.category)}: ${scenarioText(s)}`]),
  );
  if (chosen) scenario.value = chosen;
  const lang = select("drill-lang");
  const chosenLang = lang.value || i18n().lang;
  fillOptions(
    lang,
    i18n().languages.map((l): [string, string] => [l, i18n().nameOf(l)]),
  );
  lang.value = chosenLang;
}

/** File a drill of the chosen scenario: sealed as the page seals, flagged a drill, by this admin. */
async function startDrill(): Promise<void> {
  const s = scenarioOf(select("drill-scenario").value);
  if (!s) return;
  const epoch = session.epoch;
  const lang = select("drill-lang").value;
  const status = $("drill-start-status");
  button("drill-start").disabled = true;
  status.replaceChildren(tr("console.drills.starting"));
  i18n().apply(status);
  try {
    const { client } = current();
    const form = drillForm(s, lang, new Date());
    const prepared = await prepareCase(manifest(), [], form.category);
    const submitReport = (body: object): Promise<SubmitAnswer> =>
      client.call("POST", "/v1/team/reports", {
        body: { ...body, source: "drill", drill: true },
      }) as Promise<SubmitAnswer>;
    await submitCase(prepared, { form, lang, files: [] }, { submitReport });
    hooks?.filed();
    if (!stillOpen(epoch)) return;
    status.replaceChildren(tr("console.drills.started", { scenario: scenarioText(s) }));
    i18n().apply(status);
    await loadList();
  } catch (err) {
    if (stillOpen(epoch)) showError(status, err);
  } finally {
    button("drill-start").disabled = false;
  }
}

async function loadList(): Promise<void> {
  const epoch = session.epoch;
  try {
    // Only the cases the listing flags as drills are read (isDrill checks the sealed mark too).
    const cases = await loadCases(
      () => undefined,
      (s) => s.drill === true,
    );
    if (!stillOpen(epoch)) return;
    listed = cases
      .filter(isDrill)
      .sort((a, b) => ((a.form.drill_started ?? "") < (b.form.drill_started ?? "") ? 1 : -1));
    renderList();
  } catch (err) {
    if (stillOpen(epoch)) showError($("drills-error"), err);
  }
}

const when = (iso: string): string =>
  new Intl.DateTimeFormat(i18n().lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

function renderList(): void {
  $("drill-none").hidden = listed.length > 0;
  $("drill-table").hidden = listed.length === 0;
  $("drill-rows").replaceChildren(
    ...listed.map((c) => {
      const summary = el("button", { type: "button", class: "link" }, tr("console.drills.summary"));
      summary.addEventListener("click", () => void showSummary(c));
      const open = el("button", { type: "button", class: "link" }, tr("console.drills.open_case"));
      open.addEventListener("click", () => hooks?.openCase(c.summary.id));
      return el(
        "tr",
        { dataset: { case: c.summary.id } },
        el("td", {}, scenarioText(scenarioOf(c.form.drill ?? ""))),
        el("td", {}, when(c.form.drill_started ?? "")),
        el("td", {}, tr(`console.status.${c.summary.status}`)),
        el("td", {}, summary, " ", open),
      );
    }),
  );
  i18n().apply($("drill-rows"));
}

// -- the after-action summary ------------------------------------------------------

async function showSummary(c: LoadedCase): Promise<void> {
  const epoch = session.epoch;
  $("drills-status").replaceChildren(tr("console.drills.reading"));
  i18n().apply($("drills-status"));
  try {
    const score = await drillScoreOf(c, playbooks);
    if (!stillOpen(epoch)) return;
    $("drills-status").replaceChildren();
    renderSummary(score);
  } catch (err) {
    if (stillOpen(epoch)) showError($("drills-error"), err);
  }
}

function renderSummary(d: DrillScore): void {
  const book = playbooks.playbooks[d.category] ?? [];
  const stepText = (id: string): string => {
    const step = book.find((s) => s.id === id);
    return step ? textIn(step.text, i18n().lang) : id;
  };
  const ack =
    d.acknowledgeDays === null
      ? tr("console.drills.not_acknowledged")
      : new Intl.NumberFormat(i18n().lang).format(d.acknowledgeDays);
  const facts: [string, Node | string][] = [
    ["console.figures.col.started", when(d.started)],
    ["console.figures.col.ack_days", ack],
    ["console.figures.col.steps", tr("console.playbook.progress", { done: d.done, steps: d.steps.length })],
    ["console.figures.col.score", `${d.score} %`],
  ];
  $("drill-summary-scenario").textContent = scenarioText(scenarioOf(d.scenario));
  $("drill-summary-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, tr(k)), el("dd", {}, v)]));
  $("drill-summary-steps").replaceChildren(
    ...d.steps.map((s) => {
      const state = s.done ? (s.late ? "late" : "done") : s.overdue ? "overdue" : "open";
      return el(
        "li",
        { class: `step step-${state}`, dataset: { step: s.id, state } },
        el("strong", {}, tr(`console.drills.step.${state}`)),
        " ",
        stepText(s.id),
        el("span", { class: "small" }, " · ", tr("console.playbook.due", { time: when(s.due) })),
      );
    }),
  );
  const late = d.steps.filter((s) => s.late || s.overdue).map((s) => el("li", {}, stepText(s.id)));
  if (d.acknowledgeLate) late.unshift(el("li", {}, tr("console.drills.ack_late")));
  $("drill-summary-late").replaceChildren(...(late.length ? late : [el("li", {}, tr("console.drills.nothing_late"))]));
  $("drill-summary").hidden = false;
  $("drill-summary").dataset.score = String(d.score);
  i18n().apply($("drill-summary"));
  $("drill-summary-title").focus();
}
