// The follow-up page (protocol §3.3): receipt → new receipt, proven saved →
// rotate → status and thread (checked) → signed messages with attachments.
// Nothing of the case is shown before the rotation commits, so the receipt
// the page tells the reporter to keep is always the one that works (issue 19
// item 2); until then the page says the old one still works.
import questionnaire from "candor:questionnaire";
import type { OpenAnswer } from "./lib/api.js";
import { ApiError } from "./lib/api.js";
import { SealFailed } from "./lib/documents.js";
import { plainLabel } from "./lib/labels.js";
import { receiptGroups, receiptText, ReceiptFormatError } from "./lib/receipt.js";
import {
  CaseStateInvalid,
  ReceiptUsedElsewhere,
  teamWaiting,
  Visit,
  type LoadedReport,
  type ThreadItem,
} from "./lib/visit.js";
import { isCaseStatus, type AttachmentEntry, type Manifest } from "./lib/types.js";
import { $, el, loadManifestChain, saveBytes, setAlert, showStep, startPage, tr } from "./page/common.js";
import { errorKey } from "./page/errors.js";
import { fileProblems, FileList, progressRow } from "./page/files.js";
import { solvePuzzlesInWorker } from "./page/puzzle.js";
import { renderReceiptBox } from "./page/receipt-box.js";
import { ReceiptInput } from "./page/receipt-input.js";

const i18n = startPage();
// Under load the server asks for a proof of work: solved off the main thread, with a note.
solvePuzzlesInWorker(i18n);
let chain: Manifest[] | null = null;
let visit: Visit | null = null;
let busy = false;
const composeFiles = new FileList($("compose-files", HTMLInputElement), $("compose-file-list"), i18n, {
  button: $("compose-add-files", HTMLButtonElement),
  count: $("compose-file-count"),
  notice: $("compose-file-refused"),
  limits: $("compose-file-limits"),
});
const receiptInput = new ReceiptInput(Array.from(document.querySelectorAll<HTMLInputElement>(".receipt-boxes input")));

window.addEventListener("beforeunload", (event) => {
  if (busy) event.preventDefault();
});

/** "Group 3 of 7" for each box: the labels carry a number, which data-i18n-attr cannot. */
function labelBoxes(): void {
  receiptInput.boxes.forEach((box, i) => {
    box.setAttribute("aria-label", i18n.t("followup.receipt_group", { n: i + 1 }));
  });
}
labelBoxes();
i18n.onChange(labelBoxes);

/** The open visit; every step after the first has one. */
function opened(): Visit {
  if (visit === null) throw new Error("no visit");
  return visit;
}

/** The last group of a receipt's text form: how the pages name a receipt without showing it. */
const lastGroup = (text: string): string => receiptGroups(text).at(-1) ?? "";

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

/** The typed receipt, or null after saying (locally: a typo never reaches the server) which group is wrong. */
function typedReceipt(): Uint8Array | null {
  const error = $("receipt-error");
  error.replaceChildren();
  receiptInput.mark(null);
  try {
    return receiptInput.read();
  } catch (err) {
    const reason = err instanceof ReceiptFormatError ? err.reason : "symbols";
    const group = err instanceof ReceiptFormatError ? err.group : null;
    error.append(
      group === null ? tr(`followup.error.${reason}`) : tr(`followup.error.${reason}_group`, { n: group + 1 }),
    );
    i18n.apply(error);
    receiptInput.mark(group);
    receiptInput.focus(group);
    return null;
  }
}

