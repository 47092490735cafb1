// OpenDocument (odt, ods, odp) metadata removal: meta.xml's office:meta
// emptied (author, editor, dates, editing time and cycles, generator,
// user-defined fields), the authors and dates of annotations and tracked
// changes blanked, and EXIF stripped from embedded pictures.
import type { Cleaned } from "./types.js";
import { cleanMedia, cleanXmlPart } from "./ooxml.js";
import { emptyElement } from "./xml.js";
import { writeParts, type Parts } from "./zip.js";

const OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0";
const DC = "http://purl.org/dc/elements/1.1/";

const metaName = (c: Element): string =>
  c.namespaceURI === META && c.localName === "user-defined"
    ? `meta:user-defined: ${c.getAttributeNS(META, "name") ?? ""}`
    : c.nodeName;

const RULES = [
  (el: Element): string[] => (el.namespaceURI === OFFICE && el.localName === "meta" ? emptyElement(el, metaName) : []),
  // Outside meta.xml, dc:creator and dc:date mark who annotated or changed what, and when.
  (el: Element): string[] => {
    if (el.namespaceURI !== DC || !["creator", "date"].includes(el.localName) || el.textContent === "") return [];
    if (el.parentNode === null) return []; // already removed with office:meta
    el.textContent = "";
    return [el.localName === "creator" ? "CommentAuthors" : "CommentDates"];
  },
];

/** Whether a zip's parts are an OpenDocument package (its first part names the type). */
export function isOdf(parts: ReadonlyMap<string, Uint8Array>): boolean {
  const mimetype = parts.get("mimetype");
  return mimetype !== undefined && new TextDecoder().decode(mimetype).startsWith("application/vnd.oasis.opendocument");
}

/**
 * Remove an OpenDocument file's metadata.
 * @throws {Error} one of its XML parts cannot be read
 */
export function cleanOdf(parts: Parts): Cleaned {
  const removed = new Set<string>();
  for (const [name, data] of parts) {
    if (name === "mimetype") continue;
    const result = name.endsWith(".xml") ? cleanXmlPart(data, RULES) : cleanMedia(name, data);
    for (const field of result.removed) removed.add(field);
    if (result.bytes !== null) parts.set(name, result.bytes);
  }
  return { bytes: writeParts(parts), removed: [...removed] };
}
