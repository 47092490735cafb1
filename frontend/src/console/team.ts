// The team: members (from the server's roster, compared with the trusted
// manifest), and for admins adding a member from a public card, removing
// one, publishing the next signed manifest after reviewing the difference
// (collecting several admins' signatures when the threshold asks for it).
// Every member rotates their own keys; the new key file is saved before
// the server switches keys. The audit log is its own view (audit.ts).
import { listMembers } from "../lib/api.js";
import { fromUtf8 } from "../lib/encoding.js";
import { rotateKey, rotatedKeyFileName, sealKeyFile } from "../lib/keyfile.js";
import { fingerprint, ManifestInvalid, todayUtc, verifyNext } from "../lib/manifest.js";
import { buildMemberEntry, checkCard, nextManifest } from "../lib/roster.js";
import { generateSeed } from "../lib/sign.js";
import { parseStrict } from "../lib/strict-json.js";
import type { Manifest, MemberEntry } from "../lib/types.js";
import { $, el, saveBytes, tr } from "../page/common.js";
import { showNotices } from "./notices.js";
import { clearProposal, diffLines, onPublished, publishNext, showProposal } from "./proposal.js";
import {
  current,
  i18n,
  isAdmin,
  lapsed,
  type MemberKey,
  manifest,
  me,
  rekey,
  say,
  session,
  showError,
  stillOpen,
} from "./session.js";
import { showManifestVersion } from "./team-header.js";
import { button, chosenFile, input, showView } from "./views.js";

let card: MemberEntry | null = null;
/** The next manifest under review, not signed yet. */
let pending: Manifest | null = null;
let rotation: { rotated: MemberKey; entry: MemberEntry } | null = null;
let removing: string | null = null;
let roster: MemberEntry[] = [];

export function initTeam(): void {
  $("card-file").addEventListener("change", () => void readCard());
  $("card-add").addEventListener("click", () => void addMember());
  $("publish-prepare").addEventListener("click", () => void preparePublish());
  $("publish-sign").addEventListener("click", () => void publish());
  $("rotate-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void saveRotatedKey();
  });
  $("rotate-publish").addEventListener("click", () => void publishRotation());
  i18n().onChange(() => {
    if (!session.open || $("view-team").hidden) return;
    showManifestVersion();
    renderMembers();
  });
  onPublished(() => {
    if (!session.open) return;
    showManifestVersion();
    input("publish-threshold").value = String(manifest().threshold);
    renderMembers();
  });
}

export function clearTeam(): void {
  card = null;
  pending = null;
  rotation = null;
  removing = null;
  for (const id of [
    "members-rows",
    "card-preview",
    "card-status",
    "publish-diff",
    "publish-signers",
    "publish-status",
    "rotate-status",
  ]) {
    $(id).replaceChildren();
  }
  clearProposal();
  $("card-preview").hidden = true;
  $("publish-review").hidden = true;
  button("card-add").disabled = true;
  button("rotate-publish").disabled = true;
  input("rotate-passphrase").value = "";
  input("card-file").value = "";
  $("team-error").hidden = true;
}

export async function showTeam(): Promise<void> {
  showView("view-team");
  $("admin-tools").hidden = !isAdmin();
  showManifestVersion();
  input("publish-threshold").value = String(manifest().threshold);
  await Promise.all([loadMembers(), showProposal(), showNotices()]);
}

async function loadMembers(): Promise<void> {
  const epoch = session.epoch;
  try {
    const members = await listMembers(current().client);
    if (!stillOpen(epoch)) return;
    roster = members;
    $("team-error").hidden = true;
    renderMembers();
  } catch (err) {
    if (stillOpen(epoch)) showError($("team-error"), err);
  }
}

/** The member's state: what the roster says compared with the trusted manifest. */
function memberState(entry: MemberEntry): string {
  const listed = manifest().members.find((m) => m.id === entry.id);
  if (entry.removed) return listed?.removed ? "removed" : "removed_unpublished";
  if (!listed) return "unpublished";
  if (listed.signing_key !== entry.signing_key || listed.recipient !== entry.recipient) return "keys_unpublished";
  return "active";
}

