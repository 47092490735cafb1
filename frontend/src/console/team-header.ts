// The team page's header: which manifest the console trusts, and when it
// expires (an admin must publish the next version before then, or nothing
// can be sent to the team: protocol §4.5).
import { fingerprint } from "../lib/manifest.js";
import { daysLeft, WARN_DAYS } from "../lib/manifest-status.js";
import { $, tr } from "../page/common.js";
import { i18n, manifest } from "./session.js";

export function showManifestVersion(): void {
  $("team-fingerprint").textContent = fingerprint(manifest());
  $("team-version").textContent = String(manifest().version);
  $("publish-load").hidden = manifest().threshold < 2;
  showExpiry();
}

/** When the manifest expires (the day itself is still valid) and how many days are left; a warning from WARN_DAYS before. */
function showExpiry(): void {
  const days = daysLeft(manifest());
  const end = Date.parse(`${manifest().expires}T00:00:00Z`);
  const date = new Intl.DateTimeFormat(i18n().lang, { dateStyle: "long", timeZone: "UTC" }).format(end);
  const key = days < 0 ? "console.team.expired" : days === 0 ? "console.team.expires_today" : "console.team.expires";
  const node = $("team-expiry");
  node.classList.toggle("soon", days <= WARN_DAYS);
  node.dataset.days = String(days);
  node.replaceChildren(tr(key, { date, n: days }), ...(days <= WARN_DAYS ? [" ", tr("console.team.renew")] : []));
  i18n().apply(node);
}
