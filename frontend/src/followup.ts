// The follow-up page (protocol §3.3): receipt → status → new receipt saved →
// rotate → thread (checked) → signed messages with attachments.
import questionnaire from "candor:questionnaire";
import type { OpenAnswer } from "./lib/api.js";
import { ApiError } from "./lib/api.js";
import { SealFailed } from "./lib/documents.js";
import { parseReceipt, ReceiptFormatError } from "./lib/receipt.js";
import { CaseStateInvalid, ReceiptUsedElsewhere, Visit, type LoadedReport, type ThreadItem } from "./lib/visit.js";
import { isCaseStatus, type AttachmentEntry, type Manifest } from "./lib/types.js";
import { $, el, loadManifestChain, saveBytes, setAlert, showStep, startPage, tr } from "./page/common.js";
import { errorKey } from "./page/errors.js";
import { FileList, progressRow } from "./page/files.js";
import { renderReceiptBox } from "./page/receipt-box.js";

const i18n = startPage();
let chain: Manifest[] | null = null;
let visit: Visit | null = null;
let busy = false;
const composeFiles = new FileList($("compose-files", HTMLInputElement), $("compose-file-list"), i18n);

window.addEventListener("beforeunload", (event) => {
  if (busy) event.preventDefault();
});

/** The open visit; every step after the first has one. */
function opened(): Visit {
  if (visit === null) throw new Error("no visit");
  return visit;
}

async function init(): Promise<void> {
  try {
    ({ chain } = await loadManifestChain());
  } catch {
    setAlert($("fatal"), i18n, "manifest.invalid");
    $("open", HTMLButtonElement).disabled = true;
  }
}

// ---- step 1: open ------------------------------------------------------------

$("enter-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void openCase();
});

async function openCase(): Promise<void> {
  const input = $("receipt-input", HTMLInputElement);
  setAlert($("open-error"), i18n, null);
  $("receipt-error").replaceChildren();
  input.removeAttribute("aria-invalid");
  let receipt: Uint8Array;
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
  if (chain === null) return;
  $("open", HTMLButtonElement).disabled = true;
  try {
    visit = new Visit(chain);
    const status = await visit.open(receipt);
    input.value = "";
    await showStatus(status);
  } catch (err) {
    const key =
      err instanceof CaseStateInvalid
        ? "followup.error.state"
        : err instanceof ApiError && err.code === "receipt_unknown"
          ? "followup.error.unknown"
          : errorKey(err);
    setAlert($("open-error"), i18n, key);
    $("open-error").focus();
  } finally {
    $("open", HTMLButtonElement).disabled = false;
  }
}

// ---- step 2: status and the next receipt ------------------------------------

/** A day the server gave, as shown: "2026-12-07 (UTC)", or null when there is none. */
const day = (d: unknown): string | null => (typeof d === "string" && d ? `${d} (UTC)` : null);

/** A definition-list row: the label, and the value or "—" when there is none. */
const row = (key: string, value: Node | string | null): [HTMLElement, HTMLElement] => [
  el("dt", {}, tr(key)),
  el("dd", {}, value ?? "—"),
];

async function showStatus(status: OpenAnswer): Promise<void> {
  const dl = $("status-list");
  const state = isCaseStatus(status.status) ? tr(`case.status.${status.status}`) : null;
  dl.replaceChildren(
    ...row("status.status", state),
    ...row("status.received", day(status.received)),
    ...row("status.updated", day(status.updated)),
    ...row("status.acknowledge_by", day(status.acknowledge_by)),
    ...row("status.feedback_by", day(status.feedback_by)),
  );
  i18n.apply(dl);
  const text = await opened().prepareNext();
  busy = true;
  renderReceiptBox($("next-receipt-box"), i18n, text, {
    idPrefix: "next",
    continueKey: "status.continue",
    onContinue: () => void rotate(),
  });
  showStep("step-status");
}

// ---- step 3: rotate -----------------------------------------------------------

async function rotate(): Promise<void> {
  setAlert($("rotate-error"), i18n, null);
  const next = $("next-continue", HTMLButtonElement);
  next.disabled = true;
  try {
    await opened().rotate();
  } catch (err) {
    const key = err instanceof ReceiptUsedElsewhere ? "followup.error.used_elsewhere" : errorKey(err);
    setAlert($("rotate-error"), i18n, key);
    next.disabled = err instanceof ReceiptUsedElsewhere;
    busy = false;
    return;
  }
  busy = false;
  await showThread();
}

// ---- step 4: the thread ------------------------------------------------------

async function showThread(): Promise<void> {
  showStep("step-thread");
  const v = opened();
  let thread: LoadedReport;
  try {
    thread = await v.loadThread();
  } catch (err) {
    setAlert($("report-check"), i18n, errorKey(err));
    return;
  }
  renderReport(thread);
  renderMessages(v.messages);
  const changed = v.changedMembers();
  if (changed.length) {
    const names = changed.map((id) => v.manifest.members.find((m) => m.id === id)?.name ?? id).join(", ");
    setAlert($("key-warning"), i18n, "thread.keys_changed", { names });
  }
}

