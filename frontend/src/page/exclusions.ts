// The conflict-of-interest step of the report form: tick team members who
// must not read the report. The last administrator left can never be ticked
// (a report no administrator can read could not be handled), so that box is
// disabled with the reason next to it, from the start; reports about the
// administrators themselves are pointed to the operator's outside contact.
import { activeMembers } from "../lib/manifest.js";
import { routeReaders } from "../lib/routes.js";
import type { Manifest } from "../lib/types.js";
import { $, el, memberLabel, type I18n } from "./common.js";
import { settings } from "./site.js";

const boxes = (selector: string): HTMLInputElement[] => [...$("members").querySelectorAll<HTMLInputElement>(selector)];

/** The ids of the members ticked. */
export const excludedIds = (): string[] => boxes("input:checked").map((b) => b.value);

/**
 * Render one box per member who would read a report of `category` (every
 * active member without routes, protocol §4.5 "Routes"), locked where
 * needed, keeping the ticks of members still listed; and the outside
 * contact if the operator set one.
 */
export function renderMembers(manifest: Manifest, i18n: I18n, category: string | null = null): void {
  const list = $("members");
  const ticked = new Set(excludedIds());
  list.replaceChildren();
  const readers = routeReaders(manifest, category);
  showRouteNote(list, manifest, i18n);
  for (const member of activeMembers(manifest).filter((m) => readers.includes(m.id))) {
    const id = `exclude-${member.id}`;
    const box = el("input", { type: "checkbox", id, value: member.id, dataset: { role: member.role } });
    box.checked = ticked.has(member.id);
    box.addEventListener("change", updateMemberLocks);
    const admin = member.role === "admin";
    const badge = admin ? el("span", { class: "badge", dataset: { i18n: "exclude.admin_badge" } }) : null;
    const reason = admin
      ? el("span", {
          class: "small lock-reason",
          id: `${id}-reason`,
          hidden: true,
          dataset: { i18n: "exclude.locked" },
        })
      : null;
    list.append(
      el(
        "li",
        { class: "check" },
        box,
        el("span", {}, el("label", { for: id }, memberLabel(member), " ", badge), reason ? el("br") : null, reason),
      ),
    );
  }
  updateMemberLocks();
  showOutsideContact(i18n);
  i18n.apply(list);
}

/** With routes, say that the list follows the kind of incident, and what the operator can infer. */
function showRouteNote(list: HTMLElement, manifest: Manifest, i18n: I18n): void {
  let note = document.getElementById("route-note");
  if (!note) {
    // i18n.apply fills the element's descendants: the text goes in a child.
    note = el(
      "p",
      { id: "route-note", class: "alert alert-info" },
      el("span", { dataset: { i18n: "exclude.routed" } }),
    );
    list.before(note);
    i18n.apply(note);
  }
  note.hidden = manifest.routes === undefined;
}

/** Keep at least one admin: the last admin left is disabled, with its reason shown. */
function updateMemberLocks(): void {
  const all = boxes("input");
  const adminsLeft = all.filter((b) => b.dataset.role === "admin" && !b.checked);
  for (const b of all) {
    b.disabled = b.dataset.role === "admin" && !b.checked && adminsLeft.length === 1;
    const reason = document.getElementById(`${b.id}-reason`);
    if (reason) reason.hidden = !b.disabled;
    // A hidden description would still be read out: point to the reason only while it applies.
    if (b.disabled) b.setAttribute("aria-describedby", `${b.id}-reason`);
    else b.removeAttribute("aria-describedby");
  }
}

function showOutsideContact(i18n: I18n): void {
  const box = $("outside-contact");
  const text = $("outside-contact-text");
  const show = (): void => {
    text.textContent = i18n.local(settings.outside_contact);
    box.hidden = text.textContent === "";
  };
  i18n.onChange(show);
  show();
}
