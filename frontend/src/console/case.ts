// One case: read with every message and note checked (lib/teamops.ts), shown
// by case-sections.ts and attachments.ts; status, resolution, assignee and
// legal hold; signed and sealed replies and notes; deleting. What happens
// in the inbox after a change is the entry module's business (`CaseHooks`),
// so this view knows nothing of it.
import { ApiError, type CasePatch, patchCase } from "../lib/api.js";
import { currentTags } from "../lib/case-meta.js";
import { todayUtc } from "../lib/manifest.js";
import { ackValues, isThreadMoved } from "../lib/replies.js";
import { SealFailed } from "../lib/documents.js";
import { drillCheck } from "../lib/drill.js";
import { blocksWriting, ManifestExpired, postEntry, readCase } from "../lib/teamops.js";
import { type CaseDetail, CASE_TRANSITIONS, type EntryKind, RESOLUTIONS } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { attachmentItem, closePreview, uploadRow } from "./attachments.js";
import { clearChecklist, renderChecklist } from "./checklist.js";
import { clearCompose, initCompose, type Send, type TemplateContext } from "./compose.js";
import { clearExport, initExport } from "./export.js";
import { clearLinks, renderLinks } from "./links.js";
import { renderEntries, renderMeta, renderReport, renderWarnings, type View } from "./case-sections.js";
import { clearPeople, initPeople, renderPeople } from "./people.js";
import { current, i18n, isAdmin, manifest, memberName, session, showError, showNotice, stillOpen } from "./session.js";
import { clearTags, renderTags } from "./tags.js";
import { button, input, select, showView, textArea } from "./views.js";

export interface CaseHooks {
  /** Back to the inbox. */
  back(): void;
  /** The member changed the case (status, a reply, a note); `meta` is what its notes say now. */
  changed(id: string, detail: CaseDetail, meta: CaseMeta): void;
  /** The case was read (opened): what its notes say, for the inbox's row. */
  read?(id: string, detail: CaseDetail, meta: CaseMeta): void;
  /** What the inbox knows of another case's summary (for the linked cases). */
  summary?(id: string): string | undefined;
  /** The cases the inbox lists, with their summaries (what a link may name). */
  choices?(): Promise<{ id: string; summary: string }[]>;
  /** The case was deleted. */
  deleted(id: string): void;
  /** A drill's after-action summary was asked for (the drill banner's link). */
  drillSummary?(id: string): void;
}

/** What the inbox keeps of a case's notes (protocol §2.2, "Tags and links"). */
export interface CaseMeta {
  tags: string[];
}

const metaOf = (v: View): CaseMeta => ({ tags: currentTags(v.notes).tags });

let hooks: CaseHooks | null = null;
let view: View | null = null;
/** The case shown now (a function, so a check after an await reads the current value). */
const shownId = (): string | null => view?.id ?? null;

export function initCase(wiring: CaseHooks): void {
  hooks = wiring;
  $("back-to-inbox").addEventListener("click", () => hooks?.back());
  $("delete-start").addEventListener("click", () => {
    askDelete(true);
  });
  $("delete-no").addEventListener("click", () => {
    askDelete(false);
  });
  $("delete-yes").addEventListener("click", () => void deleteCase());
  initCompose({ prepare, template });
  initExport(() => view);
  $("status-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void saveStatus();
  });
  $("set-status").addEventListener("change", syncResolution);
  $("preview-close").addEventListener("click", closePreview);
  initPeople(reloadCase);
  i18n().onChange(() => {
    if (view && session.open) renderAll(view);
  });
}

export function clearCase(): void {
  closePreview();
  clearCompose();
  clearPeople();
  clearChecklist();
  clearExport();
  clearTags();
  clearLinks();
  view = null;
  for (const id of ["case-warnings", "case-meta", "case-report", "case-attachments", "case-thread", "case-notes"]) {
    $(id).replaceChildren();
  }
  for (const id of ["status-result", "delete-status", "delete-question", "delete-yes"]) {
    $(id).replaceChildren();
  }
  $("delete-case").hidden = true;
  $("delete-confirm").hidden = true;
  $("case-title").textContent = "";
  textArea("reply-text").value = "";
  textArea("note-text").value = "";
  input("reply-files").value = "";
  $("case-error").hidden = true;
}

