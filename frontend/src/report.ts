// The reporter page: landing → form → review → sending → receipt.
import questionnaire from "candor:questionnaire";
import { ApiError } from "./lib/api.js";
import { UploadFailed } from "./lib/attachments.js";
import { SealFailed } from "./lib/documents.js";
import { accessList, prepareCase, submitCase, type PreparedCase } from "./lib/intake.js";
import { activeMembers } from "./lib/manifest.js";
import type { Manifest } from "./lib/types.js";
import {
  $,
  el,
  fingerprint,
  loadManifestChain,
  memberLabel,
  setAlert,
  showStep,
  startPage,
  tr,
} from "./page/common.js";
import { FileList, progressRow } from "./page/files.js";
import { renderReceiptBox } from "./page/receipt-box.js";
import { errorKey } from "./page/errors.js";
import { fieldId, readForm, relabelFields, renderField } from "./page/form.js";

const i18n = startPage();
let manifest: Manifest | null = null;
let leaveGuard = false;
const files = new FileList($("files", HTMLInputElement), $("file-list"), i18n);

window.addEventListener("beforeunload", (event) => {
  if (leaveGuard) event.preventDefault();
});

// ---- landing ---------------------------------------------------------------

async function init(): Promise<void> {
  try {
    const { newest, fetched } = await loadManifestChain();
    manifest = newest;
    $("fingerprint").textContent = fingerprint(newest);
    $("manifest-version").textContent = String(newest.version);
    if (!fetched) setAlert($("manifest-warning"), i18n, "manifest.offline");
    renderFields();
    renderMembers(newest);
  } catch {
    setAlert($("fatal"), i18n, "manifest.invalid");
    $("start", HTMLButtonElement).disabled = true;
  }
}

/** The manifest the page encrypts to; the form is only reachable once it verified. */
function current(): Manifest {
  if (manifest === null) throw new Error("no verified manifest");
  return manifest;
}

$("start").addEventListener("click", () => {
  showStep("step-form");
});

// ---- form ------------------------------------------------------------------

function renderFields(): void {
  const container = $("fields");
  for (const field of questionnaire.fields) container.append(renderField(field));
  i18n.onChange(() => {
    relabelFields(i18n);
  });
  relabelFields(i18n);
}

function renderMembers(newest: Manifest): void {
  const list = $("members");
  for (const member of activeMembers(newest)) {
    const id = `exclude-${member.id}`;
    const box = el("input", { type: "checkbox", id, value: member.id, dataset: { role: member.role } });
    box.addEventListener("change", updateMemberLocks);
    const badge =
      member.role === "admin" ? el("span", { class: "badge", dataset: { i18n: "exclude.admin_badge" } }) : null;
    list.append(el("li", { class: "check" }, box, el("label", { for: id }, memberLabel(member), " ", badge)));
  }
  i18n.apply(list);
}

const memberBoxes = (selector: string): HTMLInputElement[] => [
  ...$("members").querySelectorAll<HTMLInputElement>(selector),
];
const excludedIds = (): string[] => memberBoxes("input:checked").map((b) => b.value);

/** Keep at least one admin: the last admin left cannot be excluded. */
function updateMemberLocks(): void {
  const boxes = memberBoxes("input");
  const adminsLeft = boxes.filter((b) => b.dataset.role === "admin" && !b.checked);
  for (const b of boxes) b.disabled = b.dataset.role === "admin" && !b.checked && adminsLeft.length === 1;
}

$("report-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { form, errors } = readForm(questionnaire.fields);
  const list = $("form-error-list");
  list.replaceChildren();
  if (files.damaged.length) errors.push({ field: null, problem: "files.damaged" });
  try {
    accessList(current(), excludedIds());
  } catch {
    errors.push({ field: null, problem: "exclude.error" });
  }
  if (errors.length) {
    for (const { field, problem } of errors) {
      const target = field
        ? field.type === "radio"
          ? `${fieldId(field.key)}-0`
          : `${fieldId(field.key)}-input`
        : "files";
      const label = field ? el("span", { dataset: { q: field.key, qPart: "label" } }) : null;
      const args = field?.max === undefined ? undefined : { max: field.max };
      const link = el("a", { href: `#${target}` }, label, field ? ": " : null, tr(problem, args));
      link.addEventListener("click", (e) => {
        e.preventDefault();
        $(target).focus();
      });
      list.append(el("li", {}, link));
    }
    relabelFields(i18n);
    $("form-errors").hidden = false;
    $("form-errors").focus();
    return;
  }
  $("form-errors").hidden = true;
  showReview(form);
});

