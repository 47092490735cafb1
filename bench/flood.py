"""A reporter's submission while a script floods the reporter routes.

    .venv/bin/python bench/flood.py [--flooders 2] [--solvers 1] [--threads 8]
                                    [--seconds 20] [--rate 10] [--burst 20]

Starts ``candor serve`` on loopback twice (a subprocess each, anonymous
bucket ``--rate``/``--burst``): once with client puzzles (protocol §4.1)
and once without. Against each, ``--flooders`` processes of ``--threads``
threads send reporter calls as fast as they can (``POST /v1/attachments``,
``POST /v1/followup/open`` with junk), never solving a puzzle, and
``--solvers`` processes do the same but solve every puzzle they are given,
as a determined attacker would. Once the flood has emptied the anonymous
bucket, a reporter submits a report with the CLI's client (which honours
Retry-After and solves puzzles), then the flood goes on to
``--seconds``. The bucket is smaller than ``candor serve``'s default so
that one machine's flood, sharing the server's cores, can outrun it.

Prints, for each server: whether and how fast the reporter's submission
completed (against the same submission before the flood), the flood's
rate and how much of it was refused, and the attacker's cost per accepted
call (SHA-256 evaluations expected from the
bits solved, and CPU milliseconds). Loopback only, one machine: compare
figures only within a run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from candor.client import ApiClient, ApiError, HttpTransport  # noqa: E402 -- after the path setup
from candor.puzzle import solve  # noqa: E402
from candor.reporter import submit  # noqa: E402
from chalicelib import puzzle  # noqa: E402
from chalicelib.domain import team_roster  # noqa: E402
from chalicelib.domain.cases import Context  # noqa: E402
from chalicelib.store.local import LocalCaseStore  # noqa: E402
from tests.support.team import make_team  # noqa: E402

JSON = {"Content-Type": "application/json"}
FLOOD = [("/v1/attachments", b'{"size": 1000}'),
         ("/v1/followup/open", json.dumps({"auth": "A" * 43}).encode())]
SERVE = """
import sys
from candor.serve import make_server
from chalicelib.config import Settings
from chalicelib.store.local import LocalCaseStore
server = make_server(Settings(), LocalCaseStore(sys.argv[1]), None, "127.0.0.1", 0,
                     rate=float(sys.argv[2]), burst=int(sys.argv[3]), puzzles=sys.argv[4] == "1")
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def start_server(data: Path, rate: float, burst: int, puzzles: bool) -> tuple[str, Any]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(data), str(rate), str(burst),
                             "1" if puzzles else "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    return f"127.0.0.1:{port}", proc


def one_call(host: str, path: str, body: bytes, counts: Counter[str], solving: bool) -> None:
    """One flood call on a fresh connection; a solver answers a challenge once."""
    headers = dict(JSON)
    for _ in range(2):
        conn = http.client.HTTPConnection(host, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
        except OSError as exc:
            counts[f"connection error {type(exc).__name__}"] += 1
            return
        finally:
            conn.close()
        challenge = resp.getheader(puzzle.CHALLENGE_HEADER)
        counts["sent"] += 1
        if resp.status != 429:
            counts["accepted"] += 1
            counts["accepted with a proof"] += puzzle.PROOF_HEADER in headers
            return
        counts["refused"] += 1
        if not (solving and challenge):
            return
        parsed = puzzle.parse_challenge(challenge)
        started = time.thread_time()
        headers[puzzle.PROOF_HEADER] = solve(parsed, "POST", path, body).header()
        counts["solve_us"] += int((time.thread_time() - started) * 1e6)
        counts["hashes"] += 2 ** parsed.bits
        counts["solved"] += 1
        counts[f"bits {parsed.bits}"] += 1


def flooder(host: str, threads: int, stop_at: float, solving: bool, results: Any) -> None:
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def run(offset: int) -> None:
        mine: Counter[str] = Counter()
        n = offset
        while time.monotonic() < stop_at:
            path, body = FLOOD[n % len(FLOOD)]
            body = body if path != "/v1/attachments" else b'{"size": %d}' % (1000 + n)
            one_call(host, path, body, mine, solving)
            n += 1
        with lock:
            counts.update(mine)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results.put(dict(counts))


def phase(args: argparse.Namespace, data: Path, team: Any, puzzles: bool) -> dict[str, Any]:
    host, proc = start_server(data, args.rate, args.burst, puzzles)
    began = time.monotonic()
    submit(ApiClient(HttpTransport("http://" + host)), team.manifest, {"summary": "idle"})
    idle = time.monotonic() - began
    time.sleep(args.burst / args.rate)  # the bucket refills
    results: Any = multiprocessing.Queue()
    started = time.monotonic()
    stop_at = started + args.seconds
    procs = [multiprocessing.Process(target=flooder, args=(host, args.threads, stop_at, solving,
                                                           results))
             for solving in [False] * args.flooders + [True] * args.solvers]
    try:
        for p in procs:
            p.start()
        time.sleep(min(3.0, args.seconds / 4))  # the flood empties the anonymous bucket
        began = time.monotonic()
        try:
            submit(ApiClient(HttpTransport("http://" + host)), team.manifest,
                   {"summary": "reported during a flood"})
            outcome = "completed"
        except ApiError as exc:
            outcome = f"failed: {exc.status} {exc.code}"
        took = time.monotonic() - began
        totals: Counter[str] = Counter()
        for _ in procs:
            totals.update(results.get(timeout=args.seconds + 60))
        for p in procs:
            p.join()
    finally:
        proc.terminate()
        proc.wait()
    return {"reporter": outcome, "seconds": took, "idle": idle, "flood": totals,
            "elapsed": time.monotonic() - started}


def report(name: str, result: dict[str, Any], solvers: bool) -> None:
    f = result["flood"]
    print(f"{name}: reporter's submission {result['reporter']} in {result['seconds']:.1f} s "
          f"({result['seconds'] / result['idle']:.1f}x its {result['idle']:.2f} s without a flood)")
    rate = f["sent"] / result["elapsed"]
    share = f["refused"] / max(1, f["sent"])
    errors = {k: v for k, v in f.items() if k.startswith("connection error")}
    print(f"  flood: {rate:.0f} calls/s, {share:.0%} refused, {f['accepted']} accepted, "
          f"{f['accepted with a proof']} of them with a proof; errors: {errors or 'none'}")
    if solvers:
        accepted = max(1, f["accepted with a proof"])
        bits = sorted(int(k.split()[1]) for k in f if k.startswith("bits "))
        print(f"  attacker's cost per accepted call: {f['hashes'] / accepted:,.0f} SHA-256 "
              f"(expected), {f['solve_us'] / accepted / 1000:.1f} CPU ms; "
              f"{f['solved']} puzzles solved, bits {bits[0] if bits else '-'}"
              f" to {bits[-1] if bits else '-'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flooders", type=int, default=2)
    parser.add_argument("--solvers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()
    team = make_team()
    results = {}
    for puzzles in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            team_roster.bootstrap(Context(LocalCaseStore(data)), team.manifest)
            results[puzzles] = phase(args, data, team, puzzles)
    report("without puzzles", results[False], args.solvers > 0)
    report("with puzzles", results[True], args.solvers > 0)
    return 0 if results[True]["reporter"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
