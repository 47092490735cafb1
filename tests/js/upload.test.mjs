// Resumable attachment uploads (lib/upload.ts, lib/attachments.ts) against a
// fake transport: the sealed size known in advance, parts of the server's
// size, each retried alone, waiting while offline, fresh URLs after expiry,
// resuming from the first unconfirmed part, cancel, and the progress maths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { openBytes, SealFailed } from "../../frontend/src/lib/documents.js";
import { pageHasher } from "../../frontend/src/lib/hash-stream.js";
import {
  openSealer,
  PartCutter,
  paddedStream,
  UploadCancelled,
  UploadFailed,
} from "../../frontend/src/lib/attachments.js";
import { paddedSize, unpadAttachment } from "../../frontend/src/lib/padding.js";
import { AttachmentUpload, NETWORK_PATIENCE_MS, PART_URL_FRESH_MS } from "../../frontend/src/lib/upload.js";
import { announceDue, RateMeter } from "../../frontend/src/lib/upload-rate.js";
import { ApiError, RETRY } from "../../frontend/src/lib/api.js";

const identity = await generateX25519Identity();
const recipients = [await identityToRecipient(identity)];
const bytesOf = (n, seed = 7) => new Uint8Array(n).map((_, i) => (i * seed + (i >> 9)) & 255);
const sha = (b) => createHash("sha256").update(b).digest("hex");
const joined = (parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));

async function opened(sealed, plainSize) {
  const plain = await openBytes(sealed, [identity]);
  assert.equal(plain.length, paddedSize(plainSize));
  return unpadAttachment(plain, plainSize);
}

/**
 * A server in memory: announces `parts` of `partSize` above `above` bytes,
 * hands out part URLs stamped with the fake clock, keeps the last body PUT
 * per part, and refuses a complete that misses a part. `fail(n)` decides,
 * per PUT of part n, whether it fails and how.
 */
function fakeServer({ partSize = 65536, above = 100_000, fail = () => null, online } = {}) {
  const s = {
    clock: 0,
    puts: [],
    urlRequests: [],
    completes: 0,
    parts: new Map(),
    whole: null,
    plan: null,
    slept: [],
    onlineFlag: true,
    waiters: [],
  };
  s.transport = {
    announce: async (size) => {
      s.announced = size;
      if (size <= above) return { id: "a_whole", upload: { method: "PUT", url: "/put/whole", headers: {} } };
      s.plan = { size: partSize, count: Math.ceil(size / partSize) };
      return { id: "a_parts", parts: s.plan };
    },
    parts: async (id, numbers) => {
      assert.equal(id, "a_parts");
      assert.ok(numbers.length >= 1 && numbers.length <= 16);
      s.urlRequests.push([...numbers]);
      return numbers.map((number) => ({ number, method: "PUT", url: `/put/${number}?at=${s.clock}`, headers: {} }));
    },
    complete: async (id) => {
      s.completes++;
      for (let n = 1; n <= s.plan.count; n++) {
        if (!s.parts.has(n)) throw new ApiError(422, "attachment_missing");
      }
      assert.equal(id, "a_parts");
    },
    put: async (target, body, onSent, signal) => {
      const bytes = body instanceof Blob ? new Uint8Array(await body.arrayBuffer()) : body;
      const n = target.url.startsWith("/put/whole") ? 0 : Number(target.url.split("/")[2].split("?")[0]);
      const issued = Number(target.url.split("at=")[1] ?? s.clock);
      s.puts.push(n);
      const failure = fail(n, s, issued);
      if (failure === "offline") {
        s.onlineFlag = false;
        throw new UploadFailed(0);
      }
      if (typeof failure === "number") throw new UploadFailed(failure);
      if (s.clock - issued >= 15 * 60 * 1000) throw new UploadFailed(403);
      if (signal.aborted) throw new UploadCancelled();
      onSent(bytes.length / 2);
      onSent(bytes.length);
      if (n === 0) s.whole = bytes;
      else s.parts.set(n, bytes.slice());
    },
  };
  s.surroundings = {
    now: () => s.clock,
    sleep: async (ms) => {
      s.slept.push(ms);
      s.clock += ms;
    },
    isOnline: () => s.onlineFlag,
    whenOnline: () =>
      new Promise((resolve) => {
        s.waiters.push(resolve);
        online?.(s);
      }),
  };
  s.goOnline = () => {
    s.onlineFlag = true;
    for (const w of s.waiters.splice(0)) w();
  };
  s.sealed = () => joined([...s.parts.keys()].sort((a, b) => a - b).map((n) => s.parts.get(n)));
  return s;
}

