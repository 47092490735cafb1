// What a HEIC/HEIF photo carries besides its picture, so the page can say
// what re-encoding it removed: the Exif item (device, GPS, times) and XMP
// (a `mime` item of type application/rdf+xml), as ISO/IEC 23008-12 lays
// them out in the `meta` box (`iinf` names the items, `iloc` says where
// their bytes are). libheif decodes the picture (./heic.ts) but its
// WebAssembly build does not hand item bytes to JavaScript, so these few
// boxes are read here; nothing here decides what is sent, only what is named.
import { exifFieldNames } from "../exif.js";

interface Box {
  type: string;
  /** Where the payload starts (after the header) and where the box ends. */
  start: number;
  end: number;
}

interface Item {
  type: string;
  contentType: string;
}

interface Extent {
  method: number;
  offset: number;
  length: number;
}

const XMP_TYPE = "application/rdf+xml";

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** An unsigned big-endian number of 0, 1, 2, 4 or 8 bytes. @throws {RangeError} past the end */
  uint(size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.view.getUint8(this.at + i);
    this.at += size;
    return value;
  }

  fourcc(): string {
    const text = String.fromCharCode(...this.bytes.subarray(this.at, this.at + 4));
    this.at += 4;
    return text;
  }

  /** A NUL-terminated string. */
  string(end: number): string {
    const nul = this.bytes.indexOf(0, this.at);
    const stop = nul < 0 || nul > end ? end : nul;
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, stop));
    this.at = stop + 1;
    return text;
  }
}

/** The boxes between start and end. @throws {RangeError} a box runs past its parent */
function boxes(bytes: Uint8Array, start: number, end: number): Box[] {
  const found: Box[] = [];
  const r = new Reader(bytes, start);
  while (r.at + 8 <= end) {
    const at = r.at;
    let size = r.uint(4);
    const type = r.fourcc();
    if (size === 1) size = r.uint(8);
    else if (size === 0) size = end - at;
    if (size < r.at - at || at + size > end) throw new RangeError(`box ${type} runs past its parent`);
    found.push({ type, start: r.at, end: at + size });
    r.at = at + size;
  }
  return found;
}

/** `iinf`: item id -> type (and content type for `mime` items). */
function itemInfo(bytes: Uint8Array, iinf: Box): Map<number, Item> {
  const r = new Reader(bytes, iinf.start);
  const version = r.uint(1);
  r.at += 3;
  r.uint(version === 0 ? 2 : 4); // entry count: the boxes that follow say it too
  const items = new Map<number, Item>();
  for (const infe of boxes(bytes, r.at, iinf.end).filter((b) => b.type === "infe")) {
    const e = new Reader(bytes, infe.start);
    const v = e.uint(1);
    e.at += 3;
    if (v < 2) continue; // versions 0 and 1 name no item type
    const id = e.uint(v === 2 ? 2 : 4);
    e.uint(2); // protection index
    const type = e.fourcc();
    e.string(infe.end); // item name
    items.set(id, { type, contentType: type === "mime" ? e.string(infe.end) : "" });
  }
  return items;
}

/** `iloc`: item id -> where its bytes are (in the file, or in `idat`). */
function itemLocations(bytes: Uint8Array, iloc: Box): Map<number, Extent[]> {
  const r = new Reader(bytes, iloc.start);
  const version = r.uint(1);
  r.at += 3;
  const sizes = r.uint(1);
  const more = r.uint(1);
  const [offsetSize, lengthSize, baseSize] = [sizes >> 4, sizes & 15, more >> 4];
  const indexSize = version === 1 || version === 2 ? more & 15 : 0;
  const count = r.uint(version < 2 ? 2 : 4);
  const places = new Map<number, Extent[]>();
  for (let i = 0; i < count; i++) {
    const id = r.uint(version < 2 ? 2 : 4);
    const method = version === 1 || version === 2 ? r.uint(2) & 15 : 0;
    r.uint(2); // data reference: 0, this file
    const base = r.uint(baseSize);
    const extents: Extent[] = [];
    for (let n = r.uint(2); n > 0; n--) {
      r.uint(indexSize);
      extents.push({ method, offset: base + r.uint(offsetSize), length: r.uint(lengthSize) });
    }
    places.set(id, extents);
  }
  return places;
}

/** An item's bytes, from its extents (file offsets, or offsets in `idat`). */
function itemBytes(bytes: Uint8Array, extents: readonly Extent[], idat: Box | undefined): Uint8Array {
  const parts = extents.map(({ method, offset, length }) => {
    const from = method === 1 && idat ? idat.start + offset : offset;
    if (method > 1 || from + length > bytes.length) throw new RangeError("item outside the file");
    return bytes.subarray(from, from + length);
  });
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (whole.set(p, at), at + p.length), 0);
  return whole;
}

/** Exif item payload: a 4-byte offset to the TIFF header, then the Exif data. */
function exifNames(payload: Uint8Array): string[] {
  const skip = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  return exifFieldNames(payload.subarray(4 + skip));
}

/**
 * The names of the metadata a HEIF file holds (EXIF tag names as the other
 * image cleaners give them, "XMP"); "Exif" alone when the Exif item does
 * not parse. Never throws: a file whose boxes do not parse names nothing
 * here, and libheif then says whether its picture can be decoded at all.
 */
export function heifMetadata(bytes: Uint8Array): string[] {
  try {
    const meta = boxes(bytes, 0, bytes.length).find((b) => b.type === "meta");
    if (!meta) return [];
    const children = boxes(bytes, meta.start + 4, meta.end); // meta is a full box
    const iinf = children.find((b) => b.type === "iinf");
    const iloc = children.find((b) => b.type === "iloc");
    if (!iinf || !iloc) return [];
    const places = itemLocations(bytes, iloc);
    const idat = children.find((b) => b.type === "idat");
    const names = new Set<string>();
    for (const [id, item] of itemInfo(bytes, iinf)) {
      if (item.type === "mime" && item.contentType === XMP_TYPE) names.add("XMP");
      if (item.type !== "Exif") continue;
      try {
        for (const name of exifNames(itemBytes(bytes, places.get(id) ?? [], idat))) names.add(name);
      } catch {
        names.add("Exif");
      }
    }
    return [...names];
  } catch {
    return [];
  }
}
