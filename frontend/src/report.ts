// The reporter page: landing → form → review → sending → receipt, each step
// with a history entry (Back returns to the previous step), a leave guard as
// soon as anything was typed, and a clear "cannot accept reports" page with
// the operator's contact when the team manifest has expired or fails to verify.
import questionnaire from "candor:questionnaire";
import { accessList, prepareCase, submitCase, type PreparedCase } from "./lib/intake.js";
import { activeMembers, todayUtc } from "./lib/manifest.js";
import { routeReaders } from "./lib/routes.js";
import type { Manifest } from "./lib/types.js";
import { $, el, loadManifestChain, memberLabel, setAlert, startPage, tr } from "./page/common.js";
import { sendError, type SendPhase } from "./page/errors.js";
import { excludedIds, renderMembers } from "./page/exclusions.js";
import { fileProblems, FileList, progressRow } from "./page/files.js";
import { showOrganisation, showReaders } from "./page/landing.js";
import { showNotices, withNotice } from "./page/notices.js";
import { fieldId, readForm, relabelFields, renderField, watchCounters, type FormError } from "./page/form.js";
import { solvePuzzlesInWorker } from "./page/puzzle.js";
import { renderReceiptBox } from "./page/receipt-box.js";
import { practiceSend, practising, startPractice } from "./page/practice.js";
import { settings } from "./page/site.js";
import { Steps } from "./page/steps.js";

const i18n = startPage();
// Under load the server asks for a proof of work: solved off the main thread, with a note.
solvePuzzlesInWorker(i18n);
let manifest: Manifest | null = null;
/** Something was typed, picked or ticked that a reload or Back out of the page would lose. */
let dirty = false;
/** A send is under way: the history must not move. */
let sending = false;
/** A receipt is shown that the reporter has not confirmed saving. */
let receiptUnsaved = false;
const files = new FileList($("files", HTMLInputElement), $("file-list"), i18n, {
  button: $("add-files", HTMLButtonElement),
  count: $("file-count"),
  notice: $("file-refused"),
  limits: $("file-limits"),
});
const steps = new Steps("step-intro", decide);
// The drill link (`?practice`): the same walk, under a banner, and nothing is ever sent.
if (practising()) startPractice(i18n);

window.addEventListener("beforeunload", (event) => {
  if (dirty || sending || receiptUnsaved) event.preventDefault();
});
for (const type of ["input", "change"]) {
  $("report-form").addEventListener(type, () => {
    dirty = true;
  });
}

/** Which step the history may move to (see Steps): never away from a send or an unsaved receipt. */
function decide(from: string, to: string): string | null {
  if (from === "step-closed" || from === "step-receipt" || sending) return null;
  if (to === "step-review" || to === "step-sending") return checkForm() ? "step-review" : "step-form";
  return to;
}

// ---- landing ---------------------------------------------------------------

async function init(): Promise<void> {
  showOrganisation(i18n);
  try {
    const { newest, fetched } = await loadManifestChain();
    manifest = newest;
    showReaders(newest);
    void showNotices(i18n, newest, () => {
      steps.push("step-form");
    });
    if (!fetched) setAlert($("manifest-warning"), i18n, "manifest.offline");
    renderFields();
    renderMembers(newest, i18n);
    followCategory(newest);
  } catch {
    // An expired head, or a chain (or built-in manifest) that does not verify: encrypt nothing.
    showClosed();
  }
}

/** With routes, the exclusion list follows the kind of incident chosen (protocol §4.5, "Routes"). */
function followCategory(routed: Manifest): void {
  const select = document.getElementById(`${fieldId("category")}-input`);
  if (!(select instanceof HTMLSelectElement) || routed.routes === undefined) return;
  select.addEventListener("change", () => {
    renderMembers(routed, i18n, select.value);
  });
}

/** The page cannot accept reports: say so, and where to go instead. Nothing is sent from here. */
function showClosed(): void {
  manifest = null;
  const contact = $("closed-contact-text");
  const show = (): void => {
    contact.textContent = i18n.local(settings.contact);
    $("closed-contact").hidden = contact.textContent === "";
    $("closed-no-contact").hidden = contact.textContent !== "";
  };
  i18n.onChange(show);
  show();
  $("start", HTMLButtonElement).disabled = true;
  sending = false;
  steps.replace("step-closed");
}

