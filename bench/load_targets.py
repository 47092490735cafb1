"""Where ``bench/load.py`` sends its load: ``candor serve`` in a subprocess
on a fresh data directory, or the packaged Lambda handler on moto
(``tests/awslambda/packaged.py``), each with a way to read its storage
directly afterwards."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load_traffic import LoadTransport, Recorder, TransportFailed

from candor.keyfile import KeyFile
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]
# A load test measures the server, not its throttling: the buckets of
# ``candor serve --rate --burst`` are set far above what loopback can send.
RATE, BURST = 100_000, 100_000
JSON = {"Content-Type": "application/json"}


@dataclass
class Target:
    """A running API to load, and how to read its storage afterwards."""

    name: str
    url: str
    command: str
    manifest: Mapping[str, Any]
    members: Sequence[KeyFile]
    pid: int | None
    stop: Callable[[], None]
    open_store: Callable[[], Any]  # after stop()
    blob_names: Callable[[], set[str]]
    leftovers: Callable[[], list[str]]


def serve_flags() -> list[str]:
    """``--rate``/``--burst`` when this ``candor serve`` has them."""
    usage = subprocess.run([sys.executable, "-m", "candor", "serve", "--help"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    return ["--rate", str(RATE), "--burst", str(BURST)] if "--rate" in usage else []


@contextlib.contextmanager
def serve_target(tmp: Path, team: Team) -> Iterator[Target]:
    """``candor serve`` on loopback, on a fresh data directory with ``team``."""
    data = tmp / "data"
    team_roster.bootstrap(Context(LocalCaseStore(data)), team.manifest)
    args = ["serve", "--data-dir", str(data), "--host", "127.0.0.1", "--port", "0",
            *serve_flags()]
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 -- closed below
    proc = subprocess.Popen([sys.executable, "-m", "candor", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=log,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)

    try:
        url = _announced_url(proc)
        yield Target("serve", url, "candor " + " ".join(args).replace(str(tmp), "$TMP"),
                     team.manifest, [m.key for m in team.members], proc.pid, stop,
                     lambda: LocalCaseStore(data),
                     lambda: set(os.listdir(data / "blobs")),
                     lambda: sorted(os.listdir(data / "tmp")))
    finally:
        stop()
        log.close()


def _announced_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("candor serve exited before it listened")
        found = re.search(r"Reporter page:\s+(http://\S+?)/?$", line.strip())
        if found:
            # Its later lines would fill the pipe and block the server.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return found.group(1)
    proc.kill()
    raise RuntimeError("candor serve did not start")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_up(url: str, calls: int) -> None:
    """Untimed calls at once, so that every execution environment has
    made its SDK clients (a cold start's tail) before the load."""
    def call() -> None:
        transport = LoadTransport(url, Recorder(), time.monotonic() + 120)
        for method, path, body in (("GET", "/v1/manifest", b""),
                                   ("POST", "/v1/attachments", b'{"size": 1}')):
            with contextlib.suppress(TransportFailed):
                transport.send(method, path, JSON if body else {}, body)
        transport.close()

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


LAMBDA_WORKERS = 2  # runtime processes: concurrent execution environments


@contextlib.contextmanager
def lambda_target(tmp: Path, team: Team) -> Iterator[Target]:
    """The packaged handler as Lambda runs it (``tests/awslambda/packaged.py``):
    ``LAMBDA_WORKERS`` runtime processes behind an API Gateway-like proxy,
    DynamoDB and S3 on moto's server."""
    import boto3

    from tests.awslambda.packaged import packaged_lambda

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server: a line a request
    with packaged_lambda(tmp, manifest=team.manifest, workers=LAMBDA_WORKERS) as fn:
        fn.wait_ready()
        warm_up(fn.url, 2 * LAMBDA_WORKERS)
        store = fn.store()

        def blob_names() -> set[str]:
            pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(
                Bucket=fn.bucket, Prefix="blobs/")
            return {o["Key"].removeprefix("blobs/") for p in pages for o in p.get("Contents", [])}

        yield Target("lambda", fn.url, f"packaged handler, {LAMBDA_WORKERS} runtime processes, "
                     "DynamoDB and S3 on moto's server", team.manifest,
                     [m.key for m in team.members], None, lambda: None, lambda: store,
                     blob_names, list)


TARGETS: dict[str, Callable[[Path, Team], contextlib.AbstractContextManager[Target]]] = {
    "serve": serve_target,
    "lambda": lambda_target,
}
