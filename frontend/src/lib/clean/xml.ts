// XML parts parsed and written with @xmldom/xmldom, a standard DOMParser and
// XMLSerializer in plain JavaScript. Not the browser's own: the pages
// require Trusted Types (frontend/headers.json), DOMParser.parseFromString
// is a Trusted Types sink, and the one policy the pages may create is for
// worker URLs. xmldom builds the same DOM interfaces without touching the
// page's document, and node's tests run the same code.
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";

const DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';

/** @throws {Error} the part is not well-formed XML */
export function parseXml(bytes: Uint8Array): Document {
  const text = new TextDecoder().decode(bytes);
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(message);
    },
  });
  // xmldom's Document implements the DOM Core interfaces the cleaners use (elements, attributes, text).
  return parser.parseFromString(text, "application/xml") as unknown as Document;
}

/** Serialise a part, with the XML declaration Office writes if the part had none. */
export function writeXml(doc: Document): Uint8Array {
  const serializer = new XMLSerializer();
  const text = serializer.serializeToString(doc as unknown as Parameters<XMLSerializer["serializeToString"]>[0]);
  return new TextEncoder().encode(text.startsWith("<?xml") ? text : DECLARATION + text);
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
