// The team: members (from the server's roster, compared with the trusted
// manifest), and for admins adding a member from a public card, removing
// one, publishing the next signed manifest after reviewing the difference
// (collecting several admins' signatures when the threshold asks for it);
// the audit log is in audit.js. Every member rotates their own
// keys; the new key file is saved before the server switches keys.
import { Opener } from "../lib/teamops.js";
import { fetchManifests } from "../lib/api.js";
import { fromUtf8, utf8 } from "../lib/encoding.js";
import { fingerprint, ManifestInvalid, verifyChain, verifyNext } from "../lib/manifest.js";
import { generateSeed } from "../lib/sign.js";
import { addSignature, buildMemberEntry, checkCard, checkPartial, manifestDiff, nextManifest } from "../lib/roster.js";
import { rotateKey, sealKeyFile } from "../lib/keyfile.js";
import { parseStrict } from "../lib/strict-json.js";
import { $, builtIn, el, saveBytes, tr } from "../page/common.js";
import { i18n, isAdmin, manifest, me, memberName, session, showError, stillOpen } from "./session.js";
import { showView } from "./views.js";
import { clearAudit, initAudit } from "./audit.js";

let card = null;
let pending = null; // the next manifest under review, with the signatures collected so far
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
  $("publish-file").addEventListener("change", loadPartial);
  initAudit();
  $("rotate-form").addEventListener("submit", (e) => { e.preventDefault(); saveRotatedKey(); });
  $("rotate-publish").addEventListener("click", publishRotation);
  i18n().onChange(() => { if (session.key && !$("view-team").hidden) renderMembers(); });
}