async function openCase(): Promise<void> {
  setAlert($("open-error"), i18n, null);
  const receipt = typedReceipt();
  if (receipt === null) return;
  $("open", HTMLButtonElement).disabled = true;
  // A reporter may press Open before the team list has loaded: wait for it
  // instead of doing nothing (init shows why when it cannot load).
  await ready;
  if (chain === null) return;
  try {
    visit = new Visit(chain);
    const status = await visit.open(receipt);
    receiptInput.clear();
    await showNext(receiptText(receipt), status);
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

// ---- step 2: the next receipt, proven saved, then rotate ------------------------

async function showNext(oldText: string, status: OpenAnswer): Promise<void> {
  const text = await opened().prepareNext();
  busy = true;
  setAlert($("old-still-works"), i18n, "followup.next.old_works", { last: lastGroup(oldText) });
  setAlert($("rotate-error"), i18n, null);
  renderReceiptBox($("next-receipt-box"), i18n, text, {
    idPrefix: "next",
    continueKey: "followup.next.confirm",
    confirmBy: "last-group",
    onContinue: () => void rotate(text, status),
  });
  showStep("step-next");
}

async function rotate(text: string, status: OpenAnswer): Promise<void> {
  setAlert($("rotate-error"), i18n, null);
  const next = $("next-continue", HTMLButtonElement);
  next.disabled = true;
  try {
    await opened().rotate();
  } catch (err) {
    const key = err instanceof ReceiptUsedElsewhere ? "followup.error.used_elsewhere" : errorKey(err);
    setAlert($("rotate-error"), i18n, key);
    // A failure other than a lost race leaves the old receipt working, as the page still says.
    next.disabled = err instanceof ReceiptUsedElsewhere;
    $("old-still-works").hidden = err instanceof ReceiptUsedElsewhere;
    busy = !(err instanceof ReceiptUsedElsewhere);
    return;
  }
  busy = false;
  await showStatus(text, status);
}

// ---- step 3: status, then the thread --------------------------------------------

/** A day the server gave, as a <time> written in the page's language, or null when there is none. */
const day = (d: unknown): HTMLTimeElement | null =>
  typeof d === "string" && d ? el("time", { datetime: d }, i18n.longDay(d)) : null;

/** The thread last shown, to say again in another language whether the team wrote. */
let shownThread: readonly ThreadItem[] | null = null;
// Days follow a language switch like the catalogue's texts do.
i18n.onChange(() => {
  for (const node of document.querySelectorAll<HTMLTimeElement>("main time[datetime]")) {
    node.textContent = i18n.longDay(node.dateTime);
  }
  if (shownThread !== null) showWaiting(shownThread);
});

/** A definition-list row: the label, and the value or "—" when there is none. */
const row = (key: string, value: Node | string | null): [HTMLElement, HTMLElement] => [
  el("dt", {}, tr(key)),
  el("dd", {}, value ?? "—"),
];

async function showStatus(text: string, status: OpenAnswer): Promise<void> {
  setAlert($("committed"), i18n, "followup.committed", { last: lastGroup(text) });
  const dl = $("status-list");
  const state = isCaseStatus(status.status) ? tr(`case.status.${status.status}`) : null;
  dl.replaceChildren(
    ...row("status.status", state),
    ...row("status.waiting", el("span", { id: "status-waiting" }, tr("status.waiting_loading"))),
    ...row("status.received", day(status.received)),
    ...row("status.updated", day(status.updated)),
    ...row("status.acknowledge_by", day(status.acknowledge_by)),
    ...row("status.feedback_by", day(status.feedback_by)),
  );
  i18n.apply(dl);
  showStep("step-status");
  await showThread();
}

/** Whether the team wrote since the reporter's last message: the answer the reporter came for. */
function showWaiting(items: readonly ThreadItem[]): void {
  shownThread = items;
  const { count, day: newest } = teamWaiting(items);
  const node = $("status-waiting");
  node.replaceChildren(
    count === 0
      ? tr("status.waiting_none")
      : tr("status.waiting_some", { n: count, day: newest ? i18n.longDay(newest) : "—" }),
  );
  node.className = count === 0 ? "" : "waiting";
  i18n.apply(node);
}

// ---- step 4: the thread ------------------------------------------------------

async function showThread(): Promise<void> {
  const v = opened();
  let thread: LoadedReport;
  try {
    thread = await v.loadThread();
  } catch (err) {
    setAlert($("report-check"), i18n, errorKey(err));
    $("status-waiting").replaceChildren("—");
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
  // A label in isolation (<bdi>), without bidi overrides (protocol §6).
  const name = el("bdi", { class: "file-name" }, plainLabel(entry.name));
  const li = el("li", { class: "file" }, name, " ", save, " ", status);
  i18n.apply(li);
  return li;
}

/** The thread newest first (issue 19 item 8): a gap before a message in thread order shows below it. */
function renderMessages(items: readonly ThreadItem[]): void {
  const list = $("messages");
  list.replaceChildren();
  $("thread-empty").hidden = items.length > 0;
  for (const item of [...items].reverse()) {
    list.append(messageItem(item));
    if (item.gapBefore) list.append(el("li", { class: "message gap" }, tr("thread.gap")));
  }
  i18n.apply(list);
  showWaiting(items);
}

function messageItem(item: ThreadItem): HTMLLIElement {
  const from = item.listing.from === "reporter" ? "thread.from_you" : "thread.from_team";
  const when = day(item.listing.day);
  const head = el("p", { class: "message-head" }, tr(from), when === null ? null : " · ", when);
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
  // A file still being cleaned, unreadable, or not cleaned and not ticked: said, never left out.
  const problems = fileProblems(composeFiles);
  if (problems.length) {
    $("compose-error").append(...problems.flatMap(({ key, args }, i) => [i ? " " : "", tr(key, args)]));
    i18n.apply($("compose-error"));
    $("compose-add-files").focus();
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

const ready = init();
