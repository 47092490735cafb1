// One case: the report rendered from the questionnaire, attachments
// decrypted on demand (hash-checked, saved as octet-stream or previewed in
// a sandboxed frame), the thread and notes with every signature checked,
// status/resolution/assignee/legal hold, and signed, sealed replies and notes.
import questionnaire from "candor:questionnaire";
import { createAttachment } from "../lib/api.js";
import { uploadSealed } from "../lib/attachments.js";
import { fromB64u } from "../lib/encoding.js";
import { findGaps, SealFailed } from "../lib/documents.js";
import {
  authorKeys, blobHash, blocksWriting, buildEntry, checkEntry, consistencyWarnings, downloadBytes, entryRecipients,
  OpenFailed, sealAttachmentBytes, sealEntry,
} from "../lib/teamops.js";
import { $, el, formatSize, saveBytes, tr } from "../page/common.js";
import { ApiError } from "../lib/api.js";
import { i18n, isAdmin, manifest, memberName, session, showError, showNotice, stillOpen } from "./session.js";
import { categoryLabel, forgetCase, markStale, pool, showInbox, updateSummary } from "./inbox.js";
import { showView } from "./views.js";

const TRANSITIONS = {
  received: ["acknowledged", "investigating", "closed"],
  acknowledged: ["investigating", "closed"],
  investigating: ["closed"],
  closed: ["investigating"],
};
const RESOLUTIONS = ["substantiated", "unsubstantiated", "referred", "duplicate", "spam", "withdrawn"];
const PREVIEWABLE = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
];

let view = null; // {id, detail, report, reportSealed, messages, notes, warnings, hint, epoch}
let previewUrl = null;

export function initCase() {
  $("back-to-inbox").addEventListener("click", () => showInbox());
  $("delete-start").addEventListener("click", () => askDelete(true));
  $("delete-no").addEventListener("click", () => askDelete(false));
  $("delete-yes").addEventListener("click", deleteCase);
  $("reply-form").addEventListener("submit", (e) => { e.preventDefault(); write("message"); });
  $("note-form").addEventListener("submit", (e) => { e.preventDefault(); write("note"); });
  $("status-form").addEventListener("submit", (e) => { e.preventDefault(); saveStatus(); });
  $("set-status").addEventListener("change", syncResolution);
  $("preview-close").addEventListener("click", closePreview);
  i18n().onChange(() => { if (view && session.key) renderAll(); });
}

export function clearCase() {
  closePreview();
  view = null;
  for (const id of ["case-warnings", "case-meta", "case-report", "case-attachments", "case-thread", "case-notes",
    "reply-status", "note-status", "status-result", "delete-status", "delete-question", "delete-yes"]) $(id).replaceChildren();
  $("delete-case").hidden = true;
  $("delete-confirm").hidden = true;
  $("case-title").textContent = "";
  $("reply-text").value = "";
  $("note-text").value = "";
  $("reply-files").value = "";
  $("case-error").hidden = true;
}

export async function openCase(id) {
  clearCase();
  showView("view-case");
  const epoch = session.epoch;
  $("case-title").replaceChildren(tr("console.case.loading"));
  i18n().apply($("case-title"));
  try {
    await loadCase(id, epoch);
    if (!stillOpen(epoch)) return;
    renderAll();
    $("case-title").focus();
  } catch (err) {
    if (stillOpen(epoch)) showError($("case-error"), err);
  }
}

