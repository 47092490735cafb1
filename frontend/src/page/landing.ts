// The landing step of the reporter page (issue 19 item 10): the organisation
// the channel belongs to, the names of the people who can read a report, and
// the team key fingerprint, which sits in a closed "advanced" section.
import { activeMembers } from "../lib/manifest.js";
import type { Manifest } from "../lib/types.js";
import { $, el, fingerprint, memberLabel, type I18n } from "./common.js";
import { settings } from "./site.js";

/** Name the organisation (and show its logo) when site.json configures one; re-rendered on a language change. */
export function showOrganisation(i18n: I18n): void {
  const organisation = settings.organisation;
  if (organisation === null) return;
  const logo = $("org-logo", HTMLImageElement);
  if (organisation.logo !== null) {
    logo.src = organisation.logo;
    logo.hidden = false;
  }
  const show = (): void => {
    $("org-name").textContent = i18n.local(organisation.name);
    $("org").hidden = false;
  };
  i18n.onChange(show);
  show();
}

/** "Who can read this" answered with names, and the fingerprint for those who compare it. */
export function showReaders(manifest: Manifest): void {
  $("intro-readers").replaceChildren(...activeMembers(manifest).map((m) => el("li", {}, memberLabel(m))));
  $("fingerprint").textContent = fingerprint(manifest);
  $("manifest-version").textContent = String(manifest.version);
}