export async function openCase(id: string): Promise<void> {
  clearCase();
  showView("view-case");
  const epoch = session.epoch;
  $("case-title").replaceChildren(tr("console.case.loading"));
  i18n().apply($("case-title"));
  try {
    const loaded = await loadCase(id, epoch);
    if (!loaded || !stillOpen(epoch)) return;
    view = loaded;
    renderAll(loaded);
    hooks?.read?.(id, loaded.detail, metaOf(loaded));
    $("case-title").focus();
  } catch (err) {
    if (stillOpen(epoch)) showError($("case-error"), err);
  }
}

/** Read the case (reusing the sealed report the inbox fetched); null when the console was locked meanwhile. */
async function loadCase(id: string, epoch: number): Promise<View | null> {
  const cached = session.cases.get(id);
  const known = cached ? { id: cached.detail.report.id, sealed: cached.reportSealed } : null;
  const read = await readCase(current(), id, known);
  if (!stillOpen(epoch)) return null;
  session.cases.set(id, { detail: read.detail, reportSealed: read.reportSealed, report: read.report });
  return { id, ...read };
}

function renderAll(v: View): void {
  const { detail, report } = v;
  $("case-title").textContent = report.form.summary ?? detail.id;
  renderWarnings(v, (id) => hooks?.drillSummary?.(id));
  renderMeta(v.detail, report.form);
  renderReport(report, drillCheck(detail.drill, report.form).kind === "drill");
  const place = { caseId: v.id, hint: v.hint };
  $("case-attachments").replaceChildren(
    ...(report.attachments.length
      ? report.attachments.map((a) => attachmentItem(a, place))
      : [el("li", { class: "small" }, tr("console.case.no_attachments"))]),
  );
  renderEntries($("case-thread"), v, v.messages, "console.case.no_messages");
  renderEntries($("case-notes"), v, v.notes, "console.case.no_notes");
  renderChecklist(v, reloadCase);
  renderTags(v, reloadCase);
  renderLinks(v, {
    open: (id) => void openCase(id),
    summary: (id) => hooks?.summary?.(id),
    choices: () => hooks?.choices?.() ?? Promise.resolve([]),
    reload: reloadCase,
  });
  renderActions(v.detail);
  renderPeople(v);
  i18n().apply($("view-case"));
}

/** After a grant or a removal: the case as it is now, told to the inbox. */
async function reloadCase(id: string): Promise<void> {
  const epoch = session.epoch;
  const loaded = await loadCase(id, epoch);
  if (!loaded || !stillOpen(epoch) || shownId() !== id) return;
  view = loaded;
  renderAll(loaded);
  hooks?.changed(id, loaded.detail, metaOf(loaded));
}

// -- status, assignee, legal hold -------------------------------------------------------------

function renderActions(d: CaseDetail): void {
  const t = (k: string): string => i18n().t(k);
  select("set-status").replaceChildren(
    ...[d.status, ...CASE_TRANSITIONS[d.status]].map((s) => el("option", { value: s }, t(`console.status.${s}`))),
  );
  select("set-resolution").replaceChildren(
    el("option", { value: "" }, t("console.case.choose")),
    ...RESOLUTIONS.map((r) => el("option", { value: r }, t(`console.resolution.${r}`))),
  );
  select("set-assignee").replaceChildren(
    el("option", { value: "" }, t("console.inbox.unassigned")),
    ...d.access.map((id) => el("option", { value: id }, memberName(id))),
  );
  select("set-assignee").value = d.assignee ?? "";
  input("set-hold").checked = d.legal_hold;
  // Only admins clear a legal hold (protocol §4.4).
  input("set-hold").disabled = d.legal_hold && !isAdmin();
  syncResolution();
  // Deleting is for admins in the case's access list (protocol §4.4, §4.7); reviewers never see the control.
  $("delete-case").hidden = !(isAdmin() && d.access.includes(current().key.member));
}

