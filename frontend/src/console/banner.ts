// The manifest's expiry, shown to every member on every view (issue 11):
// from WARN_DAYS before the newest version expires, a warning with the
// days left and the date, and for admins "Renew now" (the next version with
// the same roster and new dates); after a lapse, the one line saying the
// console is read-only and that the operator must re-anchor.
import { listMembers } from "../lib/api.js";
import { ManifestInvalid } from "../lib/manifest.js";
import { daysLeft, WARN_DAYS } from "../lib/manifest-status.js";
import { pendingProposal } from "../lib/proposals.js";
import { renewManifest } from "../lib/roster.js";
import { $, tr } from "../page/common.js";
import { publishNext } from "./proposal.js";
import {
  current,
  i18n,
  isAdmin,
  lapsed,
  manifest,
  say,
  session,
  showError,
  showNotice,
  stillOpen,
  unlocked,
} from "./session.js";
import { button } from "./views.js";

export function initBanner(): void {
  button("banner-renew").addEventListener("click", () => void renew());
  i18n().onChange(() => {
    if (unlocked()) showBanner();
  });
}

export function clearBanner(): void {
  $("banner").hidden = true;
  $("banner-text").replaceChildren();
  $("banner-status").replaceChildren();
}

/** Show the warning or the lapse for the newest manifest, or nothing while it has more than WARN_DAYS left. */
export function showBanner(): void {
  const m = manifest();
  const days = daysLeft(m);
  const node = $("banner");
  if (days > WARN_DAYS) {
    clearBanner();
    return;
  }
  const state = lapsed() ? "lapsed" : "warn";
  node.className = `alert banner ${state === "lapsed" ? "alert-error" : "alert-warn"}`;
  node.dataset.state = state;
  node.dataset.days = String(days);
  const key = state === "lapsed" ? "console.lapse.text" : days === 0 ? "console.banner.today" : "console.banner.text";
  $("banner-text").replaceChildren(tr(key, { version: m.version, n: days, date: i18n().longDay(m.expires) }));
  button("banner-renew").hidden = state === "lapsed" || !isAdmin();
  i18n().apply(node);
  node.hidden = false;
}

/** The next version with the same roster and new dates, published (or stored for the other admins' signatures). */
async function renew(): Promise<void> {
  const epoch = session.epoch;
  if (lapsed()) {
    say("banner-status", "console.lapse.refused", { date: i18n().longDay(manifest().expires) }, "error");
    return;
  }
  button("banner-renew").disabled = true;
  say("banner-status", "console.banner.renewing");
  try {
    // A version already waiting for signatures is signed on the Team page, not replaced from here.
    if (manifest().threshold > 1 && (await pendingProposal(current().client, manifest())) !== null) {
      say("banner-status", "console.banner.waiting");
      return;
    }
    const { unsigned } = renewManifest(manifest(), await listMembers(current().client));
    const waiting = await publishNext(unsigned);
    if (!stillOpen(epoch)) return;
    if (waiting) {
      const args = { n: waiting.signed.length, threshold: manifest().threshold };
      say("banner-status", "console.banner.proposed", args);
    } else {
      showBanner();
      showNotice("console.banner.renewed", { version: manifest().version, date: i18n().longDay(manifest().expires) });
    }
  } catch (err) {
    if (!stillOpen(epoch)) return;
    if (err instanceof ManifestInvalid) say("banner-status", "console.team.publish.invalid", {}, "error");
    else showError($("banner-status"), err);
  } finally {
    button("banner-renew").disabled = false;
  }
}
