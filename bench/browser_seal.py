"""How fast Chromium seals an attachment, and with how much JS heap (issue 15):
Candor's own streaming sealing (frontend/src/lib/attachments.ts: openSealer
and PartCutter, as lib/upload.ts drives them, each part dropped once cut as
the uploader drops it once sent) against typage's own streaming encryption
(age-encryption's Encrypter over the same stream, its output read and
dropped), in one run, on the same input and the same three hybrid
(ML-KEM-768 + X25519) recipients.

Both sides read one generated source of ``--size-mib`` MiB (64 KiB chunks of
random bytes, made as they are read, like a File's stream, so no 1 GiB Blob
sits in the browser); Candor's side also pads it (protocol §2.2), hashes
every sealed byte (SHA-256) and copies the ciphertext into 8 MiB parts.
A third row, ``sha256``, times lib/encoding.ts's SHA-256 (the hash Candor's
side computes) alone over the same source, to show its share. Rates are
plaintext MiB per second of wall clock; the peak JS heap
(``performance.memory`` with Chromium's precise memory info, sampled at
every part or every 128 chunks and every 50 ms, after a forced GC) is the
page's, in MB of 10^6 bytes. Runs alternate, ``--runs`` each; the figures
are the medians, and the heap the highest peak::

    .venv/bin/python bench/browser_seal.py [--size-mib 1024] [--runs 3]

Prints one row per way, the ratio Candor/typage and the targets (at least
90% of typage's rate; peak heap under 150 MB).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

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
    const run = await start();
    const sealer = await openSealer(source(), recipients);
    const cutter = new PartCutter(sealer, PART);
    let sealed = 0;
    for (let part = await cutter.next(); part; part = await cutter.next()) {
      sealed += part.length;
      sample();
    }
    if (cutter.sha256.length !== 64) throw new Error("no hash");
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
};
"""


def bundle() -> str:
    """The bench page's script: Candor's lib and typage, bundled as the pages are (esbuild)."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    out = subprocess.run(
        [str(esbuild), "--bundle", "--format=iife", "--platform=browser", "--target=es2022",
         "--loader=ts", "--sourcefile=browser-seal-bench.ts", "--log-level=warning"],
        input=ENTRY, cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return out.stdout


def measure(size_mib: int, runs: int) -> dict[str, list[dict[str, float]]]:
    """Open the bench page in Chromium and seal ``size_mib`` MiB ``runs`` times each way."""
    from playwright.sync_api import sync_playwright

    script = bundle()
    results: dict[str, list[dict[str, float]]] = {"candor": [], "typage": [], "sha256": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto("about:blank")
            page.add_script_tag(content=script)
            page.evaluate("(bytes) => window.sealBench.setup(bytes)", size_mib * 2**20)
            for _ in range(runs):
                for way in results:
                    run: dict[str, float] = page.evaluate(f"() => window.sealBench.{way}()")
                    if run["sealed"] != run["expected"]:
                        raise SystemExit(f"{way}: sealed {run['sealed']} bytes, "
                                         f"expected {run['expected']}")
                    results[way].append(run)
        finally:
            browser.close()
    return results


def report(results: dict[str, list[dict[str, float]]], size_mib: int) -> dict[str, float]:
    """Print the table and the targets; return the medians and the peaks."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"browser sealing, {size_mib} MiB, {len(results['candor'])} runs each, Chromium, "
          "3 hybrid recipients")
    print(f"load average while measuring: {load} on {os.cpu_count()} cores")
    print(f"{'sealing':8} {'MiB/s':>8} {'best MiB/s':>11} {'peak heap MB':>13} {'at start MB':>12}")
    figures: dict[str, float] = {}
    for way, runs in results.items():
        rates = [size_mib / (r["ms"] / 1000) for r in runs]
        peak = max(r["peak"] for r in runs) / 1e6
        base = min(r["base"] for r in runs) / 1e6
        figures[way] = statistics.median(rates)
        figures[f"{way}_heap"] = peak
        print(f"{way:8} {figures[way]:8.1f} {max(rates):11.1f} {peak:13.1f} {base:12.1f}")
    figures["ratio"] = figures["candor"] / figures["typage"]
    print(f"ratio candor/typage: {figures['ratio']:.2f}")
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
    args = parser.parse_args()
    if args.size_mib < 1 or args.runs < 1:
        parser.error("--size-mib and --runs must be at least 1")
    if not Path(CHROMIUM).exists():
        sys.exit(f"the bench needs Debian's chromium at {CHROMIUM}: run .ci/tools")
    report(measure(args.size_mib, args.runs), args.size_mib)


if __name__ == "__main__":
    main()
