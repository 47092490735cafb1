// Zip containers (OOXML and ODF) read and written with fflate: parts in their
// original order, each part's bytes kept unless a cleaner changed it. The
// written archive drops the original's zip comment, extra fields and times
// (every entry gets the same fixed date, so the archive says nothing of when
// it was made or cleaned).
import { unzipSync, zipSync, type Zippable } from "fflate";

/** The parts of a zip container, in the archive's order. */
export type Parts = Map<string, Uint8Array>;

// The earliest date a zip entry can hold: it tells nothing.
const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0);

/** @throws {Error} not a zip archive fflate can read */
export function readParts(bytes: Uint8Array): Parts {
  return new Map(Object.entries(unzipSync(bytes)));
}

/** Write the parts back in order; ODF's `mimetype` must stay first and stored uncompressed. */
export function writeParts(parts: Parts): Uint8Array {
  const files: Zippable = {};
  for (const [name, data] of parts) files[name] = [data, { level: name === "mimetype" ? 0 : 6 }];
  return zipSync(files, { mtime: FIXED_TIME });
}
