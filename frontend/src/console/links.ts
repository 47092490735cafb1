// "Same incident as…" links (lib/case-meta.ts): the case view lists the
// cases this one is linked to, links or unlinks another (a signed, sealed
// note on each side), and sends one reply composed once to the reporters
// of this case and every linked one, each its own signed message sealed to
// its own reporter (lib/replies.ts's replyToCase), with an outcome per case
// and a retry of the failed ones.
import { currentLinks, setLink } from "../lib/case-meta.js";
import { CASE_ID } from "../lib/check.js";
import { eachCase, replyToCase } from "../lib/replies.js";
import { $, el, tr } from "../page/common.js";
import type { View } from "./case-sections.js";
import { current, i18n, manifest, session, showError, stillOpen } from "./session.js";
import { button, formOf, input, outcomeItem, textArea } from "./views.js";

export interface LinkHooks {
  /** Open another case. */
  open(id: string): void;
  /** What the inbox knows of a case's summary, if anything. */
  summary(id: string): string | undefined;
  /** The cases the inbox lists, offered as the link field's suggestions. */
  choices(): Promise<{ id: string; summary: string }[]>;
  /** Read the case shown again, and tell the inbox. */
  reload(id: string): Promise<void>;
}

let shown: View | null = null;
let hooks: LinkHooks | null = null;
/** The cases the reply to all still has to reach (all of them, or the failed ones on a retry). */
let toSend: string[] = [];

function section(): HTMLElement {
  const found = document.getElementById("case-links-box");
  if (found) return found;
  const box = el(
    "section",
    { id: "case-links-box", class: "case-links", "aria-labelledby": "case-links-title" },
    el("h2", { id: "case-links-title", "data-i18n": "console.links.title" }),
    el("ul", { id: "case-links", class: "file-list" }),
    el(
      "form",
      { id: "case-link-form" },
      el("label", { for: "case-link-input", "data-i18n": "console.links.label" }),
      el("input", {
        type: "text",
        id: "case-link-input",
        autocomplete: "off",
        spellcheck: "false",
        list: "case-link-choices",
      }),
      el("datalist", { id: "case-link-choices" }),
      el("button", { type: "submit", id: "case-link-add", "data-i18n": "console.links.add" }),
    ),
    el("p", { id: "case-links-status", role: "status", "aria-live": "polite" }),
    replyForm(),
  );
  (document.getElementById("case-tags-box") ?? $("case-meta")).after(box);
  $("case-link-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const other = input("case-link-input").value.trim();
    if (!CASE_ID.test(other) || other === shown?.id) {
      say("case-links-status", "console.links.bad_id", "error");
      return;
    }
    void link(other, true);
  });
  return box;
}

function replyForm(): HTMLElement {
  const form = el(
    "form",
    { id: "links-reply-form", hidden: true },
    el("h3", { id: "links-reply-title" }),
    el("label", { for: "links-reply-text", "data-i18n": "console.links.reply_label" }),
    el("textarea", { id: "links-reply-text", rows: 4, spellcheck: "false", autocomplete: "off" }),
    el("button", { type: "submit", id: "links-reply-review", "data-i18n": "console.links.review" }),
    el(
      "div",
      { id: "links-reply-confirm", class: "alert alert-warn", hidden: true },
      el("p", { id: "links-reply-question" }),
      el("button", { type: "button", id: "links-reply-send", "data-i18n": "console.links.send" }),
      " ",
      el("button", { type: "button", id: "links-reply-edit", "data-i18n": "console.links.edit" }),
    ),
    el("p", { id: "links-reply-status", role: "status", "aria-live": "polite" }),
    el("ul", { id: "links-reply-outcomes", class: "outcomes" }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    review();
  });
  form.querySelector("#links-reply-send")?.addEventListener("click", () => void sendAll());
  form.querySelector("#links-reply-edit")?.addEventListener("click", () => {
    confirmShown(false);
  });
  return form;
}

function say(id: string, key: string | null, cls = "", args?: Record<string, string | number>): void {
  const node = $(id);
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
}

/** A case as the lists name it: its summary when the inbox knows it, and its id. */
function caseLabel(id: string): string {
  const summary = hooks?.summary(id) ?? formOf(session.cases.get(id)?.report).summary;
  return summary ? `${summary.slice(0, 80)} (${id})` : id;
}

