// The next manifest while the admins sign it (protocol §4.5, "Proposals";
// issue 11): with a threshold above 1 one admin signs and stores the next
// version on the server, every member's Team page shows it with its
// difference, who has signed and who still must, and each further admin
// signs it there; the last signature publishes. No file passes by hand.
import { fingerprint, ManifestInvalid, verifyNext } from "../lib/manifest.js";
import { pendingProposal, type Proposal, proposeManifest, signProposal } from "../lib/proposals.js";
import { type ManifestChange, manifestDiff, signManifest } from "../lib/roster.js";
import type { Manifest } from "../lib/types.js";
import { $, el, tr } from "../page/common.js";
import {
  current,
  i18n,
  isAdmin,
  lapsed,
  manifest,
  memberName,
  refreshChain,
  say,
  session,
  showError,
  stillOpen,
} from "./session.js";
import { button } from "./views.js";

const publishedListeners: (() => void)[] = [];
/** Run `fn` after this console published a new version (the chain in the session is the new one). */
export const onPublished = (fn: () => void): void => {
  publishedListeners.push(fn);
};
const published = (): void => {
  publishedListeners.forEach((fn) => {
    fn();
  });
};

let shown: Proposal | null = null;

export function initProposal(): void {
  $("proposal-sign").addEventListener("click", () => void sign());
  i18n().onChange(() => {
    if (session.open && shown) render(shown);
  });
}

export function clearProposal(): void {
  shown = null;
  for (const id of ["proposal-diff", "proposal-signed", "proposal-missing", "proposal-status"]) $(id).replaceChildren();
  $("proposal").hidden = true;
}

/** One line of the difference a next version makes, in the reader's language. */
export function describe(change: ManifestChange): HTMLLIElement {
  const e = "entry" in change ? change.entry : null;
  // The function is optional (protocol §4.5): no empty place for it.
  const who = e ? `${e.name} (${[e.function, e.role, e.id].filter(Boolean).join(", ")})` : "";
  const args = { who, from: "from" in change ? change.from : "", to: "to" in change ? change.to : "" };
  return el("li", { dataset: { change: change.change } }, tr(`console.team.diff.${change.change}`, args));
}

/** The lines of the difference from the current manifest to `next`, the dates first. */
export function diffLines(next: Manifest): HTMLLIElement[] {
  const now = manifest();
  const changes = manifestDiff(now, next);
  const version = { from: now.version, to: next.version, issued: next.issued, expires: next.expires };
  return [
    el("li", {}, tr("console.team.diff.version", version)),
    ...(changes.length ? changes.map(describe) : [el("li", {}, tr("console.team.diff.none"))]),
  ];
}

/**
 * Sign `unsigned` (the next version) and publish it, or, when the current
 * manifest needs more than one signature, store it as the proposal the
 * other admins sign. Returns the proposal when it still waits.
 * @throws {ApiError} | {ManifestInvalid}
 */
export async function publishNext(unsigned: Manifest): Promise<Proposal | null> {
  const now = manifest();
  if (now.threshold > 1) {
    const proposal = await proposeManifest(current(), now, unsigned);
    if (proposal.published) await afterPublish();
    else render(proposal);
    return proposal.published ? null : proposal;
  }
  const { key, client } = current();
  const signed = signManifest({ ...unsigned, sigs: [] }, key.member, key.signingSeed);
  verifyNext(now, signed);
  await client.call("PUT", "/v1/team/manifest", { body: signed });
  await afterPublish();
  return null;
}

async function afterPublish(): Promise<void> {
  await refreshChain();
  clearProposal();
  published();
}

/**
 * Show the proposal waiting for signatures, if any (every member sees it;
 * admins sign it). Only a team whose manifest needs several signatures
 * has proposals: one signature publishes at once.
 */
export async function showProposal(): Promise<void> {
  const epoch = session.epoch;
  if (manifest().threshold < 2) {
    clearProposal();
    return;
  }
  try {
    const proposal = await pendingProposal(current().client, manifest());
    if (!stillOpen(epoch)) return;
    if (proposal) render(proposal);
    else clearProposal();
  } catch (err) {
    if (!stillOpen(epoch)) return;
    clearProposal();
    $("proposal").hidden = false;
    // A proposal that does not verify is never offered for signing.
    if (err instanceof ManifestInvalid) say("proposal-status", "console.team.proposal.invalid", {}, "error");
    else showError($("proposal-status"), err);
  }
}

/** The admins of the current manifest who have not signed `proposal`. */
const unsignedAdmins = (proposal: Proposal): string[] =>
  manifest()
    .members.filter((m) => m.role === "admin" && !m.removed && !proposal.signed.includes(m.id))
    .map((m) => m.id);

function render(proposal: Proposal): void {
  shown = proposal;
  const threshold = manifest().threshold;
  $("proposal-diff").replaceChildren(...diffLines(proposal.manifest));
  const names = (ids: string[]): string => ids.map(memberName).join(", ") || "—";
  const n = proposal.signed.length;
  $("proposal-signed").replaceChildren(
    tr("console.team.proposal.signed", { n, threshold, names: names(proposal.signed) }),
  );
  $("proposal-missing").replaceChildren(
    tr("console.team.proposal.missing", { n: proposal.missing, names: names(unsignedAdmins(proposal)) }),
  );
  const mine = proposal.signed.includes(current().key.member);
  const sign = button("proposal-sign");
  sign.hidden = !isAdmin() || mine || lapsed();
  sign.replaceChildren(tr("console.team.proposal.sign", { version: proposal.manifest.version }));
  if (mine) say("proposal-status", "console.team.proposal.yours");
  i18n().apply($("proposal"));
  $("proposal").hidden = false;
}

async function sign(): Promise<void> {
  const epoch = session.epoch;
  button("proposal-sign").disabled = true;
  try {
    const result = await signProposal(current(), manifest());
    if (!stillOpen(epoch)) return;
    if (result.published) {
      await afterPublish();
      say("publish-status", "console.team.published", {
        version: manifest().version,
        fingerprint: fingerprint(manifest()),
      });
      return;
    }
    render(result);
    say("proposal-status", "console.team.proposal.added", { n: result.signed.length, missing: result.missing });
  } catch (err) {
    if (!stillOpen(epoch)) return;
    if (err instanceof ManifestInvalid) say("proposal-status", "console.team.proposal.invalid", {}, "error");
    else showError($("proposal-status"), err);
  } finally {
    button("proposal-sign").disabled = false;
  }
}
