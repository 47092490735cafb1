"""``candor serve`` under more clients than its buckets pay for (issue 14):
every refusal is a clean 429 in protocol §4.1's shape, with ``Retry-After``
and ``Connection: close``, after the body was read, so clients on real
keep-alive connections never see a reset or a dropped connection."""

from __future__ import annotations

import argparse
import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor.serve import add_throttle_arguments, make_server, throttle_of
from chalicelib.config import Settings
from chalicelib.store.local import LocalCaseStore
from tests.support import contract

JSON = {"Content-Type": "application/json"}
BIG = json.dumps({"auth": "A" * (1024 * 1024)}).encode()  # over open's 1 KiB limit: 413


def _serve(tmp_path: Path, **throttle: Any) -> Iterator[str]:
    store = LocalCaseStore(tmp_path / "data")
    server = make_server(Settings(), store, None, "127.0.0.1", 0, **throttle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, rate=5.0, burst=5)


# (method, path, body, statuses an admitted call may get)
CALLS = [
    ("GET", "/v1/manifest", b"", {200}),
    ("POST", "/v1/attachments", b'{"size": 1000}', {201}),
    ("POST", "/v1/followup/open", BIG, {413}),
]


def _client(host: str, rounds: int, seen: Counter[str], errors: list[str]) -> None:
    """One keep-alive connection, reopened only when the server says close."""
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        for n in range(rounds):
            method, path, body, admitted = CALLS[n % len(CALLS)]
            try:
                conn.request(method, path, body=body or None, headers=JSON if body else {})
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{method} {path}: {type(exc).__name__}")
                conn.close()
                continue
            headers = dict(resp.getheaders())
            if resp.status == 429:
                contract.check(path, resp.status, headers, payload)
                assert int(headers["Retry-After"]) >= 1, headers
                assert headers["Connection"] == "close", headers
                seen[json.loads(payload)["error"]["code"]] += 1
            else:
                assert resp.status in admitted, (method, path, resp.status, payload[:200])
                seen["admitted"] += 1
    finally:
        conn.close()


def test_concurrent_clients_get_clean_answers_with_retry_after(tight: str) -> None:
    seen: Counter[str] = Counter()
    errors: list[str] = []
    threads = [threading.Thread(target=_client, args=(tight, 12, seen, errors))
               for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert seen["admitted"] >= 5 and seen["throttled"] + seen["puzzle_required"] > 50, seen


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, rate=0.001, burst=1)


def test_a_body_too_large_to_drain_is_refused_and_closed(empty: str) -> None:
    """Past DRAIN_LIMIT the body is not read: the answer still goes out,
    then the connection closes."""
    conn = http.client.HTTPConnection(empty, timeout=10)
    conn.request("GET", "/v1/manifest")
    assert conn.getresponse().read()
    conn.putrequest("POST", "/v1/followup/open")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(1 << 30))
    conn.endheaders()
    resp = conn.getresponse()  # nothing of the gigabyte was sent, nor read
    assert resp.status == 429 and resp.getheader("Connection") == "close"
    assert resp.getheader("Retry-After")
    conn.close()


def test_rate_and_burst_options() -> None:
    parser = argparse.ArgumentParser()
    add_throttle_arguments(parser)
    assert throttle_of(parser.parse_args([])) == {"rate": 50.0, "burst": 200}
    assert throttle_of(parser.parse_args(["--rate", "2.5", "--burst", "7"])) == {
        "rate": 2.5, "burst": 7}
    for bad in (["--rate", "0"], ["--burst", "0"], ["--rate", "nan"]):
        with pytest.raises(ValueError, match="--rate must be above 0"):
            throttle_of(parser.parse_args(bad))
