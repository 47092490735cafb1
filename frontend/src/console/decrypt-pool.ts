// The console's pool of decrypt workers (workers/decrypt.ts), one per core
// (navigator.hardwareConcurrency). A pool starts with the page, before any
// key is known, so that its workers have loaded by the time the inbox asks;
// it is ended, and a fresh one started, when the console locks. Each worker
// gets the member's identities once, at unlock (see workers/decrypt.ts for
// what that exposes); jobs go to the least busy worker. Where workers are refused (no Worker, CSP), the same
// lib function runs on the page.
import { Opener } from "../lib/documents.js";
import { type DecryptJob, type DecryptReply, runDecryptJob } from "../lib/inbox-index.js";
import { startWorker } from "../page/workers.js";

const MAX_WORKERS = 8;

interface Slot {
  worker: Worker;
  busy: number;
}

export class DecryptPool {
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, { slot: Slot; job: DecryptJob; done: (reply: DecryptReply) => void }>();
  private next = 0;
  private fallback: Opener | null = null;

  private keys: readonly string[] | null = null;
  private refused = false;

  constructor() {
    const size = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 2));
    try {
      for (let i = 0; i < size; i++) this.slots.push(this.start());
    } catch {
      this.end();
      this.refused = true;
    }
  }

  /** The identities the pool decrypts with (null until unlock). */
  get identities(): readonly string[] | null {
    return this.keys;
  }

  /** Give the workers the member's identities (once per pool). */
  unlock(identities: readonly string[]): void {
    this.keys = identities;
    if (this.refused) this.fallback = new Opener(identities);
    for (const slot of this.slots) slot.worker.postMessage({ identities: [...identities] });
  }

  /** How many workers decrypt (0: the page does). */
  get size(): number {
    return this.slots.length;
  }

  private start(): Slot {
    const slot: Slot = { worker: startWorker("decrypt"), busy: 0 };
    slot.worker.onmessage = (event: MessageEvent<DecryptReply>) => {
      this.settle(event.data);
    };
    slot.worker.onerror = (event) => {
      event.preventDefault();
      // A worker that cannot run (its script refused, out of memory): the page decrypts from now on.
      this.toPage();
    };
    return slot;
  }

  private settle(reply: DecryptReply): void {
    const wait = this.waiting.get(reply.job);
    if (!wait) return;
    this.waiting.delete(reply.job);
    wait.slot.busy--;
    wait.done(reply);
  }

  private toPage(): void {
    const pending = [...this.waiting.values()];
    for (const slot of this.slots) slot.worker.terminate();
    this.slots.length = 0;
    this.waiting.clear();
    this.refused = true;
    if (!this.keys) return;
    this.fallback ??= new Opener(this.keys);
    const opener = this.fallback;
    for (const { job, done } of pending) void runDecryptJob(opener, job).then(done);
  }

  /** Decrypt one sealed report (b64u); the reply carries its bytes. */
  decrypt(sealed: string, hint: number): Promise<DecryptReply> {
    const job: DecryptJob = { job: this.next++, sealed, hint };
    if (this.fallback) return runDecryptJob(this.fallback, job);
    if (!this.slots.length) return Promise.resolve({ job: job.job, failed: "error", sealed: new Uint8Array(0) });
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    return new Promise((done) => {
      this.waiting.set(job.job, { slot, job, done });
      slot.worker.postMessage(job);
    });
  }

  /** End every worker (the identities go with them); pending jobs settle as failed. */
  end(): void {
    for (const slot of this.slots) slot.worker.terminate();
    this.slots.length = 0;
    for (const job of [...this.waiting.keys()]) this.settle({ job, failed: "error", sealed: new Uint8Array(0) });
  }
}
