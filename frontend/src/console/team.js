// The team: members (from the server's roster, compared with the trusted
// manifest), and for admins adding a member from a public card, removing
// one, publishing the next signed manifest after reviewing the difference,
// and the audit log verified in the browser. Every member rotates their own
// keys; the new key file is saved before the server switches keys.
import { verifyAudit } from "../lib/audit.js";
import { Opener } from "../lib/teamops.js";
import { fetchManifests } from "../lib/api.js";
import { fromUtf8 } from "../lib/encoding.js";
import { fingerprint, ManifestInvalid, verifyChain, verifyNext } from "../lib/manifest.js";
import { generateSeed } from "../lib/sign.js";
import { buildMemberEntry, checkCard, nextManifest, signManifest } from "../lib/roster.js";
import { rotateKey, sealKeyFile } from "../lib/keyfile.js";
import { parseStrict } from "../lib/strict-json.js";
import { $, builtIn, el, saveBytes, tr } from "../page/common.js";
import { i18n, isAdmin, keysOf, manifest, me, memberName, session, showError, stillOpen } from "./session.js";
import { showView } from "./views.js";

let card = null;
let pending = null; // the prepared, unsigned next manifest
let rotation = null; // {rotated, entry, saved}
let removing = null;

const say = (id, key, args, cls = "") => {
  const node = $(id);
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
};

export function initTeam() {
  $("card-file").addEventListener("change", readCard);
  $("card-add").addEventListener("click", addMember);
  $("publish-prepare").addEventListener("click", preparePublish);
  $("publish-sign").addEventListener("click", publish);
  $("audit-verify").addEventListener("click", verifyLog);
  $("rotate-form").addEventListener("submit", (e) => { e.preventDefault(); saveRotatedKey(); });
  $("rotate-publish").addEventListener("click", publishRotation);
  i18n().onChange(() => { if (session.key && !$("view-team").hidden) renderMembers(); });
}

export function clearTeam() {
  card = null;
  pending = null;
  rotation = null;
  removing = null;
  for (const id of ["members-rows", "card-preview", "card-status", "publish-diff", "publish-status", "audit-result", "audit-rows", "rotate-status"]) $(id).replaceChildren();
  $("card-preview").hidden = true;
  $("publish-review").hidden = true;
  $("audit-table").hidden = true;
  $("card-add").disabled = true;
  $("rotate-publish").disabled = true;
  $("rotate-passphrase").value = "";
  $("card-file").value = "";
  $("team-error").hidden = true;
}

let roster = [];

export async function showTeam() {
  showView("view-team");
  $("admin-tools").hidden = !isAdmin();
  $("team-fingerprint").textContent = fingerprint(manifest());
  $("team-version").textContent = String(manifest().version);
  await loadMembers();
}

async function loadMembers() {
  const epoch = session.epoch;
  try {
    const answer = await session.client.get("/v1/team/members");
    if (!stillOpen(epoch)) return;
    roster = answer.members;
    $("team-error").hidden = true;
    renderMembers();
  } catch (err) {
    if (stillOpen(epoch)) showError($("team-error"), err);
  }
}

/** The member's state: what the roster says compared with the trusted manifest. */
function memberState(entry) {
  const listed = manifest().members.find((m) => m.id === entry.id);
  if (entry.removed) return listed?.removed ? "removed" : "removed_unpublished";
  if (!listed) return "unpublished";
  if (listed.signing_key !== entry.signing_key || listed.recipient !== entry.recipient) return "keys_unpublished";
  return "active";
}

function renderMembers() {
  const mine = session.key.member;
  const rows = roster.map((m) => {
    const state = memberState(m);
    let action = null;
    if (isAdmin() && !m.removed && m.id !== mine) {
      const confirming = removing === m.id;
      action = el("button", { type: "button", class: confirming ? "danger" : "link", dataset: { remove: m.id } },
        tr(confirming ? "console.team.remove_confirm" : "console.team.remove", { name: m.name }));
      action.addEventListener("click", () => (confirming ? removeMember(m) : ((removing = m.id), renderMembers())));
    }
    return el("tr", { dataset: { member: m.id } },
      el("td", {}, m.name, m.id === mine ? [" ", el("span", { class: "badge" }, tr("console.team.you"))] : null),
      el("td", {}, m.function), el("td", {}, tr(`console.role.${m.role}`)),
      el("td", { class: state === "active" ? null : "warn-text" }, tr(`console.team.state.${state}`)), el("td", {}, action));
  });
  $("members-rows").replaceChildren(...rows);
  i18n().apply($("members-rows"));
}

