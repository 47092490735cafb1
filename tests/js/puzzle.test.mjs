// Client puzzles and polite retries in the browser's lib (protocol §4.1):
// the shared vectors, the solver, Retry-After, and the page's API client
// against a real `candor serve` whose anonymous bucket is empty.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fromB64u, hex } from "../../frontend/src/lib/encoding.js";
import {
  challengeHeader,
  leadingZeroBits,
  parseChallenge,
  parseProof,
  prefix,
  proofDigest,
  proofHeader,
  solve,
} from "../../frontend/src/lib/puzzle.js";
import { ApiError, RETRY, createAttachment, retryDelay, withRetry } from "../../frontend/src/lib/api.js";
import { createHash } from "node:crypto";

const ROOT = new URL("../../", import.meta.url).pathname;
const VECTORS = JSON.parse(readFileSync(new URL("../vectors/" + "puzzle.json", import.meta.url), "utf8"));

for (const v of VECTORS.proofs) {
  test(`puzzle vector ${v.path}`, () => {
    const proof = parseProof(v.proof);
    const challenge = parseChallenge(v.challenge);
    assert.equal(proofHeader(proof), v.proof);
    assert.equal(challengeHeader(challenge), v.challenge);
    const job = { ...challenge, method: v.method, path: v.path, body: fromB64u(v.body) };
    assert.equal(createHash("sha256").update(prefix(job)).digest("hex"), v.prefix_sha256);
    const digest = proofDigest(job, proof.nonce);
    assert.equal(hex(digest), v.digest);
    assert.equal(leadingZeroBits(digest), v.leading_zero_bits);
    assert.ok(leadingZeroBits(proofDigest({ ...job, path: v.path + "x" }, proof.nonce)) < proof.bits);
  });
}

test("malformed proof headers are refused", () => {
  for (const header of VECTORS.bad_proof_headers) assert.throws(() => parseProof(header), header);
});

test("the solver meets the bits, bound to the request", () => {
  const job = {
    seed: new Uint8Array(16).fill(7),
    bits: 14,
    method: "POST",
    path: "/v1/reports",
    body: new Uint8Array(300),
  };
  const proof = solve(job);
  assert.ok(leadingZeroBits(proofDigest(job, proof.nonce)) >= 14);
  assert.equal(proof.nonce.length, 8);
});

test("Retry-After sets the wait, and one beyond the cap stops retrying", async () => {
  const wait = retryDelay(1, 2);
  assert.ok(wait !== null && wait >= 2000 && wait <= 2500, String(wait));
  assert.equal(retryDelay(1, RETRY.retryAfterCapMs / 1000 + 1), null);
  let calls = 0;
  await assert.rejects(
    withRetry(() => {
      calls++;
      throw new ApiError(429, "throttled", "", 3600);
    }),
    (err) => err instanceof ApiError && err.retryAfter === 3600,
  );
  assert.equal(calls, 1);
  calls = 0;
  const started = Date.now();
  const answer = await withRetry(() => {
    calls++;
    if (calls === 1) throw new ApiError(429, "throttled", "", 1);
    return "ok";
  });
  assert.equal(answer, "ok");
  assert.ok(Date.now() - started >= 1000, "waited the Retry-After second");
});

/** `candor serve` on a free port with an anonymous bucket that is nearly empty. */
async function startServe() {
  const script = [
    "import sys, tempfile",
    "from pathlib import Path",
    "from candor.serve import make_server",
    "from chalicelib.config import Settings",
    "from chalicelib.store.local import LocalCaseStore",
    "store = LocalCaseStore(Path(tempfile.mkdtemp()) / 'data')",
    "server = make_server(Settings(), store, None, '127.0.0.1', 0, rate=0.001, burst=4)",
    "print(server.server_address[1], flush=True)",
    "server.serve_forever()",
  ].join("\n");
  const child = spawn(`${ROOT}.venv/bin/python`, ["-c", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = (await lines.next()).value;
  return { base: `http://127.0.0.1:${line}`, stop: () => child.kill() };
}

test("the page's API client answers a live server's puzzle", async () => {
  const server = await startServe();
  const realFetch = globalThis.fetch;
  const statuses = [];
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(server.base + input, init);
    statuses.push(response.status);
    return response;
  };
  try {
    for (let i = 0; i < 4; i++) await realFetch(`${server.base}/v1/manifest`).then((r) => r.arrayBuffer());
    const answer = await createAttachment(1000);
    assert.match(answer.id, /^a_/);
    assert.deepEqual(statuses, [429, 201]);
  } finally {
    globalThis.fetch = realFetch;
    server.stop();
  }
});