// ---- review ----------------------------------------------------------------

let pending: { form: Record<string, string>; excluded: string[] } | null = null;
let prepared: PreparedCase | null = null;

function showReview(form: Record<string, string>): void {
  const excludedNow = excludedIds();
  pending = { form, excluded: excludedNow };
  // Edits may change the access list: keys and sealed files are made afresh.
  prepared = null;
  for (const item of files.ready) {
    Object.assign(item.pending, { sealed: null, id: null, upload: null, uploaded: false });
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
  const members = activeMembers(current());
  $("review-access").replaceChildren(
    ...members.filter((m) => !excludedNow.includes(m.id)).map((m) => el("li", {}, memberLabel(m))),
  );
  const excluded = members
    .filter((m) => excludedNow.includes(m.id))
    .map((m) => m.name)
    .join(", ");
  setAlert($("review-excluded"), i18n, excluded ? "review.excluded" : "review.none_excluded", { names: excluded });
  const ready = files.ready;
  $("review-files").replaceChildren(
    ...(ready.length
      ? ready.map((i) =>
          el("li", {}, i.file.name, " ", tr(i.cleaned === null ? "files.not_cleaned_short" : "files.cleaned_short")),
        )
      : [el("li", {}, tr("review.no_files"))]),
  );
  relabelFields(i18n);
  showStep("step-review");
}

$("back-to-form").addEventListener("click", () => {
  showStep("step-form");
});
$("sending-back").addEventListener("click", () => {
  showStep("step-review");
});

// ---- sending ---------------------------------------------------------------

$("send").addEventListener("click", () => void send());
$("sending-retry").addEventListener("click", () => void send());

/** The catalogue key for a failed send. */
const sendErrorKey = (err: unknown): string =>
  err instanceof SealFailed
    ? "error.seal"
    : err instanceof ApiError
      ? errorKey(err)
      : err instanceof UploadFailed
        ? "error.upload"
        : "error.seal";

async function send(): Promise<void> {
  if (pending === null) return;
  const { form, excluded } = pending;
  showStep("step-sending");
  leaveGuard = true;
  $("sending-retry").hidden = true;
  $("sending-back").hidden = true;
  setAlert($("sending-error"), i18n, null);
  const say = (key: string | null): void => {
    setAlert($("sending-status"), i18n, key);
  };
  const items = files.ready;
  const rows = items.map((item) => progressRow(item, i18n));
  $("sending-files").replaceChildren(...rows.map((r) => r.li));
  try {
    // Keys, recipients and the receipt are made and checked before anything is sent.
    say("sending.encrypting");
    const ready = (prepared ??= await prepareCase(current(), excluded));
    for (const [i, item] of items.entries()) {
      const source = item.pending.source;
      const total = Math.max(1, source instanceof Uint8Array ? source.length : source.size);
      await item.pending.seal(ready.recipients, (_phase, done) => {
        rows[i]?.set("sending.file.sealing", Math.min(1, done / total));
      });
      rows[i]?.set("sending.file.sealed", 0);
    }
    say("sending.uploading");
    for (const [i, item] of items.entries()) {
      await item.pending.send(undefined, (_phase, done, total) => {
        rows[i]?.set("sending.file.uploading", done / (total ?? 1));
      });
      rows[i]?.set("sending.file.done", 1);
    }
    say("sending.report");
    const result = await submitCase(ready, { form, lang: i18n.lang, files: items.map((i) => i.pending) });
    showReceipt(result.text);
  } catch (err) {
    setAlert($("sending-error"), i18n, sendErrorKey(err));
    say(null);
    $("sending-retry").hidden = false;
    $("sending-back").hidden = !(err instanceof SealFailed);
    $("sending-retry").focus();
    // Nothing is lost on failure: a retry re-uses what was already sealed or uploaded.
  }
}

// ---- receipt ---------------------------------------------------------------

function showReceipt(text: string): void {
  files.clear();
  pending = null;
  renderReceiptBox($("receipt-box"), i18n, text, {
    idPrefix: "receipt",
    continueKey: "receipt.done",
    onContinue: () => {
      leaveGuard = false;
      prepared = null;
      setAlert($("receipt-box"), i18n, "receipt.thanks");
      $("receipt-box").focus();
    },
  });
  $("receipt-box").setAttribute("tabindex", "-1");
  showStep("step-receipt");
}

void init();
