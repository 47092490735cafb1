// The SHA-256 of sealed attachments (lib/hash-stream.ts): where no worker
// can start (here in node, or a refused worker) the page hashes itself to
// the same result; the real hash worker (frontend/src/workers/hash.ts, with
// hash-wasm, bundled by esbuild as frontend/build.ts does) runs here in a
// node worker thread behind a Web Worker's shape,
// and gives node's own SHA-256; a worker that fails after starting makes
// the digest fail, never a wrong or missing hash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Worker as NodeWorker } from "node:worker_threads";
import { build } from "esbuild";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { pageHasher, sealedHasher, workerHasher } from "../../frontend/src/lib/hash-stream.js";
import { openSealer, PartCutter } from "../../frontend/src/lib/attachments.js";
import { openBytes, SealFailed } from "../../frontend/src/lib/documents.js";
import { paddedSize, unpadAttachment } from "../../frontend/src/lib/padding.js";

const sha = (...parts) => parts.reduce((h, p) => h.update(p), createHash("sha256")).digest("hex");
const bytesOf = (n, seed = 7) => new Uint8Array(n).map((_, i) => (i * seed + (i >> 9)) & 255);

const bundled = await build({
  entryPoints: [new URL("../../frontend/src/workers/hash.ts", import.meta.url).pathname],
  bundle: true,
  write: false,
  format: "iife",
  platform: "browser",
  target: "es2022",
  logLevel: "warning",
});
const HASH_WORKER = bundled.outputFiles[0].text;

/** A node worker thread running `body` (module code) with a Web Worker's `self`. */
function webWorker(body) {
  const shim = `
    import { parentPort } from "node:worker_threads";
    globalThis.self = {
      postMessage: (message) => parentPort.postMessage(message),
      set onmessage(handler) { parentPort.on("message", (data) => handler({ data })); },
    };
    ${body}`;
  const thread = new NodeWorker(new URL(`data:text/javascript,${encodeURIComponent(shim)}`));
  const worker = {
    onmessage: null,
    onerror: null,
    terminated: false,
    postMessage: (message, transfer) => thread.postMessage(message, transfer),
    terminate: () => {
      worker.terminated = true;
      void thread.terminate();
    },
  };
  thread.on("message", (data) => worker.onmessage?.({ data }));
  thread.on("error", () => worker.onerror?.({ preventDefault: () => undefined }));
  return worker;
}

const hashWorker = () => webWorker(HASH_WORKER);

test("without workers the page hashes itself, to node's SHA-256", async () => {
  const hasher = sealedHasher(); // no worker in a node run: page/workers.ts has no build
  const [a, b] = [bytesOf(100_000), bytesOf(3, 5)];
  await hasher.update(a);
  await hasher.update(b);
  assert.equal(await hasher.where, "page");
  assert.equal(await hasher.digest(), sha(a, b));
  const empty = pageHasher();
  assert.equal(await empty.digest(), sha(new Uint8Array(0)));
});

test("the hash worker gives node's SHA-256, leaving the caller's bytes whole", async () => {
  const worker = hashWorker();
  const hasher = sealedHasher(() => worker);
  assert.equal(await hasher.where, "worker");
  const whole = bytesOf(1_000_000);
  const pieces = [whole.subarray(0, 65536), whole.subarray(65536, 700_001), whole.subarray(700_001)];
  for (const piece of pieces) await hasher.update(piece);
  assert.equal(whole.byteLength, 1_000_000, "the caller's buffer was transferred away");
  assert.deepEqual(whole, bytesOf(1_000_000));
  assert.equal(await hasher.digest(), sha(whole));
  assert.ok(worker.terminated, "the worker ends with the digest");
});