/** The manifest the page encrypts to; the form is only reachable once it verified. */
function current(): Manifest {
  if (manifest === null) throw new Error("no verified manifest");
  return manifest;
}

$("start").addEventListener("click", () => {
  steps.push("step-form");
});

// ---- form ------------------------------------------------------------------

function renderFields(): void {
  const container = $("fields");
  for (const field of questionnaire.fields) container.append(renderField(field));
  i18n.onChange(() => {
    relabelFields(i18n);
  });
  relabelFields(i18n);
  watchCounters(questionnaire.fields, i18n);
}

/** Check the form; show the errors (and return false) or fill in the review (and return true). */
function checkForm(): boolean {
  const { form, errors } = readForm(questionnaire.fields);
  // A file still being cleaned, unreadable or not cleaned and not ticked: named, never dropped.
  for (const { key, args } of fileProblems(files)) errors.push({ field: null, problem: key, args });
  try {
    accessList(current(), excludedIds(), form.category);
  } catch {
    errors.push({ field: null, problem: "exclude.error" });
  }
  if (errors.length) {
    showFormErrors(errors);
    return false;
  }
  $("form-errors").hidden = true;
  buildReview(form);
  return true;
}

function showFormErrors(errors: readonly FormError[]): void {
  const list = $("form-error-list");
  list.replaceChildren();
  for (const { field, problem, args } of errors) {
    const target = field
      ? field.type === "radio"
        ? `${fieldId(field.key)}-0`
        : `${fieldId(field.key)}-input`
      : "files";
    const label = field ? el("span", { dataset: { q: field.key, qPart: "label" } }) : null;
    const link = el("a", { href: `#${target}` }, label, field ? ": " : null, tr(problem, args));
    link.addEventListener("click", (e) => {
      e.preventDefault();
      (target === "files" ? $("add-files") : $(target)).focus();
    });
    list.append(el("li", {}, link));
  }
  relabelFields(i18n);
  $("form-errors").hidden = false;
  $("form-errors").focus();
}

$("report-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (checkForm()) steps.push("step-review");
});

// ---- review ----------------------------------------------------------------

let pending: { form: Record<string, string>; excluded: string[] } | null = null;
let prepared: PreparedCase | null = null;

function buildReview(form: Record<string, string>): void {
  const excludedNow = excludedIds();
  pending = { form, excluded: excludedNow };
  // Edits may change the access list: keys and sealed files are made afresh.
  prepared = null;
  for (const item of files.ready) {
    item.pending.reset();
  }
  const dl = $("review-list");
  dl.replaceChildren();
  for (const field of questionnaire.fields) {
    const value = form[field.key];
    if (value === undefined) continue;
    const option = field.options?.find((o) => o.value === value);
    dl.append(
      el("dt", { dataset: { q: field.key, qPart: "label" } }),
      el("dd", {}, option ? el("span", { dataset: { q: field.key, qOption: option.value } }) : value),
    );
  }
  // Who reads it: the category's readers (protocol §4.5, "Routes") but the excluded.
  const readers = routeReaders(current(), form.category);
  const members = activeMembers(current()).filter((m) => readers.includes(m.id));
  $("review-access").replaceChildren(
    ...members.filter((m) => !excludedNow.includes(m.id)).map((m) => el("li", {}, memberLabel(m))),
  );
  const excluded = members
    .filter((m) => excludedNow.includes(m.id))
    .map((m) => m.name)
    .join(", ");
  setAlert($("review-excluded"), i18n, excluded ? "review.excluded" : "review.none_excluded", { names: excluded });
  // Excluding nobody is the normal case: only an exclusion earns the warning style (issue 19 item 14).
  $("review-excluded").classList.toggle("alert-warn", excluded !== "");
  $("review-excluded").classList.toggle("alert-info", excluded === "");
  const ready = files.ready;
  $("review-files").replaceChildren(
    ...(ready.length
      ? ready.map((i) =>
          el("li", {}, i.file.name, " ", tr(i.cleaned === null ? "files.not_cleaned_short" : "files.cleaned_short")),
        )
      : [el("li", {}, tr("review.no_files"))]),
  );
  relabelFields(i18n);
}