async function loadCase(id, epoch) {
  const client = session.client;
  const detail = await client.get(`/v1/team/cases/${id}`);
  const cached = session.cases.get(id);
  let reportSealed = cached?.detail.report.id === detail.report.id ? cached.reportSealed : null;
  reportSealed ??= fromB64u((await client.get(`/v1/team/cases/${id}/blobs/${detail.report.id}`)).sealed);
  const hint = detail.access.indexOf(session.key.member);
  const report = await session.opener.document(reportSealed, hint);
  const warnings = consistencyWarnings(session.chain, detail, report);
  const load = async (kind, meta) => {
    const item = { kind, meta, doc: null, sealed: null, verdict: "unreadable" };
    try {
      item.sealed = fromB64u((await client.get(`/v1/team/cases/${id}/blobs/${meta.id}`)).sealed);
      item.doc = await session.opener.document(item.sealed, hint);
      item.verdict = checkEntry(item.doc, kind, meta, detail.reply_to, authorKeys(item.doc, session.chain, report.reporter_key));
    } catch (err) {
      if (!(err instanceof OpenFailed)) throw err;
    }
    return item;
  };
  const messages = new Array(detail.messages.length);
  const notes = new Array(detail.notes.length);
  await pool(detail.messages.map((m, i) => [m, i]), 4, async ([m, i]) => { messages[i] = await load("message", m); });
  await pool(detail.notes.map((m, i) => [m, i]), 4, async ([m, i]) => { notes[i] = await load("note", m); });
  if (!stillOpen(epoch)) return;
  session.cases.set(id, { detail, reportSealed, report });
  view = { id, detail, report, reportSealed, messages, notes, warnings, hint, epoch };
}

function renderAll() {
  const { detail, report } = view;
  $("case-title").textContent = String(report.form?.summary ?? detail.id);
  renderWarnings();
  renderMeta();
  renderReport();
  $("case-attachments").replaceChildren(...(report.attachments.length
    ? report.attachments.map((a) => attachmentItem(a))
    : [el("li", { class: "small" }, tr("console.case.no_attachments"))]));
  renderEntries($("case-thread"), view.messages, "console.case.no_messages");
  renderEntries($("case-notes"), view.notes, "console.case.no_notes");
  renderActions();
  i18n().apply($("view-case"));
}

function renderWarnings() {
  const box = $("case-warnings");
  const alerts = view.warnings.map((w) =>
    el("p", { class: `alert ${w.code === "keys" ? "alert-warn" : "alert-error"} case-warning`, role: "alert", dataset: { warning: w.code } },
      tr(`console.warn.${w.code}`, { name: w.detail ?? "" })));
  const forged = [...view.messages, ...view.notes].filter((m) => m.verdict !== "ok");
  if (forged.length) {
    alerts.push(el("p", { class: "alert alert-error case-warning", role: "alert", dataset: { warning: "forged" } },
      tr("console.warn.forged", { n: forged.length })));
  }
  box.replaceChildren(...alerts);
}

function renderMeta() {
  const d = view.detail;
  // Each value is a flat list of nodes and strings; an optional part is left out whole.
  const done = (day) => (day ? [" (", tr("console.meta.done", { day }), ")"] : []);
  const rows = [
    ["console.meta.case", [d.id]],
    ["console.meta.status", [tr(`console.status.${d.status}`), ...(d.resolution ? [" — ", tr(`console.resolution.${d.resolution}`)] : [])]],
    ["console.meta.received", [d.received]],
    ["console.meta.acknowledge_by", [d.acknowledge_by, ...done(d.acknowledged)]],
    ["console.meta.feedback_by", [d.feedback_by, ...done(d.feedback)]],
    ["console.meta.assignee", [d.assignee ? memberName(d.assignee) : tr("console.inbox.unassigned")]],
    ["console.meta.legal_hold", [tr(d.legal_hold ? "console.yes" : "console.no")]],
    ["console.meta.access", [d.access.map(memberName).join(", ")]],
  ];
  const dl = $("case-meta");
  dl.replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, tr(key)), el("dd", {}, ...value)]));
  if (d.overdue) dl.append(el("dt", {}, tr("console.inbox.overdue")), el("dd", { class: "late" }, tr("console.meta.overdue_text")));
}

