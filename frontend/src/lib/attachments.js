// Evidence files (protocol §2.2, §4.2): pad with 0x00, seal as a stream into a
// Blob (which the browser may keep on disk), hash the sealed bytes on the
// way, then upload to the URL the API hands out, with progress and retry.
import { hex, sha256Stream } from "./encoding.js";
import { encrypterFor, SealFailed } from "./documents.js";
import { attachmentPadder } from "./padding.js";

const FOLD_BYTES = 8 * 1024 * 1024;

/**
 * Seal a file's bytes (a Blob/File, or a Uint8Array after metadata removal)
 * to `recipients`. Returns {blob, size, sha256} for the sealed file; the
 * caller lists {id, name, type, size: plaintext size, sha256} in its document.
 * @throws {SealFailed}
 */
export async function sealAttachment(source, recipients, onProgress = () => {}) {
  const encrypter = encrypterFor(recipients);
  const plainSize = source instanceof Uint8Array ? source.length : source.size;
  const input = source instanceof Uint8Array ? new Blob([source]).stream() : source.stream();
  try {
    const sealed = await encrypter.encrypt(input.pipeThrough(attachmentPadder(plainSize)));
    const hasher = sha256Stream();
    let blob = new Blob([]);
    let pending = [];
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
        blob = new Blob([blob, ...pending]);
        pending = [];
        pendingBytes = 0;
      }
      onProgress(done);
    }
    blob = new Blob([blob, ...pending], { type: "application/octet-stream" });
    return { blob, size: blob.size, sha256: hex(hasher.digest()), plainSize };
  } catch (err) {
    throw new SealFailed(String(err?.message ?? err));
  }
}

/** An upload that failed; `status` 0 means the network. */
export class UploadFailed extends Error {
  constructor(status) {
    super(`upload failed (${status})`);
    this.status = status;
  }
}

/**
 * PUT `blob` as the API said ({method, url, headers}), sending exactly those
 * headers. XMLHttpRequest because fetch reports no upload progress.
 * @throws {UploadFailed}
 */
export function uploadSealed(upload, blob, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method ?? "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers ?? {})) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => onProgress(e.loaded, blob.size);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new UploadFailed(xhr.status));
    xhr.onerror = () => reject(new UploadFailed(0));
    xhr.ontimeout = () => reject(new UploadFailed(0));
    xhr.send(blob);
  });
}
