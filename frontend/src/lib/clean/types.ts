// What every cleaner returns: the bytes to seal and the names of what it removed.

/** A cleaned file: bytes to seal (a Blob when the file is patched in place without reading it all) and what went. */
export interface Cleaned {
  bytes: Uint8Array | Blob;
  removed: string[];
}

/** Why a file cannot be cleaned; the page names the file and says so before anything is sent. */
export type CannotCleanReason = "unknown_type" | "heic" | "encrypted" | "too_large" | "unreadable";

export interface CannotClean {
  cannot: CannotCleanReason;
}
