// The inbox's table body for thousands of rows: only the rows on screen
// (and a few either side) are in the document; two spacer rows keep the
// page's scroll height true (the page scrolls, not the table). Rows have one fixed height (console.css), measured
// from the first row painted.
import questionnaire from "candor:questionnaire";
import { type CaseSummary, CASE_STATUSES } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { categoryField, select } from "./views.js";
import { drillState, dueState, SORTS, type SortRow, SOURCES, sourceOf } from "./inbox-sort.js";
import { current, i18n, memberName } from "./session.js";

const urgencyField = questionnaire.fields.find((f) => f.key === "urgency");
/** The questionnaire's urgency values, most urgent first (the order it offers them in). */
export const URGENCY_LEVELS: readonly string[] = (urgencyField?.options ?? []).map((o) => o.value);

/** An urgency's label in the current language (the value itself when the questionnaire lacks it). */
export function urgencyLabel(value: string): string {
  const option = urgencyField?.options?.find((o) => o.value === value);
  return option ? i18n().local(option.label) : value;
}

/** Fill a filter's choices, keeping the one selected when it is still offered. */
export function fillSelect(id: string, options: [string, string][]): void {
  const node = select(id);
  const keep = node.value;
  node.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (options.some(([v]) => v === keep)) node.value = keep;
}

/** A deadline day, with "overdue" in words for screen readers when it passed. */
export function dayCell(day: string, late: boolean): HTMLTableCellElement {
  const hint = late ? el("span", { class: "visually-hidden" }, " ", tr("console.inbox.overdue")) : null;
  return el("td", { class: late ? "late" : null }, day || "—", hint);
}

/** The urgency filter's choices: [value, label], most urgent first. */
export const urgencyChoices = (): [string, string][] => URGENCY_LEVELS.map((v) => [v, urgencyLabel(v)]);

/**
 * The markers after a case's summary, in words (not colour alone): overdue
 * or which deadline is close, and "awaiting the team" when the reporter
 * wrote last. Returns the row's class for its highlight.
 */
export function markers(
  row: Pick<SortRow, "summary" | "fields">,
  awaiting: boolean,
  today: string,
): { cls: string | null; nodes: HTMLElement[] } {
  const due = dueState(row, today);
  const nodes: HTMLElement[] = [];
  const source = sourceOf(row.summary);
  // A drill's marker says it already; a page's report is the ordinary case and has none.
  if (source !== "page" && source !== "drill")
    nodes.push(el("span", { class: "badge badge-source", dataset: { source } }, sourceLabel(source)));
  const drill = drillState(row);
  if (drill === "drill")
    nodes.push(el("span", { class: "badge badge-drill", dataset: { drill: "" } }, tr("console.drill.badge")));
  else if (drill === "mismatch")
    nodes.push(
      el("span", { class: "badge badge-late", dataset: { drillMismatch: "" } }, tr("console.inbox.drill_mismatch")),
    );
  if (due === "overdue") nodes.push(el("span", { class: "badge badge-late" }, tr("console.inbox.overdue")));
  else if (due) nodes.push(el("span", { class: "badge badge-soon" }, tr(`console.inbox.${due}`)));
  if (awaiting) nodes.push(el("span", { class: "badge badge-awaiting" }, tr("console.inbox.awaiting")));
  return { cls: due === "overdue" ? "overdue" : due ? "due-soon" : null, nodes };
}

const OVERSCAN = 10;
const GUESS_PX = 44;

