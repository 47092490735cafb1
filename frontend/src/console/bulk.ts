// "Acknowledge all new" in the inbox: after a confirmation naming how many
// cases, each new case the member sees gets its own acknowledgement, the
// operator's template filled in its reporter's language, signed and sealed
// as a single reply is (lib/replies.ts's acknowledgeCase), then marked
// acknowledged. Progress and an outcome per case are shown; the failed ones
// can be tried again, and a case is read afresh before each try, so none
// is acknowledged twice.
import replies from "candor:replies";
import { acknowledgeCase, acknowledgement, eachCase } from "../lib/replies.js";
import type { CaseDetail } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import { current, i18n, manifest, session, stillOpen } from "./session.js";
import { button, outcomeItem } from "./views.js";

export interface BulkHooks {
  /** The ids of the new cases the member sees now. */
  newCases(): string[];
  /** A case as the outcome list names it. */
  label(id: string): string;
  /** A case changed (its row is updated). */
  changed(id: string, detail: CaseDetail): void;
}

let hooks: BulkHooks | null = null;
/** The cases the confirmation asked about (all new ones, or the failed ones on a retry). */
let asked: string[] = [];
let running = false;

export function initBulk(wiring: BulkHooks): void {
  hooks = wiring;
  const start = el("button", { type: "button", id: "bulk-ack", "data-i18n": "console.bulk.start" });
  $("inbox-refresh").parentElement?.after(el("div", { class: "tool tool-button" }, start));
  const box = el(
    "section",
    { id: "bulk-ack-box", class: "bulk", "aria-labelledby": "bulk-ack-title", hidden: true },
    el("h2", { id: "bulk-ack-title", "data-i18n": "console.bulk.title" }),
    el("p", { id: "bulk-ack-question" }),
    el(
      "p",
      { id: "bulk-ack-buttons" },
      el("button", { type: "button", id: "bulk-ack-send" }),
      " ",
      el("button", { type: "button", id: "bulk-ack-cancel", "data-i18n": "console.bulk.cancel" }),
    ),
    el("progress", { id: "bulk-ack-progress", max: 1, value: 0, hidden: true, "aria-labelledby": "bulk-ack-title" }),
    el("p", { id: "bulk-ack-status", role: "status", "aria-live": "polite" }),
    el("ul", { id: "bulk-ack-outcomes", class: "outcomes" }),
    el(
      "p",
      {},
      el("button", { type: "button", id: "bulk-ack-retry", hidden: true, "data-i18n": "console.bulk.retry" }),
    ),
  );
  $("inbox-progress").before(box);
  start.addEventListener("click", () => {
    ask(hooks?.newCases() ?? []);
  });
  $("bulk-ack-send").addEventListener("click", () => void run());
  $("bulk-ack-cancel").addEventListener("click", () => {
    if (running) return;
    box.hidden = true;
    start.focus();
  });
  $("bulk-ack-retry").addEventListener("click", () => {
    ask(asked);
  });
  const translate = (): void => {
    i18n().apply(start.parentElement ?? start);
    i18n().apply(box);
  };
  translate();
  i18n().onChange(translate);
}

/** Locking: the panel closes, nothing is kept. */
export function clearBulk(): void {
  asked = [];
  const box = document.getElementById("bulk-ack-box");
  if (!box) return;
  box.hidden = true;
  for (const id of ["bulk-ack-question", "bulk-ack-status", "bulk-ack-outcomes"]) $(id).replaceChildren();
  $("bulk-ack-retry").hidden = true;
  $("bulk-ack-progress").hidden = true;
}

function say(id: string, key: string | null, args?: Record<string, string | number>, cls = ""): void {
  const node = $(id);
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
}

/** Step one: the question, naming how many cases; nothing is sent yet. */
function ask(ids: string[]): void {
  if (running) return;
  asked = [...ids];
  $("bulk-ack-box").hidden = false;
  $("bulk-ack-retry").hidden = true;
  $("bulk-ack-outcomes").replaceChildren();
  say("bulk-ack-status", null);
  const reply = acknowledgement(replies);
  const send = button("bulk-ack-send");
  if (!reply || !asked.length) {
    say("bulk-ack-question", reply ? "console.bulk.nothing" : "console.bulk.no_template");
    send.hidden = true;
    button("bulk-ack-cancel").focus();
    return;
  }
  say("bulk-ack-question", "console.bulk.question", { count: asked.length, template: i18n().local(reply.label) });
  send.hidden = false;
  send.replaceChildren(tr("console.bulk.send", { count: asked.length }));
  i18n().apply(send);
  send.focus();
}

/** Step two: each case in turn, its outcome listed as it comes. */
async function run(): Promise<void> {
  const reply = acknowledgement(replies);
  if (running || !reply || !asked.length) return;
  running = true;
  const epoch = session.epoch;
  const ids = [...asked];
  const progress = $("bulk-ack-progress", HTMLProgressElement);
  Object.assign(progress, { max: ids.length, value: 0, hidden: false });
  button("bulk-ack-send").hidden = true;
  button("bulk-ack-cancel").disabled = true;
  $("bulk-ack-question").replaceChildren();
  const list = $("bulk-ack-outcomes");
  const seen = (detail: CaseDetail): void => {
    if (stillOpen(epoch)) hooks?.changed(detail.id, detail);
  };
  try {
    const outcomes = await eachCase(
      ids,
      (id) => acknowledgeCase(current(), manifest(), id, reply, seen),
      (outcome, done) => {
        if (!stillOpen(epoch)) return;
        progress.value = done;
        list.append(outcomeItem(outcome, hooks?.label(outcome.case) ?? outcome.case, "console.bulk"));
        say("bulk-ack-status", "console.bulk.progress", { done, all: ids.length });
      },
    );
    if (!stillOpen(epoch)) return;
    const failed = outcomes.filter((o) => o.result === "failed").map((o) => o.case);
    asked = failed;
    const sent = outcomes.filter((o) => o.result === "sent" || o.result === "status").length;
    const args = { count: sent, failed: failed.length };
    say(
      "bulk-ack-status",
      failed.length ? "console.bulk.done_failed" : "console.bulk.done",
      args,
      failed.length ? "error" : "",
    );
    $("bulk-ack-retry").hidden = !failed.length;
  } finally {
    running = false;
    if (stillOpen(epoch)) {
      progress.hidden = true;
      button("bulk-ack-cancel").disabled = false;
    }
  }
}
