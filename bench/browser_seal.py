"""How fast Chromium seals an attachment, and with how much JS heap (issue 15):
Candor's own streaming sealing (frontend/src/lib/attachments.ts: openSealer
and PartCutter, as lib/upload.ts drives them, each part's buffer given back
to the cutter once cut, as the uploader gives it back once the server has
it) against typage's own streaming encryption
(age-encryption's Encrypter over the same stream, its output read and
dropped), in one run, on the same input and the same three hybrid
(ML-KEM-768 + X25519) recipients.

The page and the hash worker (frontend/src/workers/hash.ts, bundled as the
build does) are served from a loopback origin with the pages' own headers
(frontend/headers.json, its "paths" included), so the worker compiles its
WebAssembly under the CSP it has in production.

Both sides read one generated source of ``--size-mib`` MiB (64 KiB chunks of
random bytes, made as they are read, like a File's stream, so no 1 GiB Blob
sits in the browser); Candor's side also pads it (protocol §2.2), hashes
every sealed byte (SHA-256) and copies the ciphertext into 8 MiB parts.
``candor`` hashes in the hash worker, as the pages do (lib/hash-stream.ts);
``candor-page`` hashes on the page's thread with noble (the pages' fallback
when the worker cannot start, and how they hashed before the worker);
``no-hash`` hashes nothing, to show the cost of the rest (padding, cutting).
``sha256`` times that noble SHA-256 alone over the same source, and
``hash-worker`` the hash worker alone (the source's chunks given to it, as
PartCutter gives it typage's sealed chunks), to show their share. Rates are
plaintext MiB per second of wall clock; the peak JS heap
(``performance.memory`` with Chromium's precise memory info, sampled at
every part or every 128 chunks and every 50 ms, after a forced GC) is the
page's, in MB of 10^6 bytes. Runs alternate, ``--runs`` each; the figures
are the medians, and the heap the highest peak::

    .venv/bin/python bench/browser_seal.py [--size-mib 1024] [--runs 3] [--ways candor,typage,...]

Prints one row per way, the ratio Candor/typage and the targets (at least
90% of typage's rate; peak heap under 150 MB).
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from candor.release import headers_for

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-precise-memory-info",
                 "--js-flags=--expose-gc"]
TARGET_RATIO = 0.90
TARGET_HEAP_MB = 150.0
TIMEOUT_MS = 1_800_000

# Bundled by esbuild from the checkout (resolved from ROOT, like the pages' build).
ENTRY = """
import { openSealer, PartCutter } from "./frontend/src/lib/attachments.ts";
import { sha256Stream } from "./frontend/src/lib/encoding.ts";
import { pageHasher, sealedHasher } from "./frontend/src/lib/hash-stream.ts";
import { Encrypter, generateHybridIdentity, identityToRecipient } from "age-encryption";

const PART = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;
const heap = { peak: 0 };
const sample = () => {
  const used = performance.memory.usedJSHeapSize;
  if (used > heap.peak) heap.peak = used;
};
setInterval(sample, 50);
let size = 0, chunk = null, recipients = [];

/** A File-like source: `size` bytes of random chunks, made as they are read. */
const source = () => ({
  size,
  stream() {
    let left = size;
    return new ReadableStream({
      pull(controller) {
        if (left === 0) return controller.close();
        const n = Math.min(CHUNK, left);
        left -= n;
        controller.enqueue(chunk.slice(0, n));
      },
    }, { highWaterMark: 0 });
  },
});

const start = async () => {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 0));
  globalThis.gc();
  heap.peak = 0;
  sample();
  return { t0: performance.now(), base: heap.peak };
};
const end = (run, sealed, expected) => ({
  ms: performance.now() - run.t0, sealed, expected, base: run.base, peak: heap.peak,
});

