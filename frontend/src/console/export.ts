// "Export for counsel" in the case view: records the export with the
// server (an audited action, protocol §4.4 "Exports"), gathers the case's
// audit entries (admins read the log), decrypts the attachments, and saves
// the ZIP lib/case-export.ts builds. The button is made here, in the case's
// action panel.
import { listAudit } from "../lib/api.js";
import { attachmentFiles, buildExport, zipExport } from "../lib/case-export.js";
import { openCaseAttachment } from "../lib/teamops.js";
import { $, el, saveBytes, tr } from "../page/common.js";
import type { View } from "./case-sections.js";
import { current, i18n, isAdmin, memberName, session, showError, stillOpen } from "./session.js";

let shown: (() => View | null) | null = null;

/** Make the button once; `view` gives the case shown now. */
export function initExport(view: () => View | null): void {
  shown = view;
  const button = el("button", { type: "button", id: "export-case" }, tr("console.export.button"));
  const box = el(
    "div",
    { id: "export-box", class: "export" },
    el("h3", {}, tr("console.export.title")),
    el("p", { class: "small" }, tr("console.export.text")),
    el("p", {}, button),
    el("p", { id: "export-status", role: "status", "aria-live": "polite" }),
  );
  $("status-form").after(box);
  button.addEventListener("click", () => void exportCase());
}

export function clearExport(): void {
  document.getElementById("export-status")?.replaceChildren();
}

const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** The printable summary: a self-contained page without scripts, every value escaped. */
function summaryHtml(v: View, entryDay: string): string {
  const t = (k: string, a?: Record<string, string | number>): string => esc(i18n().t(k, a));
  const d = v.detail;
  const row = (k: string, value: string): string => `<tr><th>${esc(k)}</th><td>${esc(value)}</td></tr>`;
  const meta = [
    row(i18n().t("console.meta.case"), d.id),
    row(i18n().t("console.meta.status"), i18n().t(`console.status.${d.status}`)),
    row(i18n().t("console.meta.received"), d.received),
    row(i18n().t("console.meta.acknowledge_by"), d.acknowledge_by),
    row(i18n().t("console.meta.feedback_by"), d.feedback_by),
    row(i18n().t("console.meta.access"), d.access.map(memberName).join(", ")),
  ];
  const form = Object.entries(v.report.form).map(([k, value]) => row(k, value));
  const entry = (m: View["messages"][number]): string => {
    const who = m.meta.from === "reporter" ? i18n().t("console.thread.reporter") : memberName(m.doc?.member ?? "");
    const text = m.doc ? esc(m.doc.text) : t("console.thread.not_shown");
    return `<li><p><b>#${m.meta.seq}</b> · ${esc(m.meta.day ?? "")} · ${esc(who)} · ${esc(m.verdict)}</p><p class="text">${text}</p></li>`;
  };
  return [
    '<!doctype html><html lang="' + esc(i18n().lang) + '"><head><meta charset="utf-8">',
    `<title>${t("console.export.summary_title", { id: d.id })}</title>`,
    "<style>body{font:11pt/1.4 system-ui,sans-serif;margin:2em}th{text-align:left;padding-right:1em}.text{white-space:pre-wrap}</style>",
    `</head><body><h1>${t("console.export.summary_title", { id: d.id })}</h1>`,
    `<p>${t("console.export.summary_by", { name: memberName(current().key.member), day: entryDay })}</p>`,
    `<table>${meta.join("")}</table>`,
    `<h2>${t("console.case.report")}</h2><table>${form.join("")}</table>`,
    `<h2>${t("console.case.thread")}</h2><ol>${v.messages.map(entry).join("")}</ol>`,
    `<h2>${t("console.case.notes")}</h2><ol>${v.notes.map(entry).join("")}</ol>`,
    `<p>${t("console.export.summary_sheet")}</p></body></html>\n`,
  ].join("\n");
}

async function exportCase(): Promise<void> {
  const v = shown?.();
  if (!v) return;
  const status = $("export-status");
  const say = (key: string): void => {
    status.replaceChildren(tr(key));
    i18n().apply(status);
  };
  const epoch = session.epoch;
  const button = $("export-case", HTMLButtonElement);
  button.disabled = true;
  try {
    say("console.export.recording");
    const { entry } = (await current().client.call("POST", `/v1/team/cases/${v.id}/export`, { body: {} })) as {
      entry: Record<string, unknown>;
    };
    const admin = isAdmin();
    const entries = admin ? (await listAudit(current().client)).filter((e) => e.case === v.id) : [];
    say("console.export.decrypting");
    const files = new Map<string, Uint8Array>();
    for (const { entry: a } of attachmentFiles(v))
      files.set(a.id, await openCaseAttachment(current(), v.id, a, v.hint));
    if (!stillOpen(epoch)) return;
    const day = typeof entry.day_time === "string" ? entry.day_time : "";
    const zip = zipExport(
      buildExport({
        caseRead: v,
        chain: current().chain,
        entry,
        audit: { entries: entries as unknown as Record<string, unknown>[], complete: admin },
        files,
        summaryHtml: summaryHtml(v, day),
        exportedBy: current().key.member,
      }),
    );
    saveBytes(zip, `candor-${v.id}-export.zip`);
    say(admin ? "console.export.done" : "console.export.done_reviewer");
  } catch (err) {
    if (stillOpen(epoch)) showError(status, err);
  } finally {
    button.disabled = false;
  }
}
