// The reporter page: landing → form → review → sending → receipt.
import questionnaire from "candor:questionnaire";
import { ApiError } from "./lib/api.js";
import { SealFailed } from "./lib/documents.js";
import { accessList, prepareCase, submitCase } from "./lib/intake.js";
import { activeMembers } from "./lib/manifest.js";
import { $, el, fingerprint, loadManifestChain, setAlert, showStep, startPage, tr } from "./page/common.js";
import { FileList, progressRow } from "./page/files.js";
import { renderReceiptBox } from "./page/receipt-box.js";
import { errorKey } from "./page/errors.js";

const i18n = startPage();
let manifest = null;
let leaveGuard = false;
const files = new FileList($("files"), $("file-list"), i18n);

window.addEventListener("beforeunload", (event) => {
  if (leaveGuard) event.preventDefault();
});

// ---- landing ---------------------------------------------------------------

async function init() {
  try {
    const { chain, fetched } = await loadManifestChain();
    manifest = chain[chain.length - 1];
    $("fingerprint").textContent = fingerprint(manifest);
    $("manifest-version").textContent = String(manifest.version);
    if (!fetched) setAlert($("manifest-warning"), i18n, "manifest.offline");
    renderFields();
    renderMembers();
  } catch {
    setAlert($("fatal"), i18n, "manifest.invalid");
    $("start").disabled = true;
  }
}

$("start").addEventListener("click", () => showStep("step-form"));

// ---- form ------------------------------------------------------------------

const fieldId = (key) => `q-${key}`;

function renderFields() {
  const container = $("fields");
  for (const field of questionnaire.fields) container.append(renderField(field));
  i18n.onChange(relabelFields);
  relabelFields();
}

function renderField(field) {
  const id = fieldId(field.key);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [field.hint ? hintId : null, errorId].filter(Boolean).join(" ");
  const required = field.required ? el("span", { class: "req", dataset: { i18n: "form.required" } }) : null;
  const hint = field.hint ? el("p", { class: "hint", id: hintId, dataset: { q: field.key, qPart: "hint" } }) : null;
  const error = el("p", { class: "error", id: errorId });
  if (field.type === "radio") {
    const options = field.options.map((o, i) =>
      el("div", { class: "option" },
        el("input", { type: "radio", name: field.key, id: `${id}-${i}`, value: o.value, required: field.required }),
        el("label", { for: `${id}-${i}`, dataset: { q: field.key, qOption: o.value } })));
    return el("fieldset", { class: "field", id, "aria-describedby": described },
      el("legend", {}, el("span", { dataset: { q: field.key, qPart: "label" } }), " ", required), hint, ...options, error);
  }
  const common = { id: `${id}-input`, name: field.key, spellcheck: "false", autocomplete: "off", "aria-describedby": described, required: field.required };
  let control;
  if (field.type === "select") {
    control = el("select", common,
      el("option", { value: "", dataset: { i18n: "form.choose" } }),
      ...field.options.map((o) => el("option", { value: o.value, dataset: { q: field.key, qOption: o.value } })));
  } else if (field.type === "textarea") {
    control = el("textarea", { ...common, rows: "6", maxlength: field.max });
  } else {
    control = el("input", { ...common, type: "text", maxlength: field.max });
  }
  return el("div", { class: "field", id },
    el("label", { for: common.id }, el("span", { dataset: { q: field.key, qPart: "label" } }), " ", required),
    hint, control, error);
}

/** Operator-written texts of the questionnaire, in the current language. */
function relabelFields() {
  const byKey = new Map(questionnaire.fields.map((f) => [f.key, f]));
  for (const node of document.querySelectorAll("[data-q]")) {
    const field = byKey.get(node.dataset.q);
    if (node.dataset.qOption !== undefined) {
      node.textContent = i18n.local(field.options.find((o) => o.value === node.dataset.qOption).label);
    } else {
      node.textContent = i18n.local(field[node.dataset.qPart]);
    }
  }
  i18n.apply(document);
}

function renderMembers() {
  const list = $("members");
  for (const member of activeMembers(manifest)) {
    const id = `exclude-${member.id}`;
    const box = el("input", { type: "checkbox", id, value: member.id, dataset: { role: member.role } });
    box.addEventListener("change", updateMemberLocks);
    list.append(el("li", { class: "check" }, box,
      el("label", { for: id },
        `${member.name} — ${member.function}`, " ",
        member.role === "admin" ? el("span", { class: "badge", dataset: { i18n: "exclude.admin_badge" } }) : null)));
  }
  i18n.apply(list);
}

const excludedIds = () => [...$("members").querySelectorAll("input:checked")].map((b) => b.value);

/** Keep at least one admin: the last admin left cannot be excluded. */
function updateMemberLocks() {
  const boxes = [...$("members").querySelectorAll("input")];
  const adminsLeft = boxes.filter((b) => b.dataset.role === "admin" && !b.checked);
  for (const b of boxes) b.disabled = b.dataset.role === "admin" && !b.checked && adminsLeft.length === 1;
}