const upload = (s, data, progress = []) =>
  AttachmentUpload.prepare(data, recipients, {
    transport: s.transport,
    surroundings: s.surroundings,
    onProgress: (p) => progress.push(p),
  });

test("the sealed size is known before sealing, for every padding and chunk boundary", async () => {
  for (const n of [0, 1, 4096, 65535, 65536, 65537, 300_000]) {
    const sealer = await openSealer(bytesOf(n), recipients);
    const sealed = new Uint8Array(await new Response(sealer.stream).arrayBuffer());
    assert.equal(sealer.size, sealed.length, `size ${n}`);
    assert.deepEqual(await opened(sealed, n), bytesOf(n));
  }
});

test("the cutter gives parts of exactly the part size, the last shorter, hashing every byte once", async () => {
  const data = bytesOf(300_000);
  const sealer = await openSealer(new Blob([data]), recipients);
  const cutter = new PartCutter(sealer, 65536);
  const parts = [];
  for (let p = await cutter.next(); p; p = await cutter.next()) parts.push(p);
  const count = Math.ceil(sealer.size / 65536);
  assert.equal(parts.length, count);
  parts.slice(0, -1).forEach((p) => assert.equal(p.length, 65536));
  assert.equal(parts.at(-1).length, sealer.size - (count - 1) * 65536);
  const sealed = joined(parts);
  assert.equal(await cutter.sha256(), sha(sealed));
  assert.deepEqual(await opened(sealed, data.length), data);
  assert.equal(await cutter.next(), null);
});

test("a part given back is cut into again, the same bytes and hash; parts not given back stay", async () => {
  const data = bytesOf(300_000);
  const sealer = await openSealer(data, recipients);
  const cutter = new PartCutter(sealer, 65536);
  const copies = [];
  const first = await cutter.next();
  const kept = first.slice();
  const buffers = new Set();
  for (let p = await cutter.next(); p; p = await cutter.next()) {
    buffers.add(p.buffer);
    copies.push(p.slice());
    cutter.recycle(p);
  }
  assert.equal(buffers.size, 1); // every part after the first was cut into one buffer
  assert.deepEqual(first, kept); // the first was never given back: untouched
  const sealed = joined([kept, ...copies]);
  assert.equal(sealed.length, sealer.size);
  assert.equal(await cutter.sha256(), sha(sealed));
  assert.deepEqual(await opened(sealed, data.length), data);
});

/** A Blob whose browser reads give `reads` (its size stays the Blob's). */
const readAs = (bytes, reads) =>
  new (class extends Blob {
    stream() {
      return new globalThis.ReadableStream({
        start(controller) {
          for (const r of reads) controller.enqueue(r);
          controller.close();
        },
      });
    }
  })([bytes]);

test("the file is read in pieces of at most 64 KiB then padded, bytes in memory without a copy", async () => {
  const bytes = bytesOf(300_000);
  const padded = new Uint8Array(paddedSize(bytes.length));
  padded.set(bytes);
  assert.ok(padded.length > bytes.length); // 303,104: a padding piece follows the file's
  const oneRead = readAs(bytes, [bytes.slice()]); // a browser's big read is cut too
  for (const source of [bytes, new Blob([bytes]), oneRead]) {
    const pieces = [];
    for await (const piece of paddedStream(source)) pieces.push(piece);
    assert.ok(pieces.every((p) => p.length > 0 && p.length <= 65536));
    assert.deepEqual(joined(pieces), padded);
    if (source === bytes) assert.equal(pieces[1].buffer, bytes.buffer);
  }
});

