// What both reporter pages share: catalogues, language switch, steps,
// DOM building without innerHTML, and the verified manifest chain.
import catalogues from "candor:catalogues";
import builtInManifest from "candor:manifest";
import { fetchManifests } from "../lib/api.js";
import { I18n } from "../lib/i18n.js";
import { fingerprint, ManifestInvalid, verifyChain } from "../lib/manifest.js";

/** Build an element: el("p", {class: "x", dataset: {i18n: "k"}}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

/** A node whose text follows the language: tr("key", {n: 1}). */
export const tr = (key, args) =>
  el("span", { dataset: { i18n: key, ...(args ? { i18nArgs: JSON.stringify(args) } : {}) } });

export function startPage() {
  const i18n = new I18n(catalogues, navigator.languages ?? [navigator.language]);
  for (const button of document.querySelectorAll(".lang-btn")) {
    button.addEventListener("click", () => i18n.setLanguage(button.dataset.lang, document));
  }
  const markLanguage = (lang) => {
    for (const b of document.querySelectorAll(".lang-btn")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    document.title = i18n.t("app.title");
  };
  i18n.onChange(markLanguage);
  i18n.apply(document);
  markLanguage(i18n.lang);
  document.querySelector(".bar").hidden = false;
  $("main").hidden = false;
  return i18n;
}

/** Show one `.step` section and move focus to its heading (for keyboard and screen readers). */
export function showStep(id) {
  for (const section of document.querySelectorAll(".step")) section.hidden = section.id !== id;
  const heading = $(id).querySelector("h1");
  heading?.focus();
  window.scrollTo(0, 0);
}

/** Show a translated message in an alert element (hidden when key is null). */
export function setAlert(node, i18n, key, args) {
  node.replaceChildren();
  node.hidden = key === null;
  if (key !== null) {
    node.append(tr(key, args));
    i18n.apply(node);
  }
}

export const builtIn = builtInManifest;

/**
 * The manifest chain from the built-in manifest to the newest one the API
 * offers. A chain that does not verify is an attack or a broken server: the
 * page refuses to encrypt. An unreachable API leaves the built-in one.
 * Returns {chain, fetched}. @throws {ManifestInvalid}
 */
export async function loadManifestChain() {
  let newer = [];
  let fetched = true;
  try {
    newer = (await fetchManifests(builtInManifest.version)).manifests ?? [];
  } catch {
    fetched = false;
  }
  return { chain: verifyChain(builtInManifest, newer), fetched };
}

export { fingerprint, ManifestInvalid };

/** Human size: 1.2 MB. */
export function formatSize(bytes, lang) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i ? 1 : 0 }).format(n)} ${units[i]}`;
}

/** Save bytes as a file the browser never renders (protocol §6: application/octet-stream, sanitised name). */
export function saveBytes(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = el("a", { href: url, download: sanitiseName(name) });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function sanitiseName(name) {
  const clean = String(name ?? "")
    .normalize("NFKC")
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_")
    .replace(/^[.\s]+/, "")
    .slice(0, 120);
  return clean || "attachment.bin";
}
