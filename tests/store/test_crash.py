"""Crash safety of the local backend (issue 3: "a kill at any point loses no
acknowledged write and exposes no half-written one").

A writer process loops over blob writes, uploads with claims, and two-item
transactions, printing a line after each returns. The test SIGKILLs it at a
random moment, several rounds over one data directory, then checks that
every acknowledged write is there and intact, that every blob visible at all
is complete (its content is derived from its key, so any blob can be
checked), and that no transaction was half applied.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chalicelib.store.local import LocalCaseStore

pytestmark = pytest.mark.slow  # kills real processes: `make test`, not `make check`

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import hashlib, io, sys
from urllib.parse import parse_qs, urlsplit
from chalicelib.store.base import ABSENT, Put
from chalicelib.store.local import LocalCaseStore

def content(key):
    seed = hashlib.sha256(key.encode()).digest()
    size = int.from_bytes(seed[:3], "big") % 300_000
    return (seed * (size // 32 + 1))[:size]

store = LocalCaseStore(sys.argv[1])
rnd = sys.argv[2]
counter = store.get("w", rnd + "-counter")
version = counter.version if counter else None
i = counter.data["n"] + 1 if counter else 0
while True:
    key = f"b{rnd}x{i}"
    store.put_blob(key, content(key))
    print("blob", key, flush=True)
    up = f"u{rnd}x{i}"
    body = content(up)
    q = parse_qs(urlsplit(store.upload_url(up, len(body), 900).url).query)
    store.receive_upload(up, len(body), int(q["expires"][0]), q["sig"][0],
                         io.BytesIO(body), len(body))
    print("upload", up, flush=True)
    store.claim_blob(up)
    print("claim", up, flush=True)
    store.transact([
        Put("w", f"{rnd}-{i:06}", {"i": i, "blob": key}, expect=ABSENT),
        Put("w", rnd + "-counter", {"n": i}, expect=ABSENT if version is None else version),
    ])
    version = 1 if version is None else version + 1
    print("txn", i, flush=True)
    i += 1
"""


def content(key: str) -> bytes:
    seed = hashlib.sha256(key.encode()).digest()
    size = int.from_bytes(seed[:3], "big") % 300_000
    return (seed * (size // 32 + 1))[:size]


def run_and_kill(data_dir: Path, rnd: str, after: float) -> list[list[str]]:
    """Start a writer, SIGKILL it ``after`` seconds later; its acknowledgements."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), rnd],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []))
    reader.start()
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    # A line cut by the kill has no newline and was never acknowledged.
    return [line.split() for line in lines if line.endswith("\n")]


def test_kill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    rng = random.Random()
    data_dir = tmp_path / "data"
    LocalCaseStore(data_dir)  # created once, before any kill
    acked_blobs: list[str] = []
    acked_txns: dict[str, int] = {}
    for rnd in "abcdef":
        acks = run_and_kill(data_dir, rnd, rng.uniform(0.4, 1.2))
        acked_blobs += [a[1] for a in acks if a[0] in ("blob", "upload")]
        claimed = [a[1] for a in acks if a[0] == "claim"]
        txns = [int(a[1]) for a in acks if a[0] == "txn"]
        acked_txns[rnd] = max(txns, default=-1)
        check(data_dir, acked_blobs, acked_txns)
        for key in claimed:
            assert (data_dir / "blobs" / key).exists()
    assert len(acked_blobs) > 10, "the writer hardly ran; the test proves little"


def check(data_dir: Path, acked_blobs: list[str], acked_txns: dict[str, int]) -> None:
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = LocalCaseStore(data_dir)
    for key in acked_blobs:
        assert store.get_blob(key) == content(key), key
    # Whatever is visible is whole, acknowledged or not.
    for d in ("blobs", "uploads"):
        for path in (data_dir / d).iterdir():
            assert path.read_bytes() == content(path.name), path
    for rnd, last_acked in acked_txns.items():
        counter = store.get("w", rnd + "-counter")
        n = -1 if counter is None else counter.data["n"]
        # The kill may land after the commit but before the acknowledgement.
        assert n in (last_acked, last_acked + 1)
        rows = store.query("w", prefix=rnd + "-0")
        assert [r.data["i"] for r in rows] == list(range(n + 1))  # all or nothing
        assert counter is None or counter.version == n + 1
        for r in rows:
            assert store.get_blob(r.data["blob"]) == content(r.data["blob"])