export function clearTeam() {
  card = null;
  pending = null;
  rotation = null;
  removing = null;
  clearAudit();
  for (const id of ["members-rows", "card-preview", "card-status", "publish-diff", "publish-signers", "publish-status", "rotate-status"]) $(id).replaceChildren();
  $("publish-file").value = "";
  $("card-preview").hidden = true;
  $("publish-review").hidden = true;
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
  $("publish-load").hidden = manifest().threshold < 2;
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

/** `focus`: a selector in the table to focus after rendering (the row's button that replaced the clicked one). */
function renderMembers(focus = null) {
  const mine = session.key.member;
  const rows = roster.map((m) => {
    const state = memberState(m);
    let action = null;
    if (isAdmin() && !m.removed && m.id !== mine) {
      // Two steps: "Remove" asks, "Confirm: remove NAME now" removes; "Cancel" steps back.
      const confirming = removing === m.id;
      const button = el("button", { type: "button", class: confirming ? "danger" : "link", dataset: { remove: m.id },
        "aria-label": confirming ? null : i18n().t("console.team.remove_named", { name: m.name }) },
      tr(confirming ? "console.team.remove_confirm" : "console.team.remove", { name: m.name }));
      button.addEventListener("click", () => (confirming ? removeMember(m) : ((removing = m.id), renderMembers(`[data-remove="${m.id}"]`))));
      action = [button];
      if (confirming) {
        const cancel = el("button", { type: "button", class: "link", dataset: { removeCancel: m.id } }, tr("console.team.remove_cancel"));
        cancel.addEventListener("click", () => { removing = null; renderMembers(`[data-remove="${m.id}"]`); });
        action.push(" ", cancel);
      }
    }
    return el("tr", { dataset: { member: m.id } },
      el("td", {}, m.name, m.id === mine ? [" ", el("span", { class: "badge" }, tr("console.team.you"))] : null),
      el("td", {}, m.function), el("td", {}, tr(`console.role.${m.role}`)),
      el("td", { class: state === "active" ? null : "warn-text" }, tr(`console.team.state.${state}`)), el("td", {}, action));
  });
  $("members-rows").replaceChildren(...rows);
  i18n().apply($("members-rows"));
  if (focus) $("members-rows").querySelector(focus)?.focus();
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
  // The function is optional (protocol §4.5): no empty place for it.
  const who = e ? `${e.name} (${[e.function, e.role, e.id].filter(Boolean).join(", ")})` : "";
  return el("li", { dataset: { change: change.change } }, tr(`console.team.diff.${change.change}`, { who, from: change.from ?? "", to: change.to ?? "" }));
}

async function preparePublish() {
  pending = null;
  $("publish-review").hidden = true;
  say("publish-status", null);
  try {
    const answer = await session.client.get("/v1/team/members");
    roster = answer.members;
    const { unsigned } = nextManifest(manifest(), roster);
    review(unsigned, []);
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
  }
}

/**
 * With a threshold above 1 (protocol §4.5), an admin loads the next manifest
 * another admin signed and saved, reviews the same difference, and adds
 * their signature. Every signature in it must verify already.
 */
async function loadPartial() {
  pending = null;
  $("publish-review").hidden = true;
  say("publish-status", null);
  const file = $("publish-file").files[0];
  if (!file) return;
  try {
    const candidate = parseStrict(fromUtf8(new Uint8Array(await file.arrayBuffer())));
    const { signers } = checkPartial(manifest(), candidate);
    review(candidate, signers);
  } catch {
    say("publish-status", "console.team.publish.load_invalid", { version: manifest().version + 1 }, "error");
  }
}

/** Show the difference `candidate` makes and who signed it so far. */
function review(candidate, signers) {
  pending = candidate;
  const changes = manifestDiff(manifest(), candidate);
  const threshold = manifest().threshold;
  $("publish-diff").replaceChildren(
    el("li", {}, tr("console.team.diff.version", { from: manifest().version, to: candidate.version, issued: candidate.issued, expires: candidate.expires })),
    ...(changes.length ? changes.map(describe) : [el("li", {}, tr("console.team.diff.none"))]));
  const mine = signers.includes(session.key.member);
  $("publish-signers").replaceChildren(threshold > 1
    ? tr("console.team.publish.signers", { n: signers.length, threshold, names: signers.map(memberName).join(", ") || "—" })
    : "");
  $("publish-sign").replaceChildren(tr(signers.length + 1 >= threshold ? "console.team.publish.sign" : "console.team.publish.sign_partial",
    { n: signers.length + 1, threshold }));
  $("publish-sign").hidden = mine;
  if (mine) say("publish-status", "console.team.publish.already_signed", {}, "error");
  i18n().apply($("publish-review"));
  $("publish-review").hidden = false;
  if (!mine) $("publish-sign").focus();
}

async function publish() {
  if (!pending) return;
  const epoch = session.epoch;
  try {
    const { manifest: signed, signers, missing } = addSignature(manifest(), pending, session.key.member, session.key.signingSeed);
    if (missing) {
      // Not enough yet: the file goes to the next admin, who loads it above.
      saveBytes(utf8(JSON.stringify(signed, null, 2) + "\n"), `candor-manifest-v${signed.version}-signed-${signers.length}-of-${manifest().threshold}.json`);
      pending = null;
      $("publish-review").hidden = true;
      say("publish-status", "console.team.publish.partial", { n: signers.length, threshold: manifest().threshold, missing });
      return;
    }
    await session.client.call("PUT", "/v1/team/manifest", { body: signed });
    const newer = (await fetchManifests(builtIn.version)).manifests ?? [];
    const chain = verifyChain(builtIn, newer);
    if (!stillOpen(epoch)) return;
    session.chain = chain;
    pending = null;
    $("publish-review").hidden = true;
    $("publish-file").value = "";
    $("team-fingerprint").textContent = fingerprint(manifest());
    $("team-version").textContent = String(manifest().version);
    $("publish-load").hidden = manifest().threshold < 2;
    say("publish-status", "console.team.published", { version: manifest().version, fingerprint: fingerprint(manifest()) });
    renderMembers();
  } catch (err) {
    if (err instanceof ManifestInvalid) say("publish-status", "console.team.publish.invalid", {}, "error");
    else showError($("publish-status"), err);
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
    // protocol §5: the new key file is in the member's hands before the server switches keys.
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
