"""How long the review console takes to list and decrypt N cases.

Serves the API and the built pages like ``candor serve`` (its
``make_server``, in this process) with a three-member test team
(tests/support),
seeds N reports through the reporter's Python twin (``candor.reporter.submit``,
several threads), then unlocks the console in Debian's Chromium as the admin
and waits until every report in the inbox is decrypted. Prints the seeding
time and the console's own figure (from its key-file unlock to the last
report decrypted, excluding the scrypt derivation)::

    .venv/bin/python bench/console_inbox.py [--cases 500] [--threads 8] [--rate R --burst B]

``candor serve`` throttles all API calls together (default 50 requests/s,
burst 200). The inbox makes two signed requests per case (the case, then its
report), so with that throttle 500 cases cannot load in under ~16 s whatever
the client does; the default here is no throttle, to measure the console.
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
from tests.support.live import PASSPHRASE, LiveMember  # noqa: E402
from tests.support.team import make_team  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_SECONDS = 5.0
TIMEOUT_MS = 120_000
CATEGORIES = [
    "confidential_leak",
    "account_compromised",
    "unauthorised_post",
    "harassment",
    "policy_violation",
    "other",
]


def seed(url: str, manifest: dict, count: int, threads: int) -> float:
    def one(i: int) -> None:
        form = {
            "category": CATEGORIES[i % len(CATEGORIES)],
            "summary": f"Benchmark report number {i}",
            "details": f"Details of benchmark report {i}. " * 8,
            "ongoing": "unknown",
            "urgency": "normal",
        }
        reporter.submit(ApiClient(HttpTransport(url)), manifest, form)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def measure(url: str, member: object, count: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(url.rstrip("/") + "/console/")
        page.set_input_files("#keyfile", str(member.keyfile_path))  # type: ignore[attr-defined]
        page.fill("#passphrase", member.passphrase)  # type: ignore[attr-defined]
        started = time.perf_counter()
        page.click("#unlock")
        try:
            page.wait_for_selector("#inbox-progress[data-state=done]", timeout=TIMEOUT_MS)
        except Exception:
            raise SystemExit(
                f"the inbox did not finish: {page.inner_text('main')[:800]!r} {errors[:5]}"
            ) from None
        wall = time.perf_counter() - started
        console_ms = int(page.get_attribute("#inbox-progress", "data-loaded-ms") or 0)
        shown = page.locator("#inbox-rows tr").count()
        pending = page.locator("#inbox-rows .case-link", has_text="Decrypting").count()
        browser.close()
    if shown != count or pending:
        raise SystemExit(f"expected {count} decrypted rows, saw {shown} ({pending} pending)")
    return console_ms / 1000, wall


def serve(tmp: Path, rate: float, burst: int) -> tuple[str, dict, list, object]:
    """The API and pages on a free local port, in a background thread."""
    import json
    import logging
    import threading

    from candor import keyfile as kf
    from candor.opscli import build_site
    from candor.serve import make_server
    from chalicelib.config import Settings
    from chalicelib.domain import team_roster
    from chalicelib.domain.cases import Context
    from chalicelib.store.local import LocalCaseStore

    for name in ("candor", "candor.api"):  # one log line per API call otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    team = make_team()
    data, site = tmp / "data", tmp / "site"
    store = LocalCaseStore(data)
    team_roster.bootstrap(Context(store), team.manifest)
    (tmp / "manifest.json").write_text(json.dumps(team.manifest))
    build_site(tmp / "manifest.json", site)
    members = []
    for m in team.members:
        path = tmp / f"{m.id}.candor-key"
        kf.write_keyfile(m.key, path, PASSPHRASE)
        members.append(LiveMember(m.name, m.role, m.id, path, PASSPHRASE, m.key))
    server = make_server(
        Settings(data_dir=str(data)), store, site, "127.0.0.1", 0, rate=rate, burst=burst
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", team.manifest, members, server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1e9, help="API requests/s (candor serve: 50)")
    parser.add_argument("--burst", type=int, default=10**9, help="API burst (candor serve: 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, manifest, members, server = serve(Path(tmp), args.rate, args.burst)
        try:
            seconds = seed(url, manifest, args.cases, args.threads)
            print(f"seeded {args.cases} reports in {seconds:.1f} s")
            admin = next(m for m in members if m.role == "admin")
            inbox, wall = measure(url, admin, args.cases)
        finally:
            server.shutdown()
    verdict = "within" if inbox < TARGET_SECONDS else "OVER"
    throttle = "no throttle" if args.rate >= 1e8 else f"throttle {args.rate:g}/s burst {args.burst}"
    print(
        f"console inbox ({throttle}): {args.cases} cases listed and decrypted in {inbox:.2f} s "
        f"({verdict} the {TARGET_SECONDS:.0f} s target); unlock + inbox wall time {wall:.2f} s"
    )
    return 0 if inbox < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
