"""Load on loopback: reporters and team members at once, then a ledger check.

    .venv/bin/python bench/load.py [--target serve] [--reporters 8] [--members 2]
                                   [--cases 2] [--visits 3] [--reads 20]
                                   [--seconds 120] [--baseline-n 200] [--connections 8]

Starts ``candor serve`` (a subprocess, on a temporary data directory, with
the test team) and drives it with Candor's own clients (``candor.client``,
``candor.reporter``, ``candor.teamops``) over kept-alive connections:

- reporters submit reports with attachments, then visit them (open, rotate,
  thread, message), each case in turn;
- team members list the cases, read one (every blob, decrypted and
  checked) and reply to some.

Every loop is bounded by its count and by ``--seconds``. Prints each
route's throughput, p50 and p99, and errors by kind; a clean 429 (with
``Retry-After``, protocol §4.1) is retried after the time it names and
counted as throttled, anything else is an error.

Then the same sealed requests ``bench/api_latency.py`` times in-process
(manifest, submit, open, rotate) are sent to ``candor serve`` over
``--connections`` connections, and their throughput is compared with the
in-process rate that ``api_latency.measure_backend`` measures in this run
(one thread, so one core).

Afterwards a client-side ledger (every request the server acknowledged) is
reconciled with what was stored, read back through the API and from the
data directory directly, and the audit chain is verified. Exits 1 when a
target is missed: an error other than a clean 429, a ledger problem, or
serve below 70% of the in-process rate.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import api_latency  # noqa: E402 -- after the path setup above
from load_ledger import Ledger, build_ledger  # noqa: E402
from load_reconcile import Reconciliation, check_api, check_storage  # noqa: E402
from load_targets import JSON, TARGETS, Target, cpu_seconds  # noqa: E402
from load_traffic import (  # noqa: E402
    LoadClient,
    LoadTransport,
    Recorder,
    TransportFailed,
    Workload,
    run_workload,
)

from candor import teamops  # noqa: E402
from tests.support.team import Team, make_team  # noqa: E402

TARGET_RATIO = 0.70


# -- serve against in-process ---------------------------------------------------------
OPS = (("floor", "GET", "/v1/manifest", None),
       ("submit", "POST", "/v1/reports", "submit"),
       ("open", "POST", "/v1/followup/open", "open"),
       ("rotate", "POST", "/v1/followup/rotate", "rotate"))


@dataclass
class Comparison:
    """Per op: requests, in-process seconds (one thread), serve wall seconds."""

    rows: list[tuple[str, int, float, float]] = field(default_factory=list)
    server_cpu: float = 0.0

    def ratio(self) -> float:
        """Serve's requests a second over the in-process rate, same requests."""
        return sum(r[2] for r in self.rows) / sum(r[3] for r in self.rows)


def compare_with_in_process(target: Target, team: Team, n: int, connections: int,
                            recorder: Recorder) -> Comparison:
    """The requests of ``bench/api_latency.py``, sealed once, timed by its
    own in-process measurement and then sent to ``target`` concurrently."""
    bodies = api_latency.prepare(team, n + api_latency.WARMUP)
    in_process = api_latency.measure_backend("local", team, bodies)
    logging.getLogger("candor").setLevel(logging.WARNING)
    out = Comparison()
    cpu_before = cpu_seconds(target.pid)
    for op, method, path, attr in OPS:
        payloads = [b"" if attr is None else getattr(b, attr) for b in bodies]
        warm, timed = payloads[:api_latency.WARMUP], payloads[api_latency.WARMUP:]
        _send_all(target.url, method, path, warm, 1, recorder)
        start = time.perf_counter()
        done = _send_all(target.url, method, path, timed, connections, recorder)
        wall = time.perf_counter() - start
        # Only answered requests count; an error is the error table's to show.
        out.rows.append((op, done, sum(in_process[op]) / 1000 * done / len(timed), wall))
    out.server_cpu = cpu_seconds(target.pid) - cpu_before
    return out


