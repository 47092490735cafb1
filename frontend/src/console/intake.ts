// "File a report" (protocol §4.4, "Filing"): a member enters the report of a
// phone caller or a walk-in in the reporter page's own form. lib/intake.ts
// seals it exactly as the page does (the same readers, receipt and case
// state); only the filing route differs, signed by the member and marked
// with its source. The caller's receipt is then shown large, to read out or
// print, and opens the follow-up page like any reporter's. Its files go
// through the reporter page's own file list (page/files.ts): the caller's
// photo GPS, device and document author are removed as on the reporter page,
// each file says what was removed, sending an original is a choice per file
// with a warning, and a file that cannot be cleaned is named before filing.
import questionnaire from "candor:questionnaire";
import { filingApi, prepareCase, submitCase, type Source } from "../lib/intake.js";
import { activeMembers } from "../lib/manifest.js";
import { receiptGroups } from "../lib/receipt.js";
import { routeReaders } from "../lib/routes.js";
import { $, el, memberLabel, pageLink, tr } from "../page/common.js";
import { fileProblems, FileList, progressRow, type ReadyItem } from "../page/files.js";
import { readForm, relabelFields, renderField, watchCounters } from "../page/form.js";
import { current, i18n, lapsed, manifest, showError, stillOpen, session } from "./session.js";
import { showView } from "./views.js";

const SOURCES: readonly Source[] = ["phone", "walk-in"];
let built = false;
let sending = false;
let files: FileList | null = null;