function renderReport({ report, reportProblems }: LoadedReport): void {
  const check = $("report-check");
  if (reportProblems.length) {
    const key = reportProblems.includes("unreadable") ? "thread.report_unreadable" : "thread.report_replaced";
    setAlert(check, i18n, key);
    check.className = "alert alert-error";
  } else {
    setAlert(check, i18n, "thread.report_ok");
    check.className = "alert alert-ok";
  }
  const dl = $("own-report");
  dl.replaceChildren();
  if (!report) return;
  const byKey = new Map(questionnaire.fields.map((f) => [f.key, f]));
  const form = report.form !== null && typeof report.form === "object" ? (report.form as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(form)) {
    const field = byKey.get(key);
    const option = field?.options?.find((o) => o.value === value);
    const shown = option ? i18n.local(option.label) : typeof value === "string" ? value : JSON.stringify(value);
    dl.append(el("dt", {}, field ? i18n.local(field.label) : key), el("dd", {}, shown));
  }
  const attachments = Array.isArray(report.attachments) ? (report.attachments as AttachmentEntry[]) : [];
  $("own-report-files").replaceChildren(...attachments.map((a) => attachmentItem(a)));
}

function attachmentItem(entry: AttachmentEntry): HTMLLIElement {
  const save = el("button", { type: "button", class: "link" }, tr("thread.save_file"));
  const status = el("span", { class: "small", role: "status" });
  save.addEventListener("click", () => {
    status.replaceChildren(tr("thread.file_loading"));
    i18n.apply(status);
    opened()
      .openAttachment(entry)
      .then(
        (bytes) => {
          saveBytes(bytes, entry.name);
          status.replaceChildren();
        },
        () => {
          status.replaceChildren(tr("thread.file_failed"));
          i18n.apply(status);
        },
      );
  });
  const li = el("li", { class: "file" }, el("span", { class: "file-name" }, entry.name), " ", save, " ", status);
  i18n.apply(li);
  return li;
}

function renderMessages(items: readonly ThreadItem[]): void {
  const list = $("messages");
  list.replaceChildren();
  $("thread-empty").hidden = items.length > 0;
  for (const item of items) {
    if (item.gapBefore) list.append(el("li", { class: "message gap" }, tr("thread.gap")));
    list.append(messageItem(item));
  }
  i18n.apply(list);
}

function messageItem(item: ThreadItem): HTMLLIElement {
  const from = item.listing.from === "reporter" ? "thread.from_you" : "thread.from_team";
  const when = day(item.listing.day);
  const head = el("p", { class: "message-head" }, tr(from), when === null ? null : ` · ${when}`);
  if (item.verdict !== "ok" || item.doc === null) {
    const key = item.verdict === "unreadable" ? "thread.unreadable" : "thread.forged";
    return el("li", { class: "message forged" }, head, el("p", { class: "alert alert-error" }, tr(key)));
  }
  return el(
    "li",
    { class: `message ${item.listing.from}` },
    head,
    el("p", { class: "message-text" }, item.doc.text),
    el("ul", { class: "file-list" }, ...item.doc.attachments.map(attachmentItem)),
  );
}

// ---- compose -----------------------------------------------------------------

$("compose").addEventListener("submit", (event) => {
  event.preventDefault();
  void compose();
});

async function compose(): Promise<void> {
  const textarea = $("compose-text", HTMLTextAreaElement);
  const text = textarea.value.trim();
  $("compose-error").replaceChildren();
  if (!text) {
    $("compose-error").append(tr("compose.error.empty"));
    i18n.apply($("compose-error"));
    textarea.focus();
    return;
  }
  const v = opened();
  const items = composeFiles.ready;
  const rows = items.map((item) => progressRow(item, i18n));
  $("compose-file-list").replaceChildren(...rows.map((r) => r.li));
  const sendButton = $("compose-send", HTMLButtonElement);
  sendButton.disabled = true;
  busy = true;
  const say = (key: string): void => {
    $("compose-status").replaceChildren(tr(key));
    i18n.apply($("compose-status"));
  };
  try {
    say("sending.encrypting");
    for (const [i, item] of items.entries()) {
      await item.pending.seal(v.recipients);
      await item.pending.send(undefined, (_phase, done, total) => {
        rows[i]?.set("sending.file.uploading", done / (total ?? 1));
      });
      rows[i]?.set("sending.file.done", 1);
    }
    say("sending.report");
    await v.sendMessage(
      text,
      items.map((i) => ({ id: i.pending.id, entry: i.pending.entry })),
    );
    textarea.value = "";
    composeFiles.clear();
    renderMessages(v.messages);
    say("compose.sent");
  } catch (err) {
    say(err instanceof SealFailed ? "error.seal" : err instanceof ApiError ? errorKey(err) : "error.upload");
  } finally {
    busy = false;
    sendButton.disabled = false;
  }
}

void init();