def _send_all(url: str, method: str, path: str, payloads: list[bytes], connections: int,
              recorder: Recorder) -> int:
    """Send each payload once, ``connections`` at a time, in order; how
    many were answered 2xx."""
    lock, queue, done = threading.Lock(), list(reversed(payloads)), [0]

    def worker() -> None:
        transport = LoadTransport(url, recorder, time.monotonic() + 600)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            # Failures are the recorder's to count; the next request goes on.
            with contextlib.suppress(TransportFailed):
                status, _ = transport.send(method, path, JSON if body else {}, body)
                with lock:
                    done[0] += status < 300
        transport.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0]


# -- one run ---------------------------------------------------------------------------
@dataclass
class Result:
    target: str
    command: str
    load: Workload
    wall: float
    recorder: Recorder
    side: Recorder  # the comparison's requests
    comparison: Comparison | None
    ledger: Ledger
    checks: list[Reconciliation]


Tamper = Callable[[Target, Ledger], None]


def run(target_name: str, load: Workload, baseline_n: int, connections: int,
        tamper: Tamper | None = None) -> Result:
    """Load, compare, reconcile. ``tamper`` runs between the load and the
    reconciliation (the test that proves a lost write is found uses it)."""
    team = make_team()
    opener = TARGETS[target_name]
    with tempfile.TemporaryDirectory() as tmp, opener(Path(tmp), team) as target:
        recorder, side = Recorder(), Recorder()
        wall, kept = run_workload(target.url, target.manifest, target.members, load, recorder)
        comparison = (compare_with_in_process(target, team, baseline_n, connections, side)
                      if target.name == "serve" and baseline_n else None)
        ledger = build_ledger([*recorder.acked, *side.acked],
                              [*recorder.uncertain, *side.uncertain], kept)
        if tamper is not None:
            tamper(target, ledger)
        checks = [_guard("API", lambda: reconcile_api(target, ledger))]
        target.stop()
        checks.append(_guard("storage", lambda: check_storage(
            target.open_store(), ledger, target.manifest, target.blob_names(),
            target.leftovers())))
    return Result(target.name, target.command, load, wall, recorder, side, comparison, ledger,
                  checks)


def reconcile_api(target: Target, ledger: Ledger) -> Reconciliation:
    key = target.members[0]
    transport = LoadTransport(target.url, Recorder(), time.monotonic() + 600)
    session = teamops.Session(LoadClient(transport, key), key, target.manifest)
    return check_api(session, ledger)


def _guard(source: str, check: Callable[[], Reconciliation]) -> Reconciliation:
    try:
        return check()
    except Exception as exc:  # a check that cannot finish is a problem, never a pass
        return Reconciliation(source, problems=[f"{source} check failed: "
                                                f"{type(exc).__name__}: {exc}"[:200]])


# -- the report ------------------------------------------------------------------------
def _p(values: list[float], q: float) -> float:
    return api_latency.percentile(values, q) if values else float("nan")


def route_table(recorder: Recorder, wall: float) -> list[str]:
    """One row per route: answers ok, clean 429s, errors, ok per second, p50, p99."""
    by_route: dict[str, list[tuple[str, float]]] = {}
    for route, outcome, ms in recorder.attempts:
        by_route.setdefault(route, []).append((outcome, ms))
    lines = [f"{'route':<44}{'ok':>6}{'429':>6}{'errors':>7}{'per s':>9}{'p50 ms':>9}"
             f"{'p99 ms':>9}"]
    rows = sorted(by_route.items())
    rows.append(("all", [a for _, v in rows for a in v]))
    for route, attempts in rows:
        ok = [ms for outcome, ms in attempts if outcome == "ok"]
        throttled = sum(outcome == "throttled" for outcome, _ in attempts)
        errors = len(attempts) - len(ok) - throttled
        lines.append(f"{route:<44}{len(ok):>6}{throttled:>6}{errors:>7}{len(ok) / wall:>9.1f}"
                     f"{_p(ok, 0.5):>9.2f}{_p(ok, 0.99):>9.2f}")
    return lines