/** The view's section, made once: the form is the questionnaire's, as on the reporter page. */
function build(): void {
  if (built) return;
  built = true;
  const sources = SOURCES.map((s, i) =>
    el(
      "div",
      { class: "option" },
      el("input", { type: "radio", name: "intake-source", id: `intake-source-${s}`, value: s, checked: i === 0 }),
      el("label", { for: `intake-source-${s}` }, tr(`console.intake.source.${s.replace("-", "_")}`)),
    ),
  );
  const input = el("input", { type: "file", id: "intake-files", multiple: true, hidden: true });
  const add = el(
    "button",
    { type: "button", id: "intake-add-files", class: "file-button", "aria-describedby": "intake-files-hint" },
    tr("files.choose"),
  );
  const form = el(
    "form",
    { id: "intake-form", novalidate: true },
    el("fieldset", { class: "field" }, el("legend", {}, tr("console.intake.source")), ...sources),
    el("div", { id: "intake-fields" }, ...questionnaire.fields.map((f) => renderField(f))),
    el(
      "fieldset",
      { class: "field", id: "intake-files-field" },
      el("legend", {}, tr("console.intake.files")),
      el("p", { class: "hint", id: "intake-files-hint" }, tr("console.intake.files_hint")),
      el("p", { id: "intake-file-limits", hidden: true }),
      el(
        "div",
        { class: "file-picker" },
        add,
        el("span", { id: "intake-file-count", class: "file-count", role: "status" }),
      ),
      input,
      el("div", { id: "intake-file-refused", class: "alert alert-error", role: "alert", hidden: true }),
      el("ul", { id: "intake-file-list", class: "file-list", "aria-live": "polite" }),
    ),
    el(
      "fieldset",
      { class: "field", id: "intake-exclude" },
      el("legend", {}, tr("console.intake.exclude")),
      el("ul", { id: "intake-exclude-list", class: "checklist" }),
    ),
    el("p", {}, el("button", { type: "submit", class: "primary", id: "intake-send" }, tr("console.intake.submit"))),
    el("p", { id: "intake-status", role: "status", "aria-live": "polite" }),
    el("ul", { id: "intake-sending-files", class: "file-list" }),
    el("p", { id: "intake-error", class: "alert alert-error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void file();
  });
  // The readers follow the category, as on the reporter page (protocol §4.5, Routes).
  form.addEventListener("change", (e) => {
    if (e.target instanceof HTMLSelectElement && e.target.name === "category") renderExclusions();
  });
  $("main").append(
    el(
      "section",
      { id: "view-intake", class: "view", "aria-labelledby": "intake-title", hidden: true },
      el("h1", { id: "intake-title", tabindex: "-1" }, tr("console.intake.title")),
      el("p", { class: "no-print" }, tr("console.intake.intro")),
      form,
      el("div", { id: "intake-done", hidden: true }),
    ),
  );
  // The reporter page's file list: metadata removed as files are chosen (page/files.ts).
  files = new FileList(input, $("intake-file-list"), i18n(), {
    button: add,
    count: $("intake-file-count"),
    notice: $("intake-file-refused"),
    limits: $("intake-file-limits"),
  });
  i18n().onChange(() => {
    relabelFields(i18n());
  });
  watchCounters(questionnaire.fields, i18n());
}

/** The tab, after the team's: index.html stays free of this view. */
export function initIntake(): void {
  const tab = el("button", { type: "button", id: "tab-intake", class: "tab" }, tr("console.tab.intake"));
  $("tab-team").after(tab);
  i18n().apply(tab);
}

/** Show the view with an empty form. */
export function showIntake(): void {
  build();
  reset();
  renderExclusions();
  relabelFields(i18n());
  i18n().apply($("view-intake"));
  showView("view-intake");
}

const excludedIds = (): string[] =>
  [...$("intake-exclude-list").querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value);

/** A box per member who would read a report of the chosen category, ticks kept; never an intake member. */
function renderExclusions(): void {
  const chosen = document.querySelector<HTMLSelectElement>('select[name="category"]')?.value;
  const category = chosen === undefined || chosen === "" ? null : chosen;
  const ticked = new Set(excludedIds());
  const readers = routeReaders(manifest(), category);
  $("intake-exclude-list").replaceChildren(
    ...activeMembers(manifest()).flatMap((m) => {
      if (!readers.includes(m.id)) return [];
      const id = `intake-exclude-${m.id}`;
      const box = el("input", { type: "checkbox", id, value: m.id, checked: ticked.has(m.id) });
      return [el("li", { class: "check" }, box, el("label", { for: id }, memberLabel(m)))];
    }),
  );
}

function reset(): void {
  $("intake-form", HTMLFormElement).reset();
  $("intake-form").hidden = false;
  $("intake-done").hidden = true;
  $("intake-done").replaceChildren();
  $("intake-status").replaceChildren();
  $("intake-sending-files").replaceChildren();
  $("intake-error").hidden = true;
  // The caller's files leave the page with the form (a lock clears them too).
  for (const item of files?.ready ?? []) item.pending.cancel();
  files?.clear();
  sending = false;
}

const say = (key: string | null): void => {
  $("intake-status").replaceChildren(key ? tr(key) : "");
  i18n().apply($("intake-status"));
};

const showProblem = (nodes: (HTMLElement | string)[]): void => {
  $("intake-error").replaceChildren(...nodes);
  $("intake-error").hidden = false;
  i18n().apply($("intake-error"));
};

/**
 * The chosen files that stop the filing, named (page/files.ts fileProblems):
 * one still being cleaned, unreadable, or not cleaned and not ticked to go as
 * it is. A file the member chose is never left out, nor sent, without a word.
 */
function filesBlocked(): boolean {
  const problems = files ? fileProblems(files) : [];
  if (!problems.length) return false;
  showProblem(problems.map(({ key, args }) => el("p", {}, tr(key, args))));
  $("intake-add-files").focus();
  return true;
}

/** Seal each file to the case's readers, then upload it, with a progress row each (as the reporter page). */
async function sendFiles(items: readonly ReadyItem[], recipients: readonly string[]): Promise<void> {
  const rows = items.map((item) => progressRow(item, i18n()));
  $("intake-sending-files").replaceChildren(...rows.map((r) => r.li));
  for (const [i, item] of items.entries()) {
    // A new case has new readers: whatever an earlier attempt sealed is sealed afresh.
    item.pending.reset();
    const source = item.pending.source;
    const total = Math.max(1, source instanceof Uint8Array ? source.length : source.size);
    await item.pending.seal(recipients, (_phase, done) => {
      rows[i]?.set("sending.file.sealing", Math.min(1, done / total));
    });
    rows[i]?.set("sending.file.sealed", 0);
  }
  for (const [i, item] of items.entries()) {
    await item.pending.send(undefined, (_phase, done, total) => {
      rows[i]?.set("sending.file.uploading", done / (total ?? 1));
    });
    rows[i]?.set("sending.file.done", 1);
  }
}

async function file(): Promise<void> {
  if (sending) return;
  $("intake-error").hidden = true;
  const { form, errors } = readForm(questionnaire.fields);
  i18n().apply($("intake-fields"));
  if (errors.length) {
    document.getElementById(`q-${errors[0]?.field?.key ?? ""}-input`)?.focus();
    return;
  }
  if (filesBlocked()) return;
  if (lapsed()) {
    // Nothing is encrypted to an expired team list (protocol §4.5).
    showProblem([tr("console.intake.lapsed")]);
    return;
  }
  const source = (document.querySelector<HTMLInputElement>('input[name="intake-source"]:checked')?.value ??
    "phone") as Source;
  const items = files?.ready ?? [];
  const epoch = session.epoch;
  sending = true;
  try {
    say("console.intake.sending");
    const prepared = await prepareCase(manifest(), excludedIds(), form.category);
    await sendFiles(items, prepared.recipients);
    const filed = await submitCase(
      prepared,
      { form, lang: i18n().lang, files: items.map((i) => i.pending) },
      filingApi(current().client, source),
    );
    if (!stillOpen(epoch)) return;
    showReceipt(filed.text);
  } catch (err) {
    if (!stillOpen(epoch)) return;
    say(null);
    // lib/intake.ts accessList: someone must be able to administer the case.
    if (err instanceof Error && err.message === "no_admin") showProblem([tr("console.intake.no_admin")]);
    else showError($("intake-error"), err);
    sending = false;
  }
}

/** The receipt, large, to read out or print, with the way to the follow-up page. */
function showReceipt(text: string): void {
  const printButton = el(
    "button",
    { type: "button", id: "intake-print", class: "primary" },
    tr("console.intake.print"),
  );
  printButton.addEventListener("click", () => {
    window.print();
  });
  const another = el("button", { type: "button", id: "intake-another" }, tr("console.intake.another"));
  another.addEventListener("click", () => {
    showIntake();
  });
  $("intake-form").hidden = true;
  const done = $("intake-done");
  done.replaceChildren(
    el("p", { class: "alert alert-ok no-print", role: "status" }, tr("console.intake.done")),
    el("h2", {}, tr("console.intake.receipt_title")),
    el(
      "div",
      { class: "receipt intake-receipt", id: "intake-receipt", "data-receipt": text },
      el("p", { class: "visually-hidden" }, text.split("-").join(" ")),
      el(
        "ol",
        { class: "receipt-groups", "aria-hidden": "true" },
        ...receiptGroups(text).map((g) => el("li", { class: "mono" }, g)),
      ),
      el("p", {}, tr("console.intake.followup_at"), " ", el("bdi", {}, pageLink("../followup.html", i18n().lang))),
    ),
    el(
      "p",
      { class: "actions no-print" },
      printButton,
      " ",
      el(
        "a",
        { href: pageLink("../followup.html", i18n().lang), id: "intake-followup", target: "_blank", rel: "noopener" },
        tr("console.intake.followup"),
      ),
      " ",
      another,
    ),
  );
  done.hidden = false;
  i18n().apply(done);
  $("intake-title").focus();
}

export function clearIntake(): void {
  if (built) reset();
}
