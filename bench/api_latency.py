"""Warm in-process latency of the reporter's hot routes, and cold import time.

    .venv/bin/python bench/api_latency.py [--n 200] [--backends local,aws] [--imports 5]

For each backend (``local`` on a temporary directory; ``aws`` on moto
in-process, through ``tests.backends.make_store``) the Chalice app answers,
through Chalice's local gateway and with no HTTP in between:

- ``floor``: ``GET /v1/manifest``, one index query: the baseline every ratio
  is taken against, measured in the same run;
- ``submit``: ``POST /v1/reports`` (checks, one blob, one transaction);
- ``open``: ``POST /v1/followup/open``;
- ``rotate``: ``POST /v1/followup/rotate``.

Every request body is sealed before timing starts, so the figures are the
server's work only. Each operation runs ``--n`` times after a short warm-up;
p50 and p99 are printed in milliseconds with p50 / floor p50.

Cold import: ``import app`` in a fresh interpreter (wall clock inside the
process, and the whole process against ``python -c pass``), median of
``--imports`` runs, with the five slowest imports of one ``-X importtime`` run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from candor import documents  # noqa: E402 -- after the path setup above
from candor.client import ApiClient  # noqa: E402
from candor.receipt import Receipt  # noqa: E402
from candor.reporter import submit  # noqa: E402
from chalicelib.b64 import b64u_encode  # noqa: E402
from tests.backends import make_store  # noqa: E402
from tests.support.team import Team, make_api, make_team  # noqa: E402

FORM = {"category": "fraud", "summary": "Invoices paid twice",
        "details": "The same supplier invoice was paid on the 3rd and on the 17th."}
JSON = {"Content-Type": "application/json"}
WARMUP = 10


@dataclass
class Prepared:
    """One reporter's requests, sealed in advance."""

    submit: bytes
    open: bytes
    rotate: bytes


class _Hold:
    """Keeps ``POST /v1/reports`` bodies instead of sending them."""

    base_url = "http://127.0.0.1:8000"

    def __init__(self) -> None:
        self.held: list[bytes] = []

    def send(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        self.held.append(body)
        return 201, b'{"received":"2026-01-01","status":"received"}'


def prepare(team: Team, count: int) -> list[Prepared]:
    hold, out = _Hold(), []
    for _ in range(count):
        sub = submit(ApiClient(hold), team.manifest, FORM)
        new = Receipt.generate()
        rotate = {
            "auth": sub.receipt.auth_b64, "token_id": new.token_id,
            "sealed_identity": b64u_encode(documents.seal_case_state(sub.state, new)),
            "visit": b64u_encode(hashlib.sha256(os.urandom(32)).digest()),
        }
        out.append(Prepared(hold.held[-1], json.dumps({"auth": sub.receipt.auth_b64}).encode(),
                            json.dumps(rotate).encode()))
    return out


def _timed(send: Callable[[], tuple[int, bytes]], expect: int) -> float:
    start = time.perf_counter()
    status, payload = send()
    elapsed = time.perf_counter() - start
    if status != expect:
        raise RuntimeError(f"expected {expect}, got {status}: {payload[:200]!r}")
    return elapsed * 1000


def measure_backend(kind: str, team: Team, bodies: list[Prepared]) -> dict[str, list[float]]:
    """Milliseconds per request of each operation, warm-up excluded."""
    with tempfile.TemporaryDirectory() as tmp, make_store(kind, Path(tmp)) as store:
        api = make_api(store, team, time)
        logging.getLogger("candor").setLevel(logging.WARNING)  # one line a request, to stderr
        send = api.transport.send
        floor = [_timed(lambda: send("GET", "/v1/manifest", {}, b""), 200) for _ in bodies]
        times: dict[str, list[float]] = {"floor": floor[WARMUP:]}
        for op, route, expect in (("submit", "/v1/reports", 201),
                                  ("open", "/v1/followup/open", 200),
                                  ("rotate", "/v1/followup/rotate", 200)):
            got = [_timed(lambda b=b, r=route, o=op: send("POST", r, JSON, getattr(b, o)), expect)
                   for b in bodies]
            times[op] = got[WARMUP:]
        return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cold_import(runs: int) -> tuple[float, float, float, list[tuple[int, str]]]:
    """Median ms of ``import app`` in-process, of the whole process, of
    ``python -c pass``; and the five slowest imports (cumulative µs)."""
    inside, whole, empty = [], [], []
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        whole.append((time.perf_counter() - start) * 1000)
        inside.append(float(out.strip()) * 1000)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        empty.append((time.perf_counter() - start) * 1000)
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stderr
    rows = []
    for line in trace.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    slowest = sorted(rows, reverse=True)[:5]
    return (statistics.median(inside), statistics.median(whole), statistics.median(empty),
            slowest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="timed requests per operation")
    parser.add_argument("--backends", default="local,aws", help="comma-separated: local, aws")
    parser.add_argument("--imports", type=int, default=5, help="cold import runs")
    args = parser.parse_args()
    team = make_team()
    print(f"sealing {args.n + WARMUP} submissions and rotations in advance ...", flush=True)
    bodies = prepare(team, args.n + WARMUP)

    print(f"\n{'backend':8} {'operation':10} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'p50/floor':>10}")
    for kind in args.backends.split(","):
        times = measure_backend(kind, team, bodies)
        floor = percentile(times["floor"], 0.5)
        for op in ("floor", "submit", "open", "rotate"):
            t = times[op]
            print(f"{kind:8} {op:10} {len(t):5d} {percentile(t, 0.5):9.2f} "
                  f"{percentile(t, 0.99):9.2f} {percentile(t, 0.5) / floor:9.1f}x")

    inside, whole, empty, slowest = cold_import(args.imports)
    print(f"\ncold import of app.py, median of {args.imports}:")
    print(f"  import app (in-process)     {inside:8.1f} ms")
    print(f"  python -c 'import app'      {whole:8.1f} ms")
    print(f"  python -c pass (floor)      {empty:8.1f} ms   ratio {whole / empty:.1f}x")
    print("  slowest imports (cumulative, one -X importtime run):")
    for micros, name in slowest:
        print(f"    {micros / 1000:8.1f} ms  {name.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
