// The team page's header: which manifest the console trusts, and when it
// expires (an admin must publish the next version before then, or nothing
// can be sent to the team: protocol §4.5).
import { DAY_MS, fingerprint, todayUtc } from "../lib/manifest.js";
import { $, tr } from "../page/common.js";
import { i18n, manifest } from "./session.js";

/** From this many days before the manifest expires, the team page warns (WARN_DAYS in chalicelib/manifest_status.py). */
const WARN_DAYS = 30;

export function showManifestVersion(): void {
  $("team-fingerprint").textContent = fingerprint(manifest());
  $("team-version").textContent = String(manifest().version);
  $("publish-load").hidden = manifest().threshold < 2;
  showExpiry();
}

/** When the manifest expires (the day itself is still valid) and how many days are left. */
function showExpiry(): void {
  const { expires } = manifest();
  const end = Date.parse(`${expires}T00:00:00Z`);
  const days = Math.round((end - Date.parse(`${todayUtc()}T00:00:00Z`)) / DAY_MS);
  const date = new Intl.DateTimeFormat(i18n().lang, { dateStyle: "long", timeZone: "UTC" }).format(end);
  const key = days < 0 ? "console.team.expired" : days === 0 ? "console.team.expires_today" : "console.team.expires";
  const node = $("team-expiry");
  node.classList.toggle("soon", days <= WARN_DAYS);
  node.dataset.days = String(days);
  node.replaceChildren(tr(key, { date, n: days }), ...(days <= WARN_DAYS ? [" ", tr("console.team.renew")] : []));
  i18n().apply(node);
}