window.sealBench = {
  async setup(bytes) {
    size = bytes;
    chunk = new Uint8Array(CHUNK);
    crypto.getRandomValues(chunk);
    recipients = [];
    for (let i = 0; i < 3; i++) {
      recipients.push(await identityToRecipient(await generateHybridIdentity()));
    }
    return recipients.length;
  },
  async candor() {
    const hasher = sealedHasher();
    const out = await this.cut(hasher);
    return { ...out, where: await hasher.where };
  },
  async noHash() {
    const none = { update: async () => {}, digest: async () => "0".repeat(64), close() {} };
    return { ...(await this.cut(none)), where: "none" };
  },
  async candorPage() {
    return { ...(await this.cut(pageHasher())), where: "page" };
  },
  async cut(hasher) {
    const run = await start();
    const sealer = await openSealer(source(), recipients);
    const cutter = new PartCutter(sealer, PART, hasher);
    let sealed = 0;
    for (let part = await cutter.next(); part; part = await cutter.next()) {
      sealed += part.length;
      sample();
      cutter.recycle(part); // as lib/upload.ts does once the server has the part
    }
    if ((await cutter.sha256()).length !== 64) throw new Error("no hash");
    return end(run, sealed, sealer.size);
  },
  async typage() {
    const run = await start();
    const encrypter = new Encrypter();
    for (const r of recipients) encrypter.addRecipient(r);
    const stream = await encrypter.encrypt(source().stream());
    const reader = stream.getReader();
    let sealed = 0, n = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      sealed += value.length;
      if (++n % 128 === 0) sample();
    }
    return end(run, sealed, stream.size(size));
  },
  async sha256() {
    const run = await start();
    const hasher = sha256Stream();
    const reader = source().stream().getReader();
    let read = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
      read += value.length;
    }
    hasher.digest();
    return end(run, read, size);
  },
  async hashWorker() {
    const run = await start();
    const hasher = sealedHasher();
    const reader = source().stream().getReader();
    let read = 0, n = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      read += value.length;
      // Each chunk its own buffer, given as PartCutter gives typage's sealed ones.
      await hasher.update(value, true);
      if (++n % 128 === 0) sample();
    }
    if ((await hasher.digest()).length !== 64) throw new Error("no hash");
    return { ...end(run, read, size), where: await hasher.where };
  },
};
"""


WORKER = "hash-bench.js"
PAGE = """<!doctype html><meta charset="utf-8"><title>sealing bench</title>
<script type="module" src="assets/bench.js"></script>"""
WAYS = {"candor": "candor", "candor-page": "candorPage", "no-hash": "noHash", "typage": "typage",
        "sha256": "sha256", "hash-worker": "hashWorker"}


def esbuild(*args: str, stdin: str | None = None) -> None:
    """Bundle with the checkout's esbuild, as frontend/build.ts does (es2022, browser)."""
    subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "esbuild"), "--bundle", "--platform=browser",
         "--target=es2022", "--log-level=warning", *args],
        input=stdin, cwd=ROOT, check=True, capture_output=True, text=True,
    )


def bundle(site: Path) -> None:
    """The bench page, its script (Candor's lib and typage, an ES module as
    the pages are, naming the worker as the build does) and the hash worker."""
    assets = site / "assets"
    assets.mkdir(parents=True)
    (site / "index.html").write_text(PAGE)
    esbuild("frontend/src/workers/hash.ts", "--format=iife", "--minify",
            f"--outfile={assets / WORKER}")
    workers = json.dumps({"hash": WORKER})
    esbuild("--format=esm", "--loader=ts", "--sourcefile=browser-seal-bench.ts",
            f"--define:__CANDOR_WORKERS__={workers}", f"--outfile={assets / 'bench.js'}",
            stdin=ENTRY)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on loopback with the pages' headers (frontend/headers.json)."""
    raw = json.loads((ROOT / "frontend" / "headers.json").read_text())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

        def end_headers(self) -> None:
            path = self.path.split("?")[0].lstrip("/") or "index.html"
            for name, value in headers_for(raw["headers"], raw["paths"], path).items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def measure(size_mib: int, runs: int, ways: list[str]) -> dict[str, list[dict[str, float]]]:
    """Open the bench page in Chromium and seal ``size_mib`` MiB ``runs`` times each of ``ways``."""
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        bundle(Path(tmp))
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with serve(Path(tmp)) as origin:
                page = browser.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(origin)
                page.wait_for_function("() => window.sealBench !== undefined")
                page.evaluate("(bytes) => window.sealBench.setup(bytes)", size_mib * 2**20)
                for _ in range(runs):
                    for way in ways:
                        run = page.evaluate(f"() => window.sealBench.{WAYS[way]}()")
                        results[way].append(checked(way, run))
        finally:
            browser.close()
    return results


