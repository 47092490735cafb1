// Tags (lib/case-meta.ts): in the case view, the case's tags with who set
// them last, and a field to change them, which writes a signed, sealed note
// holding the whole set; in the inbox, each row's tags and a filter by tag
// over the rows in memory. The sections are made here, the first time they
// are needed.
import { currentTags, parseTags, postMeta } from "../lib/case-meta.js";
import { $, el, tr } from "../page/common.js";
import type { View } from "./case-sections.js";
import { toolSelect } from "./inbox-table.js";
import { current, i18n, manifest, memberName, session, showError, stillOpen } from "./session.js";
import { button, input } from "./views.js";

// -- the inbox --------------------------------------------------------------------------------

/** The tag filter, made once in the inbox's toolbar before the check boxes. */
export const tagFilter = (): HTMLSelectElement => toolSelect("f-tag", "console.tags.filter");

/** Fill the filter with every tag the rows carry, sorted; "All" first; the choice kept while offered. */
export function fillTagFilter(rows: Iterable<{ tags?: readonly string[] | null }>): void {
  const chooser = tagFilter();
  const keep = chooser.value;
  const tags = [...new Set([...rows].flatMap((r) => r.tags ?? []))].sort((a, b) => a.localeCompare(b));
  chooser.replaceChildren(
    el("option", { value: "" }, i18n().t("console.inbox.all")),
    ...tags.map((t) => el("option", { value: t }, t)),
  );
  if (tags.includes(keep)) chooser.value = keep;
}

/** A row's tags as badges after its summary (the tag text is the team's, shown as text). */
export const tagBadges = (tags: readonly string[] | null | undefined): HTMLElement[] =>
  (tags ?? []).map((t) => el("span", { class: "badge badge-tag", dataset: { tag: t } }, t));

// -- the case view ----------------------------------------------------------------------------

function section(): HTMLElement {
  const found = document.getElementById("case-tags-box");
  if (found) return found;
  const box = el(
    "section",
    { id: "case-tags-box", class: "case-tags", "aria-labelledby": "case-tags-title" },
    el("h2", { id: "case-tags-title", "data-i18n": "console.tags.title" }),
    el("p", { id: "case-tags" }),
    el("p", { id: "case-tags-by", class: "small" }),
    el(
      "form",
      { id: "case-tags-form" },
      el("label", { for: "case-tags-input", "data-i18n": "console.tags.label" }),
      el("p", { id: "case-tags-hint", class: "small", "data-i18n": "console.tags.hint" }),
      el("input", {
        type: "text",
        id: "case-tags-input",
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": "case-tags-hint",
      }),
      el("button", { type: "submit", id: "case-tags-save", "data-i18n": "console.tags.save" }),
    ),
    el("p", { id: "case-tags-status", role: "status", "aria-live": "polite" }),
  );
  $("case-meta").after(box);
  return box;
}

/** Show `v`'s tags; saving writes the note and `changed` reloads the case. */
export function renderTags(v: View, changed: (id: string) => Promise<void>): void {
  const box = section();
  box.hidden = false;
  const { tags, by, at } = currentTags(v.notes);
  $("case-tags").replaceChildren(...(tags.length ? tagBadges(tags) : [tr("console.tags.none")]));
  const when = at
    ? new Intl.DateTimeFormat(i18n().lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(at))
    : "";
  $("case-tags-by").replaceChildren(by ? tr("console.tags.by", { name: memberName(by), when }) : "");
  input("case-tags-input").value = tags.join(", ");
  const form = $("case-tags-form", HTMLFormElement);
  form.onsubmit = (e) => {
    e.preventDefault();
    void save(v, changed);
  };
  i18n().apply(box);
}

export function clearTags(): void {
  const box = document.getElementById("case-tags-box");
  if (!box) return;
  box.hidden = true;
  $("case-tags-status").replaceChildren();
}

async function save(v: View, changed: (id: string) => Promise<void>): Promise<void> {
  const status = $("case-tags-status");
  const say = (key: string, cls = ""): void => {
    status.replaceChildren(el("span", { class: cls }, tr(key)));
    i18n().apply(status);
  };
  let tags: string[];
  try {
    tags = parseTags(input("case-tags-input").value);
  } catch {
    say("console.tags.invalid", "error");
    return;
  }
  const epoch = session.epoch;
  const send = button("case-tags-save");
  send.disabled = true;
  try {
    const text = tags.length
      ? i18n().t("console.tags.note", { tags: tags.join(", ") })
      : i18n().t("console.tags.note_none");
    await postMeta(current(), manifest(), v, { tags }, text);
    if (!stillOpen(epoch)) return;
    await changed(v.id);
    say("console.tags.saved");
  } catch (err) {
    if (stillOpen(epoch)) showError(status, err);
  } finally {
    send.disabled = false;
  }
}