function readForm() {
  const form = {};
  const errors = [];
  for (const field of questionnaire.fields) {
    let value;
    if (field.type === "radio") {
      value = document.querySelector(`input[name="${field.key}"]:checked`)?.value ?? "";
    } else {
      value = $(`${fieldId(field.key)}-input`).value.trim();
    }
    const errorNode = $(`${fieldId(field.key)}-error`);
    errorNode.replaceChildren();
    const control = field.type === "radio" ? null : $(`${fieldId(field.key)}-input`);
    control?.removeAttribute("aria-invalid");
    let problem = null;
    if (field.required && value === "") problem = "form.error.required";
    else if (field.max && value.length > field.max) problem = "form.error.too_long";
    if (problem) {
      errors.push({ field, problem });
      errorNode.append(tr(problem, { max: field.max }));
      control?.setAttribute("aria-invalid", "true");
    }
    if (value !== "") form[field.key] = value;
  }
  return { form, errors };
}

$("report-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { form, errors } = readForm();
  const list = $("form-error-list");
  list.replaceChildren();
  if (files.damaged.length) errors.push({ field: null, problem: "files.damaged" });
  try {
    accessList(manifest, excludedIds());
  } catch {
    errors.push({ field: null, problem: "exclude.error" });
  }
  if (errors.length) {
    for (const { field, problem } of errors) {
      const target = field ? (field.type === "radio" ? `${fieldId(field.key)}-0` : `${fieldId(field.key)}-input`) : "files";
      const link = el("a", { href: `#${target}` }, field ? el("span", { dataset: { q: field.key, qPart: "label" } }) : null, field ? ": " : null, tr(problem, { max: field?.max }));
      link.addEventListener("click", (e) => { e.preventDefault(); $(target).focus(); });
      list.append(el("li", {}, link));
    }
    relabelFields();
    $("form-errors").hidden = false;
    $("form-errors").focus();
    return;
  }
  $("form-errors").hidden = true;
  showReview(form);
});

// ---- review ----------------------------------------------------------------

let pending = null;
let prepared = null;

function showReview(form) {
  pending = { form, excluded: excludedIds() };
  // Edits may change the access list: keys and sealed files are made afresh.
  prepared = null;
  for (const item of files.ready) Object.assign(item.pending, { sealed: null, id: null, upload: null, uploaded: false });
  const dl = $("review-list");
  dl.replaceChildren();
  for (const field of questionnaire.fields) {
    if (!(field.key in form)) continue;
    const option = field.options?.find((o) => o.value === form[field.key]);
    dl.append(el("dt", { dataset: { q: field.key, qPart: "label" } }),
      el("dd", {}, option ? el("span", { dataset: { q: field.key, qOption: option.value } }) : form[field.key]));
  }
  const members = activeMembers(manifest);
  $("review-access").replaceChildren(...members.filter((m) => !pending.excluded.includes(m.id))
    .map((m) => el("li", {}, `${m.name} — ${m.function}`)));
  const excluded = members.filter((m) => pending.excluded.includes(m.id)).map((m) => m.name).join(", ");
  setAlert($("review-excluded"), i18n, excluded ? "review.excluded" : "review.none_excluded", { names: excluded });
  $("review-files").replaceChildren(...(files.ready.length
    ? files.ready.map((i) => el("li", {}, i.file.name, " ", i.cleaned === null ? tr("files.not_cleaned_short") : tr("files.cleaned_short")))
    : [el("li", {}, tr("review.no_files"))]));
  relabelFields();
  showStep("step-review");
}

$("back-to-form").addEventListener("click", () => showStep("step-form"));
$("sending-back").addEventListener("click", () => showStep("step-review"));

// ---- sending ---------------------------------------------------------------

$("send").addEventListener("click", () => send());
$("sending-retry").addEventListener("click", () => send());

async function send() {
  showStep("step-sending");
  leaveGuard = true;
  $("sending-retry").hidden = true;
  $("sending-back").hidden = true;
  setAlert($("sending-error"), i18n, null);
  const say = (key) => setAlert($("sending-status"), i18n, key);
  const items = files.ready;
  const rows = items.map((item) => progressRow(item, i18n));
  $("sending-files").replaceChildren(...rows.map((r) => r.li));
  try {
    // Keys, recipients and the receipt are made and checked before anything is sent.
    say("sending.encrypting");
    prepared ??= await prepareCase(manifest, pending.excluded);
    for (const [i, item] of items.entries()) {
      await item.pending.seal(prepared.recipients, (phase, done) =>
        rows[i].set("sending.file.sealing", Math.min(1, done / Math.max(1, item.pending.source.size ?? item.pending.source.length))));
      rows[i].set("sending.file.sealed", 0);
    }
    say("sending.uploading");
    for (const [i, item] of items.entries()) {
      await item.pending.send(undefined, (phase, done, total) => rows[i].set("sending.file.uploading", done / total));
      rows[i].set("sending.file.done", 1);
    }
    say("sending.report");
    const result = await submitCase(prepared, { form: pending.form, lang: i18n.lang, files: items.map((i) => i.pending) });
    showReceipt(result.text);
  } catch (err) {
    const key = err instanceof SealFailed ? "error.seal" : err instanceof ApiError ? errorKey(err) : err?.status !== undefined ? "error.upload" : "error.seal";
    setAlert($("sending-error"), i18n, key);
    say(null);
    $("sending-retry").hidden = false;
    $("sending-back").hidden = !(err instanceof SealFailed);
    $("sending-retry").focus();
    // Nothing is lost on failure: a retry re-uses what was already sealed or uploaded.
  }
}

// ---- receipt ---------------------------------------------------------------

function showReceipt(text) {
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

init();
