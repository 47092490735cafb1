// Uploading one attachment (protocol §4.2), the twin of candor/client.py's
// upload: announce the exact sealed size; if the server answers `upload`,
// seal into a Blob and PUT it once; if it answers `parts`, seal as a stream
// and send part after part (the next one sealed while one uploads), each
// retried on its own, then complete. The upload resumes where it stopped:
// after the network drops (it waits for the browser to be online again),
// after a suspended tab (part URLs older than their lifetime are asked
// again), and when `run()` is called again after a failure, from the first
// part not confirmed. Views only show the progress it reports.
import {
  announceAttachment,
  ApiError,
  completeAttachment,
  PART_URLS_PER_REQUEST,
  requestParts,
  RETRY,
  retryDelay,
  type AnnouncedAttachment,
  type PartsPlan,
  type PartTarget,
} from "./api.js";
import { openSealer, PartCutter, sealAttachment, UploadCancelled, UploadFailed, uploadSealed } from "./attachments.js";
import type { SealedFile } from "./attachments.js";
import type { UploadTarget } from "./types.js";

/** The routes and the PUT, as one object so tests can stand in for the network. */
export interface UploadTransport {
  announce(size: number): Promise<AnnouncedAttachment>;
  parts(id: string, numbers: readonly number[]): Promise<PartTarget[]>;
  complete(id: string): Promise<void>;
  /** @throws {UploadFailed} status 0 for the network | {UploadCancelled} */
  put(
    target: UploadTarget,
    body: Blob | Uint8Array,
    onSent: (sent: number) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Time and connectivity, as one object so tests can stand in for the browser. */
export interface Surroundings {
  now(): number;
  /** @throws {UploadCancelled} when `signal` aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  isOnline(): boolean;
  /** Resolves when the browser says it is online again. @throws {UploadCancelled} */
  whenOnline(signal: AbortSignal): Promise<void>;
}

export const browserTransport: UploadTransport = {
  announce: announceAttachment,
  parts: requestParts,
  complete: completeAttachment,
  put: (target, body, onSent, signal) => uploadSealed(target, body, onSent, signal),
};

const cancellable = (signal: AbortSignal, start: (done: () => void) => () => void): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new UploadCancelled());
      return;
    }
    const stop = start(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    const onAbort = (): void => {
      stop();
      reject(new UploadCancelled());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

export const browserSurroundings: Surroundings = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    cancellable(signal, (done) => {
      const timer = setTimeout(done, ms);
      return () => {
        clearTimeout(timer);
      };
    }),
  isOnline: () => globalThis.navigator.onLine,
  whenOnline: (signal) =>
    cancellable(signal, (done) => {
      const onOnline = (): void => {
        globalThis.removeEventListener("online", onOnline);
        done();
      };
      globalThis.addEventListener("online", onOnline);
      return () => {
        globalThis.removeEventListener("online", onOnline);
      };
    }),
};

/** What an upload is doing: "offline" while it waits for the network, "retrying" while it backs off. */
export type UploadState = "sealing" | "uploading" | "offline" | "retrying" | "completing" | "done";

export interface UploadProgress {
  state: UploadState;
  /** Sealed bytes the server confirmed, plus what the current request sent so far. */
  sent: number;
  /** The sealed size. */
  total: number;
}

/** Answers that mean the server no longer has this upload: only a new one can go up. */
const STARTS_AFRESH: ReadonlySet<string> = new Set(["not_found", "attachment_missing"]);

/** A part URL is asked again once this old: the server grants 15 minutes (protocol §4.2). */
export const PART_URL_FRESH_MS = 12 * 60 * 1000;
/** How long network errors are tried again while the browser says it is online, before "Try again". */
export const NETWORK_PATIENCE_MS = 2 * 60 * 1000;
/** Fresh URLs a refused (403) PUT may ask for before the refusal stands. */
const REFUSALS = 2;

/** The attachment as its document lists it, once uploaded (protocol §2.2): without name and type. */
export interface Uploaded {
  id: string;
  size: number;
  sha256: string;
  plainSize: number;
}

export interface UploadOptions {
  transport?: UploadTransport;
  surroundings?: Surroundings;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * One attachment on its way. `run()` seals and uploads it, resolving to its
 * id and sealed hash; after a failure, calling `run()` again continues from
 * the first part the server has not confirmed. `cancel()` stops it for
 * good: nothing more is sent, and the id is never claimed.
 */
export class AttachmentUpload {
  readonly total: number;
  private readonly transport: UploadTransport;
  private readonly env: Surroundings;
  private readonly listeners: ((progress: UploadProgress) => void)[] = [];
  private readonly abort = new AbortController();
  private announced: AnnouncedAttachment | null = null;
  private cutter: PartCutter | null = null;
  private blob: SealedFile | null = null;
  /** The first part not confirmed, its bytes (kept until confirmed), and the one being sealed next. */
  private number = 1;
  private part: Uint8Array | null = null;
  private ahead: Promise<Uint8Array | null> | null = null;
  private confirmed = 0;
  private readonly targets = new Map<number, { target: PartTarget; at: number }>();
  private finished: Uploaded | null = null;
  private state: UploadState = "sealing";

  private constructor(
    private readonly source: Blob | Uint8Array,
    private readonly recipients: readonly string[],
    private sealer: Awaited<ReturnType<typeof openSealer>>,
    options: UploadOptions,
  ) {
    this.total = sealer.size;
    this.transport = options.transport ?? browserTransport;
    this.env = options.surroundings ?? browserSurroundings;
    if (options.onProgress) this.listeners.push(options.onProgress);
  }

  /** Check the recipients and work out the sealed size; nothing is sent. @throws {SealFailed} */
  static async prepare(
    source: Blob | Uint8Array,
    recipients: readonly string[],
    options: UploadOptions = {},
  ): Promise<AttachmentUpload> {
    return new AttachmentUpload(source, recipients, await openSealer(source, recipients), options);
  }

  get id(): string | null {
    return this.announced?.id ?? null;
  }

  /** Follow the progress from now on too (a view that appears once the upload exists). */
  watch(listener: (progress: UploadProgress) => void): void {
    this.listeners.push(listener);
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stop for good: the request under way is aborted and the rest of the file is never read. */
  cancel(): void {
    this.abort.abort();
    this.cutter?.cancel();
    this.part = null;
    this.blob = null;
  }

  /** @throws {SealFailed} | {ApiError} | {UploadFailed} | {UploadCancelled} */
  async run(): Promise<Uploaded> {
    if (this.finished) return this.finished;
    this.throwIfCancelled();
    let finished: Uploaded;
    try {
      this.announced ??= await this.patiently(() => this.transport.announce(this.total));
      const { parts, upload } = this.announced;
      if (parts) finished = await this.sendParts(this.checkedPlan(parts));
      else if (upload) finished = await this.sendWhole(upload);
      else throw new ApiError(201, "unexpected");
    } catch (err) {
      if (this.cancelled) throw new UploadCancelled();
      if (err instanceof ApiError && STARTS_AFRESH.has(err.code)) await this.startAfresh();
      throw err;
    }
    this.finished = finished;
    this.emit("done", this.total);
    return finished;
  }

  /**
   * The server lost the upload (expired, or parts missing at completion):
   * the next `run()` seals anew (a new file key) under a new id.
   */
  private async startAfresh(): Promise<void> {
    this.cutter?.cancel();
    this.sealer = await openSealer(this.source, this.recipients);
    [this.announced, this.cutter, this.blob, this.part, this.ahead] = [null, null, null, null, null];
    [this.number, this.confirmed] = [1, 0];
    this.targets.clear();
  }

  private fail(): never {
    throw new ApiError(0, "unexpected");
  }

  private throwIfCancelled(): void {
    if (this.cancelled) throw new UploadCancelled();
  }

  private emit(state: UploadState, sent: number): void {
    this.state = state;
    for (const listener of this.listeners) listener({ state, sent, total: this.total });
  }

  /** The server's plan must cover exactly the announced size. */
  private checkedPlan(plan: PartsPlan): PartsPlan {
    const { size, count } = plan;
    const fits = Number.isSafeInteger(size) && Number.isSafeInteger(count) && size > 0 && count > 0;
    if (!fits || size * (count - 1) >= this.total || size * count < this.total) throw new ApiError(201, "unexpected");
    return plan;
  }

  /** Parts in order, each confirmed before it is dropped; the next one sealed while one uploads. */
  private async sendParts(plan: PartsPlan): Promise<Uploaded> {
    this.cutter ??= new PartCutter(this.sealer, plan.size);
    const cutter = this.cutter;
    while (this.number <= plan.count) {
      if (this.part === null) {
        this.part = await (this.ahead ?? cutter.next());
        this.ahead = null;
      }
      const part = this.part;
      if (part === null) throw new ApiError(0, "unexpected");
      if (this.number < plan.count && this.ahead === null) {
        const ahead = cutter.next();
        ahead.catch(() => undefined); // awaited on the next turn; a failure surfaces there
        this.ahead = ahead;
      }
      await this.sendPart(this.number, part, plan.count);
      cutter.recycle(part); // confirmed: the part after next is cut into these bytes
      this.confirmed += part.length;
      this.targets.delete(this.number);
      [this.part, this.number] = [null, this.number + 1];
    }
    const id = this.requireId();
    this.emit("completing", this.total);
    await this.patiently(() => this.transport.complete(id));
    return { id, size: this.total, sha256: await cutter.sha256(), plainSize: this.sealer.plainSize };
  }

  private requireId(): string {
    return this.announced?.id ?? this.fail();
  }

  /** One part, retried alone; a refused URL (expired, or the tab slept) is asked for again. */
  private async sendPart(number: number, part: Uint8Array, count: number): Promise<void> {
    for (let refusals = 0; ; refusals++) {
      try {
        await this.patiently(async () => {
          const target = await this.target(number, count);
          this.emit("uploading", this.confirmed);
          await this.transport.put(
            target,
            part,
            (sent) => {
              this.emit("uploading", this.confirmed + sent);
            },
            this.signal,
          );
        });
        return;
      } catch (err) {
        if (!(err instanceof UploadFailed) || this.cancelled || refusals >= REFUSALS) throw err;
        if (err.status !== 403 && err.status !== 400) throw err;
        this.targets.delete(number);
      }
    }
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Part `number`'s URL: asked for with the next few parts, again once older than PART_URL_FRESH_MS. */
  private async target(number: number, count: number): Promise<PartTarget> {
    const now = this.env.now();
    const known = this.targets.get(number);
    if (known && now - known.at < PART_URL_FRESH_MS) return known.target;
    const last = Math.min(count, number + PART_URLS_PER_REQUEST - 1);
    const numbers = Array.from({ length: last - number + 1 }, (_, i) => number + i);
    const answer = await this.transport.parts(this.requireId(), numbers);
    for (const target of answer) {
      if (numbers.includes(target.number)) this.targets.set(target.number, { target, at: now });
    }
    return this.targets.get(number)?.target ?? this.fail();
  }

  /** Seal into one Blob (kept for retries) and PUT it; a refused URL means a new announcement. */
  private async sendWhole(upload: UploadTarget): Promise<Uploaded> {
    this.blob ??= await sealAttachment(this.source, this.recipients, (n) => {
      this.emit("sealing", n);
    });
    const sealed = this.blob;
    let target = upload;
    for (let refusals = 0; ; refusals++) {
      try {
        await this.patiently(() =>
          this.transport.put(
            target,
            sealed.blob,
            (sent) => {
              this.emit("uploading", sent);
            },
            this.signal,
          ),
        );
        break;
      } catch (err) {
        if (!(err instanceof UploadFailed) || this.cancelled || refusals >= REFUSALS) throw err;
        if (err.status !== 403 && err.status !== 400 && err.status !== 404) throw err;
        this.announced = await this.patiently(() => this.transport.announce(this.total));
        target = this.announced.upload ?? this.fail();
      }
    }
    return { id: this.requireId(), size: sealed.size, sha256: sealed.sha256, plainSize: sealed.plainSize };
  }

  /**
   * Call `call` until it succeeds. Offline, wait for the network without
   * counting a try. A network error while the browser says it is online (a
   * Wi-Fi with no way out, a tunnel) is tried again after api.ts's backoff
   * for NETWORK_PATIENCE_MS; a 429 or 5xx up to RETRY.attempts times.
   */
  private async patiently<T>(call: () => Promise<T>): Promise<T> {
    const since = this.env.now();
    for (let attempt = 1; ; attempt++) {
      await this.untilOnline();
      try {
        return await call();
      } catch (err) {
        this.throwIfCancelled();
        if (!retryable(err)) throw err;
        if (!this.env.isOnline()) {
          attempt--;
          continue;
        }
        const patient = isNetwork(err) ? this.env.now() - since < NETWORK_PATIENCE_MS : attempt < RETRY.attempts;
        const delay = patient ? retryDelay(attempt, retryAfter(err)) : null;
        if (delay === null) throw err;
        const state = this.state;
        this.emit("retrying", this.confirmed);
        await this.env.sleep(delay, this.signal);
        this.state = state;
      }
    }
  }

  private async untilOnline(): Promise<void> {
    if (this.env.isOnline()) return;
    const state = this.state;
    this.emit("offline", this.confirmed);
    await this.env.whenOnline(this.signal);
    this.state = state;
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof UploadCancelled) return false;
  if (err instanceof UploadFailed) return err.status === 0 || err.status === 429 || err.status >= 500;
  return err instanceof ApiError && err.retryable;
}

const isNetwork = (err: unknown): boolean =>
  (err instanceof UploadFailed || err instanceof ApiError) && err.status === 0;

const retryAfter = (err: unknown): number | undefined => (err instanceof ApiError ? err.retryAfter : undefined);