/** Two steps: "Remove" asks, "Confirm: remove NAME now" removes; "Cancel" steps back. */
function removeControls(m: MemberEntry): (Node | string)[] {
  const confirming = removing === m.id;
  const again = `[data-remove="${m.id}"]`;
  const remove = el(
    "button",
    {
      type: "button",
      class: confirming ? "danger" : "link",
      dataset: { remove: m.id },
      "aria-label": confirming ? null : i18n().t("console.team.remove_named", { name: m.name }),
    },
    tr(confirming ? "console.team.remove_confirm" : "console.team.remove", { name: m.name }),
  );
  remove.addEventListener("click", () => {
    if (confirming) {
      void removeMember(m);
      return;
    }
    removing = m.id;
    renderMembers(again);
  });
  if (!confirming) return [remove];
  const cancel = el(
    "button",
    { type: "button", class: "link", dataset: { removeCancel: m.id } },
    tr("console.team.remove_cancel"),
  );
  cancel.addEventListener("click", () => {
    removing = null;
    renderMembers(again);
  });
  return [remove, " ", cancel];
}

function memberRow(m: MemberEntry, mine: string): HTMLTableRowElement {
  const state = memberState(m);
  const you = m.id === mine ? [" ", el("span", { class: "badge" }, tr("console.team.you"))] : [];
  const actions = isAdmin() && !m.removed && m.id !== mine ? removeControls(m) : [];
  return el(
    "tr",
    { dataset: { member: m.id } },
    el("td", {}, m.name, ...you),
    el("td", {}, m.function),
    el("td", {}, tr(`console.role.${m.role}`)),
    el("td", { class: state === "active" ? null : "warn-text" }, tr(`console.team.state.${state}`)),
    el("td", {}, ...actions),
  );
}

/** `focus`: a selector in the table to focus after rendering (the row's button that replaced the clicked one). */
function renderMembers(focus: string | null = null): void {
  const mine = current().key.member;
  $("members-rows").replaceChildren(...roster.map((m) => memberRow(m, mine)));
  i18n().apply($("members-rows"));
  renderRoutes();
  if (focus) $("members-rows").querySelector<HTMLElement>(focus)?.focus();
}