export class VirtualRows<T> {
  private items: readonly T[] = [];
  private rowPx = 0;
  private drawn = "";

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly paint: (item: T) => HTMLTableRowElement,
    private readonly columns: number,
  ) {
    window.addEventListener(
      "scroll",
      () => {
        this.draw(false);
      },
      { passive: true },
    );
    window.addEventListener("resize", () => {
      this.draw(true);
    });
  }

  /** Show `items` in this order (the filtered, sorted rows). */
  show(items: readonly T[]): void {
    this.items = items;
    this.draw(true);
  }

  /** Paint again the rows on screen (their content changed). */
  refresh(): void {
    this.draw(true);
  }

  private spacer(px: number): HTMLTableRowElement {
    const cell = el("td", { colspan: String(this.columns) });
    const row = el("tr", { class: "spacer", "aria-hidden": "true" }, cell);
    row.style.height = `${px}px`;
    return row;
  }

  private draw(force: boolean): void {
    const height = this.rowPx || GUESS_PX;
    // Where the body starts on screen (negative once scrolled past); a hidden view draws its first screen.
    const top = this.body.offsetParent ? this.body.getBoundingClientRect().top : 0;
    const first = Math.max(0, Math.floor(-top / height) - OVERSCAN);
    const last = Math.min(
      this.items.length,
      Math.max(first, Math.ceil((window.innerHeight - top) / height)) + OVERSCAN,
    );
    const key = `${first}:${last}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    const rows = this.items.slice(first, last).map(this.paint);
    const parts: HTMLTableRowElement[] = [];
    if (first > 0) parts.push(this.spacer(first * height));
    parts.push(...rows);
    if (last < this.items.length) parts.push(this.spacer((this.items.length - last) * height));
    this.body.replaceChildren(...parts);
    const measured = rows[0]?.offsetHeight ?? 0;
    if (measured > 0 && Math.abs(measured - this.rowPx) > 1) {
      this.rowPx = measured;
      this.draw(true);
    }
  }
}

/** The filters' choices in the current language; assignees and tags are those the rows carry. */
export function fillFilterChoices(rows: readonly { summary: CaseSummary; tags?: readonly string[] | null }[]): void {
  const t = (k: string): string => i18n().t(k);
  const all: [string, string] = ["", t("console.inbox.all")];
  fillSelect("f-status", [all, ...CASE_STATUSES.map((s): [string, string] => [s, t(`console.status.${s}`)])]);
  const categories = (categoryField?.options ?? []).map((o): [string, string] => [o.value, i18n().local(o.label)]);
  fillSelect("f-category", [all, ...categories]);
  fillSelect("f-urgency", [all, ...urgencyChoices()]);
  const assignees = new Set(rows.flatMap((r) => (r.summary.assignee ? [r.summary.assignee] : [])));
  const named = [...assignees].map((id): [string, string] => [id, memberName(id)]);
  fillSelect("f-assignee", [all, ["-", t("console.inbox.unassigned")], ...named]);
  fillSelect(
    "f-sort",
    SORTS.map((s) => [s, t(`console.sort.${s}`)]),
  );
  // The source filter shows once a filed case is listed (a team that files nothing never needs it).
  const sources = toolSelect("f-source", "console.source.filter");
  const filed = rows.some((r) => sourceOf(r.summary) !== "page");
  if (!filed) sources.value = "";
  if (sources.parentElement) sources.parentElement.hidden = !filed;
  const choices = ["page", ...SOURCES].map((s): [string, string] => [s, sourceLabel(s)]);
  fillSelect("f-source", [all, ...choices]);
}

/** A source in words: the catalogue's, or the server's value itself for one this console does not know. */
export function sourceLabel(source: string): string {
  const key = `console.source.${source.replace("-", "_")}`;
  const text = i18n().t(key);
  return text === key ? source : text;
}

/** A filter of the inbox's toolbar, made once before its check boxes. */
export function toolSelect(id: string, labelKey: string): HTMLSelectElement {
  const found = document.getElementById(id);
  if (found instanceof HTMLSelectElement) return found;
  const chooser = el("select", { id });
  const tool = el("div", { class: "tool" }, el("label", { for: id, "data-i18n": labelKey }), chooser);
  $("f-overdue").parentElement?.before(tool);
  i18n().apply(tool);
  return chooser;
}

/**
 * No case at all: say why. Reports are sealed to the members a manifest
 * listed when they were sent, so a new member sees only later ones (until
 * access can be granted to earlier cases).
 */
export function explainEmpty(hidden: boolean): void {
  const node = $("inbox-empty");
  node.hidden = hidden;
  if (node.hidden) return;
  const { chain, key } = current();
  const joined = chain.findIndex((m) => m.members.some((e) => e.id === key.member));
  // The first manifest this console trusts may not be the one that added the member: say so only when known.
  const since = joined > 0 ? chain[joined] : undefined;
  node.replaceChildren(
    el("strong", {}, tr("console.inbox.empty")),
    " ",
    since ? tr("console.inbox.empty_since", { version: since.version }) : tr("console.inbox.empty_sealed"),
  );
  i18n().apply(node);
}
