// XML parts parsed and written with the platform's DOMParser and
// XMLSerializer (the browser's own; tests under node install one).

const DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';

/** @throws {Error} the part is not well-formed XML */
export function parseXml(bytes: Uint8Array): Document {
  const text = new TextDecoder().decode(bytes);
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (doc.getElementsByTagName("parsererror").length > 0) throw new Error("not well-formed XML");
  return doc;
}

/** Serialise a part, with the XML declaration Office writes (the DOM drops it). */
export function writeXml(doc: Document): Uint8Array {
  return new TextEncoder().encode(DECLARATION + new XMLSerializer().serializeToString(doc));
}

/** Every element of the document, in document order (a copy: callers may remove some). */
export const elements = (doc: Document): Element[] => [...Array.from(doc.getElementsByTagName("*"))];

/** Remove an element's children; returns the names of the element children removed. */
export function emptyElement(el: Element, name: (child: Element) => string = (c) => c.nodeName): string[] {
  const names = Array.from(el.childNodes)
    .filter((n): n is Element => n.nodeType === 1)
    .map(name);
  while (el.firstChild) el.removeChild(el.firstChild);
  return names;
}