def errors_by_kind(*recorders: Recorder) -> dict[str, int]:
    """Every outcome but ok and a clean 429, and the clients' own failures."""
    kinds: dict[str, int] = {}
    for rec in recorders:
        for kind in [o for _, o, _ in rec.attempts if o not in ("ok", "throttled")] + \
                rec.client_errors:
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def report(result: Result) -> list[str]:
    load, rec = result.load, result.recorder
    lines = [f"target: {result.target} ({result.command}), {os.cpu_count()} cores",
             f"load: {load.reporters} reporters x {load.cases} cases x {load.visits} visits, "
             f"{load.members} members x {load.reads} reads, at most {load.seconds:.0f} s: "
             f"{result.wall:.1f} s", ""]
    lines += route_table(rec, result.wall)
    errors = errors_by_kind(rec, result.side)
    lines.append("errors by kind: " + (", ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
                                       or "none"))
    bits = [*rec.puzzles, *result.side.puzzles]
    span = "" if not bits else f", {min(bits)}" + (f"-{max(bits)}" if max(bits) > min(bits)
                                                   else "") + " bits"
    lines.append(f"puzzles solved: {len(bits)}{span}")
    if result.comparison is not None:
        lines += ["", *comparison_table(result.comparison)]
    unknown = len(rec.uncertain) + len(result.side.uncertain)
    lines += ["", f"ledger: {result.ledger.writes()} acknowledged writes, {unknown} requests "
                  "of unknown fate (allowed, never required)"]
    problems = [p for c in result.checks for p in c.problems]
    for check in result.checks:
        counted = ", ".join(f"{v} {k}" for k, v in check.checked.items())
        lines.append(f"reconciliation ({check.source}): {counted or 'nothing checked'}; "
                     f"{len(check.problems)} problem(s)")
        lines += [f"  {p}" for p in check.problems[:20]]
    attempts = len(rec.attempts) + len(result.side.attempts)
    lines += ["", "targets:",
              _target("errors other than a clean 429 / requests", sum(errors.values()),
                      attempts, sum(errors.values()) == 0, "0"),
              _target("ledger problems / acknowledged writes", len(problems),
                      result.ledger.writes(), not problems, "0")]
    if result.comparison is not None:
        ratio = result.comparison.ratio()
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        lines.append(f"  serve rate / in-process rate per core: {ratio:.2f} "
                     f"(target >= {TARGET_RATIO:.2f}): {verdict}")
    return lines


def _target(name: str, bad: int, total: int, met: bool, goal: str) -> str:
    return f"  {name}: {bad}/{total} (target {goal}): {'met' if met else 'MISSED'}"


def comparison_table(c: Comparison) -> list[str]:
    lines = ["same sealed requests as bench/api_latency.py: in-process (one thread) vs serve",
             f"{'op':<8}{'n':>6}{'in-process /s':>15}{'serve /s':>10}{'ratio':>8}"]
    for op, n, inproc, wall in c.rows:
        lines.append(f"{op:<8}{n:>6}{n / inproc:>15.1f}{n / wall:>10.1f}{inproc / wall:>8.2f}")
    n, inproc, wall = (sum(r[1] for r in c.rows), sum(r[2] for r in c.rows),
                       sum(r[3] for r in c.rows))
    lines.append(f"{'all':<8}{n:>6}{n / inproc:>15.1f}{n / wall:>10.1f}{c.ratio():>8.2f}")
    lines.append(f"server CPU during these requests: {c.server_cpu:.1f} s in {wall:.1f} s "
                 f"({c.server_cpu / wall:.2f} cores busy)")
    return lines


def met(result: Result) -> bool:
    return (not errors_by_kind(result.recorder, result.side)
            and not any(c.problems for c in result.checks)
            and (result.comparison is None or result.comparison.ratio() >= TARGET_RATIO))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    w = Workload()
    parser.add_argument("--target", choices=sorted(TARGETS), default="serve")
    parser.add_argument("--reporters", type=int, default=w.reporters)
    parser.add_argument("--members", type=int, default=w.members)
    parser.add_argument("--cases", type=int, default=w.cases, help="reports per reporter")
    parser.add_argument("--visits", type=int, default=w.visits, help="visits per case")
    parser.add_argument("--reads", type=int, default=w.reads, help="cases each member reads")
    parser.add_argument("--seconds", type=float, default=w.seconds)
    parser.add_argument("--baseline-n", type=int, default=200,
                        help="requests per op compared with in-process (0: skip)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=w.seed)
    args = parser.parse_args(argv)
    load = Workload(args.reporters, args.members, args.cases, args.visits, args.reads,
                    seconds=args.seconds, seed=args.seed)
    result = run(args.target, load, args.baseline_n, args.connections)
    print("\n".join(report(result)))
    return 0 if met(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