/** Show `v`'s links and, when it has any, the reply to all their reporters. */
export function renderLinks(v: View, wiring: LinkHooks): void {
  hooks = wiring;
  if (shown?.id !== v.id) {
    toSend = [];
    document.getElementById("links-reply-outcomes")?.replaceChildren();
  }
  shown = v;
  const box = section();
  box.hidden = false;
  const links = currentLinks(v.notes, v.id);
  $("case-links").replaceChildren(
    ...(links.length
      ? links.map((id) => {
          const open = el("button", { type: "button", class: "link", dataset: { case: id } }, caseLabel(id));
          open.addEventListener("click", () => hooks?.open(id));
          const unlink = el(
            "button",
            { type: "button", class: "unlink", dataset: { unlink: id } },
            tr("console.links.remove"),
          );
          unlink.addEventListener("click", () => void link(id, false));
          return el("li", {}, open, " ", unlink);
        })
      : [el("li", { class: "small" }, tr("console.links.none"))]),
  );
  void offerChoices(v, links);
  const form = $("links-reply-form");
  form.hidden = links.length === 0;
  $("links-reply-title").replaceChildren(tr("console.links.reply_title", { count: links.length + 1 }));
  i18n().apply(box);
}

/** The link field suggests the other listed cases by summary (typing a few words finds one). */
async function offerChoices(v: View, links: readonly string[]): Promise<void> {
  const cases = (await hooks?.choices()) ?? [];
  if (shown?.id !== v.id) return;
  const offered = cases.filter((c) => c.id !== v.id && !links.includes(c.id) && c.summary);
  $("case-link-choices").replaceChildren(
    ...offered.map((c) => el("option", { value: c.id, label: c.summary.slice(0, 80) })),
  );
}

export function clearLinks(): void {
  shown = null;
  toSend = [];
  const box = document.getElementById("case-links-box");
  if (!box) return;
  box.hidden = true;
  for (const id of ["case-links-status", "links-reply-status", "links-reply-outcomes", "case-link-choices"])
    $(id).replaceChildren();
  input("case-link-input").value = "";
  textArea("links-reply-text").value = "";
  confirmShown(false);
}

async function link(other: string, on: boolean): Promise<void> {
  const v = shown;
  if (!v) return;
  const epoch = session.epoch;
  button("case-link-add").disabled = true;
  say("case-links-status", "console.case.sending");
  try {
    const text = (links: readonly string[]): string =>
      links.length ? i18n().t("console.links.note", { cases: links.join(", ") }) : i18n().t("console.links.note_none");
    await setLink(current(), manifest(), v, other, on, text);
    if (!stillOpen(epoch)) return;
    input("case-link-input").value = "";
    await hooks?.reload(v.id);
    say("case-links-status", on ? "console.links.linked" : "console.links.unlinked");
  } catch (err) {
    if (!stillOpen(epoch)) return;
    // One side may be written already: show the links as they are now, then why it stopped.
    await hooks?.reload(v.id).catch(() => undefined);
    showError($("case-links-status"), err);
  } finally {
    button("case-link-add").disabled = false;
  }
}

function confirmShown(on: boolean): void {
  $("links-reply-confirm").hidden = !on;
  textArea("links-reply-text").readOnly = on;
  button("links-reply-review").disabled = on;
  if (on) button("links-reply-send").focus();
}

/** Step one: say how many reporters get the text, each as their own message, and ask. */
function review(): void {
  const v = shown;
  if (!v) return;
  if (!textArea("links-reply-text").value.trim()) {
    say("links-reply-status", "console.case.empty", "error");
    return;
  }
  if (!toSend.length) toSend = [v.id, ...currentLinks(v.notes, v.id)];
  say("links-reply-status", null);
  $("links-reply-question").replaceChildren(tr("console.links.question", { count: toSend.length }));
  i18n().apply($("links-reply-question"));
  confirmShown(true);
}

/** Step two: each case in turn, with its outcome listed; the failed ones stay for a retry. */
async function sendAll(): Promise<void> {
  const v = shown;
  if (!v) return;
  const text = textArea("links-reply-text").value.trim();
  const epoch = session.epoch;
  const list = $("links-reply-outcomes");
  list.replaceChildren();
  button("links-reply-send").disabled = true;
  const ids = [...toSend];
  const outcomes = await eachCase(
    ids,
    (id) => replyToCase(current(), manifest(), id, text),
    (outcome, done) => {
      if (!stillOpen(epoch)) return;
      list.append(outcomeItem(outcome, caseLabel(outcome.case), "console.links"));
      say("links-reply-status", "console.links.progress", "", { done, all: ids.length });
    },
  );
  button("links-reply-send").disabled = false;
  if (!stillOpen(epoch)) return;
  const failed = outcomes.filter((o) => o.result === "failed").map((o) => o.case);
  toSend = failed;
  confirmShown(false);
  if (!failed.length) textArea("links-reply-text").value = "";
  const sent = outcomes.length - failed.length;
  say(
    "links-reply-status",
    failed.length ? "console.links.done_failed" : "console.links.done",
    failed.length ? "error" : "",
    {
      count: sent,
      failed: failed.length,
    },
  );
  if (shown?.id === v.id) await hooks?.reload(v.id);
}
