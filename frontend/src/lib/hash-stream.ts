// The SHA-256 of an attachment's sealed bytes (protocol §2.2: the entry's
// `sha256`), fed in order as PartCutter cuts them. Hashed in the "hash"
// worker (frontend/src/workers/hash.ts, WebAssembly) while the page seals
// the next part: noble's JavaScript SHA-256 on the page's thread was slower
// than the encryption itself (docs/performance.md). Fails closed: when the
// worker cannot start (no workers, its script refused, WebAssembly refused)
// the page hashes itself, slower, to the same result; when it fails after
// starting, the digest fails and the file is not sent.
import { startWorker } from "../page/workers.js";
import { hex, sha256Stream } from "./encoding.js";

export interface SealedHasher {
  /**
   * Hash `bytes` next; resolves when more may be given. The bytes are
   * copied unless `give` says the caller never touches them (nor their
   * buffer) again: a worker then takes a whole buffer as it is.
   */
  update(bytes: Uint8Array, give?: boolean): Promise<void>;
  /** The lowercase hex SHA-256 of every byte given. @throws {Error} the hasher failed */
  digest(): Promise<string>;
  /** Stop: nothing more is hashed, the worker ends. */
  close(): void;
}

export type HashedIn = "worker" | "page";

/** Bytes held for the worker and not hashed yet, at most (beyond the bytes just given). */
const IN_FLIGHT = 16 * 1024 * 1024;
/** Bytes sent to the worker in one message: one message per sealed 64 KiB chunk cost more than the hash. */
const BATCH = 1024 * 1024;
/** A worker that has not loaded its WebAssembly by then is given up for the page's own hash. */
const READY_MS = 5000;
const HEX64 = /^[0-9a-f]{64}$/;

/** noble's SHA-256 on the calling thread. */
export function pageHasher(): SealedHasher {
  const hasher = sha256Stream();
  return {
    update: (bytes) => {
      hasher.update(bytes);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(hex(hasher.digest())),
    close: () => undefined,
  };
}

type HashReply = { progress: number } | { hashed: number } | { result: string } | { error: string };

/** A started hash worker, spoken to in order; bytes wait while it holds more than `inFlight`. */
class WorkerHasher implements SealedHasher {
  private failure: Error | null = null;
  /** Bytes sent to the worker and not hashed yet. */
  private pending = 0;
  /** Bytes given and not sent yet (each its own buffer, to be transferred). */
  private batch: Uint8Array[] = [];
  private batched = 0;
  private result: string | null = null;
  private asked = false;
  private waiters: (() => void)[] = [];
  private readonly started: Promise<void>;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly inFlight: number,
    readyMs: number,
  ) {
    this.started = new Promise<void>((resolve) => {
      this.timer = setTimeout(() => {
        this.fail("not ready in time");
      }, readyMs);
      worker.onmessage = (event: MessageEvent<HashReply>) => {
        this.answer(event.data, resolve);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail("failed to run");
      };
    });
  }

  /** Resolves once the worker's WebAssembly is ready. @throws {Error} it failed first */
  async ready(): Promise<this> {
    let started = false;
    void this.started.then(() => {
      started = true;
      this.wake();
    });
    await this.until(() => started);
    return this;
  }

  async update(bytes: Uint8Array, give = false): Promise<void> {
    if (this.asked) throw new Error("hash worker: bytes after the digest");
    if (this.failure) throw this.failure;
    // A given whole buffer moves to the worker as it is (no copy to make on
    // the page's thread, no new buffer to fault in); anything else is copied.
    const whole = give && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    this.batch.push(whole && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice());
    this.batched += bytes.length;
    if (this.batched >= BATCH || this.pending + this.batched > this.inFlight) this.send();
    await this.until(() => this.pending <= this.inFlight);
  }

  async digest(): Promise<string> {
    if (!this.asked) {
      this.send();
      this.worker.postMessage({ digest: true });
    }
    this.asked = true;
    await this.until(() => this.result !== null);
    return this.result ?? "";
  }

  close(): void {
    this.fail("closed");
  }

  /** Move the batch to the worker; it answers with their length once hashed. */
  private send(): void {
    if (this.batch.length === 0) return;
    const chunks = this.batch;
    this.pending += this.batched;
    [this.batch, this.batched] = [[], 0];
    this.worker.postMessage(
      { chunks },
      chunks.map((chunk) => chunk.buffer),
    );
  }

  private answer(reply: HashReply, started: () => void): void {
    if ("progress" in reply) {
      clearTimeout(this.timer);
      started();
    } else if ("hashed" in reply) {
      this.pending -= reply.hashed;
    } else if ("result" in reply) {
      if (HEX64.test(reply.result)) this.result = reply.result;
      else this.fail("not a SHA-256");
      this.worker.terminate();
    } else this.fail(reply.error);
    this.wake();
  }

  private fail(message: string): void {
    this.failure ??= new Error(`hash worker: ${message}`);
    clearTimeout(this.timer);
    this.worker.terminate();
    this.wake();
  }

  private wake(): void {
    const woken = this.waiters;
    this.waiters = [];
    for (const waiter of woken) waiter();
  }

  /** Wait for the worker's answers until `done()`. @throws {Error} the worker failed */
  private async until(done: () => boolean): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (done()) return;
      await new Promise<void>((woken) => this.waiters.push(woken));
    }
  }
}

/**
 * Speak to a started hash worker; resolves once its WebAssembly is ready.
 * @throws {Error} it reported an error, failed to run, or was not ready within `readyMs`
 */
export function workerHasher(worker: Worker, readyMs = READY_MS, inFlight = IN_FLIGHT): Promise<SealedHasher> {
  return new WorkerHasher(worker, inFlight, readyMs).ready();
}

/**
 * The hasher for a file about to be sealed: the "hash" worker, started now
 * so it loads while the first part seals, or the page's own when it cannot
 * start. `where` says which one hashes.
 */
export function sealedHasher(
  start: () => Worker = () => startWorker("hash"),
): SealedHasher & { readonly where: Promise<HashedIn> } {
  let chosen: Promise<{ hasher: SealedHasher; where: HashedIn }>;
  const page = (): { hasher: SealedHasher; where: HashedIn } => ({ hasher: pageHasher(), where: "page" });
  try {
    chosen = workerHasher(start()).then((hasher) => ({ hasher, where: "worker" as const }), page);
  } catch {
    chosen = Promise.resolve(page()); // no workers here (node), or none in this build
  }
  return {
    where: chosen.then((c) => c.where),
    update: async (bytes, give) => (await chosen).hasher.update(bytes, give),
    digest: async () => (await chosen).hasher.digest(),
    close: () =>
      void chosen.then((c) => {
        c.hasher.close();
      }),
  };
}
