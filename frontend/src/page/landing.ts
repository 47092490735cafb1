// The landing step of the reporter page (issue 19 item 10): the organisation
// the channel belongs to, the names of the people who can read a report, and
// the team key fingerprint, which sits in a closed "advanced" section beside
// the fingerprint of the signed release of the pages (issue 17).
import { FETCH_OPTIONS } from "../lib/api.js";
import { activeMembers } from "../lib/manifest.js";
import { releaseFingerprint, verifyRelease } from "../lib/release.js";
import type { Manifest } from "../lib/types.js";
import { $, builtIn, el, fingerprint, memberLabel, type I18n } from "./common.js";
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
  void showRelease();
}

/** Where the site serves its latest release (protocol §4.8), beside the pages. */
const RELEASE_URL = "release.json";

/**
 * The fingerprint of the release served beside the page, for comparing with
 * the poster: a convenience, not a check, as a page that is not genuine can
 * show any fingerprint (docs/verify.md). Only called once the chain from the
 * built-in manifest verified, so `builtIn` is a manifest. A release that does
 * not verify is a warning, never silence.
 */
async function showRelease(): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(RELEASE_URL, FETCH_OPTIONS);
  } catch {
    $("release-none").hidden = false;
    return;
  }
  if (answer.status !== 200) {
    $("release-none").hidden = false;
    return;
  }
  try {
    const release = verifyRelease(await answer.json(), builtIn as Manifest);
    $("release-fingerprint").textContent = releaseFingerprint(release);
    $("release-version").textContent = String(release.version);
    $("release").hidden = false;
  } catch {
    $("release-invalid").hidden = false;
  }
}