test("the cutter gives the worker typage's full sealed chunks, batched, without copying them", async () => {
  const worker = hashWorker();
  const messages = [];
  const post = worker.postMessage;
  worker.postMessage = (message, transfer) => {
    messages.push(message);
    post(message, transfer);
  };
  const identity = await generateX25519Identity();
  const data = bytesOf(3_000_000);
  const sealer = await openSealer(data, [await identityToRecipient(identity)]);
  const typageStream = sealer.stream;
  const chunks = []; // what typage's stream gave the cutter, as it gave it, and whether a full one
  const reader = typageStream.getReader();
  sealer.stream = new globalThis.ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      chunks.push({ chunk: value, full: value.length === 65536 + 16 });
      controller.enqueue(value);
    },
  });
  const cutter = new PartCutter(
    sealer,
    300_001,
    sealedHasher(() => worker),
  ); // parts split chunks
  const parts = [];
  for (let part = await cutter.next(); part; part = await cutter.next()) parts.push(part.slice());
  assert.equal(await cutter.sha256(), sha(...parts));
  const plain = await openBytes(new Uint8Array(Buffer.concat(parts)), [identity]);
  assert.deepEqual(unpadAttachment(plain, data.length), data);
  assert.ok(chunks.filter((c) => c.full).length >= 45);
  for (const { chunk, full } of chunks) {
    assert.equal(chunk.buffer.byteLength === 0, full, "full STREAM chunks, and only they, moved to the worker");
  }
  // typage's header and nonce stayed its own: its stream still knows its size.
  assert.equal(typageStream.size(paddedSize(data.length)), sealer.size);
  const batches = messages.filter((m) => "chunks" in m);
  assert.ok(batches.length <= 4, `${batches.length} messages for ${chunks.length} chunks`);
  assert.equal(batches.flatMap((m) => m.chunks).length, chunks.length);
});

test("bytes wait while the worker holds more than the in-flight bound", async () => {
  const stalled = webWorker(`self.postMessage({ progress: 0 }); self.onmessage = () => undefined;`);
  const held = await workerHasher(stalled, 10_000, 1000);
  await held.update(bytesOf(600)); // within the bound: at once
  const over = held.update(bytesOf(600)).then(() => "given");
  const later = new Promise((resolve) => setTimeout(() => resolve("waiting"), 200));
  assert.equal(await Promise.race([over, later]), "waiting");
  held.close();
  await assert.rejects(over, /closed/);

  const hasher = await workerHasher(hashWorker(), 10_000, 1000);
  const parts = Array.from({ length: 20 }, (_, i) => bytesOf(4096, i + 1));
  for (const part of parts) await hasher.update(part); // each waits for the previous to be hashed
  assert.equal(await hasher.digest(), sha(...parts));
});

test("a worker that cannot start leaves the hash to the page, same result", async () => {
  const refused = webWorker(`self.postMessage({ error: "WebAssembly refused" });`);
  const hasher = sealedHasher(() => refused);
  await hasher.update(bytesOf(5000));
  assert.equal(await hasher.where, "page");
  assert.equal(await hasher.digest(), sha(bytesOf(5000)));
  assert.ok(refused.terminated);

  const thrown = sealedHasher(() => {
    throw new TypeError("not a built worker");
  });
  assert.equal(await thrown.where, "page");

  const silent = webWorker(`self.onmessage = () => undefined;`);
  await assert.rejects(workerHasher(silent, 50), /not ready in time/);
  assert.ok(silent.terminated);
});

test("a worker failing after it started fails the digest, and the cutter's hash", async () => {
  const dies = webWorker(`
    self.postMessage({ progress: 0 });
    self.onmessage = () => self.postMessage({ error: "out of memory" });`);
  const identity = await generateX25519Identity();
  const sealer = await openSealer(bytesOf(200_000), [await identityToRecipient(identity)]);
  const cutter = new PartCutter(sealer, 1 << 20, await workerHasher(dies));
  await assert.rejects(
    (async () => {
      while (await cutter.next());
      return cutter.sha256();
    })(),
    (err) => err instanceof SealFailed && /out of memory/.test(err.message),
  );
});

test("a worker that answers a digest that is no SHA-256 is refused", async () => {
  const liar = webWorker(`
    self.postMessage({ progress: 0 });
    self.onmessage = () => self.postMessage({ result: "0".repeat(63) });`);
  const hasher = await workerHasher(liar);
  await assert.rejects(hasher.digest(), /not a SHA-256/);
});
