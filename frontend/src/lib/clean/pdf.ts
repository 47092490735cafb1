// PDF metadata removal with pdf-lib (docs/architecture.md rule on format
// libraries: no PDF parser by hand). What goes: the trailer's Info
// dictionary (author, creator tool, dates), every XMP /Metadata stream, the
// trailer's document ids, /PieceInfo (private data an editor leaves), who
// wrote each comment (annotation) and when, and
// every object no page or catalogue still reaches, which is where earlier
// revisions of an incrementally updated file keep what was "deleted". The
// file is written fresh, so the incremental updates are flattened too.
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFStream, type PDFObject } from "pdf-lib";
import type { Cleaned } from "./types.js";

const METADATA = PDFName.of("Metadata");
const PIECE_INFO = PDFName.of("PieceInfo");
const SUBTYPE = PDFName.of("Subtype");
const RECT = PDFName.of("Rect");
const FIELD_TYPE = PDFName.of("FT");
const WIDGET = PDFName.of("Widget");
// A comment's author (/T), and when it was made and changed. On a form field /T is its name, and stays.
const ANNOTATION_TRACES = ["T", "M", "CreationDate"].map((n) => PDFName.of(n));

/** Drop who wrote a comment (a markup annotation) and when; returns whether there was anything. */
function scrubAnnotation(dict: PDFDict): boolean {
  const subtype = dict.get(SUBTYPE);
  if (!(subtype instanceof PDFName) || subtype === WIDGET || !dict.has(RECT) || dict.has(FIELD_TYPE)) return false;
  const found = ANNOTATION_TRACES.filter((key) => dict.has(key));
  for (const key of found) dict.delete(key);
  return found.length > 0;
}

/** A PDF this page cannot open without its password: it is named as one it cannot clean. */
export class PdfEncrypted extends Error {}

/** The Info dictionary's keys ("Author", "Producer", ...) as they are named in the file. */
function infoKeys(doc: PDFDocument): string[] {
  const info = doc.context.lookup(doc.context.trailerInfo.Info);
  return info instanceof PDFDict ? info.keys().map((k) => k.decodeText()) : [];
}

/** How many times the file was saved on top of itself (a linearised file has one extra xref by design). */
function incrementalUpdates(bytes: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(bytes);
  const saves = text.split("startxref").length - 1;
  const linearized = /\/Linearized\b/.test(text.slice(0, 2048)) ? 1 : 0;
  return Math.max(0, saves - 1 - linearized);
}

/**
 * Walk everything the catalogue reaches, dropping /Metadata and /PieceInfo
 * on the way; returns the references still in use and what was dropped.
 */
function reachable(doc: PDFDocument): { used: Set<PDFRef>; dropped: Set<string> } {
  const used = new Set<PDFRef>();
  const dropped = new Set<string>();
  const stack: PDFObject[] = [doc.context.trailerInfo.Root].filter((o): o is PDFObject => o !== undefined);
  while (stack.length) {
    const obj = stack.pop();
    if (obj instanceof PDFRef) {
      if (used.has(obj)) continue;
      used.add(obj);
      const target = doc.context.lookup(obj);
      if (target) stack.push(target);
    } else if (obj instanceof PDFDict || obj instanceof PDFStream) {
      const dict = obj instanceof PDFStream ? obj.dict : obj;
      if (dict.has(METADATA)) dropped.add("XMP");
      if (dict.has(PIECE_INFO)) dropped.add("PieceInfo");
      if (scrubAnnotation(dict)) dropped.add("AnnotationAuthors");
      dict.delete(METADATA);
      dict.delete(PIECE_INFO);
      for (const [, value] of dict.entries()) stack.push(value);
    } else if (obj instanceof PDFArray) stack.push(...obj.asArray());
  }
  return { used, dropped };
}

/**
 * Remove a PDF's metadata and write it anew.
 * @throws {PdfEncrypted} the file needs a password
 * @throws {Error} pdf-lib cannot read it
 */
export async function cleanPdf(bytes: Uint8Array): Promise<Cleaned> {
  // updateMetadata: false, or pdf-lib would write its own Producer and dates. Encryption is
  // checked here rather than caught: pdf-lib's error classes do not survive its ES5 build.
  const doc = await PDFDocument.load(bytes, {
    updateMetadata: false,
    ignoreEncryption: true,
    throwOnInvalidObject: true,
  });
  if (doc.isEncrypted) throw new PdfEncrypted("encrypted");
  const removed = new Set(infoKeys(doc));
  const trailer = doc.context.trailerInfo;
  if (trailer.ID !== undefined) removed.add("DocumentID");
  trailer.Info = undefined;
  trailer.ID = undefined;
  const { used, dropped } = reachable(doc);
  for (const name of dropped) removed.add(name);
  for (const [ref] of doc.context.enumerateIndirectObjects()) if (!used.has(ref)) doc.context.delete(ref);
  const updates = incrementalUpdates(bytes);
  if (updates > 0) removed.add("IncrementalUpdates");
  // No object streams: each object stays readable on its own, for any PDF reader and for checking.
  const out = await doc.save({ addDefaultPage: false, updateFieldAppearances: false, useObjectStreams: false });
  return { bytes: out, removed: [...removed] };
}