/** The trusted manifest's routes, read-only (protocol §4.5, "Routes"): who receives each category. */
function renderRoutes(): void {
  let box = document.getElementById("team-routes");
  if (!box) {
    box = el("section", { id: "team-routes" });
    $("members-rows").closest(".table-wrap")?.after(box);
  }
  const m = manifest();
  const names = new Map(m.members.map((e) => [e.id, e.name]));
  const routes = Object.entries(m.routes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const line = ([category, ids]: [string, string[]]): HTMLElement =>
    el(
      "li",
      { dataset: { route: category } },
      tr("console.team.routes.line", { category, names: ids.map((id) => names.get(id) ?? id).join(", ") }),
    );
  box.replaceChildren(
    el("h2", {}, tr("console.team.routes.title")),
    ...(routes.length === 0
      ? [el("p", {}, tr("console.team.routes.none"))]
      : [el("ul", {}, ...routes.map(line)), el("p", { class: "small" }, tr("console.team.routes.unrouted"))]),
  );
  i18n().apply(box);
}

async function removeMember(m: MemberEntry): Promise<void> {
  removing = null;
  try {
    await current().client.call("DELETE", `/v1/team/members/${m.id}`);
    say("card-status", "console.team.removed", { name: m.name });
  } catch (err) {
    showError($("team-error"), err);
  }
  await loadMembers();
}

// -- adding a member ------------------------------------------------------------------------

async function readCard(): Promise<void> {
  card = null;
  button("card-add").disabled = true;
  const preview = $("card-preview");
  const file = chosenFile("card-file");
  if (!file) return;
  try {
    const candidate = checkCard(parseStrict(fromUtf8(new Uint8Array(await file.arrayBuffer()))));
    verifyNextWith(candidate);
    card = candidate;
    preview.className = "alert alert-info";
    const role = i18n().t(`console.role.${candidate.role}`);
    preview.replaceChildren(
      // The function is optional (protocol §4.5): "Ada — Legal" or just "Ada".
      tr("console.team.add.preview", {
        who: candidate.function ? `${candidate.name} — ${candidate.function}` : candidate.name,
        role,
        id: candidate.id,
      }),
    );
    button("card-add").disabled = false;
  } catch {
    preview.className = "alert alert-error";
    preview.replaceChildren(tr("console.team.add.invalid"));
  }
  preview.hidden = false;
  i18n().apply(preview);
}

/** The card must fit the team: same recipient type, a new id. @throws {ManifestInvalid} */
function verifyNextWith(entry: MemberEntry): void {
  const now = manifest();
  if (now.members.some((m) => m.id === entry.id)) throw new ManifestInvalid("id exists");
  try {
    verifyNext(now, { ...now, version: now.version + 1, members: [...now.members, entry], sigs: [] });
  } catch (err) {
    if (!(err instanceof ManifestInvalid && err.reason === "threshold")) throw err;
  }
}

async function addMember(): Promise<void> {
  if (!card) return;
  try {
    await current().client.call("POST", "/v1/team/members", { body: card });
    say("card-status", "console.team.added", { name: card.name });
    card = null;
    button("card-add").disabled = true;
    input("card-file").value = "";
    $("card-preview").hidden = true;
  } catch (err) {
    showError($("card-status"), err);
  }
  await loadMembers();
}

// -- publishing the next manifest -------------------------------------------------------------

/** The threshold typed for the next version: a whole number from 1, or null. */
function chosenThreshold(): number | null {
  const value = Number(input("publish-threshold").value);
  return Number.isInteger(value) && value >= 1 ? value : null;
}

async function preparePublish(): Promise<void> {
  pending = null;
  $("publish-review").hidden = true;
  say("publish-status", null);
  if (lapsed()) {
    say("publish-status", "console.lapse.refused", { date: i18n().longDay(manifest().expires) }, "error");
    return;
  }
  const threshold = chosenThreshold();
  if (threshold === null) {
    say("publish-status", "console.team.publish.threshold_invalid", {}, "error");
    return;
  }
  try {
    roster = await listMembers(current().client);
    const { unsigned } = nextManifest(manifest(), roster, todayUtc(), threshold);
    review(unsigned);
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
  }
}

/** Show the difference `candidate` makes; with a threshold above 1 signing stores it for the other admins. */
function review(candidate: Manifest): void {
  pending = candidate;
  const threshold = manifest().threshold;
  $("publish-diff").replaceChildren(...diffLines(candidate));
  $("publish-signers").replaceChildren(threshold > 1 ? tr("console.team.publish.needs", { threshold }) : "");
  $("publish-sign").replaceChildren(
    tr(threshold > 1 ? "console.team.publish.propose" : "console.team.publish.sign", { n: 1, threshold }),
  );
  i18n().apply($("publish-review"));
  $("publish-review").hidden = false;
  $("publish-sign").focus();
}

async function publish(): Promise<void> {
  if (!pending) return;
  const epoch = session.epoch;
  try {
    const waiting = await publishNext(pending);
    if (!stillOpen(epoch)) return;
    pending = null;
    $("publish-review").hidden = true;
    if (waiting) {
      const args = { n: waiting.signed.length, threshold: manifest().threshold, missing: waiting.missing };
      say("publish-status", "console.team.publish.proposed", args);
      return;
    }
    say("publish-status", "console.team.published", {
      version: manifest().version,
      fingerprint: fingerprint(manifest()),
    });
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
  }
}

// -- rotating one's own keys ------------------------------------------------------------------------

async function saveRotatedKey(): Promise<void> {
  const passphrase = input("rotate-passphrase").value;
  if (passphrase.length < 8) {
    say("rotate-status", "console.team.rotate.short", {}, "error");
    return;
  }
  const { key } = current();
  const entry = roster.find((m) => m.id === key.member) ?? me();
  if (!entry || entry.removed) {
    say("rotate-status", "console.team.rotate.not_member", {}, "error");
    return;
  }
  say("rotate-status", "console.team.rotate.sealing");
  await new Promise((resolve) => setTimeout(resolve, 30));
  try {
    const { rotated, oldSeed } = await rotateKey(key, generateSeed());
    const next = buildMemberEntry({ ...entry, recipient: rotated.recipient }, rotated.signingSeed, entry, oldSeed);
    const sealed = await sealKeyFile(rotated, passphrase);
    // protocol §5: the new key file is in the member's hands before the server switches keys.
    saveBytes(sealed, rotatedKeyFileName(entry.name, new Date().toISOString().slice(0, 10)));
    rotation = { rotated, entry: next };
    input("rotate-passphrase").value = "";
    button("rotate-publish").disabled = false;
    say("rotate-status", "console.team.rotate.saved");
  } catch {
    say("rotate-status", "console.error.unexpected", {}, "error");
  }
}

async function publishRotation(): Promise<void> {
  if (!rotation) return;
  const epoch = session.epoch;
  const { rotated, entry } = rotation;
  button("rotate-publish").disabled = true;
  try {
    await current().client.call("PUT", `/v1/team/members/${current().key.member}`, { body: entry });
    if (!stillOpen(epoch)) return;
    // From now on the server knows only the new signing key.
    rekey(rotated);
    rotation = null;
    say("rotate-status", "console.team.rotate.done");
    await loadMembers();
  } catch (err) {
    button("rotate-publish").disabled = false;
    showError($("rotate-status"), err);
  }
}
