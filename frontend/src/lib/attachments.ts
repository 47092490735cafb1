// Evidence files (protocol §2.2, §4.2): pad with 0x00, seal as a stream into a
// Blob (which the browser may keep on disk), hash the sealed bytes on the
// way, then upload to the URL the API hands out, with progress and retry.
import { hex, sha256Stream } from "./encoding.js";
import { encrypterFor, SealFailed } from "./documents.js";
import { attachmentPadder } from "./padding.js";
import type { UploadTarget } from "./types.js";

/** A sealed file, kept as a Blob: its size and hex SHA-256, and the plaintext size. */
export interface SealedFile {
  blob: Blob;
  size: number;
  sha256: string;
  plainSize: number;
}

const FOLD_BYTES = 8 * 1024 * 1024;

/**
 * Seal a file's bytes (a Blob/File, or a Uint8Array after metadata removal)
 * to `recipients`. Returns {blob, size, sha256} for the sealed file; the
 * caller lists {id, name, type, size: plaintext size, sha256} in its document.
 * @throws {SealFailed}
 */
export async function sealAttachment(
  source: Blob | Uint8Array,
  recipients: readonly string[],
  onProgress: (done: number) => void = () => undefined,
): Promise<SealedFile> {
  const encrypter = encrypterFor(recipients);
  const plainSize = source instanceof Uint8Array ? source.length : source.size;
  const input = source instanceof Uint8Array ? new Blob([source as BlobPart]).stream() : source.stream();
  try {
    const sealed = await encrypter.encrypt(input.pipeThrough(attachmentPadder(plainSize)));
    const hasher = sha256Stream();
    let blob = new Blob([]);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let done = 0;
    const reader = sealed.getReader();
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      hasher.update(value);
      pending.push(value);
      pendingBytes += value.length;
      done += value.length;
      // Fold chunks into the Blob now and then so the page never holds the whole file.
      if (pendingBytes >= FOLD_BYTES) {
        blob = new Blob([blob, ...(pending as BlobPart[])]);
        pending = [];
        pendingBytes = 0;
      }
      onProgress(done);
    }
    blob = new Blob([blob, ...(pending as BlobPart[])], { type: "application/octet-stream" });
    return { blob, size: blob.size, sha256: hex(hasher.digest()), plainSize };
  } catch (err) {
    throw new SealFailed(err instanceof Error ? err.message : String(err));
  }
}

/** An upload that failed; `status` 0 means the network. */
export class UploadFailed extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upload failed (${status})`);
    this.status = status;
  }
}

/**
 * PUT `blob` as the API said ({method, url, headers}), sending exactly those
 * headers. XMLHttpRequest because fetch reports no upload progress.
 * @throws {UploadFailed}
 */
export function uploadSealed(
  upload: UploadTarget,
  blob: Blob,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method ?? "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers ?? {})) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => {
      onProgress(e.loaded, blob.size);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new UploadFailed(xhr.status));
    };
    xhr.onerror = () => {
      reject(new UploadFailed(0));
    };
    xhr.ontimeout = () => {
      reject(new UploadFailed(0));
    };
    xhr.send(blob);
  });
}
