// Metadata removal for evidence images, before anything is sealed: EXIF
// (with GPS), XMP, IPTC, comments and trailing data from JPEG; text chunks,
// eXIf and tIME from PNG; EXIF and XMP from WebP. Other formats have their
// own cleaners under clean/, which clean/index.ts picks by magic bytes.
import { concat } from "./encoding.js";

const TAG_NAMES = new Map([
  [0x010e, "ImageDescription"],
  [0x010f, "Make"],
  [0x0110, "Model"],
  [0x0112, "Orientation"],
  [0x0131, "Software"],
  [0x0132, "DateTime"],
  [0x013b, "Artist"],
  [0x8298, "Copyright"],
  [0x9003, "DateTimeOriginal"],
  [0x9004, "DateTimeDigitized"],
  [0x9010, "OffsetTime"],
  [0x9011, "OffsetTimeOriginal"],
  [0x927c, "MakerNote"],
  [0x9286, "UserComment"],
  [0xa420, "ImageUniqueID"],
  [0xa430, "CameraOwnerName"],
  [0xa431, "BodySerialNumber"],
  [0xa433, "LensMake"],
  [0xa434, "LensModel"],
  [0xa435, "LensSerialNumber"],
]);
const GPS_TAG_NAMES = new Map([
  [0x0001, "GPSLatitudeRef"],
  [0x0002, "GPSLatitude"],
  [0x0003, "GPSLongitudeRef"],
  [0x0004, "GPSLongitude"],
  [0x0006, "GPSAltitude"],
  [0x0007, "GPSTimeStamp"],
  [0x0011, "GPSImgDirection"],
  [0x001d, "GPSDateStamp"],
]);
const EXIF_IFD = 0x8769;
const GPS_IFD = 0x8825;

const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, start + length));

/** Names of the EXIF tags in a TIFF structure (best effort; never throws). */
export function exifFieldNames(tiff: Uint8Array): string[] {
  const names = new Set<string>();
  try {
    const little = ascii(tiff, 0, 2) === "II";
    const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
    const u16 = (o: number): number => view.getUint16(o, little);
    const u32 = (o: number): number => view.getUint32(o, little);
    const walk = (offset: number, table: ReadonlyMap<number, string>, depth: number): void => {
      if (depth > 3 || offset + 2 > tiff.length) return;
      const count = u16(offset);
      for (let i = 0; i < count && offset + 2 + i * 12 + 12 <= tiff.length; i++) {
        const entry = offset + 2 + i * 12;
        const tag = u16(entry);
        if (tag === EXIF_IFD) walk(u32(entry + 8), TAG_NAMES, depth + 1);
        else if (tag === GPS_IFD) {
          names.add("GPS");
          walk(u32(entry + 8), GPS_TAG_NAMES, depth + 1);
        } else names.add(table.get(tag) ?? `0x${tag.toString(16).padStart(4, "0")}`);
      }
    };
    walk(u32(4), TAG_NAMES, 0);
  } catch {
    names.add("EXIF");
  }
  return [...names];
}

interface Stripped {
  bytes: Uint8Array;
  removed: string[];
}

function stripJpeg(bytes: Uint8Array): Stripped {
  const kept = [bytes.subarray(0, 2)];
  const removed = new Set<string>();
  let o = 2;
  while (o + 4 <= bytes.length) {
    if (bytes[o] !== 0xff) throw new Error("bad JPEG marker");
    const marker = bytes[o + 1];
    if (marker === undefined) break;
    if (marker === 0xff) {
      o++;
      continue;
    }
    const length = ((bytes[o + 2] ?? 0) << 8) | (bytes[o + 3] ?? 0);
    const segment = bytes.subarray(o, o + 2 + length);
    const body = segment.subarray(4);
    if (marker === 0xda) {
      // Start of scan: keep everything up to the end-of-image marker, drop what follows it.
      let end = o + 2 + length;
      while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] === 0xd9)) end++;
      kept.push(bytes.subarray(o, Math.min(end + 2, bytes.length)));
      if (end + 2 < bytes.length) removed.add("trailing data");
      break;
    }
    const isApp = marker >= 0xe0 && marker <= 0xef;
    const keep =
      !isApp && marker !== 0xfe
        ? true
        : marker === 0xe0 || marker === 0xee || (marker === 0xe2 && ascii(body, 0, 12) === "ICC_PROFILE\0");
    if (keep) kept.push(segment);
    else if (marker === 0xe1 && ascii(body, 0, 6) === "Exif\0\0") {
      for (const n of exifFieldNames(body.subarray(6))) removed.add(n);
    } else if (marker === 0xe1) removed.add("XMP");
    else if (marker === 0xed) removed.add("IPTC");
    else if (marker === 0xfe) removed.add("Comment");
    else removed.add(`APP${marker - 0xe0}`);
    o += 2 + length;
  }
  return { bytes: concat(...kept), removed: [...removed] };
}

