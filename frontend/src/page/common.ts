// What the pages share: catalogues applied to the document, the language
// switch, steps, DOM building without innerHTML, and the verified manifest
// chain. The console's views build their DOM with the same helpers.
import catalogues from "candor:catalogues";
import builtInManifest from "candor:manifest";
import { fetchManifests } from "../lib/api.js";
import { Catalogue, type Args } from "../lib/i18n.js";
import { safeFileName } from "../lib/labels.js";
import { fingerprint, ManifestInvalid, verifyChain } from "../lib/manifest.js";
import { chainStatus, type ChainStatus } from "../lib/manifest-status.js";
import type { Manifest, MemberEntry } from "../lib/types.js";

/**
 * The catalogues, applied to the document: elements carry their key, so
 * the language switches in place without a reload.
 *   data-i18n="key"               → textContent
 *   data-i18n-attr="attr:key;…"   → attributes (aria-label, placeholder, title)
 *   data-i18n-args='{"n": 3}'     → parameters for {n} in the text
 */
export class I18n extends Catalogue {
  private readonly listeners: ((lang: string) => void)[] = [];

  apply(root: ParentNode): void {
    if (root instanceof Document) {
      root.documentElement.lang = this.lang;
      root.documentElement.dir = this.direction();
    }
    for (const node of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
      const args = node.dataset.i18nArgs ? (JSON.parse(node.dataset.i18nArgs) as Args) : {};
      node.textContent = this.t(node.dataset.i18n ?? "", args);
    }
    for (const node of root.querySelectorAll<HTMLElement>("[data-i18n-attr]")) {
      for (const pair of (node.dataset.i18nAttr ?? "").split(";")) {
        const [attr = "", key = ""] = pair.split(":");
        node.setAttribute(attr.trim(), this.t(key.trim()));
      }
    }
  }

  setLanguage(lang: string, root: ParentNode): void {
    this.lang = this.pick(lang);
    this.apply(root);
    for (const fn of this.listeners) fn(this.lang);
  }

  onChange(fn: (lang: string) => void): void {
    this.listeners.push(fn);
  }
}

/** A child of el(): a node or text; null and undefined are left out. Never an array. */
export type Child = Node | string | null | undefined;
export type AttrValue = string | number | boolean | null | undefined;
export interface Attrs {
  dataset?: Record<string, string>;
  [name: string]: AttrValue | Record<string, string>;
}

/** Build an element: el("p", {class: "x", dataset: {i18n: "k"}}, "text", child). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "object") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children as unknown[]) {
    // The types forbid arrays; this catches a caller the compiler did not see.
    if (Array.isArray(child)) throw new TypeError(`el(${tag}): an array child; spread it`);
    if (child !== null && child !== undefined) node.append(child as Node | string);
  }
  return node;
}

/** The element with `id`, of type `type` (HTMLElement unless said). @throws {TypeError} when missing or of another type */
export function $<T extends HTMLElement = HTMLElement>(
  id: string,
  type: abstract new () => T = HTMLElement as unknown as abstract new () => T,
): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new TypeError(`#${id} is missing or not a ${type.name}`);
  return node;
}

/** A node whose text follows the language: tr("key", {n: 1}). */
export const tr = (key: string, args?: Args): HTMLSpanElement =>
  el("span", { dataset: { i18n: key, ...(args ? { i18nArgs: JSON.stringify(args) } : {}) } });

/** A member as the pages name them: "Name — Function", or just the name when there is no function. */
export const memberLabel = (member: Pick<MemberEntry, "name" | "function">): string =>
  member.function ? `${member.name} — ${member.function}` : member.name;

/** The language a link carries (?lang=de), so it survives from page to page without storage (issue 19 item 9). */
const LANG_PARAM = "lang";

/** `page` (e.g. "followup.html") as an absolute URL carrying `lang`. */
export function pageLink(page: string, lang: string): string {
  const url = new URL(page, location.href);
  url.searchParams.set(LANG_PARAM, lang);
  return url.href;
}

/**
 * Carry `lang` in the links to the other pages (href="name.html"). The
 * page's own address stays as it is: rewriting it makes the browser fetch
 * the icon again on every switch.
 */
