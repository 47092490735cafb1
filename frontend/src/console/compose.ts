// Writing in a case: a reply to the reporter and an internal note sit in
// two tabs that look different (the note's panel is marked internal), so a
// note cannot be typed into the reply by mistake. A reply is shown back for
// confirmation, then waits UNDO_SECONDS before it is sealed and sent, and
// can be taken back until then; opening another case sends it at once, and
// locking the console drops it unsent. A note is sent at once: only the
// team reads it. A reply may start from a template (frontend/replies.json),
// filled in the reporter's language; it is then sent like any other reply.
import replies from "candor:replies";
import { fillReply, type Values } from "../lib/replies.js";
import type { EntryKind } from "../lib/types.js";
import { $, el, formatSize, tr } from "../page/common.js";
import { i18n, session, stillOpen } from "./session.js";
import { button, input, select, textArea } from "./views.js";

/** How long a confirmed reply can still be taken back. */
export const UNDO_SECONDS = 8;

/**
 * Sends the entry to the case it was prepared for (case.ts), reporting in
 * the kind's status line; `leaving`: it goes out because its writer leaves
 * the case, so it cannot wait for them to read a newer message.
 */
export type Send = (leaving?: boolean) => Promise<void>;

export interface ComposeHooks {
  /** A Send bound to the case shown now, or the catalogue key saying why `text` may not be written to it. */
  prepare(kind: EntryKind, text: string, files: File[]): Send | string;
  /** What a template is filled in with for the case shown now (null when none is). */
  template(): TemplateContext | null;
}

/** The reporter's language (the report's `lang`) and the case's values for the placeholders. */
export interface TemplateContext {
  lang: string;
  values: Values;
}

interface Pending {
  send: Send;
  timer?: ReturnType<typeof setInterval>;
  /** Sends now (the undo window's end, or `leaving` the case). */
  finish?: (leaving?: boolean) => void;
}

let hooks: ComposeHooks | null = null;
let pending: Pending | null = null;

const TABS: Record<EntryKind, { tab: string; panel: string }> = {
  message: { tab: "compose-tab-reply", panel: "reply-form" },
  note: { tab: "compose-tab-note", panel: "note-form" },
};

export function initCompose(wiring: ComposeHooks): void {
  hooks = wiring;
  for (const kind of ["message", "note"] as const) {
    $(TABS[kind].tab).addEventListener("click", () => {
      selectTab(kind);
    });
    $(TABS[kind].tab).addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      const other = kind === "message" ? "note" : "message";
      selectTab(other);
      $(TABS[other].tab).focus();
    });
  }
  initTemplates();
  $("reply-form").addEventListener("submit", (e) => {
    e.preventDefault();
    askToSend();
  });
  $("note-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const send = prepared("note", textArea("note-text").value.trim(), []);
    if (send) void send();
  });
  $("reply-confirm-send").addEventListener("click", startUndoWindow);
  $("reply-confirm-edit").addEventListener("click", () => {
    backToEditing();
  });
  $("reply-undo-button").addEventListener("click", () => {
    backToEditing();
    say("console.compose.undone");
    textArea("reply-text").focus();
  });
}

/** The template chooser, made here above the reply's text. */
function initTemplates(): void {
  const chooser = el("select", { id: "reply-template" });
  const field = el(
    "div",
    { class: "field" },
    el("label", { for: "reply-template" }, tr("console.compose.template")),
    chooser,
    el("p", { id: "reply-template-lang", class: "small" }),
  );
  $("reply-form").insertBefore(field, $("reply-text").previousElementSibling);
  chooser.addEventListener("change", () => {
    useTemplate(chooser.value);
  });
  fillChooser();
  i18n().onChange(fillChooser);
}

/** The chooser's options in the console's language: "no template", then each template's label. */
function fillChooser(): void {
  const chooser = select("reply-template");
  const chosen = chooser.value;
  chooser.replaceChildren(
    el("option", { value: "" }, i18n().t("console.compose.template_none")),
    ...replies.replies.map((r) => el("option", { value: r.id }, i18n().local(r.label))),
  );
  chooser.value = chosen;
}