function renderReport() {
  const form = view.report.form ?? {};
  const dl = $("case-report");
  const items = [];
  for (const field of questionnaire.fields) {
    if (!(field.key in form)) continue;
    const option = field.options?.find((o) => o.value === form[field.key]);
    const value = field.key === "category" ? categoryLabel(form[field.key]) : option ? i18n().local(option.label) : form[field.key];
    items.push(el("dt", {}, i18n().local(field.label)), el("dd", {}, value));
  }
  // Fields the questionnaire no longer has are still shown, under their key.
  for (const [key, value] of Object.entries(form)) {
    if (!questionnaire.fields.some((f) => f.key === key)) items.push(el("dt", { class: "mono" }, key), el("dd", {}, String(value)));
  }
  items.push(el("dt", {}, tr("console.case.language")), el("dd", {}, String(view.report.lang ?? "")));
  dl.replaceChildren(...items);
}

// -- attachments ---------------------------------------------------------------------

function sniffImage(bytes) {
  return PREVIEWABLE.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0] ?? null;
}

async function fetchAttachment(entry) {
  const { url } = await session.client.get(`/v1/team/cases/${view.id}/blobs/${entry.id}`);
  const sealed = await downloadBytes(url);
  return session.opener.attachment(sealed, entry, view.hint);
}

function attachmentItem(entry) {
  const status = el("p", { class: "small", role: "status" });
  const act = (key, fn) => {
    const button = el("button", { type: "button", class: "link", "aria-label": `${i18n().t(key)}: ${entry.name}` }, tr(key));
    button.addEventListener("click", async () => {
      const epoch = session.epoch;
      button.disabled = true;
      status.replaceChildren(tr("console.attachment.decrypting"));
      i18n().apply(status);
      try {
        const bytes = await fetchAttachment(entry);
        if (!stillOpen(epoch)) return;
        status.replaceChildren(tr("console.attachment.verified"));
        fn(bytes);
      } catch (err) {
        status.replaceChildren(err instanceof OpenFailed ? tr("console.attachment.bad") : tr("console.error.unexpected"));
        status.className = "error";
      } finally {
        button.disabled = false;
        i18n().apply(status);
      }
    });
    return button;
  };
  const save = act("console.attachment.save", (bytes) => saveBytes(bytes, entry.name));
  const canPreview = PREVIEWABLE.some(([type]) => type === entry.type);
  const preview = canPreview ? act("console.attachment.preview", (bytes) => showPreview(bytes, entry)) : null;
  return el("li", { class: "file", dataset: { attachment: entry.id } },
    el("span", { class: "file-name" }, entry.name), " ",
    el("span", { class: "small" }, `(${entry.type || "?"}, ${formatSize(entry.size, i18n().lang)})`), " ",
    save, preview ? " · " : null, preview, status);
}

/** Images only, in a frame sandboxed without allow-same-origin or scripts (protocol §6). */
function showPreview(bytes, entry) {
  const type = sniffImage(bytes);
  if (!type) {
    saveBytes(bytes, entry.name);
    return;
  }
  closePreview();
  previewUrl = URL.createObjectURL(new Blob([bytes], { type }));
  $("preview-title").textContent = entry.name;
  // No allow-same-origin, no allow-scripts: the image renders in an opaque origin.
  const frame = el("iframe", { id: "preview-frame", sandbox: "", referrerpolicy: "no-referrer", title: i18n().t("console.preview.frame") });
  frame.src = previewUrl;
  $("preview-slot").replaceChildren(frame);
  $("preview").hidden = false;
}

function closePreview() {
  $("preview-slot").replaceChildren();
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  $("preview").hidden = true;
}

// -- thread and notes ------------------------------------------------------------------

function renderEntries(list, items, emptyKey) {
  if (!items.length) {
    list.replaceChildren(el("li", { class: "small" }, tr(emptyKey)));
    return;
  }
  const gaps = findGaps(items.map((m) => ({ seq: m.meta.seq, hash: m.sealed ? blobHash(m.sealed) : null, doc: m.verdict === "ok" ? m.doc : null })));
  const nodes = [];
  items.forEach((item, i) => {
    if (gaps.has(i)) nodes.push(el("li", { class: "message gap" }, tr("console.thread.gap")));
    nodes.push(entryItem(item));
  });
  list.replaceChildren(...nodes);
}

