// The operator's site settings (frontend/site.json), built into the pages by
// build.ts: the contacts the reporter page shows when it cannot accept
// reports, and for reports about the team's own administrators.
import site from "candor:site";
import type { LocalText } from "../lib/i18n.js";

export interface SiteSettings {
  v: 1;
  /** Where to report instead while the page cannot accept reports (an expired or unverifiable manifest). */
  contact: LocalText;
  /** Someone outside the team (ombudsperson, works council, authority) for reports about the administrators. */
  outside_contact: LocalText;
  /** The organisation the landing page names, and its logo (a hashed asset path after the build). */
  organisation: { name: LocalText; logo: string | null } | null;
}

export const settings: SiteSettings = site;
