"""How long the review console takes to list and decrypt N cases.

Starts ``candor serve`` with a three-member test team (tests/support),
seeds N reports through the reporter's Python twin (``candor.reporter.submit``,
several threads), then unlocks the console in Debian's Chromium as the admin
and waits until every report in the inbox is decrypted. Prints the seeding
time and the console's own figure (from its key-file unlock to the last
report decrypted, excluding the scrypt derivation)::

    .venv/bin/python bench/console_inbox.py [--cases 500] [--threads 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from candor import reporter  # noqa: E402
from candor.client import ApiClient, HttpTransport  # noqa: E402
from tests.support.live import start_live_server  # noqa: E402
from tests.support.team import make_team  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_SECONDS = 5.0
CATEGORIES = ["confidential_leak", "account_compromised", "unauthorised_post", "harassment", "policy_violation", "other"]


def seed(url: str, manifest: dict, count: int, threads: int) -> float:
    def one(i: int) -> None:
        form = {"category": CATEGORIES[i % len(CATEGORIES)], "summary": f"Benchmark report number {i}",
                "details": f"Details of benchmark report {i}. " * 8, "ongoing": "unknown", "urgency": "normal"}
        reporter.submit(ApiClient(HttpTransport(url)), manifest, form)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def measure(url: str, member: object, count: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url.rstrip("/") + "/console/")
        page.set_input_files("#keyfile", str(member.keyfile_path))  # type: ignore[attr-defined]
        page.fill("#passphrase", member.passphrase)  # type: ignore[attr-defined]
        started = time.perf_counter()
        page.click("#unlock")
        page.wait_for_selector("#inbox-progress[data-state=done]", timeout=600_000)
        wall = time.perf_counter() - started
        console_ms = int(page.get_attribute("#inbox-progress", "data-loaded-ms") or 0)
        shown = page.locator("#inbox-rows tr").count()
        pending = page.locator("#inbox-rows .case-link", has_text="Decrypting").count()
        browser.close()
    if shown != count or pending:
        raise SystemExit(f"expected {count} decrypted rows, saw {shown} ({pending} pending)")
    return console_ms / 1000, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_live_server(Path(tmp), make_team())
        try:
            seconds = seed(server.url, server.manifest, args.cases, args.threads)
            print(f"seeded {args.cases} reports in {seconds:.1f} s")
            admin = next(m for m in server.team if m.role == "admin")
            inbox, wall = measure(server.url, admin, args.cases)
        finally:
            server.stop()
    verdict = "within" if inbox < TARGET_SECONDS else "OVER"
    print(f"console inbox: {args.cases} cases listed and decrypted in {inbox:.2f} s "
          f"({verdict} the {TARGET_SECONDS:.0f} s target); unlock + inbox wall time {wall:.2f} s")
    return 0 if inbox < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