// "Back to edit" walks the history back, so the browser's Back and these buttons agree.
$("back-to-form").addEventListener("click", () => {
  history.back();
});
$("sending-back").addEventListener("click", () => {
  history.back();
});

// ---- sending ---------------------------------------------------------------

$("send").addEventListener("click", () => void send());
$("sending-retry").addEventListener("click", () => void send());

async function send(): Promise<void> {
  if (pending === null || sending) return;
  if (practising()) {
    showReceipt(practiceSend());
    return;
  }
  // The head may have expired since the page was opened: then nothing is encrypted.
  if (todayUtc() > current().expires) {
    showClosed();
    return;
  }
  const { form, excluded } = pending;
  steps.replace("step-sending");
  sending = true;
  $("sending-retry").hidden = true;
  $("sending-back").hidden = true;
  setAlert($("sending-error"), i18n, null);
  const say = (key: string | null): void => {
    setAlert($("sending-status"), i18n, key);
  };
  const items = files.ready;
  const rows = items.map((item) => progressRow(item, i18n));
  $("sending-files").replaceChildren(...rows.map((r) => r.li));
  let phase: SendPhase = "seal";
  let file: string | null = null;
  try {
    // Keys, recipients and the receipt are made and checked before anything is sent.
    say("sending.encrypting");
    const ready = (prepared ??= await prepareCase(current(), excluded, form.category));
    for (const [i, item] of items.entries()) {
      file = item.file.name;
      const source = item.pending.source;
      const total = Math.max(1, source instanceof Uint8Array ? source.length : source.size);
      await item.pending.seal(ready.recipients, (_phase, done) => {
        rows[i]?.set("sending.file.sealing", Math.min(1, done / total));
      });
      rows[i]?.set("sending.file.sealed", 0);
    }
    say("sending.uploading");
    for (const [i, item] of items.entries()) {
      file = item.file.name;
      phase = "file";
      await item.pending.send(undefined, (_phase, done, total) => {
        phase = "upload";
        rows[i]?.set("sending.file.uploading", done / (total ?? 1));
      });
      rows[i]?.set("sending.file.done", 1);
    }
    say("sending.report");
    [phase, file] = ["report", null];
    const result = await submitCase(ready, {
      form: withNotice(form),
      lang: i18n.lang,
      files: items.map((i) => i.pending),
    });
    showReceipt(result.text);
  } catch (err) {
    sending = false;
    showSendError(err, phase, file);
    say(null);
  }
}

/** A specific message, the file it concerns, "Try again" when it can help, and always "Back to edit". */
function showSendError(err: unknown, phase: SendPhase, file: string | null): void {
  const { key, retry } = sendError(err, phase);
  const node = $("sending-error");
  setAlert(node, i18n, key);
  if (file !== null) node.prepend(el("p", {}, tr("sending.failed_file", { name: file })));
  node.append(el("p", {}, tr(retry ? "sending.retry_or_edit" : "sending.edit_only")));
  i18n.apply(node);
  $("sending-retry").hidden = !retry;
  $("sending-back").hidden = false;
  (retry ? $("sending-retry") : $("sending-back")).focus();
  // Nothing is lost on failure: a retry re-uses what was already sealed or uploaded.
}

// ---- receipt ---------------------------------------------------------------

function showReceipt(text: string): void {
  files.clear();
  pending = null;
  sending = false;
  receiptUnsaved = true;
  renderReceiptBox($("receipt-box"), i18n, text, {
    idPrefix: "receipt",
    continueKey: "receipt.done",
    onContinue: () => {
      receiptUnsaved = false;
      dirty = false;
      prepared = null;
      setAlert($("receipt-box"), i18n, "receipt.thanks");
      $("receipt-box").focus();
    },
  });
  $("receipt-box").setAttribute("tabindex", "-1");
  steps.replace("step-receipt");
}

void init();
