// The part of metadata removal the reporter pages bundle themselves: the
// format told by the file's first bytes (never by its name or the type the
// browser guesses), and pictures cleaned at once (JPEG, PNG, WebP, GIF:
// a few kilobytes of code, so a photo is cleaned even where the cleaning
// worker cannot load). Documents and videos need pdf-lib, an XML parser
// and a zip reader, HEIC photos a WebAssembly decoder: several hundred
// kilobytes that a reporter on a slow network should not wait for before
// reading the page: those go to frontend/src/workers/clean.ts, which runs
// index.ts's cleanFile.
import { imageFormat, stripMetadata } from "../exif.js";
import { cleanGif } from "./gif.js";
import type { CannotClean, Cleaned } from "./types.js";

export type CleanFormat = "jpeg" | "png" | "webp" | "pdf" | "ooxml" | "odf" | "mp4" | "gif";
export type CleanResult = (Cleaned & { format: CleanFormat }) | CannotClean;
/** The formats cleaned off the page: a PDF, a zip (OOXML or ODF, told apart once read), a video, a HEIC photo. */
export type HeavyFormat = "pdf" | "ooxml" | "mp4" | "heic";

const IMAGE_FORMATS: ReadonlySet<CleanFormat> = new Set(["jpeg", "png", "webp", "gif"]);

/** The type to list for a cleaned file when the browser gave none. */
export const cleanedType = (format: CleanFormat): string =>
  IMAGE_FORMATS.has(format) ? `image/${format}` : "application/octet-stream";

/**
 * The name and type a cleaned file is sent under: its own, unless cleaning
 * made a new file of another format (a HEIC photo redrawn as JPEG:
 * "IMG_0001.HEIC" goes as "IMG_0001.jpg", image/jpeg).
 */
export function sentAs(
  file: { name: string; type: string },
  result: Cleaned & { format: CleanFormat },
): { name: string; type: string } {
  if (!result.reencoded) return { name: file.name, type: file.type || cleanedType(result.format) };
  const stem = file.name.replace(/\.[^.]*$/, "") || "photo";
  return { name: `${stem}.${result.format === "jpeg" ? "jpg" : result.format}`, type: cleanedType(result.format) };
}

/** Files cleaned in memory are read whole: above this the page names them as too large to clean. */
export const MAX_IN_MEMORY_BYTES = 128 * 1024 * 1024;
const SNIFF_BYTES = 1024;

// HEIF brands (HEIC photos, AVIF): decoded by libheif in the worker (./heic.ts).
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

/**
 * Clean a picture, or name a file no cleaner takes; for a document or a
 * video, say which heavy cleaner it needs (index.ts's cleanFile, in the worker).
 * @throws {Error} a JPEG, PNG or WebP is damaged (the page asks for it again)
 */
export async function cleanLight(file: Blob): Promise<CleanResult | { heavy: HeavyFormat }> {
  const format = sniffFormat(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
  if (format === null) return { cannot: "unknown_type" };
  if (format === "heif") return file.size > MAX_IN_MEMORY_BYTES ? { cannot: "too_large" } : { heavy: "heic" };
  // A video is read box by box, never whole: its size does not matter.
  if (format === "mp4") return { heavy: format };
  if (file.size > MAX_IN_MEMORY_BYTES) return { cannot: "too_large" };
  if (format === "pdf" || format === "ooxml" || format === "odf") return { heavy: format === "pdf" ? "pdf" : "ooxml" };
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (format === "gif") {
    try {
      return { format, ...cleanGif(bytes) };
    } catch {
      return { cannot: "unreadable" };
    }
  }
  const image = stripMetadata(bytes);
  return { format, bytes: image.bytes, removed: image.removed };
}
