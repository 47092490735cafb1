// What the console's views share: one `.view` section at a time (focus
// moves to its heading), typed form fields, and the questionnaire's labels.
import questionnaire from "candor:questionnaire";
import type { Outcome } from "../lib/replies.js";
import { $, el, tr } from "../page/common.js";
import { i18n, showError } from "./session.js";

export type ViewId =
  "view-unlock" | "view-inbox" | "view-case" | "view-team" | "view-figures" | "view-drills" | "view-intake";

export function showView(id: ViewId): void {
  for (const section of document.querySelectorAll<HTMLElement>(".view")) section.hidden = section.id !== id;
  for (const tab of document.querySelectorAll(".tab")) {
    // Each tab-NAME shows view-NAME; the case view belongs to the inbox's tab.
    const current = tab.id === id.replace("view-", "tab-") || (tab.id === "tab-inbox" && id === "view-case");
    if (current) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $(id).querySelector("h1")?.focus();
  window.scrollTo(0, 0);
}

// Form fields by id, typed (page/common's `$` checks the element's type).
export const input = (id: string): HTMLInputElement => $(id, HTMLInputElement);
export const select = (id: string): HTMLSelectElement => $(id, HTMLSelectElement);
export const button = (id: string): HTMLButtonElement => $(id, HTMLButtonElement);
export const textArea = (id: string): HTMLTextAreaElement => $(id, HTMLTextAreaElement);

/** The first file chosen in a file input, if any. */
export const chosenFile = (id: string): File | undefined => input(id).files?.[0];

export const categoryField = questionnaire.fields.find((f) => f.key === "category");

/** The category's label in the current language (the value itself when the questionnaire lacks it). */
export function categoryLabel(value: string | undefined): string {
  const option = categoryField?.options?.find((o) => o.value === value);
  return option ? i18n().local(option.label) : (value ?? "");
}

/**
 * The text answers of a decrypted report's form (none when it has no form).
 * The inbox shows reports before any check: the case view names a malformed one.
 */
export function formOf(report: unknown): Record<string, string> {
  const form = typeof report === "object" && report !== null && "form" in report ? report.form : null;
  if (typeof form !== "object" || form === null) return {};
  return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/**
 * One case's line in a batch's outcome list: its label, then what happened
 * (the catalogue's `<prefix>.outcome_<result>`), a failure with its reason.
 */
export function outcomeItem(o: Outcome<string>, label: string, prefix: string): HTMLLIElement {
  const item = el("li", { dataset: { case: o.case, outcome: o.result } }, label, " — ");
  if ("error" in o) {
    const why = el("span", { class: "error" });
    showError(why, o.error);
    item.append(tr(`${prefix}.outcome_failed`), " ", why);
  } else item.append(tr(`${prefix}.outcome_${o.result}`));
  i18n().apply(item);
  return item;
}