const PNG_DROP = new Set(["tEXt", "zTXt", "iTXt", "eXIf", "tIME"]);

function stripPng(bytes: Uint8Array): Stripped {
  const kept = [bytes.subarray(0, 8)];
  const removed = new Set<string>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  while (o + 12 <= bytes.length) {
    const length = view.getUint32(o);
    const type = ascii(bytes, o + 4, 4);
    const chunk = bytes.subarray(o, o + 12 + length);
    if (!PNG_DROP.has(type)) kept.push(chunk);
    else if (type === "eXIf") for (const n of exifFieldNames(chunk.subarray(8, 8 + length))) removed.add(n);
    else if (type === "tIME") removed.add("tIME");
    else {
      const data = chunk.subarray(8, 8 + length);
      const nul = data.indexOf(0);
      removed.add(`${type}: ${ascii(data, 0, nul < 0 ? Math.min(data.length, 79) : nul)}`);
    }
    o += 12 + length;
    if (type === "IEND") break;
  }
  if (o < bytes.length) removed.add("trailing data");
  return { bytes: concat(...kept), removed: [...removed] };
}

function stripWebp(bytes: Uint8Array): Stripped {
  const kept: Uint8Array[] = [];
  const removed = new Set<string>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 12;
  const riffEnd = Math.min(bytes.length, 8 + view.getUint32(4, true));
  while (o + 8 <= riffEnd) {
    const type = ascii(bytes, o, 4);
    const length = view.getUint32(o + 4, true);
    const chunk = bytes.slice(o, o + 8 + length + (length & 1));
    if (type === "EXIF") for (const n of exifFieldNames(skipExifHeader(chunk.subarray(8, 8 + length)))) removed.add(n);
    else if (type === "XMP ") removed.add("XMP");
    else {
      if (type === "VP8X") chunk[8] = (chunk[8] ?? 0) & ~0x0c; // clear the EXIF and XMP flags
      kept.push(chunk);
    }
    o += 8 + length + (length & 1);
  }
  const body = concat(...kept);
  const out = new Uint8Array(12 + body.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(body, 12);
  return { bytes: out, removed: [...removed] };
}

const skipExifHeader = (data: Uint8Array): Uint8Array => (ascii(data, 0, 6) === "Exif\0\0" ? data.subarray(6) : data);

/** The image format by magic bytes: "jpeg", "png", "webp" or null. */
export type ImageFormat = "jpeg" | "png" | "webp";

export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (ascii(bytes, 0, 8) === "\x89PNG\r\n\x1a\n") return "png";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  return null;
}

/**
 * Remove metadata from an image. Returns {format, bytes, removed: [field
 * names]}; `format` is null (and bytes unchanged) for anything else.
 * @throws {Error} for a damaged image of a known format.
 */
export function stripMetadata(bytes: Uint8Array): { format: ImageFormat | null } & Stripped {
  const format = imageFormat(bytes);
  if (format === null) return { format, bytes, removed: [] };
  const strip = { jpeg: stripJpeg, png: stripPng, webp: stripWebp }[format];
  return { format, ...strip(bytes) };
}

// The kinds of removed fields are named for every format in clean/kinds.ts.
export { metadataKinds, type MetadataKind } from "./clean/kinds.js";
