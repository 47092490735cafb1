// The follow-up page (protocol §3.3): receipt → status → new receipt saved →
// rotate → thread (checked) → signed messages with attachments.
import { ApiError } from "./lib/api.js";
import { SealFailed } from "./lib/documents.js";
import { parseReceipt, ReceiptFormatError } from "./lib/receipt.js";
import { CaseStateInvalid, ReceiptUsedElsewhere, Visit } from "./lib/visit.js";
import { $, el, loadManifestChain, saveBytes, setAlert, showStep, startPage, tr } from "./page/common.js";
import { errorKey } from "./page/errors.js";
import { FileList, progressRow } from "./page/files.js";
import { renderReceiptBox } from "./page/receipt-box.js";
import questionnaire from "candor:questionnaire";

const i18n = startPage();
let chain = null;
let visit = null;
let busy = false;
const composeFiles = new FileList($("compose-files"), $("compose-file-list"), i18n);

window.addEventListener("beforeunload", (event) => {
  if (busy) event.preventDefault();
});

async function init() {
  try {
    ({ chain } = await loadManifestChain());
  } catch {
    setAlert($("fatal"), i18n, "manifest.invalid");
    $("open").disabled = true;
  }
}

// ---- step 1: open ------------------------------------------------------------

$("enter-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("receipt-input");
  setAlert($("open-error"), i18n, null);
  $("receipt-error").replaceChildren();
  input.removeAttribute("aria-invalid");
  let receipt;
  try {
    receipt = parseReceipt(input.value);
  } catch (err) {
    // Caught locally: a typo never reaches the server.
    const reason = err instanceof ReceiptFormatError ? err.reason : "symbols";
    $("receipt-error").append(tr(`followup.error.${reason}`));
    i18n.apply($("receipt-error"));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  $("open").disabled = true;
  try {
    visit = new Visit(chain);
    const status = await visit.open(receipt);
    input.value = "";
    await showStatus(status);
  } catch (err) {
    const key = err instanceof CaseStateInvalid ? "followup.error.state"
      : err?.code === "receipt_unknown" ? "followup.error.unknown" : errorKey(err);
    setAlert($("open-error"), i18n, key);
    $("open-error").focus?.();
  } finally {
    $("open").disabled = false;
  }
});

// ---- step 2: status and the next receipt ------------------------------------

async function showStatus(status) {
  const dl = $("status-list");
  const row = (key, value, valueKey) =>
    [el("dt", {}, tr(key)), el("dd", {}, valueKey ? tr(valueKey) : value ?? "—")];
  const day = (d) => (d ? `${d} (UTC)` : null);
  dl.replaceChildren(
    ...row("status.status", null, `case.status.${status.status}`),
    ...row("status.received", day(status.received)),
    ...row("status.updated", day(status.updated)),
    ...row("status.acknowledge_by", day(status.acknowledge_by)),
    ...row("status.feedback_by", day(status.feedback_by)),
  );
  i18n.apply(dl);
  const text = await visit.prepareNext();
  busy = true;
  renderReceiptBox($("next-receipt-box"), i18n, text, {
    idPrefix: "next", continueKey: "status.continue", onContinue: rotate,
  });
  showStep("step-status");
}

// ---- step 3: rotate -----------------------------------------------------------

async function rotate() {
  setAlert($("rotate-error"), i18n, null);
  $("next-continue").disabled = true;
  try {
    await visit.rotate();
  } catch (err) {
    const key = err instanceof ReceiptUsedElsewhere ? "followup.error.used_elsewhere" : errorKey(err);
    setAlert($("rotate-error"), i18n, key);
    $("next-continue").disabled = err instanceof ReceiptUsedElsewhere;
    busy = false;
    return;
  }
  busy = false;
  await showThread();
}

// ---- step 4: the thread ------------------------------------------------------

async function showThread() {
  showStep("step-thread");
  let thread;
  try {
    thread = await visit.loadThread();
  } catch (err) {
    setAlert($("report-check"), i18n, errorKey(err));
    return;
  }
  renderReport(thread);
  renderMessages(visit.messages);
  const changed = visit.changedMembers();
  if (changed.length) {
    const names = changed.map((id) => visit.manifest.members.find((m) => m.id === id)?.name ?? id).join(", ");
    setAlert($("key-warning"), i18n, "thread.keys_changed", { names });
  }
}

