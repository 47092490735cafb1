// MP4 and QuickTime metadata removal. The boxes that hold metadata (udta,
// meta, XMP's uuid box: title, author, device, and the location as ©xyz,
// loci or Apple's mdta keys) are overwritten by `free` boxes of the same
// size, zero-filled, and the creation and modification times in mvhd, tkhd
// and mdhd are zeroed. Nothing moves, so every sample offset (stco/co64)
// stays valid, and the video itself is never read: only the box headers
// and the moov box, so a 1 GiB phone video is cleaned without holding it.
//
// The box tree is walked here, reading headers only, and only down the
// path to the metadata: moov, trak and mdia. mp4box (the npm port of GPAC's
// MP4Box) was tried first and is not suitable: its parser (2.4.1) refuses
// the "\u00a9"-prefixed box types QuickTime uses for user data, "\u00a9xyz"
// the location among them, and then fails on the whole moov. mp4box also
// needs the whole file in memory, which a phone video cannot be.
import type { Cleaned } from "./types.js";

const METADATA_BOXES = new Set(["udta", "meta"]);
const TIMED_HEADERS = new Set(["mvhd", "tkhd", "mdhd"]);
const XMP_UUID = "be7acfcb97a942e89c71999491e3afac";
/** A moov box larger than this is not one a phone writes; the file is named as one that cannot be cleaned. */
export const MAX_MOOV_BYTES = 64 * 1024 * 1024;

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);
const hexOf = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

interface TopBox {
  type: string;
  start: number;
  size: number;
  header: number;
}

/** The top-level boxes, from their headers alone. @throws {Error} a box runs past the file's end */
async function topLevel(file: Blob): Promise<TopBox[]> {
  const boxes: TopBox[] = [];
  for (let start = 0; start + 8 <= file.size;) {
    const head = new Uint8Array(await file.slice(start, start + 16).arrayBuffer());
    const view = new DataView(head.buffer);
    let size = view.getUint32(0);
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(8));
      header = 16;
    } else if (size === 0) size = file.size - start; // the last box runs to the end
    if (size < header || start + size > file.size) throw new Error("box runs past the end of the file");
    boxes.push({ type: ascii(head.subarray(4, 8)), start, size, header });
    start += size;
  }
  return boxes;
}

/** A box turned into `free` of the same size, its body zeroed (the header keeps its size field as it was). */
function freed(original: Uint8Array, header: number): Uint8Array {
  const out = new Uint8Array(original.length);
  out.set(original.subarray(0, header));
  out.set([0x66, 0x72, 0x65, 0x65], 4); // "free"
  return out;
}

const CONTAINERS = new Set(["moov", "trak", "mdia"]);

/** The boxes between start and end of a buffer. @throws {Error} a box runs past its parent */
function* children(buf: Uint8Array, start: number, end: number): Generator<TopBox> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (start + 8 <= end) {
    let size = view.getUint32(start);
    let header = 8;
    if (size === 1 && start + 16 <= end) {
      size = Number(view.getBigUint64(start + 8));
      header = 16;
    } else if (size === 0) size = end - start;
    if (size < header || start + size > end) throw new Error("box runs past its parent");
    yield { type: ascii(buf.subarray(start + 4, start + 8)), start, size, header };
    start += size;
  }
}

/** The types inside a udta or meta box, for the list of what was removed (meta is a full box in ISO files, not in QuickTime). */
function contentTypes(buf: Uint8Array, box: TopBox): string[] {
  let first = box.start + box.header;
  if (box.type === "meta" && ascii(buf.subarray(first + 8, first + 12)) === "hdlr") first += 4;
  try {
    return [...children(buf, first, box.start + box.size)].map((c) => c.type).filter((t) => t !== "hdlr");
  } catch {
    return [];
  }
}

/** Free the metadata boxes inside moov (in place) and zero its times; returns what went. */
function cleanMoov(moov: Uint8Array): string[] {
  const removed = new Set<string>();
  const visit = (start: number, end: number): void => {
    for (const box of children(moov, start, end)) {
      const body = box.start + box.header;
      const isXmp = box.type === "uuid" && hexOf(moov.subarray(body, body + 16)) === XMP_UUID;
      if (METADATA_BOXES.has(box.type) || isXmp) {
        for (const type of contentTypes(moov, box)) removed.add(type);
        removed.add(isXmp ? "XMP" : box.type);
        moov.set(freed(moov.subarray(box.start, box.start + box.size), box.header), box.start);
      } else if (TIMED_HEADERS.has(box.type)) {
        // After version and flags come the creation and modification times: 8 bytes each in version 1, else 4.
        const timesEnd = body + 4 + (moov[body] === 1 ? 16 : 8);
        if (moov.subarray(body + 4, timesEnd).some((b) => b !== 0)) removed.add("CreationTime");
        moov.fill(0, body + 4, timesEnd);
      } else if (CONTAINERS.has(box.type)) visit(body, box.start + box.size);
    }
  };
  visit(0, moov.length);
  return [...removed];
}

/**
 * Remove an MP4 or MOV file's metadata, reading only its box headers and moov.
 * @throws {Error} the box structure is damaged, or moov is larger than MAX_MOOV_BYTES
 */
export async function cleanMp4(file: Blob): Promise<Cleaned> {
  const parts: BlobPart[] = [];
  const removed = new Set<string>();
  let done = 0;
  for (const box of await topLevel(file)) {
    const isXmp =
      box.type === "uuid" &&
      hexOf(new Uint8Array(await file.slice(box.start + 8, box.start + 24).arrayBuffer())) === XMP_UUID;
    if (box.type !== "moov" && !METADATA_BOXES.has(box.type) && !isXmp) continue;
    if (box.size > MAX_MOOV_BYTES) throw new Error("metadata box too large");
    const bytes = new Uint8Array(await file.slice(box.start, box.start + box.size).arrayBuffer());
    if (box.type === "moov") for (const name of cleanMoov(bytes)) removed.add(name);
    else removed.add(isXmp ? "XMP" : box.type);
    parts.push(file.slice(done, box.start), (box.type === "moov" ? bytes : freed(bytes, box.header)) as BlobPart);
    done = box.start + box.size;
  }
  parts.push(file.slice(done));
  return { bytes: new Blob(parts), removed: [...removed] };
}
