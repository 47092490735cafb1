"""How long the review console takes to open a key file (scrypt 2^18), in
Debian's Chromium, with scrypt in the Web Worker (frontend/src/workers/
scrypt.ts) against typage's own scrypt on the page's thread, in one run.

Serves the built pages with ``candor serve`` for a test team (tests/support),
then unlocks the console ``--rounds`` times each way, alternating. The
baseline is the console's own fallback: with the worker script refused
(the request aborted), it derives with typage's scrypt on the main thread.
Each figure runs from the form's submit to the progress bar going away
(key file read, scrypt, the age header and the key file's decryption), and
the longest gap of a 10 ms timer during it says how long the page froze::

    .venv/bin/python bench/unlock.py [--rounds 5]

Prints one row per way, the ratio worker/typage and the target (the worker
unlock under 1.5 s on the machines Candor is built on, issue 14).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveMember, start_live_server  # noqa: E402
from tests.support.team import make_team  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 1500.0
TIMEOUT_MS = 120_000

# From the form's submit (capture phase, before the console's handler) to
# the progress bar hidden again; and the longest gap of a 10 ms timer.
PROBE = """() => {
  const probe = (window.unlockProbe = { ticks: [], start: 0, end: 0, shown: false });
  probe.timer = setInterval(() => probe.ticks.push(performance.now()), 10);
  document.getElementById("unlock-form").addEventListener("submit", () => {
    probe.start = performance.now();
  }, { capture: true });
  new MutationObserver(() => {
    const bar = document.getElementById("unlock-progress");
    if (bar && !bar.hidden) probe.shown = true;
    if (bar && bar.hidden && probe.shown && !probe.end) probe.end = performance.now();
  }).observe(document.body, { subtree: true, childList: true, attributes: true });
}"""
RESULT = """() => {
  const probe = window.unlockProbe;
  clearInterval(probe.timer);
  const during = probe.ticks.filter((t) => t >= probe.start && t <= probe.end + 50);
  const gaps = during.slice(1).map((t, i) => t - during[i]);
  const ms = probe.end - probe.start;
  return { ms, maxGap: gaps.length ? Math.max(...gaps) : ms };
}"""


def unlock_once(browser: Any, url: str, member: LiveMember, worker: bool) -> dict[str, float]:
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        if not worker:
            page.route("**/assets/scrypt-*.js", lambda route: route.abort())
        page.goto(url.rstrip("/") + "/console/")
        page.set_input_files("#keyfile", str(member.keyfile_path))
        page.fill("#passphrase", member.passphrase)
        page.evaluate(PROBE)
        page.click("#unlock")
        page.wait_for_selector("#view-inbox:not([hidden])", timeout=TIMEOUT_MS)
        page.wait_for_function("() => window.unlockProbe.end > 0", timeout=TIMEOUT_MS)
        result: dict[str, float] = page.evaluate(RESULT)
        return result
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="candor-bench-unlock-") as tmp:
        server = start_live_server(Path(tmp), make_team())
        try:
            member = server.team[0]
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                unlock_once(browser, server.url, member, worker=True)  # warm the page cache
                runs: dict[str, list[dict[str, float]]] = {"worker": [], "typage": []}
                for _ in range(args.rounds):
                    for way in runs:
                        runs[way].append(unlock_once(browser, server.url, member, way == "worker"))
                browser.close()
        finally:
            server.stop()
    report(runs)


def report(runs: dict[str, list[dict[str, float]]]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"console unlock, scrypt 2^18, {len(runs['worker'])} rounds each, Chromium")
    print(f"load average while measuring: {load} on {os.cpu_count()} cores")
    print(f"{'scrypt':8} {'median ms':>10} {'min ms':>8} {'longest freeze ms':>18}")
    medians = {}
    for way, results in runs.items():
        times = [r["ms"] for r in results]
        medians[way] = statistics.median(times)
        freeze = statistics.median(r["maxGap"] for r in results)
        print(f"{way:8} {medians[way]:10.0f} {min(times):8.0f} {freeze:18.0f}")
    print(f"ratio worker/typage: {medians['worker'] / medians['typage']:.2f}")
    verdict = "met" if medians["worker"] < TARGET_MS else "NOT met"
    print(f"target worker unlock < {TARGET_MS:.0f} ms: {verdict} ({medians['worker']:.0f} ms)")


if __name__ == "__main__":
    main()
