// Access after submission, the reading side (protocol §4.4 "Grants"): the
// twin of candor/grants.py's `assemble` and `readable`. A granted member
// reads a blob as their grant header followed by the stored blob's bytes
// after its own header; that is a valid age v1 file, because the header MAC
// covers only the header's own stanzas. Making grants is not in the browser
// yet (the CLI makes them: `candor cases grant`).
import { OpenFailed } from "./documents.js";
import { concat, fromB64u } from "./encoding.js";

const INTRO = new TextEncoder().encode("age-encryption.org/v1\n");
const NL = 0x0a;
const MAC_LINE = [NL, 0x2d, 0x2d, 0x2d]; // "\n---"

/** Offset just past an age header's MAC line, or -1. Body lines are base64,
 * which has no "-", so the first line starting with "---" is the MAC line. */
export function headerEnd(bytes: Uint8Array): number {
  if (!INTRO.every((b, i) => bytes[i] === b)) return -1;
  for (let i = 0; i + MAC_LINE.length <= bytes.length; i++) {
    if (MAC_LINE.every((b, j) => bytes[i + j] === b)) {
      const end = bytes.indexOf(NL, i + 1);
      return end < 0 ? -1 : end + 1;
    }
  }
  return -1;
}

/** The file a granted member decrypts: `header`, then `sealed`'s payload
 * after its own header. A bad header fails when decrypting.
 * @throws {OpenFailed} for a blob without a header */
export function assemble(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  const end = headerEnd(sealed);
  if (end < 0) throw new OpenFailed("header");
  return concat(header, sealed.subarray(end));
}

/** A blob answer's bytes as stored (what hashes and `prev` name) and as this
 * member decrypts them (with its grant header, when the answer has one).
 * @throws {OpenFailed} */
export function readable(answer: { sealed: string; header?: unknown }): {
  stored: Uint8Array;
  mine: Uint8Array;
} {
  const stored = fromB64u(answer.sealed);
  const header = answer.header;
  return { stored, mine: typeof header === "string" ? assemble(fromB64u(header), stored) : stored };
}