function syncResolution(): void {
  const closing = select("set-status").value === "closed" && view?.detail.status !== "closed";
  $("resolution-field").hidden = !closing;
}

/** The change the form asks for; null when the resolution is missing for closing. */
function patchOf(d: CaseDetail): CasePatch | null {
  const body: CasePatch = {};
  const status = CASE_TRANSITIONS[d.status].find((s) => s === select("set-status").value);
  if (status) body.status = status;
  if (body.status === "closed") {
    const resolution = RESOLUTIONS.find((r) => r === select("set-resolution").value);
    if (!resolution) return null;
    body.resolution = resolution;
  }
  const assignee = select("set-assignee").value || null;
  if (assignee !== d.assignee) body.assignee = assignee;
  if (input("set-hold").checked !== d.legal_hold) body.legal_hold = input("set-hold").checked;
  return body;
}

async function saveStatus(): Promise<void> {
  if (!view) return;
  const { id, detail } = view;
  const result = $("status-result");
  result.replaceChildren();
  const body = patchOf(detail);
  if (!body) {
    result.replaceChildren(el("span", { class: "error" }, tr("console.case.need_resolution")));
    i18n().apply(result);
    return;
  }
  if (!Object.keys(body).length) return;
  const epoch = session.epoch;
  const save = button("status-save");
  save.disabled = true;
  try {
    const updated = await patchCase(current().client, id, body);
    if (!stillOpen(epoch) || shownId() !== updated.id) return;
    view.detail = { ...view.detail, ...updated };
    const cached = session.cases.get(id);
    if (cached) cached.detail = view.detail;
    hooks?.changed(id, view.detail, metaOf(view));
    renderMeta(view.detail, view.report.form);
    renderActions(view.detail);
    result.replaceChildren(tr("console.case.saved"));
    i18n().apply($("view-case"));
  } catch (err) {
    showError(result, err);
  } finally {
    save.disabled = false;
  }
}

// -- writing ---------------------------------------------------------------------------------

/** A Send bound to the case shown now, or the catalogue key saying why `text` may not be written to it. */
function prepare(kind: EntryKind, text: string, files: File[]): Send | string {
  if (!view) return "console.case.refused";
  if (!text) return "console.case.empty";
  // protocol §4.5: never write to a case whose stored reply_to or access differs from the sealed report.
  if (blocksWriting(view.warnings)) return "console.case.refused";
  const v = view;
  return (leaving = false) => write(v, kind, text, files, leaving);
}

/**
 * What a reply template is filled in with: the reporter's language and the
 * case's days. A first message acknowledges the case, so an unacknowledged
 * case's feedback day is counted from today, as the bulk acknowledgement does.
 */
function template(): TemplateContext | null {
  if (!view) return null;
  return { lang: view.report.lang, values: ackValues(view.detail, todayUtc()) };
}

/** The catalogue key for a write that failed before anything was sent; null for other errors (shown as API errors). */
function writeFailure(err: unknown): string | null {
  if (err instanceof ManifestExpired) return "console.case.manifest_expired";
  if (err instanceof SealFailed || (err instanceof Error && err.message.includes("no longer current")))
    return "console.case.seal_failed";
  return null;
}

