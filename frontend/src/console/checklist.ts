// The case's playbook as a checklist (lib/playbook.ts): the steps of the
// report's category with owner, due time and who ticked them when; ticking
// or unticking writes a signed, sealed note (postTick). The section is made
// here, above the thread, the first time a case with a playbook is shown.
import playbooks from "candor:playbooks";
import { postTick, progress, type StepState, summary, textIn } from "../lib/playbook.js";
import { $, el, tr } from "../page/common.js";
import type { View } from "./case-sections.js";
import { current, i18n, manifest, memberName, session, showError, stillOpen } from "./session.js";

/** The section's list, made once and placed before the thread's heading. */
function section(): { box: HTMLElement; title: HTMLElement; list: HTMLElement; status: HTMLElement } {
  let box = document.getElementById("case-playbook-box");
  if (!box) {
    box = el(
      "section",
      { id: "case-playbook-box", class: "playbook", "aria-labelledby": "case-playbook-title" },
      el("h2", { id: "case-playbook-title" }),
      el("p", { id: "case-playbook-summary", class: "small" }),
      el("ul", { id: "case-playbook", class: "checklist" }),
      el("p", { id: "case-playbook-status", role: "status", "aria-live": "polite" }),
    );
    const threadHeading = $("case-thread").previousElementSibling;
    $("case-thread").parentElement?.insertBefore(box, threadHeading);
  }
  return { box, title: $("case-playbook-title"), list: $("case-playbook"), status: $("case-playbook-status") };
}

const when = (d: Date): string =>
  new Intl.DateTimeFormat(i18n().lang, { dateStyle: "medium", timeStyle: "short" }).format(d);

/** Hide the section (no case, or a category without a playbook). */
export function clearChecklist(): void {
  const box = document.getElementById("case-playbook-box");
  if (box) box.hidden = true;
}

/** Show `v`'s checklist; `changed` reloads the case after a tick was written. */
export function renderChecklist(v: View, changed: (id: string) => Promise<void>): void {
  const category = v.report.form.category;
  const states = progress(playbooks, category, v.detail.received, v.notes);
  if (!states.length || !category) {
    clearChecklist();
    return;
  }
  const { box, title, list, status } = section();
  box.hidden = false;
  status.replaceChildren();
  title.replaceChildren(tr("console.playbook.title"));
  const { done, total, overdue } = summary(states);
  const counts = [tr("console.playbook.progress", { done, steps: total })];
  if (overdue)
    counts.push(el("span", { class: "late" }, " · ", tr("console.playbook.overdue_count", { late: overdue })));
  $("case-playbook-summary").replaceChildren(...counts);
  list.replaceChildren(...states.map((s) => stepItem(v, category, s, changed)));
}

function stepItem(v: View, category: string, s: StepState, changed: (id: string) => Promise<void>): HTMLLIElement {
  const id = `step-${s.step.id}`;
  const box = el("input", { type: "checkbox", id, dataset: { step: s.step.id } });
  box.checked = s.done;
  box.addEventListener("change", () => void tick(v, category, s, box, changed));
  const owner = textIn(playbooks.owners[s.step.owner] ?? { en: s.step.owner }, i18n().lang);
  const facts: (Node | string)[] = [
    tr("console.playbook.owner", { owner }),
    " · ",
    tr("console.playbook.due", { time: when(s.due) }),
  ];
  if (s.overdue) facts.push(" · ", el("strong", { class: "late" }, tr("console.playbook.overdue")));
  if (s.by && s.at) {
    const key = s.done ? "console.playbook.ticked_by" : "console.playbook.unticked_by";
    facts.push(" · ", tr(key, { name: memberName(s.by), time: when(new Date(s.at)) }));
    if (s.late) facts.push(" ", el("span", { class: "late" }, tr("console.playbook.late")));
  }
  const state = s.done ? "done" : s.overdue ? "overdue" : "open";
  return el(
    "li",
    { class: `step step-${state}`, dataset: { step: s.step.id, state } },
    box,
    " ",
    el("label", { for: id }, textIn(s.step.text, i18n().lang)),
    el("p", { class: "small step-facts" }, ...facts),
  );
}

/** Write the tick (or untick) as a signed note, then show the case as it is now. */
async function tick(
  v: View,
  category: string,
  s: StepState,
  box: HTMLInputElement,
  changed: (id: string) => Promise<void>,
): Promise<void> {
  const done = box.checked;
  const status = $("case-playbook-status");
  const epoch = session.epoch;
  for (const b of document.querySelectorAll<HTMLInputElement>("#case-playbook input")) b.disabled = true;
  status.replaceChildren(tr("console.case.sending"));
  i18n().apply(status);
  try {
    // The note's text says the same as its checklist field, for readers that know no playbooks.
    const text = i18n().t(done ? "console.playbook.tick_text" : "console.playbook.untick_text", {
      step: textIn(s.step.text, i18n().lang),
    });
    await postTick(current(), manifest(), v, { playbook: category, step: s.step.id, done, text });
    if (!stillOpen(epoch)) return;
    await changed(v.id);
  } catch (err) {
    if (!stillOpen(epoch)) return;
    box.checked = !done;
    showError(status, err);
  } finally {
    for (const b of document.querySelectorAll<HTMLInputElement>("#case-playbook input")) b.disabled = false;
  }
}
