// Office Open XML (docx, xlsx, pptx) metadata removal: core, app and custom
// properties emptied (the parts stay, so every relationship still resolves),
// comment and revision authors blanked with their dates dropped, Word's
// revision-session ids (w:rsid*) removed, people parts emptied, Excel's
// saved file path dropped, and EXIF stripped from embedded pictures.
import { stripMetadata } from "../exif.js";
import type { Cleaned } from "./types.js";
import { elements, emptyElement, parseXml, writeXml } from "./xml.js";
import { writeParts, type Parts } from "./zip.js";

const NS = {
  core: "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
  app: "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
  custom: "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
  w: "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
  w15: "http://schemas.microsoft.com/office/word/2012/wordml",
  x: "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
  xPersons: "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments",
  p: "http://schemas.openxmlformats.org/presentationml/2006/main",
  pAuthors: "http://schemas.microsoft.com/office/powerpoint/2018/8/main",
  rels: "http://schemas.openxmlformats.org/package/2006/relationships",
} as const;

const is = (el: Element, ns: string, name: string): boolean => el.namespaceURI === ns && el.localName === name;

/** Blank these attributes (schema-required ones stay, empty) and remove the optional ones. */
function scrub(el: Element, blank: readonly string[], drop: readonly string[], ns: string | null = null): boolean {
  let changed = false;
  for (const name of blank) {
    if (el.hasAttributeNS(ns, name) && el.getAttributeNS(ns, name) !== "") {
      el.setAttributeNS(ns, el.getAttributeNodeNS(ns, name)?.name ?? name, "");
      changed = true;
    }
  }
  for (const name of drop) {
    if (el.hasAttributeNS(ns, name)) {
      el.removeAttributeNS(ns, name);
      changed = true;
    }
  }
  return changed;
}

/** What one rule removed from one element, or nothing. */
type Rule = (el: Element) => string[];

const RULES: readonly Rule[] = [
  (el) => (is(el, NS.core, "coreProperties") ? emptyElement(el) : []),
  (el) => (is(el, NS.app, "Properties") ? emptyElement(el, (c) => `app:${c.localName}`) : []),
  (el) =>
    is(el, NS.custom, "Properties") ? emptyElement(el, (c) => `custom:${c.getAttribute("name") ?? c.localName}`) : [],
  // Word: comments and tracked changes carry w:author, w:initials and w:date.
  (el) => (el.namespaceURI === NS.w && scrub(el, ["author"], ["initials", "date"], NS.w) ? ["CommentAuthors"] : []),
  (el) => {
    const rsids = Array.from(el.attributes).filter((a) => a.namespaceURI === NS.w && a.localName.startsWith("rsid"));
    for (const a of rsids) el.removeAttributeNode(a);
    return rsids.length ? ["RevisionIDs"] : [];
  },
  // Settings list every session's id (w:rsids); styles carry one each (w:rsid).
  (el) =>
    (is(el, NS.w, "rsids") || is(el, NS.w, "rsid")) && el.parentNode
      ? (el.parentNode.removeChild(el), ["RevisionIDs"])
      : [],
  (el) => (is(el, NS.w15, "people") && emptyElement(el).length ? ["People"] : []),
  // Excel: legacy comment authors, threaded-comment people, the folder it was saved in.
  (el) => (is(el, NS.x, "author") && el.textContent !== "" ? ((el.textContent = ""), ["CommentAuthors"]) : []),
  (el) => (is(el, NS.xPersons, "person") && scrub(el, ["displayName"], ["userId", "providerId"]) ? ["People"] : []),
  (el) => (el.localName === "absPath" ? (el.parentNode?.removeChild(el), ["FilePath"]) : []),
  // Word: the template a document was made from is a path on the author's disk (C:\Users\name\...).
  (el) => (is(el, NS.w, "attachedTemplate") ? (el.parentNode?.removeChild(el), ["FilePath"]) : []),
  (el) =>
    is(el, NS.rels, "Relationship") && (el.getAttribute("Type") ?? "").endsWith("/attachedTemplate")
      ? (el.parentNode?.removeChild(el), ["FilePath"])
      : [],
  // PowerPoint: comment authors, and the modern comments' people.
  (el) => (is(el, NS.p, "cmAuthor") && scrub(el, ["name", "initials"], []) ? ["CommentAuthors"] : []),
  (el) =>
    is(el, NS.pAuthors, "author") && scrub(el, ["name", "initials"], ["userId", "providerId"]) ? ["People"] : [],
];

/** Apply every rule to one XML part; returns the part rewritten (or null if untouched) and what went. */
export function cleanXmlPart(
  bytes: Uint8Array,
  rules: readonly Rule[],
): { bytes: Uint8Array | null; removed: string[] } {
  const doc = parseXml(bytes);
  const removed: string[] = [];
  for (const el of elements(doc)) for (const rule of rules) removed.push(...rule(el));
  return { bytes: removed.length ? writeXml(doc) : null, removed };
}

/** Strip EXIF and the like from a picture inside a document; other media pass unchanged. */
export function cleanMedia(name: string, bytes: Uint8Array): { bytes: Uint8Array; removed: string[] } {
  const image = stripMetadata(bytes);
  return { bytes: image.bytes, removed: image.removed.map((field) => `${name}: ${field}`) };
}

/** Whether a zip's parts are an Office Open XML package. */
export const isOoxml = (names: Iterable<string>): boolean => [...names].includes("[Content_Types].xml");

/**
 * Remove an OOXML file's metadata.
 * @throws {Error} one of its XML parts cannot be read
 */
export function cleanOoxml(parts: Parts): Cleaned {
  const removed = new Set<string>();
  for (const [name, data] of parts) {
    const result = /\.(xml|rels)$/i.test(name) ? cleanXmlPart(data, RULES) : cleanMedia(name, data);
    for (const field of result.removed) removed.add(field);
    if (result.bytes !== null) parts.set(name, result.bytes);
  }
  return { bytes: writeParts(parts), removed: [...removed] };
}