function entryItem(item) {
  const { meta, doc, verdict } = item;
  const author = meta.from === "reporter" ? tr("console.thread.reporter") : memberName(meta.member ?? doc?.member ?? "");
  const ok = verdict === "ok";
  const head = el("p", { class: "message-head" }, `#${meta.seq} · ${meta.day} · `, author, " · ",
    el("span", { class: ok ? "sig-ok" : "sig-bad" }, tr(ok ? "console.thread.verified" : verdict === "unreadable" ? "console.thread.unreadable" : "console.thread.forged")));
  const body = ok
    ? [el("p", { class: "message-text" }, doc.text),
      doc.attachments.length ? el("ul", { class: "file-list" }, ...doc.attachments.map((a) => attachmentItem(a))) : null]
    : [el("p", { class: "small" }, tr("console.thread.not_shown"))];
  return el("li", { class: `message ${meta.from}${ok ? "" : " forged"}`, dataset: { id: meta.id, verdict } }, head, ...body);
}

// -- status, assignee, legal hold -------------------------------------------------------------

function renderActions() {
  const d = view.detail;
  const t = (k) => i18n().t(k);
  $("set-status").replaceChildren(...[d.status, ...TRANSITIONS[d.status]].map((s) =>
    el("option", { value: s }, t(`console.status.${s}`))));
  $("set-resolution").replaceChildren(el("option", { value: "" }, t("console.case.choose")),
    ...RESOLUTIONS.map((r) => el("option", { value: r }, t(`console.resolution.${r}`))));
  $("set-assignee").replaceChildren(el("option", { value: "" }, t("console.inbox.unassigned")),
    ...d.access.map((id) => el("option", { value: id }, memberName(id))));
  $("set-assignee").value = d.assignee ?? "";
  $("set-hold").checked = d.legal_hold;
  // Only admins clear a legal hold (protocol §4.4).
  $("set-hold").disabled = d.legal_hold && !isAdmin();
  syncResolution();
  // Deleting is for admins in the case's access list (protocol §4.4, §4.7); reviewers never see the control.
  $("delete-case").hidden = !(isAdmin() && d.access.includes(session.key.member));
}

function syncResolution() {
  const closing = $("set-status").value === "closed" && view?.detail.status !== "closed";
  $("resolution-field").hidden = !closing;
}

async function saveStatus() {
  const d = view.detail;
  const body = {};
  const status = $("set-status").value;
  const result = $("status-result");
  result.replaceChildren();
  if (status !== d.status) body.status = status;
  if (body.status === "closed") {
    if (!$("set-resolution").value) {
      result.replaceChildren(el("span", { class: "error" }, tr("console.case.need_resolution")));
      i18n().apply(result);
      return;
    }
    body.resolution = $("set-resolution").value;
  }
  const assignee = $("set-assignee").value || null;
  if (assignee !== d.assignee) body.assignee = assignee;
  if ($("set-hold").checked !== d.legal_hold) body.legal_hold = $("set-hold").checked;
  if (!Object.keys(body).length) return;
  const epoch = session.epoch;
  $("status-save").disabled = true;
  try {
    const updated = await session.client.call("PATCH", `/v1/team/cases/${view.id}`, { body });
    if (!stillOpen(epoch) || view?.id !== updated.id) return;
    view.detail = { ...view.detail, ...updated };
    session.cases.get(view.id).detail = view.detail;
    updateSummary(view.id, view.detail);
    markStale();
    renderMeta();
    renderActions();
    result.replaceChildren(tr("console.case.saved"));
    i18n().apply($("view-case"));
  } catch (err) {
    showError(result, err);
  } finally {
    $("status-save").disabled = false;
  }
}

// -- writing ---------------------------------------------------------------------------------

