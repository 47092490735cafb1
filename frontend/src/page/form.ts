// The report form, built from the operator's questionnaire: its fields,
// their labels in the current language, a live character counter on every
// field with a limit (text over it is refused, never cut), and reading them
// back with the errors to show.
import questionnaire from "candor:questionnaire";
import type { Args } from "../lib/i18n.js";
import { $, el, tr, type I18n } from "./common.js";
import type { Question } from "./questionnaire.js";

export const fieldId = (key: string): string => `q-${key}`;

export function renderField(field: Question): HTMLElement {
  const id = fieldId(field.key);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const countId = `${id}-count`;
  const described = [field.hint ? hintId : null, field.max === undefined ? null : countId, errorId]
    .filter(Boolean)
    .join(" ");
  const required = field.required ? el("span", { class: "req", dataset: { i18n: "form.required" } }) : null;
  const hint = field.hint ? el("p", { class: "hint", id: hintId, dataset: { q: field.key, qPart: "hint" } }) : null;
  const error = el("p", { class: "error", id: errorId });
  const label = el("span", { dataset: { q: field.key, qPart: "label" } });
  if (field.type === "radio") {
    const options = (field.options ?? []).map((o, i) =>
      el(
        "div",
        { class: "option" },
        el("input", { type: "radio", name: field.key, id: `${id}-${i}`, value: o.value, required: field.required }),
        el("label", { for: `${id}-${i}`, dataset: { q: field.key, qOption: o.value } }),
      ),
    );
    return el(
      "fieldset",
      { class: "field", id, "aria-describedby": described },
      el("legend", {}, label, " ", required),
      hint,
      ...options,
      error,
    );
  }
  return el(
    "div",
    { class: "field", id },
    el("label", { for: `${id}-input` }, label, " ", required),
    hint,
    control(field, described),
    field.max === undefined ? null : el("p", { class: "counter small", id: countId }),
    error,
  );
}

function control(field: Question, described: string): HTMLElement {
  const common = {
    id: `${fieldId(field.key)}-input`,
    name: field.key,
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": described,
    required: field.required,
  };
  if (field.type === "select") {
    return el(
      "select",
      common,
      el("option", { value: "", dataset: { i18n: "form.choose" } }),
      ...(field.options ?? []).map((o) =>
        el("option", { value: o.value, dataset: { q: field.key, qOption: o.value } }),
      ),
    );
  }
  // No maxlength: it would cut pasted text silently; the counter and readForm refuse overflow instead.
  if (field.type === "textarea") return el("textarea", { ...common, rows: "6" });
  return el("input", { ...common, type: "text" });
}

/** The length the limits count: UTF-16 code units, as readForm checks and String.length measures. */
const lengthOf = (value: string): number => value.trim().length;

/** Show "n of max characters" under a field, and how many too many once over. */
export function updateCounter(field: Question, i18n: I18n): void {
  if (field.max === undefined) return;
  const node = document.getElementById(`${fieldId(field.key)}-count`);
  const input = document.getElementById(`${fieldId(field.key)}-input`);
  if (node === null || !(input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement)) return;
  const n = lengthOf(input.value);
  const number = new Intl.NumberFormat(i18n.lang);
  const over = n > field.max;
  node.classList.toggle("error", over);
  node.replaceChildren(
    tr(over ? "form.count_over" : "form.count", {
      count: number.format(n),
      max: number.format(field.max),
      over: number.format(n - field.max),
    }),
  );
  i18n.apply(node);
}

/** Keep every counter live: on each keystroke and on a language switch. */
export function watchCounters(fields: readonly Question[], i18n: I18n): void {
  for (const field of fields) {
    if (field.max === undefined) continue;
    document.getElementById(`${fieldId(field.key)}-input`)?.addEventListener("input", () => {
      updateCounter(field, i18n);
    });
    updateCounter(field, i18n);
  }
  i18n.onChange(() => {
    for (const field of fields) updateCounter(field, i18n);
  });
}

/** Operator-written texts of the questionnaire, in the current language. */
export function relabelFields(i18n: I18n): void {
  const byKey = new Map(questionnaire.fields.map((f) => [f.key, f]));
  for (const node of document.querySelectorAll<HTMLElement>("[data-q]")) {
    const field = byKey.get(node.dataset.q ?? "");
    if (field === undefined) continue;
    if (node.dataset.qOption !== undefined) {
      node.textContent = i18n.local(field.options?.find((o) => o.value === node.dataset.qOption)?.label);
    } else {
      node.textContent = i18n.local(node.dataset.qPart === "hint" ? field.hint : field.label);
    }
  }
  i18n.apply(document);
}

export interface FormError {
  field: Question | null;
  /** The catalogue key of the problem. */
  problem: string;
  args?: Args | undefined;
}

function valueOf(field: Question): string {
  if (field.type === "radio") {
    return document.querySelector<HTMLInputElement>(`input[name="${field.key}"]:checked`)?.value ?? "";
  }
  const input = $<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(`${fieldId(field.key)}-input`);
  return input.value.trim();
}

/** The numbers form.error.too_long names: the limit and how far over it the text is. */
export const tooLongArgs = (field: Question, value = ""): { max: number; over: number } | undefined =>
  field.max === undefined ? undefined : { max: field.max, over: Math.max(0, lengthOf(value) - field.max) };

/** The answers given (empty ones left out) and the problems to show next to each field. */
export function readForm(fields: readonly Question[]): { form: Record<string, string>; errors: FormError[] } {
  const form: Record<string, string> = {};
  const errors: FormError[] = [];
  for (const field of fields) {
    const value = valueOf(field);
    const errorNode = $(`${fieldId(field.key)}-error`);
    errorNode.replaceChildren();
    const input = field.type === "radio" ? null : $(`${fieldId(field.key)}-input`);
    input?.removeAttribute("aria-invalid");
    let problem: string | null = null;
    if (field.required && value === "") problem = "form.error.required";
    else if (field.max !== undefined && lengthOf(value) > field.max) problem = "form.error.too_long";
    if (problem !== null) {
      const args = tooLongArgs(field, value);
      errors.push({ field, problem, args });
      errorNode.append(tr(problem, args));
      input?.setAttribute("aria-invalid", "true");
    }
    if (value !== "") form[field.key] = value;
  }
  return { form, errors };
}
