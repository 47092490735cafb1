// GIF metadata removal: comment extensions, and application extensions
// other than the animation loop count (XMP is one: "XMP DataXMP"). A GIF is
// a flat list of blocks, each a length-prefixed run of sub-blocks, so a walk
// over them is the whole parser; decoding libraries (omggif, gifuct-js)
// decode pixels and would not give the file's blocks back byte for byte.
import { concat } from "../encoding.js";
import type { Cleaned } from "./types.js";

const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;
const COMMENT = 0xfe;
const APPLICATION = 0xff;
// Loop counts: the only application extensions a GIF needs to play as it did.
const KEPT_APPLICATIONS = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);

/** The offset after a run of sub-blocks starting at `o`. @throws {Error} the run passes the end */
function skipSubBlocks(bytes: Uint8Array, o: number): number {
  for (;;) {
    const length = bytes[o];
    if (length === undefined) throw new Error("GIF ends inside a block");
    o += 1 + length;
    if (length === 0) return o;
  }
}

const colourTable = (packed: number): number => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);

/** @throws {Error} the file is not a GIF this walk can follow */
export function cleanGif(bytes: Uint8Array): Cleaned {
  const header = 13 + colourTable(bytes[10] ?? 0);
  const kept: Uint8Array[] = [bytes.subarray(0, header)];
  const removed = new Set<string>();
  let o = header;
  for (;;) {
    const start = o;
    const kind = bytes[o];
    if (kind === TRAILER) break;
    if (kind === IMAGE) {
      o += 10 + colourTable(bytes[o + 9] ?? 0) + 1; // descriptor, local colour table, LZW code size
      o = skipSubBlocks(bytes, o);
      kept.push(bytes.subarray(start, o));
      continue;
    }
    if (kind !== EXTENSION) throw new Error("unknown GIF block");
    const label = bytes[o + 1];
    o = skipSubBlocks(bytes, o + 2);
    const application = label === APPLICATION ? String.fromCharCode(...bytes.subarray(start + 3, start + 14)) : "";
    if (label === COMMENT) removed.add("Comment");
    else if (label === APPLICATION && !KEPT_APPLICATIONS.has(application)) {
      removed.add(
        application.startsWith("XMP Data") ? "XMP" : `Application: ${application.replace(/[^\x20-\x7e]/g, "")}`,
      );
    } else kept.push(bytes.subarray(start, o));
  }
  kept.push(Uint8Array.of(TRAILER));
  if (o + 1 < bytes.length) removed.add("trailing data");
  return { bytes: concat(...kept), removed: [...removed] };
}
