// What every cleaner returns: the bytes to seal and the names of what it removed.

/** A cleaned file: bytes to seal (a Blob when the file is patched in place without reading it all) and what went. */
export interface Cleaned {
  bytes: Uint8Array | Blob;
  removed: string[];
  /** The bytes are a new file of the result's format (a HEIC photo redrawn as JPEG): sent under that type. */
  reencoded?: boolean;
}

/**
 * Why a file cannot be cleaned; the page names the file and says so before anything is sent.
 * "heic": a HEIC photo where the decoder cannot run (blocked, or a browser without OffscreenCanvas).
 */
export type CannotCleanReason = "unknown_type" | "heic" | "encrypted" | "too_large" | "unreadable";

export interface CannotClean {
  cannot: CannotCleanReason;
}
