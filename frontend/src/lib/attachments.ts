// Evidence files (protocol §2.2, §4.2): pad with 0x00 and seal as a stream
// whose sealed size is known before the first byte is read, hash the sealed
// bytes on the way, and cut them into the parts the server asked for, one
// part in memory at a time. lib/upload.ts drives the upload itself.
import { encrypterFor, SealFailed } from "./documents.js";
import { sealedHasher, type SealedHasher } from "./hash-stream.js";
import { paddedSize } from "./padding.js";
import type { UploadTarget } from "./types.js";

/** A sealed file, kept as a Blob: its size and hex SHA-256, and the plaintext size. */
export interface SealedFile {
  blob: Blob;
  size: number;
  sha256: string;
  plainSize: number;
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A file being sealed: the sealed bytes as a stream, not read yet, and their
 * exact size (typage's streaming encryption knows it from the padded size).
 */
export interface Sealer {
  stream: ReadableStream<Uint8Array>;
  size: number;
  plainSize: number;
}

/**
 * Start sealing `source` to `recipients`: the header is made now, the
 * payload as the stream is read. @throws {SealFailed}
 */
export async function openSealer(source: Blob | Uint8Array, recipients: readonly string[]): Promise<Sealer> {
  const encrypter = encrypterFor(recipients);
  const plainSize = source instanceof Uint8Array ? source.length : source.size;
  try {
    const stream = await encrypter.encrypt(paddedStream(source));
    return { stream, size: stream.size(paddedSize(plainSize)), plainSize };
  } catch (err) {
    throw new SealFailed(reason(err));
  }
}

/** The size of the plaintext pieces sealing reads: one age STREAM chunk. */
const PIECE = 64 * 1024;
/** A full STREAM chunk sealed: the piece and its Poly1305 tag. */
const SEALED_CHUNK = PIECE + 16;

/**
 * A file's bytes, then its padding (protocol §2.2: 0x00 up to paddedSize),
 * as one stream of pieces of at most 64 KiB, read only as sealing asks for
 * them: typage seals a whole chunk it is given at once, so one large chunk
 * (cleaned bytes in memory, or a browser's big read) would be sealed whole
 * ahead of the upload. Bytes in memory are not copied. One stream, not a
 * reader and a padder piped together: each stage costs sealing a few
 * percent (docs/performance.md). A file that grows or shrinks while it is
 * read errors the stream.
 */
export function paddedStream(source: Blob | Uint8Array): ReadableStream<Uint8Array> {
  const size = source instanceof Uint8Array ? source.length : source.size;
  let padding = paddedSize(size) - size;
  let read = 0; // bytes of the file read so far
  let held: Uint8Array = new Uint8Array(0); // the rest of the browser's last read
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let fileDone = false;
  /** The next piece of the file, or null after its last byte. */
  const filePiece = async (): Promise<Uint8Array | null> => {
    if (source instanceof Uint8Array) {
      if (read >= size) return null;
      return source.subarray(read, (read += PIECE));
    }
    while (held.length === 0) {
      reader ??= source.stream().getReader();
      const { value, done } = await reader.read();
      if (done) {
        if (read !== size) throw new RangeError("file changed while reading");
        return null;
      }
      read += value.length;
      if (read > size) throw new RangeError("file grew while reading");
      held = value;
    }
    const piece = held.subarray(0, PIECE);
    held = held.subarray(PIECE);
    return piece;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let piece: Uint8Array | null = null;
        try {
          piece = fileDone ? null : await filePiece();
        } catch (err) {
          void reader?.cancel(err).catch(() => undefined); // the file is read no more
          throw err;
        }
        fileDone = piece === null;
        if (piece) controller.enqueue(piece);
        else if (padding > 0) {
          const n = Math.min(PIECE, padding);
          padding -= n;
          controller.enqueue(new Uint8Array(n));
        } else controller.close();
      },
      cancel: (why: unknown) => reader?.cancel(why),
    },
    { highWaterMark: 0 },
  );
}

/**
 * Cuts a sealer's stream into parts of `partSize` bytes (the last one
 * shorter), hashing every sealed byte once, in order. Only the part being
 * filled is held here; the caller drops each part once it is uploaded, or
 * gives it back (`recycle`) so the next part reuses its buffer: a new 8 MiB
 * buffer per part, zeroed then collected, cost more than the copy itself.
 * The hash runs beside the sealing (lib/hash-stream.ts: a worker, or the
 * page itself where none can start).
 */
export class PartCutter {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly hasher: SealedHasher;
  /** The sealed chunk last read, and the part of it not cut yet. */
  private chunk: Uint8Array = new Uint8Array(0);
  private carry: Uint8Array = this.chunk;
  private cut = 0;
  /** A part given back: the next part is cut into its buffer (no new 8 MiB to zero and collect). */
  private spare: Uint8Array | null = null;

  constructor(
    private readonly sealer: Sealer,
    private readonly partSize: number,
    hasher?: SealedHasher,
  ) {
    if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError("part size must be a positive integer");
    this.reader = sealer.stream.getReader();
    this.hasher = hasher ?? sealedHasher();
  }

  /** Sealed bytes handed out so far. */
  get offset(): number {
    return this.cut;
  }