/** Put the template, filled in the reporter's language, into the reply's text for editing. */
function useTemplate(id: string): void {
  const reply = replies.replies.find((r) => r.id === id);
  const context = hooks?.template();
  const note = $("reply-template-lang");
  if (!reply || !context) {
    note.replaceChildren();
    return;
  }
  const { lang, text } = fillReply(reply, context.lang, context.values);
  textArea("reply-text").value = text;
  const language = new Intl.DisplayNames([i18n().lang], { type: "language", fallback: "code" }).of(lang) ?? lang;
  note.replaceChildren(
    tr(lang === context.lang ? "console.compose.template_lang" : "console.compose.template_fallback", { language }),
  );
  i18n().apply(note);
}

/** Show one tab's panel (tabs pattern of WAI-ARIA: one tab in the tab order). */
export function selectTab(kind: EntryKind): void {
  for (const k of ["message", "note"] as const) {
    const on = k === kind;
    const tab = $(TABS[k].tab);
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(TABS[k].panel).hidden = !on;
  }
}

/** Leaving the case: a confirmed reply goes out now (unless the console was locked), one being confirmed is dropped. */
export function clearCompose(): void {
  if (pending?.finish) pending.finish(true);
  else backToEditing();
  say(null);
  $("note-status").replaceChildren();
  select("reply-template").value = "";
  $("reply-template-lang").replaceChildren();
  selectTab("message");
}

function say(key: string | null, args?: Record<string, string | number>, cls = ""): void {
  const node = $("reply-status");
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
}

/** The Send for `text`, or null after showing why it may not be written. */
function prepared(kind: EntryKind, text: string, files: File[]): Send | null {
  const send = hooks?.prepare(kind, text, files) ?? "console.case.refused";
  if (typeof send !== "string") return send;
  const node = $(kind === "message" ? "reply-status" : "note-status");
  node.replaceChildren(el("span", { class: "error" }, tr(send)));
  i18n().apply(node);
  return null;
}

/** Step one: show the reply as the reporter will read it, with the files, and ask. */
function askToSend(): void {
  if (pending) return;
  const text = textArea("reply-text").value.trim();
  say(null);
  const files = [...(input("reply-files").files ?? [])];
  const send = prepared("message", text, files);
  if (!send) return;
  pending = { send };
  setEditing(false);
  $("reply-confirm-text").textContent = text;
  $("reply-confirm-files").replaceChildren(
    ...files.map((f) => el("li", { class: "file" }, `${f.name} (${formatSize(f.size, i18n().lang)})`)),
  );
  $("reply-confirm").hidden = false;
  button("reply-confirm-send").focus();
}

/** Step two: the reply waits UNDO_SECONDS, counting down, before it is sealed and sent. */
function startUndoWindow(): void {
  const reply = pending;
  if (!reply || reply.timer) return;
  $("reply-confirm").hidden = true;
  $("reply-undo").hidden = false;
  button("reply-undo-button").focus();
  const epoch = session.epoch;
  const deadline = Date.now() + UNDO_SECONDS * 1000;
  reply.finish = (leaving = false) => {
    clearInterval(reply.timer);
    $("reply-undo").hidden = true;
    pending = null;
    // Locking drops the keys: a reply still waiting is not sent.
    if (!stillOpen(epoch)) {
      setEditing(true);
      return;
    }
    void reply.send(leaving).finally(() => {
      setEditing(true);
    });
  };
  const tick = (): void => {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      reply.finish?.();
      return;
    }
    $("reply-undo-text").replaceChildren(tr("console.compose.sending_in", { n: left }));
    i18n().apply($("reply-undo-text"));
  };
  reply.timer = setInterval(tick, 200);
  tick();
}

/** Back to the text as it was, nothing sent. */
function backToEditing(): void {
  if (pending?.timer) clearInterval(pending.timer);
  pending = null;
  $("reply-confirm").hidden = true;
  $("reply-undo").hidden = true;
  $("reply-confirm-text").textContent = "";
  $("reply-confirm-files").replaceChildren();
  setEditing(true);
}

/** While a reply is confirmed or waiting, its text and files cannot change under it. */
function setEditing(on: boolean): void {
  textArea("reply-text").readOnly = !on;
  select("reply-template").disabled = !on;
  input("reply-files").disabled = !on;
  button("reply-send").disabled = !on;
  button("compose-tab-note").disabled = !on;
}
