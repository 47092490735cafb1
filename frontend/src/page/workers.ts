// Start a worker that frontend/build.ts bundled from frontend/src/workers/NAME.ts.
// The build hands the page bundles NAME -> hashed file name (beside them in
// assets/); a worker script cannot carry SRI, but its name is fixed inside
// the SRI-covered page bundle. The pages require Trusted Types for scripts,
// and `new Worker(url)` is such a sink: the one policy frontend/headers.json
// allows, "candor-worker", passes exactly the built worker URLs and no other.
//
// A worker speaks one message shape back: any number of {progress: 0..1},
// then {result} or {error: string}; the hash worker, which takes the sealed
// bytes of an attachment piece by piece, also answers each piece with
// {hashed: n} (lib/hash-stream.ts starts it, as startWorker("hash")).

declare const __CANDOR_WORKERS__: Readonly<Record<string, string>> | undefined;

/** The Trusted Types factory (window.trustedTypes), absent where the browser has none. */
interface TrustedTypes {
  createPolicy(name: string, rules: { createScriptURL: (url: string) => string }): TrustedPolicy;
}
interface TrustedPolicy {
  createScriptURL(url: string): unknown;
}

export const WORKER_POLICY = "candor-worker";

export type WorkerReply<T> = { progress: number } | { result: T } | { error: string };

/** The built worker URLs (absolute), by name: empty outside a build (node tests). */
function builtWorkers(): Map<string, string> {
  const files = typeof __CANDOR_WORKERS__ === "undefined" ? {} : __CANDOR_WORKERS__;
  return new Map(Object.entries(files).map(([name, file]) => [name, new URL(file, import.meta.url).href]));
}

let policy: TrustedPolicy | null = null;

function trustedUrl(url: string, known: ReadonlySet<string>): unknown {
  const factory = (globalThis as { trustedTypes?: TrustedTypes }).trustedTypes;
  if (!factory) return url;
  policy ??= factory.createPolicy(WORKER_POLICY, {
    createScriptURL: (candidate) => {
      if (!known.has(candidate)) throw new TypeError(`not a built worker: ${candidate}`);
      return candidate;
    },
  });
  return policy.createScriptURL(url);
}

/** A new worker running frontend/src/workers/`name`.ts. @throws {Error} no such worker, or workers refused */
export function startWorker(name: string): Worker {
  const workers = builtWorkers();
  const url = workers.get(name);
  if (!url) throw new Error(`no worker "${name}" in this build`);
  return new Worker(trustedUrl(url, new Set(workers.values())) as string, { name });
}

/**
 * Post `message` to a fresh `name` worker and resolve with its result;
 * `onProgress` gets each progress report. The worker ends either way.
 */
export function runWorker<T>(
  name: string,
  message: unknown,
  onProgress: (fraction: number) => void = () => undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = startWorker(name);
    const finish = (): void => {
      worker.terminate();
    };
    worker.onmessage = (event: MessageEvent<WorkerReply<T>>) => {
      const reply = event.data;
      if ("progress" in reply) {
        onProgress(reply.progress);
        return;
      }
      finish();
      if ("result" in reply) resolve(reply.result);
      else reject(new Error(`worker ${name}: ${reply.error}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      reject(new Error(`worker ${name} failed to run`));
    };
    worker.postMessage(message);
  });
}
