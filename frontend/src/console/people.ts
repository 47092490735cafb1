// "People on this case" (protocol §4.4 "Grants"): who can read the case and
// how they came to; giving a member who joined later access (lib/grants.ts
// wraps the case's keys for them in this browser); and taking a member off
// (admins), saying plainly that what was read stays read. The section is made
// next to the case's bookkeeping, as the page has no slot of its own for it.
import { getCase } from "../lib/api.js";
import { excluded, GrantRefused, grantCase, grantsOf, revokeMember } from "../lib/grants.js";
import type { CaseRead } from "../lib/teamops.js";
import { $, el, tr } from "../page/common.js";
import { current, i18n, isAdmin, manifest, memberName, showError, showNotice, stillOpen, session } from "./session.js";

type Shown = CaseRead & { id: string };

/** Reads the case again and shows it (the case view's own reload). */
let reload: ((id: string) => Promise<void>) | null = null;
/** The member whose removal waits for confirmation. */
let confirming: string | null = null;

export function initPeople(reloadCase: (id: string) => Promise<void>): void {
  reload = reloadCase;
}

function section(): HTMLElement {
  const existing = document.getElementById("case-people");
  if (existing) return existing;
  const made = el("section", { id: "case-people", "aria-labelledby": "case-people-title" });
  $("case-meta").after(made);
  return made;
}

export function clearPeople(): void {
  confirming = null;
  document.getElementById("case-people")?.replaceChildren();
}

function personItem(v: Shown, member: string): HTMLLIElement {
  const grant = grantsOf(v.detail).find((g) => g.member === member);
  const how = grant
    ? tr("console.people.granted", { name: memberName(grant.by), day: grant.day })
    : tr("console.people.from_report");
  const item = el("li", { dataset: { member } }, el("strong", {}, memberName(member)), " — ", how);
  if (member === current().key.member) return item;
  if (grant) {
    // The reporter's page seals to the report's access list: a renewed grant
    // covers what was written since (protocol §4.4).
    const again = el(
      "button",
      { type: "button", class: "link", dataset: { regrant: member } },
      tr("console.people.renew"),
    );
    again.addEventListener("click", () => void grantTo(v, member));
    item.append(" ", again);
  }
  if (!isAdmin()) return item;
  if (confirming !== member) {
    const take = el(
      "button",
      { type: "button", class: "link", dataset: { revoke: member } },
      tr("console.people.revoke"),
    );
    take.addEventListener("click", () => {
      confirming = member;
      renderPeople(v);
    });
    item.append(" ", take);
    return item;
  }
  const yes = el("button", { type: "button", class: "danger", id: "revoke-yes" }, tr("console.people.revoke_yes"));
  const no = el("button", { type: "button", id: "revoke-no" }, tr("console.people.revoke_no"));
  yes.addEventListener("click", () => void revoke(v, member));
  no.addEventListener("click", () => {
    confirming = null;
    renderPeople(v);
  });
  const ask = el(
    "p",
    { class: "alert alert-warn", role: "alertdialog" },
    tr("console.people.revoke_confirm", { name: memberName(member) }),
  );
  item.append(ask, el("p", {}, yes, " ", no));
  return item;
}

function grantForm(v: Shown): HTMLElement {
  // A report older than the console's anchor names its exclusions in an
  // earlier manifest: the grant looks them up (lib/grants.ts exclusionChain).
  const leftOut = excluded(v.report, current().chain) ?? new Set<string>();
  const eligible = manifest().members.filter(
    // An intake member files reports and reads none (protocol §4.5, Roles).
    (m) => !m.removed && m.role !== "intake" && !v.detail.access.includes(m.id) && !leftOut.has(m.id),
  );
  if (!eligible.length) return el("p", { class: "small" }, tr("console.people.none"));
  const choice = el(
    "select",
    { id: "grant-member" },
    ...eligible.map((m) => el("option", { value: m.id }, memberName(m.id))),
  );
  const go = el("button", { type: "submit", id: "grant-send" }, tr("console.people.grant"));
  const form = el(
    "form",
    { id: "grant-form" },
    el("label", { for: "grant-member" }, tr("console.people.grant_label")),
    choice,
    " ",
    go,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void grantTo(v, choice.value);
  });
  return form;
}

export function renderPeople(v: Shown): void {
  const leftOut = [...(excluded(v.report, current().chain) ?? [])];
  const parts: (Node | string)[] = [
    el("h2", { id: "case-people-title" }, tr("console.people.title")),
    el("ul", { id: "case-people-list" }, ...v.detail.access.map((m) => personItem(v, m))),
  ];
  if (leftOut.length)
    parts.push(
      el("p", { class: "small" }, tr("console.people.excluded", { names: leftOut.map(memberName).join(", ") })),
    );
  parts.push(grantForm(v), el("p", { id: "people-status", role: "status" }));
  section().replaceChildren(...parts);
  i18n().apply(section());
}

function say(node: HTMLElement): void {
  $("people-status").replaceChildren(node);
  i18n().apply($("people-status"));
}

async function grantTo(v: Shown, member: string): Promise<void> {
  const epoch = session.epoch;
  const name = memberName(member);
  say(tr("console.people.granting", { name }));
  try {
    const { client, key, chain } = current();
    // The case as it is now: a grant must cover every entry written since it was shown.
    await grantCase(client, key, chain, await getCase(client, v.id), v.report, member);
    if (!stillOpen(epoch)) return;
    await reload?.(v.id);
    showNotice("console.people.granted_now", { name });
  } catch (err) {
    if (!stillOpen(epoch)) return;
    if (err instanceof GrantRefused) say(tr(`console.people.refused.${err.reason}`, { name }));
    else showError($("people-status"), err);
  }
}

async function revoke(v: Shown, member: string): Promise<void> {
  const epoch = session.epoch;
  const name = memberName(member);
  try {
    await revokeMember(current().client, v.id, member);
    if (!stillOpen(epoch)) return;
    confirming = null;
    await reload?.(v.id);
    showNotice("console.people.revoked", { name });
  } catch (err) {
    if (stillOpen(epoch)) showError($("people-status"), err);
  }
}