test("a file that grows or shrinks while it is read fails sealing, and is read no more", async () => {
  const bytes = bytesOf(100_000);
  const read = async (source) => {
    for await (const piece of paddedStream(source)) void piece;
  };
  let cancelled = null;
  const growing = new (class extends Blob {
    stream() {
      let n = 0;
      return new globalThis.ReadableStream({
        pull(controller) {
          controller.enqueue(n++ === 0 ? bytes : bytesOf(10));
        },
        cancel(why) {
          cancelled = why;
        },
      });
    }
  })([bytes]);
  await assert.rejects(read(growing), /file grew while reading/);
  assert.match(String(cancelled), /file grew while reading/);
  await assert.rejects(read(readAs(bytes, [bytes, bytesOf(10)])), /file grew while reading/);
  await assert.rejects(read(readAs(bytes, [bytes.subarray(0, 99_999)])), /file changed while reading/);
  await read(readAs(bytes, [bytes.subarray(0, 5), new Uint8Array(0), bytes.subarray(5)])); // an empty read is no end
});

test("while part n goes up, the file is read at most one part ahead", async () => {
  const P = 1 << 20;
  let read = 0;
  // A file the browser reads in 64 KiB pieces, counting what was read.
  class CountedFile extends Blob {
    stream() {
      const count = new globalThis.TransformStream({
        transform(chunk, controller) {
          read += chunk.length;
          controller.enqueue(chunk);
        },
      });
      return super.stream().pipeThrough(count);
    }
  }
  const file = new CountedFile(Array.from({ length: 160 }, (_, i) => bytesOf(65536, i + 3)));
  const readAtPut = [];
  const s = fakeServer({ partSize: P, above: P });
  const put = s.transport.put;
  s.transport.put = async (target, body, onSent, signal) => {
    await new Promise((resolve) => setTimeout(resolve, 5)); // the network is slower than sealing
    readAtPut.push(read);
    return put(target, body, onSent, signal);
  };
  const up = await upload(s, file);
  await up.run();
  readAtPut.forEach((r, i) => assert.ok(r <= (i + 3) * P, `part ${i + 1}: ${r} bytes read`));
  assert.deepEqual(await opened(s.sealed(), file.size), new Uint8Array(await new Blob([file]).arrayBuffer()));
});

test("a large file goes up in parts, URLs asked 16 at a time, then completed; it opens byte-exact", async () => {
  const data = bytesOf(1_300_000);
  const s = fakeServer({ partSize: 65536 });
  const progress = [];
  const up = await upload(s, data, progress);
  const watched = [];
  up.watch((p) => watched.push(p));
  const done = await up.run();
  assert.deepEqual(watched, progress);
  assert.equal(s.plan.count, Math.ceil(up.total / 65536));
  assert.ok(s.plan.count > 16);
  assert.deepEqual(
    s.puts,
    Array.from({ length: s.plan.count }, (_, i) => i + 1),
  );
  assert.deepEqual(
    s.urlRequests.map((r) => r[0]),
    [1, 17],
  );
  assert.equal(s.completes, 1);
  const sealed = s.sealed();
  assert.equal(sealed.length, up.total);
  assert.deepEqual(done, { id: "a_parts", size: up.total, sha256: sha(sealed), plainSize: data.length });
  assert.deepEqual(await opened(sealed, data.length), data);
  const sent = progress.filter((p) => p.state === "uploading").map((p) => p.sent);
  assert.deepEqual(
    sent,
    [...sent].sort((a, b) => a - b),
  );
  assert.equal(progress.at(-1).state, "done");
});

