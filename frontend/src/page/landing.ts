// The landing step of the reporter page (issue 19 item 10): the organisation
// the channel belongs to, the names of the people who can read a report (with
// routes, for each kind of incident: issue 12), and
// the team key fingerprint, which sits in a closed "advanced" section beside
// the fingerprint of the signed release of the pages (issue 17).
import questionnaire from "candor:questionnaire";
import { FETCH_OPTIONS } from "../lib/api.js";
import { activeMembers } from "../lib/manifest.js";
import { releaseFingerprint, verifyRelease } from "../lib/release.js";
import { routeReaders } from "../lib/routes.js";
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
  const list = $("intro-readers");
  const names = (ids: readonly string[]): HTMLElement =>
    el("ul", {}, ...activeMembers(manifest).flatMap((m) => (ids.includes(m.id) ? [el("li", {}, memberLabel(m))] : [])));
  routedNote(list).hidden = manifest.routes === undefined;
  if (manifest.routes === undefined) {
    // Every reader: the current members but intake ones, who file and read nothing (protocol §4.5, Roles).
    const readers = routeReaders(manifest, null);
    list.replaceChildren(
      ...activeMembers(manifest).flatMap((m) => (readers.includes(m.id) ? [el("li", {}, memberLabel(m))] : [])),
    );
  } else {
    // One item per kind of incident the form offers that has a route, then
    // one for every other kind (the administrators only): protocol §4.5
    // "Routes". The kinds' names are the questionnaire's, which relabelFields
    // fills in the reader's language.
    const routed = categories().filter((c) => manifest.routes?.[c] !== undefined);
    const items = routed.map((c) =>
      el(
        "li",
        { dataset: { route: c } },
        el("strong", { dataset: { q: "category", qOption: c } }),
        names(routeReaders(manifest, c)),
      ),
    );
    if (routed.length < categories().length || !categories().length)
      items.push(
        el(
          "li",
          { dataset: { route: "" } },
          el("strong", { dataset: { i18n: "intro.readers.other" } }),
          names(routeReaders(manifest, null)),
        ),
      );
    list.replaceChildren(...items);
  }
  $("fingerprint").textContent = fingerprint(manifest);
  $("manifest-version").textContent = String(manifest.version);
  void showRelease();
}

/** The kinds of incident the form offers: the options of its `category` question, in order. */
const categories = (): string[] =>
  questionnaire.fields.find((f) => f.key === "category")?.options?.map((o) => o.value) ?? [];

/** The line above the list that says, with routes, that who reads depends on the kind of incident. */
function routedNote(list: HTMLElement): HTMLElement {
  const found = document.getElementById("intro-readers-routed");
  if (found) return found;
  // i18n.apply fills the element's descendants: the text goes in a child.
  const note = el("p", { id: "intro-readers-routed" }, el("span", { dataset: { i18n: "intro.readers.routed" } }));
  list.before(note);
  return note;
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
