// One door for every cleaner: the format is told by the file's first bytes
// (never by its name or the type the browser guesses), and the answer is
// either the bytes to seal with the names of what was removed, or why the
// file cannot be cleaned, so the page can name it before anything is sent.
import { imageFormat, stripMetadata } from "../exif.js";
import { cleanGif } from "./gif.js";
import { cleanMp4 } from "./mp4.js";
import { cleanOdf, isOdf } from "./odf.js";
import { cleanOoxml, isOoxml } from "./ooxml.js";
import { cleanPdf, PdfEncrypted } from "./pdf.js";
import type { CannotClean, Cleaned } from "./types.js";
import { readParts } from "./zip.js";

export type { CannotClean, CannotCleanReason, Cleaned } from "./types.js";
export { metadataKinds, type MetadataKind } from "./kinds.js";

export type CleanFormat = "jpeg" | "png" | "webp" | "pdf" | "ooxml" | "odf" | "mp4" | "gif";
export type CleanResult = (Cleaned & { format: CleanFormat }) | CannotClean;

const IMAGE_FORMATS: ReadonlySet<CleanFormat> = new Set(["jpeg", "png", "webp", "gif"]);

/** The type to list for a cleaned file when the browser gave none. */
export const cleanedType = (format: CleanFormat): string =>
  IMAGE_FORMATS.has(format) ? `image/${format}` : "application/octet-stream";

/** Files cleaned in memory are read whole: above this the page names them as too large to clean. */
export const MAX_IN_MEMORY_BYTES = 128 * 1024 * 1024;
const SNIFF_BYTES = 1024;

// HEIF brands (HEIC photos, AVIF): no well-kept decoder fits the page's budget yet.
const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"]);
const QUICKTIME_FIRST_BOXES = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

const ascii = (b: Uint8Array, start: number, end: number): string => String.fromCharCode(...b.subarray(start, end));

type Sniffed = CleanFormat | "heif" | null;

/** The format by magic bytes. */
export function sniffFormat(head: Uint8Array): Sniffed {
  const image = imageFormat(head);
  if (image !== null) return image;
  if (ascii(head, 0, SNIFF_BYTES).includes("%PDF-")) return "pdf";
  if (ascii(head, 0, 4) === "PK\x03\x04") return "ooxml"; // or ODF: told apart once the zip is read
  if (/^GIF8[79]a$/.test(ascii(head, 0, 6))) return "gif";
  const box = ascii(head, 4, 8);
  if (box === "ftyp") {
    const brands = [ascii(head, 8, 12)];
    for (let o = 16; o + 4 <= Math.min(head.length, new DataView(head.buffer, head.byteOffset).getUint32(0)); o += 4) {
      brands.push(ascii(head, o, o + 4));
    }
    return HEIF_BRANDS.has(brands[0] ?? "") || (!brands.some(isVideoBrand) && brands.some((b) => HEIF_BRANDS.has(b)))
      ? "heif"
      : "mp4";
  }
  return QUICKTIME_FIRST_BOXES.has(box) ? "mp4" : null;
}

const isVideoBrand = (brand: string): boolean => /^(isom|iso\d|mp4\d|avc1|qt {2}|M4V |3gp\d|dash)$/.test(brand);

/** Clean a zip container: OpenDocument, Office Open XML, or a zip we do not clean. */
function cleanZip(bytes: Uint8Array): CleanResult {
  const parts = readParts(bytes);
  if (isOdf(parts)) return { format: "odf", ...cleanOdf(parts) };
  if (isOoxml(parts.keys())) return { format: "ooxml", ...cleanOoxml(parts) };
  return { cannot: "unknown_type" };
}

/**
 * Remove a file's metadata, by its format.
 * @throws {Error} a JPEG, PNG or WebP is damaged (the page asks for it again);
 *   any other format that does not parse is named as one that cannot be cleaned
 */
export async function cleanFile(file: Blob): Promise<CleanResult> {
  const format = sniffFormat(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
  if (format === null) return { cannot: "unknown_type" };
  if (format === "heif") return { cannot: "heic" };
  if (format === "mp4") {
    return cleanMp4(file).then(
      (cleaned): CleanResult => ({ format, ...cleaned }),
      (): CannotClean => ({ cannot: "unreadable" }),
    );
  }
  if (file.size > MAX_IN_MEMORY_BYTES) return { cannot: "too_large" };
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (format === "jpeg" || format === "png" || format === "webp") {
    const image = stripMetadata(bytes);
    return { format, bytes: image.bytes, removed: image.removed };
  }
  try {
    if (format === "pdf") return { format, ...(await cleanPdf(bytes)) };
    if (format === "gif") return { format, ...cleanGif(bytes) };
    return cleanZip(bytes);
  } catch (err) {
    return { cannot: err instanceof PdfEncrypted ? "encrypted" : "unreadable" };
  }
}