  /** The next part, or null after the last. @throws {SealFailed} */
  async next(onSealed: (offset: number) => void = () => undefined): Promise<Uint8Array | null> {
    const want = Math.min(this.partSize, this.sealer.size - this.cut);
    if (want <= 0) return null;
    const part = this.spare && this.spare.length >= want ? this.spare.subarray(0, want) : new Uint8Array(want);
    this.spare = null;
    let filled = 0;
    try {
      while (filled < want) {
        if (this.carry.length === 0) {
          const { value, done } = await this.reader.read();
          if (done) throw new Error("sealed stream ended early");
          this.carry = this.chunk = value;
        }
        const n = Math.min(want - filled, this.carry.length);
        part.set(this.carry.subarray(0, n), filled);
        this.carry = this.carry.subarray(n);
        filled += n;
        onSealed(this.cut + filled);
        // A chunk wholly copied into parts is read no more here. A full STREAM
        // chunk is typage's fresh output, read by no one else: the hash
        // worker may take its buffer without a copy. Smaller ones may be
        // typage's own (the header and nonce: its size() reads them).
        if (this.carry.length === 0) await this.hasher.update(this.chunk, this.chunk.length === SEALED_CHUNK);
      }
    } catch (err) {
      this.cancel();
      throw new SealFailed(reason(err));
    }
    this.cut += want;
    return part;
  }

  /**
   * Give back a part the caller no longer reads (sent and confirmed, or
   * copied): the next part is cut into its bytes. Parts never given back
   * stay as they were.
   */
  recycle(part: Uint8Array): void {
    if (part.byteOffset === 0 && part.buffer instanceof ArrayBuffer && part.buffer.byteLength === this.partSize) {
      this.spare = new Uint8Array(part.buffer);
    }
  }

  /** The hex SHA-256 of the sealed file, once every part was cut. @throws {SealFailed} */
  async sha256(): Promise<string> {
    if (this.cut !== this.sealer.size) throw new SealFailed("not every part was cut");
    try {
      // Every sealed byte was cut, and so hashed: nothing is left past the announced size.
      if (this.carry.length > 0 || !(await this.reader.read()).done) {
        this.cancel(); // read no more of it
        throw new Error("sealed stream longer than its size");
      }
      return await this.hasher.digest();
    } catch (err) {
      throw new SealFailed(reason(err));
    }
  }

  /** Stop sealing: the rest of the file is never read. */
  cancel(): void {
    void this.reader.cancel().catch(() => undefined);
    this.hasher.close();
  }
}

const FOLD_BYTES = 8 * 1024 * 1024;

/**
 * Seal a file's bytes (a Blob/File, or a Uint8Array after metadata removal)
 * to `recipients` into one Blob, which the browser may keep on disk: for a
 * file sent with one PUT. The caller lists {id, name, type, size: plaintext
 * size, sha256} in its document.
 * @throws {SealFailed}
 */
export async function sealAttachment(
  source: Blob | Uint8Array,
  recipients: readonly string[],
  onProgress: (done: number) => void = () => undefined,
): Promise<SealedFile> {
  const sealer = await openSealer(source, recipients);
  const cutter = new PartCutter(sealer, FOLD_BYTES);
  const pieces: BlobPart[] = [];
  // Each 8 MiB piece becomes a Blob at once, so the page never holds the whole file.
  for (let part = await cutter.next(onProgress); part; part = await cutter.next(onProgress)) {
    pieces.push(new Blob([part as BlobPart])); // a copy: the part's bytes may be cut into again
    cutter.recycle(part);
  }
  const blob = new Blob(pieces, { type: "application/octet-stream" });
  return { blob, size: blob.size, sha256: await cutter.sha256(), plainSize: sealer.plainSize };
}

/** An upload that failed; `status` 0 means the network. */
export class UploadFailed extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upload failed (${status})`);
    this.status = status;
  }
}

/** The reporter (or member) stopped the upload: nothing more is sent, nothing is claimed. */
export class UploadCancelled extends UploadFailed {
  constructor() {
    super(0);
    this.message = "upload cancelled";
  }
}

/**
 * PUT `body` as the API said ({method, url, headers}), sending exactly those
 * headers. XMLHttpRequest because fetch reports no upload progress.
 * @throws {UploadFailed} | {UploadCancelled} when `signal` aborts
 */
export function uploadSealed(
  upload: UploadTarget,
  body: Blob | Uint8Array,
  onProgress: (done: number, total: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<void> {
  const total = body instanceof Blob ? body.size : body.length;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new UploadCancelled());
      return;
    }
    const xhr = new XMLHttpRequest();
    const abort = (): void => {
      xhr.abort();
    };
    const settle = (err: UploadFailed | null): void => {
      signal?.removeEventListener("abort", abort);
      if (err) reject(err);
      else resolve();
    };
    signal?.addEventListener("abort", abort);
    xhr.open(upload.method ?? "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers ?? {})) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => {
      onProgress(e.loaded, total);
    };
    xhr.onload = () => {
      settle(xhr.status >= 200 && xhr.status < 300 ? null : new UploadFailed(xhr.status));
    };
    xhr.onerror = () => {
      settle(new UploadFailed(0));
    };
    xhr.ontimeout = () => {
      settle(new UploadFailed(0));
    };
    xhr.onabort = () => {
      settle(new UploadCancelled());
    };
    xhr.send(body as XMLHttpRequestBodyInit);
  });
}