async function removeMember(m) {
  removing = null;
  try {
    await session.client.call("DELETE", `/v1/team/members/${m.id}`);
    say("card-status", "console.team.removed", { name: m.name });
  } catch (err) {
    showError($("team-error"), err);
  }
  await loadMembers();
}

// -- adding a member ------------------------------------------------------------------------

async function readCard() {
  card = null;
  $("card-add").disabled = true;
  const preview = $("card-preview");
  const file = $("card-file").files[0];
  if (!file) return;
  try {
    const candidate = checkCard(parseStrict(fromUtf8(new Uint8Array(await file.arrayBuffer()))));
    verifyNextWith(candidate);
    card = candidate;
    preview.className = "alert alert-info";
    preview.replaceChildren(tr("console.team.add.preview", { name: card.name, function: card.function, role: i18n().t(`console.role.${card.role}`), id: card.id }));
    $("card-add").disabled = false;
  } catch {
    preview.className = "alert alert-error";
    preview.replaceChildren(tr("console.team.add.invalid"));
  }
  preview.hidden = false;
  i18n().apply(preview);
}

/** The card must fit the team: same recipient type, a new id. @throws {ManifestInvalid} */
function verifyNextWith(entry) {
  if (manifest().members.some((m) => m.id === entry.id)) throw new ManifestInvalid("id exists");
  try {
    verifyNext(manifest(), { ...manifest(), version: manifest().version + 1, members: [...manifest().members, entry], sigs: [] });
  } catch (err) {
    if (err.reason !== "threshold") throw err;
  }
}

async function addMember() {
  if (!card) return;
  try {
    await session.client.call("POST", "/v1/team/members", { body: card });
    say("card-status", "console.team.added", { name: card.name });
    card = null;
    $("card-add").disabled = true;
    $("card-file").value = "";
    $("card-preview").hidden = true;
  } catch (err) {
    showError($("card-status"), err);
  }
  await loadMembers();
}

// -- publishing the next manifest -------------------------------------------------------------

function describe(change) {
  const e = change.entry;
  const who = e ? `${e.name} (${e.function}, ${e.role}, ${e.id})` : "";
  return el("li", { dataset: { change: change.change } }, tr(`console.team.diff.${change.change}`, { who, from: change.from ?? "", to: change.to ?? "" }));
}

async function preparePublish() {
  pending = null;
  $("publish-review").hidden = true;
  say("publish-status", null);
  try {
    const answer = await session.client.get("/v1/team/members");
    roster = answer.members;
    const { unsigned, changes } = nextManifest(manifest(), roster);
    pending = unsigned;
    $("publish-diff").replaceChildren(
      el("li", {}, tr("console.team.diff.version", { from: manifest().version, to: unsigned.version, issued: unsigned.issued, expires: unsigned.expires })),
      ...(changes.length ? changes.map(describe) : [el("li", {}, tr("console.team.diff.none"))]));
    i18n().apply($("publish-diff"));
    $("publish-review").hidden = false;
    $("publish-sign").focus();
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
  }
}

async function publish() {
  if (!pending) return;
  const epoch = session.epoch;
  try {
    if (manifest().threshold > 1) return say("publish-status", "console.team.publish.threshold", { n: manifest().threshold }, "error");
    const signed = signManifest(pending, session.key.member, session.key.signingSeed);
    verifyNext(manifest(), signed);
    await session.client.call("PUT", "/v1/team/manifest", { body: signed });
    const newer = (await fetchManifests(builtIn.version)).manifests ?? [];
    const chain = verifyChain(builtIn, newer);
    if (!stillOpen(epoch)) return;
    session.chain = chain;
    pending = null;
    $("publish-review").hidden = true;
    $("team-fingerprint").textContent = fingerprint(manifest());
    $("team-version").textContent = String(manifest().version);
    say("publish-status", "console.team.published", { version: manifest().version, fingerprint: fingerprint(manifest()) });
    renderMembers();
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
  }
}

