"""``kill -9`` of ``candor serve`` under load, five times over one data
directory (issue 14: nothing acknowledged is lost, nothing half-written is
visible).

A few threads drive the server with Candor's own clients: reporters submit
with an attachment, rotate their receipt and send a message; a team member
reads a case and replies. Each round the server is SIGKILLed after a seeded
random delay and started again. Afterwards every write answered 2xx is
there, the team reads every case whole (reports, messages and attachments
decrypt and verify), the audit chain verifies, each reporter's last
acknowledged receipt (or the one a cut rotation was making) opens, and the
sweep leaves no partial file.

(tests/store/test_crash.py kills a bare store writer; this kills the server.)
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from candor import teamops
from candor.client import ApiClient, ApiError, HttpTransport
from candor.receipt import Receipt
from candor.reporter import Evidence, follow_up, submit
from chalicelib.domain import retention
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.faults import ledger as lg
from tests.support.live import ROOT, LiveServer, _wait_for_url, start_live_server
from tests.support.team import Team

pytestmark = pytest.mark.slow

ROUNDS = 5
SEED = int(os.environ.get("CANDOR_FAULT_SEED", "1414"))
REPORTERS, TEAM_THREADS = 3, 1


@dataclass
class Load:
    """The clients' shared view: the server's URL and what was acknowledged."""

    url: str
    manifest: dict[str, Any]
    book: lg.Ledger = field(default_factory=lg.Ledger)
    # Each reporter's last acknowledged receipt; True when a rotation away
    # from it was cut by the kill (it may or may not have committed).
    receipts: dict[int, tuple[Receipt, bool]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    acks: int = 0
    unexpected: list[str] = field(default_factory=list)

    def anonymous(self) -> ApiClient:
        return ApiClient(HttpTransport(self.url, sleep=lambda _: None))

    def ack(self, *, summary: str = "", message: str = "") -> None:
        with self.lock:
            self.book.summaries |= {summary} - {""}
            self.book.messages |= {message} - {""}
            self.acks += 1


def _reporter(load: Load, n: int, rng: random.Random) -> None:
    summary = f"reporter {n} report {rng.getrandbits(64):x}"
    files = [Evidence("e.bin", rng.randbytes(5000))]
    sub = submit(load.anonymous(), load.manifest, {"summary": summary}, files=files)
    load.ack(summary=summary)
    key = rng.getrandbits(64)
    load.receipts[key] = (sub.receipt, True)
    visit = follow_up(load.anonymous(), sub.receipt, load.manifest)
    load.receipts[key] = (visit.receipt, False)
    text = f"reporter {n} message {rng.getrandbits(64):x}"
    visit.send(text)
    load.ack(message=text)


def _team(load: Load, s: teamops.Session, rng: random.Random) -> None:
    cases = s.get("/v1/team/cases")["cases"]
    if not cases:
        time.sleep(0.05)
        return
    text = f"team reply {rng.getrandbits(64):x}"
    case_id = rng.choice(cases)["id"]
    teamops.write(s, teamops.read_case(s, case_id), "message", text)
    load.ack(message=text)


# What a kill does to a call in flight: a refused or cut connection, a cut
# answer. Anything else (a report that does not decrypt, say) is recorded.
CUT = (ApiError, OSError, http.client.HTTPException, json.JSONDecodeError)


def _forever(work: Callable[[], None], load: Load) -> None:
    """Run ``work`` again after each failure until told to stop: a kill
    makes every call in flight fail, and nothing it did is acknowledged."""
    while not load.stop.is_set():
        try:
            work()
        except CUT:
            time.sleep(0.02)
        except Exception as exc:  # recorded: the test fails on it
            load.unexpected.append(repr(exc))


def _start(data: Path) -> tuple[subprocess.Popen[str], str]:
    log = open(data.parent / "serve.log", "a")  # noqa: SIM115 -- closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "candor", "serve", "--data-dir", str(data), "--port", "0"],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return proc, _wait_for_url(proc, data.parent / "serve.log")


def _round(live: LiveServer, load: Load, rng: random.Random) -> None:
    """Load the server, SIGKILL it after a random delay, wait for the clients."""
    team = live.session(live.team[0])
    work: list[Callable[[], None]] = []
    for n in range(REPORTERS):
        work.append(functools.partial(_reporter, load, n, random.Random(rng.random())))
    for _ in range(TEAM_THREADS):
        work.append(functools.partial(_team, load, team, random.Random(rng.random())))
    threads = [threading.Thread(target=_forever, args=(w, load)) for w in work]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(1.0, 3.0))
    live.process.kill()  # SIGKILL: no clean-up of any kind
    live.process.wait()
    load.stop.set()
    for t in threads:
        t.join()


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path, team: Team) -> None:
    rng = random.Random(SEED)
    live = start_live_server(tmp_path, team, build=False)
    load = Load(live.url, team.manifest)
    try:
        for _ in range(ROUNDS):
            _round(live, load, rng)
            live.process, live.url = _start(live.data_dir)
            load.url, load.stop = live.url, threading.Event()
        admin = live.session(live.team[0])
        lg.check(admin, load.book)
        for receipt, cut in load.receipts.values():
            _receipt_still_opens(load, receipt, cut)
    finally:
        live.stop()
    print(f"seed {SEED}: {ROUNDS} kills, {load.acks} acknowledged writes, "
          f"{len(load.book.summaries)} reports, {len(load.book.messages)} messages")
    assert load.acks >= 2 * ROUNDS, "the load hardly ran; the test proves little"
    assert load.unexpected == []
    # Retention a day later: blobs written before a transaction the kill cut
    # go with the orphan sweep (protocol §4.7), unclaimed uploads with the sweep.
    later = datetime.fromtimestamp(time.time() + 25 * 3600, UTC)
    retention.run(Context(LocalCaseStore(live.data_dir), clock=lambda: later))
    left = lg.local_unswept(live.data_dir)
    assert left == []


def _receipt_still_opens(load: Load, receipt: Receipt, cut: bool) -> None:
    """The last acknowledged receipt opens, unless a rotation away from it
    was cut by the kill and had committed (its new receipt died with the
    client): then it is unknown, like any retired one."""
    try:
        load.anonymous().call("POST", "/v1/followup/open", {"auth": receipt.auth_b64},
                              signed=False)
        outcome = "open"
    except ApiError as exc:
        outcome = f"{exc.status} {exc.code}"
    assert outcome == "open" or (cut and outcome == "404 receipt_unknown"), outcome