async function write(kind) {
  const status = $(kind === "message" ? "reply-status" : "note-status");
  const textBox = $(kind === "message" ? "reply-text" : "note-text");
  const button = $(kind === "message" ? "reply-send" : "note-send");
  const say = (key, cls = "") => {
    status.replaceChildren(el("span", { class: cls }, tr(key)));
    i18n().apply(status);
  };
  const text = textBox.value.trim();
  if (!text) return say("console.case.empty", "error");
  // protocol §4.5: never write to a case whose stored reply_to or access differs from the sealed report.
  if (blocksWriting(view.warnings)) return say("console.case.refused", "error");
  const epoch = session.epoch;
  const caseId = view.id;
  button.disabled = true;
  try {
    say("console.case.sending");
    const recipients = entryRecipients(manifest(), view.detail, kind);
    const files = kind === "message" ? [...$("reply-files").files] : [];
    const attachments = [];
    for (const file of files) {
      const { sealed, entry } = await sealAttachmentBytes(new Uint8Array(await file.arrayBuffer()), file.name, file.type || "application/octet-stream", recipients);
      const announced = await createAttachment(sealed.length);
      await uploadSealed(announced.upload, new Blob([sealed]));
      attachments.push({ id: announced.id, ...entry });
    }
    const verified = view.messages.filter((m) => m.verdict === "ok");
    const prev = kind === "message" && verified.length ? blobHash(verified[verified.length - 1].sealed) : null;
    const doc = buildEntry({ kind, replyTo: view.detail.reply_to, member: session.key.member, prev, text, attachments, seed: session.key.signingSeed });
    const { body } = await sealEntry(doc, recipients, attachments.map((a) => a.id));
    await session.client.call("POST", `/v1/team/cases/${caseId}/${kind}s`, { body });
    if (!stillOpen(epoch) || view?.id !== caseId) return;
    textBox.value = "";
    $("reply-files").value = "";
    await loadCase(caseId, epoch);
    if (!stillOpen(epoch)) return;
    renderAll();
    updateSummary(caseId, view.detail);
    markStale();
    say(kind === "message" ? "console.case.replied" : "console.case.noted");
  } catch (err) {
    if (!stillOpen(epoch)) return;
    if (err instanceof SealFailed || err?.message?.includes("no longer current")) say("console.case.seal_failed", "error");
    else showError(status, err);
  } finally {
    button.disabled = false;
  }
}


// -- deleting (admins in the access list) ------------------------------------------------------

/** Step one shows a question naming the case; step two (deleteCase) sends DELETE. */
function askDelete(open) {
  $("delete-status").replaceChildren();
  $("delete-confirm").hidden = !open;
  $("delete-start").hidden = open;
  if (!open) {
    $("delete-start").focus();
    return;
  }
  const args = { summary: String(view.report.form?.summary ?? "").slice(0, 160), id: view.id };
  $("delete-question").replaceChildren(tr("console.case.delete.question", args));
  $("delete-yes").replaceChildren(tr("console.case.delete.confirm", { id: view.id }));
  i18n().apply($("delete-case"));
  $("delete-no").focus();
}

async function deleteCase() {
  if (!view) return;
  const { id } = view;
  const epoch = session.epoch;
  $("delete-yes").disabled = true;
  try {
    try {
      await session.client.call("DELETE", `/v1/team/cases/${id}`);
    } catch (err) {
      // A retried DELETE whose first attempt went through finds nothing: the case is gone either way.
      if (!(err instanceof ApiError && err.code === "not_found")) throw err;
    }
    if (!stillOpen(epoch)) return;
    forgetCase(id);
    clearCase();
    markStale();
    showInbox();
    showNotice("console.case.delete.done", { id });
  } catch (err) {
    if (!stillOpen(epoch) || view?.id !== id) return;
    askDelete(false);
    showError($("delete-status"), err);
  } finally {
    $("delete-yes").disabled = false;
  }
}