// -- the audit log ------------------------------------------------------------------------------

async function verifyLog() {
  const epoch = session.epoch;
  say("audit-result", "console.team.audit.loading");
  try {
    const entries = [];
    let cursor = "";
    do {
      const page = await session.client.get("/v1/team/audit", { cursor });
      entries.push(...page.entries);
      cursor = page.cursor ?? "";
    } while (cursor);
    if (!stillOpen(epoch)) return;
    const result = verifyAudit(entries, keysOf, session.auditHead);
    if (!result.problems.length) session.auditHead = result.head;
    const rows = entries.map((e, i) => el("tr", { class: result.verdicts[i] === "bad" ? "bad" : null, dataset: { seq: String(e.seq), verdict: result.verdicts[i] } },
      el("td", {}, String(e.seq)), el("td", {}, e.day_time), el("td", {}, e.member ? memberName(e.member) : tr("console.team.audit.system")),
      el("td", { class: "mono" }, e.action), el("td", { class: "mono" }, e.case ?? ""),
      el("td", {}, tr(`console.team.audit.${result.verdicts[i]}`))));
    $("audit-rows").replaceChildren(...rows.reverse());
    $("audit-table").hidden = false;
    i18n().apply($("audit-rows"));
    const node = $("audit-result");
    node.replaceChildren(result.problems.length
      ? el("div", { class: "alert alert-error", dataset: { result: "bad" } }, tr("console.team.audit.problems", { n: result.problems.length }),
        el("ul", {}, ...result.problems.map((p) => el("li", {}, tr(`console.team.audit.problem.${p.problem}`, { seq: p.seq })))))
      : el("div", { class: "alert alert-ok", dataset: { result: "ok" } }, tr("console.team.audit.ok", { n: result.count, head: result.head.hash })));
    i18n().apply(node);
  } catch (err) {
    showError($("audit-result"), err);
  }
}

// -- rotating one's own keys ------------------------------------------------------------------------

async function saveRotatedKey() {
  const passphrase = $("rotate-passphrase").value;
  if (passphrase.length < 8) return say("rotate-status", "console.team.rotate.short", {}, "error");
  const current = roster.find((m) => m.id === session.key.member) ?? me();
  if (!current || current.removed) return say("rotate-status", "console.team.rotate.not_member", {}, "error");
  say("rotate-status", "console.team.rotate.sealing");
  await new Promise((r) => setTimeout(r, 30));
  try {
    const { rotated, oldSeed } = await rotateKey(session.key, generateSeed());
    const entry = buildMemberEntry({ ...current, recipient: rotated.recipient }, rotated.signingSeed, current, oldSeed);
    const sealed = await sealKeyFile(rotated, passphrase);
    // SPEC §5: the new key file is in the member's hands before the server switches keys.
    saveBytes(sealed, `${session.key.member}.candor-key`);
    rotation = { rotated, entry };
    $("rotate-passphrase").value = "";
    $("rotate-publish").disabled = false;
    say("rotate-status", "console.team.rotate.saved");
  } catch {
    say("rotate-status", "console.error.unexpected", {}, "error");
  }
}

async function publishRotation() {
  if (!rotation) return;
  const epoch = session.epoch;
  $("rotate-publish").disabled = true;
  try {
    await session.client.call("PUT", `/v1/team/members/${session.key.member}`, { body: rotation.entry });
    if (!stillOpen(epoch)) return;
    // From now on the server knows only the new signing key.
    session.key = rotation.rotated;
    session.client.key = rotation.rotated;
    session.opener = new Opener(rotation.rotated.identities);
    rotation = null;
    say("rotate-status", "console.team.rotate.done");
    await loadMembers();
  } catch (err) {
    $("rotate-publish").disabled = false;
    showError($("rotate-status"), err);
  }
}