async function write(v: View, kind: EntryKind, text: string, files: File[], leaving = false): Promise<void> {
  const [statusId, textId, sendId] =
    kind === "message" ? ["reply-status", "reply-text", "reply-send"] : ["note-status", "note-text", "note-send"];
  // The case may have been left meanwhile (a reply goes out when another case opens): its view is not touched.
  const here = (): boolean => shownId() === v.id;
  // Its writer reads this case now (not the inbox, not another case).
  const inView = (): boolean => here() && !$("view-case").hidden;
  const say = (cls: string, ...lines: HTMLSpanElement[]): void => {
    if (!here()) return;
    $(statusId).replaceChildren(el("span", { class: cls }, ...lines.flatMap((line, i) => (i ? [" ", line] : [line]))));
    i18n().apply($(statusId));
  };
  const epoch = session.epoch;
  const send = button(sendId);
  send.disabled = true;
  // Each file's upload, with its progress and a cancel button, while the entry goes out.
  const uploads = el("ul", { class: "file-list" });
  if (here()) $(statusId).before(uploads);
  try {
    say("", tr("console.case.sending"));
    const post = (onlyAfter: boolean): Promise<{ dropped: string[] }> =>
      postEntry(current(), manifest(), v, {
        kind,
        text,
        files,
        onlyAfter,
        onUpload: (file, upload) => {
          uploads.append(uploadRow(file, upload));
        },
      });
    // A reply its writer sends in view of the thread goes only after it (protocol §4.4 `after`).
    let dropped: string[];
    try {
      ({ dropped } = await post(kind === "message" && !leaving && inView()));
    } catch (err) {
      if (!isThreadMoved(err) || !stillOpen(epoch)) throw err;
      if (inView()) {
        // A message came meanwhile, nothing was stored: show it, and keep the draft to send again.
        await showNewer(v.id, epoch);
        say("error", tr("console.case.newer_message"));
        return;
      }
      // Its writer left the case while it went out: sent as before, never lost unseen.
      ({ dropped } = await post(false));
    }
    if (!stillOpen(epoch)) return;
    if (here()) {
      textArea(textId).value = "";
      if (kind === "message") input("reply-files").value = "";
    }
    const reloaded = await loadCase(v.id, epoch);
    if (!reloaded || !stillOpen(epoch)) return;
    hooks?.changed(v.id, reloaded.detail, metaOf(reloaded));
    if (!here()) return;
    view = reloaded;
    renderAll(reloaded);
    // Removed members in the case's access list are not sealed to (protocol §4.5): say who did not get it.
    const left = dropped.length ? [tr("console.case.dropped", { names: dropped.map(memberName).join(", ") })] : [];
    say("", tr(kind === "message" ? "console.case.replied" : "console.case.noted"), ...left);
  } catch (err) {
    if (!stillOpen(epoch)) return;
    const key = writeFailure(err);
    if (key) say("error", tr(key));
    else if (here()) showError($(statusId), err);
  } finally {
    uploads.remove();
    send.disabled = false;
  }
}

/** The case read again after a reply was refused for a newer message: shown, the draft untouched. */
async function showNewer(id: string, epoch: number): Promise<void> {
  const reloaded = await loadCase(id, epoch).catch(() => null);
  if (!reloaded || !stillOpen(epoch)) return;
  hooks?.changed(id, reloaded.detail, metaOf(reloaded));
  if (shownId() !== id) return;
  view = reloaded;
  renderAll(reloaded);
}

// -- deleting (admins in the access list) ------------------------------------------------------

/** Step one shows a question naming the case; step two (deleteCase) sends DELETE. */
function askDelete(open: boolean): void {
  $("delete-status").replaceChildren();
  $("delete-confirm").hidden = !open;
  $("delete-start").hidden = open;
  if (!open || !view) {
    $("delete-start").focus();
    return;
  }
  const args = { summary: (view.report.form.summary ?? "").slice(0, 160), id: view.id };
  $("delete-question").replaceChildren(tr("console.case.delete.question", args));
  $("delete-yes").replaceChildren(tr("console.case.delete.confirm", { id: view.id }));
  i18n().apply($("delete-case"));
  $("delete-no").focus();
}

async function deleteCase(): Promise<void> {
  if (!view) return;
  const { id } = view;
  const epoch = session.epoch;
  button("delete-yes").disabled = true;
  try {
    try {
      await current().client.call("DELETE", `/v1/team/cases/${id}`);
    } catch (err) {
      // A retried DELETE whose first attempt went through finds nothing: the case is gone either way.
      if (!(err instanceof ApiError && err.code === "not_found")) throw err;
    }
    if (!stillOpen(epoch)) return;
    clearCase();
    hooks?.deleted(id);
    showNotice("console.case.delete.done", { id });
  } catch (err) {
    if (!stillOpen(epoch) || shownId() !== id) return;
    askDelete(false);
    showError($("delete-status"), err);
  } finally {
    button("delete-yes").disabled = false;
  }
}