function carryLanguage(lang: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    const page = /^([\w-]+\.html)(\?[^#]*)?$/.exec(a.getAttribute("href") ?? "")?.[1];
    if (page !== undefined) a.setAttribute("href", `${page}?${LANG_PARAM}=${encodeURIComponent(lang)}`);
  }
}

/**
 * The language switcher: one button per catalogue, each in its own
 * language's name (and marked with its lang and dir, for screen readers).
 */
function languageButtons(i18n: I18n): void {
  for (const group of document.querySelectorAll<HTMLElement>(".lang")) {
    group.replaceChildren(
      ...[...i18n.languages].sort().map((lang) => {
        const button = el(
          "button",
          { type: "button", class: "lang-btn", lang, dir: i18n.direction(lang), dataset: { lang } },
          i18n.nameOf(lang),
        );
        button.addEventListener("click", () => {
          i18n.setLanguage(lang, document);
        });
        return button;
      }),
    );
  }
}

/** Labels the document in the language of the link (?lang=), else the browser's first language with a catalogue, else English. */
export function startPage(): I18n {
  const fromLink = new URL(location.href).searchParams.get(LANG_PARAM);
  const browser = navigator.languages.length ? navigator.languages : [navigator.language];
  const i18n = new I18n(catalogues, fromLink !== null && Object.hasOwn(catalogues, fromLink) ? fromLink : browser);
  languageButtons(i18n);
  const markLanguage = (lang: string): void => {
    for (const b of document.querySelectorAll<HTMLElement>(".lang-btn")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    }
    document.title = i18n.t("app.title");
    carryLanguage(lang);
  };
  i18n.onChange(markLanguage);
  i18n.apply(document);
  markLanguage(i18n.lang);
  const bar = document.querySelector<HTMLElement>(".bar");
  if (bar) bar.hidden = false;
  $("main").hidden = false;
  return i18n;
}

/** Show one `.step` section and move focus to its heading (for keyboard and screen readers). */
export function showStep(id: string): void {
  for (const section of document.querySelectorAll<HTMLElement>(".step")) section.hidden = section.id !== id;
  $(id).querySelector<HTMLElement>("h1")?.focus();
  window.scrollTo(0, 0);
}

/** Show a translated message in an alert element (hidden when key is null). */
export function setAlert(node: HTMLElement, i18n: I18n, key: string | null, args?: Args): void {
  node.replaceChildren();
  node.hidden = key === null;
  if (key !== null) {
    node.append(tr(key, args));
    i18n.apply(node);
  }
}

export const builtIn: unknown = builtInManifest;

/**
 * The manifest chain from the built-in manifest to the newest one the API
 * offers. A chain that does not verify is an attack or a broken server: the
 * page refuses to encrypt. An unreachable API leaves the built-in one.
 * @throws {ManifestInvalid}
 */
export async function loadManifestChain(): Promise<{ chain: Manifest[]; newest: Manifest; fetched: boolean }> {
  const { newer, fetched } = await fetchNewer();
  const chain = verifyChain(builtInManifest, newer);
  const newest = chain[chain.length - 1];
  if (newest === undefined) throw new ManifestInvalid("empty chain");
  return { chain, newest, fetched };
}

/** The versions after the built-in one the API offers; none when it is unreachable. */
async function fetchNewer(): Promise<{ newer: unknown[]; fetched: boolean }> {
  try {
    const version = (builtInManifest as { version?: unknown }).version;
    return { newer: (await fetchManifests(typeof version === "number" ? version : 0)).manifests ?? [], fetched: true };
  } catch {
    return { newer: [], fetched: false };
  }
}

/**
 * The chain as loadManifestChain follows it, but an expired newest version
 * is returned marked expired instead of refused (issue 11): the console
 * keeps reading and verifying after a lapse, and stops whatever would
 * encrypt to the team. The reporter pages keep loadManifestChain.
 * @throws {ManifestInvalid} for a chain that does not verify
 */
export async function loadManifestStatus(): Promise<ChainStatus & { fetched: boolean }> {
  const { newer, fetched } = await fetchNewer();
  return { ...chainStatus(builtInManifest, newer), fetched };
}

export { fingerprint, ManifestInvalid };

/** Human size: 1.2 MB. */
export function formatSize(bytes: number, lang: string): string {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i ? 1 : 0 }).format(n)} ${units[i] ?? ""}`;
}

/** Save bytes as a file the browser never renders (protocol §6: application/octet-stream, sanitised name). */
export function saveBytes(bytes: Uint8Array, name: string): void {
  saveBlob(new Blob([bytes as BlobPart], { type: "application/octet-stream" }), safeFileName(name));
}

/** Offer `blob` as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60000);
}