def checked(way: str, run: dict[str, Any]) -> dict[str, Any]:
    """A run that sealed every byte, and hashed where it says (the worker for ``candor``)."""
    if run["sealed"] != run["expected"]:
        raise SystemExit(f"{way}: sealed {run['sealed']} bytes, expected {run['expected']}")
    if way in ("candor", "hash-worker") and run["where"] != "worker":
        raise SystemExit(f"{way}: the hash worker did not start; the page hashed itself")
    return run


def report(results: dict[str, list[dict[str, float]]], size_mib: int) -> dict[str, float]:
    """Print the table and the targets; return the medians and the peaks."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"browser sealing, {size_mib} MiB, {len(results['candor'])} runs each, Chromium, "
          "3 hybrid recipients")
    print(f"load average while measuring: {load} on {os.cpu_count()} cores")
    print(f"{'sealing':11} {'MiB/s':>8} {'best MiB/s':>11} {'peak heap MB':>13} "
          f"{'at start MB':>12}")
    figures: dict[str, float] = {}
    for way, runs in results.items():
        rates = [size_mib / (r["ms"] / 1000) for r in runs]
        peak = max(r["peak"] for r in runs) / 1e6
        base = min(r["base"] for r in runs) / 1e6
        figures[way] = statistics.median(rates)
        figures[f"{way}_heap"] = peak
        print(f"{way:11} {figures[way]:8.1f} {max(rates):11.1f} {peak:13.1f} {base:12.1f}")
    figures["ratio"] = figures["candor"] / figures["typage"]
    others = ", ".join(f"{way}/typage: {figures[way] / figures['typage']:.2f}"
                       for way in ("no-hash", "candor-page") if way in figures)
    print(f"ratio candor/typage: {figures['ratio']:.2f}" + (f" ({others})" if others else ""))
    rate_ok = "met" if figures["ratio"] >= TARGET_RATIO else "NOT met"
    heap_ok = "met" if figures["candor_heap"] < TARGET_HEAP_MB else "NOT met"
    print(f"target >= {TARGET_RATIO:.0%} of typage's rate: {rate_ok} ({figures['ratio']:.0%})")
    heap = figures["candor_heap"]
    print(f"target peak heap < {TARGET_HEAP_MB:.0f} MB: {heap_ok} ({heap:.1f} MB)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ways", default=",".join(WAYS),
                        help=f"comma-separated, of: {', '.join(WAYS)} (candor and typage always)")
    args = parser.parse_args()
    if args.size_mib < 1 or args.runs < 1:
        parser.error("--size-mib and --runs must be at least 1")
    chosen = set(args.ways.split(",")) | {"candor", "typage"}
    if unknown := chosen - set(WAYS):
        parser.error(f"unknown ways: {', '.join(sorted(unknown))}")
    ways = [way for way in WAYS if way in chosen]
    if not Path(CHROMIUM).exists():
        sys.exit(f"the bench needs Debian's chromium at {CHROMIUM}: run .ci/tools")
    report(measure(args.size_mib, args.runs, ways), args.size_mib)


if __name__ == "__main__":
    main()