test("a failed part is retried alone, with backoff", async () => {
  const tries = new Map();
  const s = fakeServer({
    fail: (n) => {
      tries.set(n, (tries.get(n) ?? 0) + 1);
      if (n === 3 && tries.get(n) <= 2) return 0;
      if (n === 5 && tries.get(n) === 1) return 503;
      return null;
    },
  });
  const data = bytesOf(500_000);
  const up = await upload(s, data);
  await up.run();
  assert.deepEqual(s.puts, [1, 2, 3, 3, 3, 4, 5, 5, 6, 7, 8].slice(0, s.puts.length));
  assert.equal(s.slept.length, 3);
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("parts go up from two buffers, taken back once confirmed; a retried part sends the same bytes", async () => {
  let refused = 0;
  const s = fakeServer({ fail: (n) => (n === 3 && refused++ < 2 ? 503 : null) });
  const buffers = new Set();
  const sent = new Map();
  const put = s.transport.put;
  s.transport.put = async (target, body, onSent, signal) => {
    const n = Number(target.url.split("/")[2].split("?")[0]);
    buffers.add(body.buffer);
    sent.set(n, [...(sent.get(n) ?? []), sha(body)]);
    await new Promise((resolve) => setTimeout(resolve, 1)); // sealing goes on meanwhile
    return put(target, body, onSent, signal);
  };
  const data = bytesOf(1_300_000);
  const up = await upload(s, data);
  const done = await up.run();
  assert.ok(s.plan.count > 16);
  assert.equal(buffers.size, 2);
  assert.equal(sent.get(3).length, 3);
  assert.equal(new Set(sent.get(3)).size, 1);
  assert.equal(done.sha256, sha(s.sealed()));
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("offline, the upload waits without counting tries and resumes at the unfinished part", async () => {
  let dropped = false;
  const s = fakeServer({
    fail: (n) => {
      if (n === 4 && !dropped) {
        dropped = true;
        return "offline";
      }
      return null;
    },
    // The network comes back a while later; nothing is sent meanwhile.
    online: (server) =>
      setTimeout(() => {
        server.waitedPuts = server.puts.length;
        server.goOnline();
      }, 20),
  });
  const data = bytesOf(600_000);
  const progress = [];
  const up = await upload(s, data, progress);
  await up.run();
  assert.equal(s.waitedPuts, 4);
  assert.deepEqual(s.puts.slice(0, 6), [1, 2, 3, 4, 4, 5]);
  assert.ok(progress.some((p) => p.state === "offline"));
  assert.equal(s.slept.length, 0);
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("a part URL past its lifetime (a suspended tab) is asked again before use; a refused one too", async () => {
  let refused = false;
  const s = fakeServer({
    fail: (n, server) => {
      if (n === 2) server.clock += PART_URL_FRESH_MS + 1; // the tab slept while part 2 went up
      if (n === 5 && !refused) {
        refused = true;
        return 403;
      }
      return null;
    },
  });
  const data = bytesOf(500_000);
  const up = await upload(s, data);
  await up.run();
  assert.deepEqual(
    s.urlRequests.map((r) => r[0]),
    [1, 3, 5],
  );
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("after giving up, run() again continues from the first part not confirmed", async () => {
  let broken = true;
  const s = fakeServer({ fail: (n) => (n === 4 && broken ? 0 : null) });
  const data = bytesOf(600_000);
  const up = await upload(s, data);
  await assert.rejects(up.run(), (err) => err instanceof UploadFailed && err.status === 0);
  assert.equal(s.completes, 0);
  // While the browser says it is online, network errors are tried again for a while, not six times.
  assert.ok(s.slept.length > RETRY.attempts);
  assert.ok(s.slept.reduce((a, b) => a + b) >= NETWORK_PATIENCE_MS);
  const before = s.puts.length;
  broken = false;
  const done = await up.run();
  assert.deepEqual(
    s.puts.slice(before),
    Array.from({ length: s.plan.count - 3 }, (_, i) => i + 4),
  );
  assert.equal(done.sha256, sha(s.sealed()));
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("a refusal that stands (wrong length, 413) is not retried", async () => {
  const s = fakeServer({ fail: (n) => (n === 2 ? 413 : null) });
  const up = await upload(s, bytesOf(400_000));
  await assert.rejects(up.run(), (err) => err instanceof UploadFailed && err.status === 413);
  assert.deepEqual(s.puts, [1, 2]);
});

test("cancel stops the upload: nothing more is sent, nothing is completed", async () => {
  let up;
  const s = fakeServer({
    fail: (n) => {
      if (n === 3) up.cancel();
      return null;
    },
  });
  up = await upload(s, bytesOf(600_000));
  await assert.rejects(up.run(), UploadCancelled);
  assert.deepEqual(s.puts, [1, 2, 3]);
  assert.equal(s.completes, 0);
  await assert.rejects(up.run(), UploadCancelled);
  assert.deepEqual(s.puts, [1, 2, 3]);
});

test("completion missing a part makes the next run a new upload, sealed anew", async () => {
  let lose = true;
  const s = fakeServer();
  const original = s.transport.complete;
  s.transport.complete = async (id) => {
    if (lose) {
      lose = false;
      s.parts.delete(2);
    }
    return original(id);
  };
  const data = bytesOf(300_000);
  const up = await upload(s, data);
  await assert.rejects(up.run(), (err) => err instanceof ApiError && err.code === "attachment_missing");
  s.parts.clear();
  const done = await up.run();
  assert.equal(done.sha256, sha(s.sealed()));
  assert.deepEqual(await opened(s.sealed(), data.length), data);
});

test("a small file goes in one PUT; a refused URL means a new announcement", async () => {
  let refused = false;
  const s = fakeServer({
    fail: (n) => {
      if (n === 0 && !refused) {
        refused = true;
        return 403;
      }
      return null;
    },
  });
  const data = bytesOf(50_000);
  const up = await upload(s, data);
  const done = await up.run();
  assert.deepEqual(s.puts, [0, 0]);
  assert.equal(done.sha256, sha(s.whole));
  assert.deepEqual(await opened(s.whole, data.length), data);
});

test("a part plan that does not cover the announced size is refused", async () => {
  const s = fakeServer();
  s.transport.announce = async () => ({ id: "a_parts", parts: { size: 1024, count: 2 } });
  const up = await upload(s, bytesOf(200_000));
  await assert.rejects(up.run(), (err) => err instanceof ApiError && err.code === "unexpected");
  assert.deepEqual(s.puts, []);
});

test("speed over a window and the time left; a resent part starts the window afresh", () => {
  const meter = new RateMeter(10_000);
  meter.add(0, 0);
  assert.equal(meter.speed, null);
  meter.add(2000, 2_000_000);
  assert.equal(meter.speed, 1_000_000);
  assert.equal(meter.secondsLeft(10_000_000), 8);
  meter.add(12_000, 12_000_000);
  meter.add(20_000, 20_000_000);
  meter.add(22_000, 24_000_000);
  // Only the last ten seconds count: (24 MB - 12 MB) / 10 s, not the whole run's average.
  assert.equal(meter.speed, 1_200_000);
  meter.add(23_000, 1000);
  assert.equal(meter.speed, null);
});

test("progress is announced at each tenth or after a while, not on every tick", () => {
  assert.equal(announceDue(null, 0, 0), true);
  const last = { at: 0, fraction: 0.11 };
  assert.equal(announceDue(last, 1000, 0.19), false);
  assert.equal(announceDue(last, 1000, 0.2), true);
  assert.equal(announceDue(last, 30_000, 0.12), true);
});

test("a sealed stream longer than its announced size fails the hash: nothing past it goes unhashed", async () => {
  const stream = (n) =>
    new globalThis.ReadableStream({
      start(controller) {
        controller.enqueue(bytesOf(n));
        controller.close();
      },
    });
  const longer = new PartCutter({ stream: stream(150), size: 100, plainSize: 0 }, 64, pageHasher());
  while (await longer.next());
  await assert.rejects(longer.sha256(), (err) => err instanceof SealFailed && /longer than its size/.test(err.message));
  const exact = new PartCutter({ stream: stream(100), size: 100, plainSize: 0 }, 64, pageHasher());
  const parts = [];
  for (let p = await exact.next(); p; p = await exact.next()) parts.push(p.slice());
  assert.equal(await exact.sha256(), sha(joined(parts)));
});