function renderReport({ report, reportProblems }) {
  const check = $("report-check");
  if (reportProblems.length) {
    setAlert(check, i18n, reportProblems.includes("unreadable") ? "thread.report_unreadable" : "thread.report_replaced");
    check.className = "alert alert-error";
  } else {
    setAlert(check, i18n, "thread.report_ok");
    check.className = "alert alert-ok";
  }
  const dl = $("own-report");
  dl.replaceChildren();
  if (!report) return;
  const byKey = new Map(questionnaire.fields.map((f) => [f.key, f]));
  for (const [key, value] of Object.entries(report.form ?? {})) {
    const field = byKey.get(key);
    const option = field?.options?.find((o) => o.value === value);
    dl.append(el("dt", {}, field ? i18n.local(field.label) : key), el("dd", {}, option ? i18n.local(option.label) : String(value)));
  }
  $("own-report-files").replaceChildren(...(report.attachments ?? []).map((a) => attachmentItem(a)));
}

function attachmentItem(entry) {
  const save = el("button", { type: "button", class: "link" }, tr("thread.save_file"));
  const status = el("span", { class: "small", role: "status" });
  save.addEventListener("click", async () => {
    status.replaceChildren(tr("thread.file_loading"));
    i18n.apply(status);
    try {
      saveBytes(await visit.openAttachment(entry), entry.name);
      status.replaceChildren();
    } catch {
      status.replaceChildren(tr("thread.file_failed"));
      i18n.apply(status);
    }
  });
  const li = el("li", { class: "file" }, el("span", { class: "file-name" }, String(entry.name ?? "")), " ", save, " ", status);
  i18n.apply(li);
  return li;
}

function renderMessages(entries) {
  const list = $("messages");
  list.replaceChildren();
  $("thread-empty").hidden = entries.length > 0;
  for (const entry of entries) {
    if (entry.gapBefore) list.append(el("li", { class: "message gap" }, tr("thread.gap")));
    list.append(messageItem(entry));
  }
  i18n.apply(list);
}

function messageItem(entry) {
  const from = entry.listing.from === "reporter" ? "thread.from_you" : "thread.from_team";
  const head = el("p", { class: "message-head" }, tr(from), " · ", `${entry.listing.day ?? ""} (UTC)`);
  if (entry.status !== "ok") {
    return el("li", { class: "message forged" }, head,
      el("p", { class: "alert alert-error" }, tr(entry.status === "forged" ? "thread.forged" : "thread.unreadable")));
  }
  return el("li", { class: `message ${entry.listing.from}` }, head,
    el("p", { class: "message-text" }, entry.doc.text),
    el("ul", { class: "file-list" }, (entry.doc.attachments ?? []).map(attachmentItem)));
}

// ---- compose -----------------------------------------------------------------

$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("compose-text").value.trim();
  $("compose-error").replaceChildren();
  if (!text) {
    $("compose-error").append(tr("compose.error.empty"));
    i18n.apply($("compose-error"));
    $("compose-text").focus();
    return;
  }
  const items = composeFiles.ready;
  const rows = items.map((item) => progressRow(item, i18n));
  $("compose-file-list").replaceChildren(...rows.map((r) => r.li));
  $("compose-send").disabled = true;
  busy = true;
  const say = (key) => { $("compose-status").replaceChildren(tr(key)); i18n.apply($("compose-status")); };
  try {
    say("sending.encrypting");
    for (const [i, item] of items.entries()) {
      await item.pending.seal(visit.recipients);
      await item.pending.send(undefined, (phase, done, total) => rows[i].set("sending.file.uploading", done / total));
      rows[i].set("sending.file.done", 1);
    }
    say("sending.report");
    await visit.sendMessage(text, items.map((i) => i.pending));
    $("compose-text").value = "";
    composeFiles.clear();
    renderMessages(visit.messages);
    say("compose.sent");
  } catch (err) {
    say(err instanceof SealFailed ? "error.seal" : err instanceof ApiError ? errorKey(err) : "error.upload");
  } finally {
    busy = false;
    $("compose-send").disabled = false;
  }
});

init();
