// One door for every cleaner: the format is told by the file's first bytes
// (never by its name or the type the browser guesses), and the answer is
// either the bytes to seal with the names of what was removed, or why the
// file cannot be cleaned, so the page can name it before anything is sent.
// The pages bundle only light.ts (pictures); this module, with pdf-lib, the
// XML parser, the zip reader and the HEIC decoder, is what frontend/src/workers/clean.ts runs.
import { cleanHeic } from "./heic.js";
import { cleanLight, MAX_IN_MEMORY_BYTES, type CleanResult, type HeavyFormat } from "./light.js";
import { cleanMp4 } from "./mp4.js";
import { cleanOdf, isOdf } from "./odf.js";
import { cleanOoxml, isOoxml } from "./ooxml.js";
import { cleanPdf, PdfEncrypted } from "./pdf.js";
import type { CannotClean } from "./types.js";
import { readParts } from "./zip.js";

export type { CannotClean, CannotCleanReason, Cleaned } from "./types.js";
export { metadataKinds, type MetadataKind } from "./kinds.js";
export {
  cleanedType,
  cleanLight,
  MAX_IN_MEMORY_BYTES,
  sentAs,
  sniffFormat,
  type CleanFormat,
  type CleanResult,
  type HeavyFormat,
} from "./light.js";

/** Clean a zip container: OpenDocument, Office Open XML, or a zip we do not clean. */
function cleanZip(bytes: Uint8Array): CleanResult {
  const parts = readParts(bytes);
  if (isOdf(parts)) return { format: "odf", ...cleanOdf(parts) };
  if (isOoxml(parts.keys())) return { format: "ooxml", ...cleanOoxml(parts) };
  return { cannot: "unknown_type" };
}

/** Clean a document or a video; a file that does not parse is named as one that cannot be cleaned. */
async function cleanHeavy(file: Blob, format: HeavyFormat): Promise<CleanResult> {
  if (format === "mp4") {
    return cleanMp4(file).then(
      (cleaned): CleanResult => ({ format, ...cleaned }),
      (): CannotClean => ({ cannot: "unreadable" }),
    );
  }
  if (file.size > MAX_IN_MEMORY_BYTES) return { cannot: "too_large" };
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (format === "heic") {
    const cleaned = await cleanHeic(bytes);
    return "cannot" in cleaned ? cleaned : { format: "jpeg", ...cleaned };
  }
  try {
    return format === "pdf" ? { format, ...(await cleanPdf(bytes)) } : cleanZip(bytes);
  } catch (err) {
    return { cannot: err instanceof PdfEncrypted ? "encrypted" : "unreadable" };
  }
}

/**
 * Remove a file's metadata, by its format.
 * @throws {Error} a JPEG, PNG or WebP is damaged (the page asks for it again);
 *   any other format that does not parse is named as one that cannot be cleaned
 */
export async function cleanFile(file: Blob): Promise<CleanResult> {
  const light = await cleanLight(file);
  return "heavy" in light ? cleanHeavy(file, light.heavy) : light;
}
