"""``candor serve`` under more clients than its buckets pay for (issue 14):
every refusal is a clean 429 in protocol §4.1's shape, with ``Retry-After``
and ``Connection: close``, after the body was read, so clients on real
keep-alive connections never see a reset or a dropped connection."""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from candor.client import ApiClient, ApiError, HttpTransport
from candor.puzzle import solve
from candor.reporter import submit
from candor.serve import add_throttle_arguments, make_server, throttle_of
from chalicelib import puzzle
from chalicelib.config import Settings
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.support import contract
from tests.support.team import Team

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


def _kind(status: int, headers: dict[str, str], payload: bytes, admitted: set[int]) -> str:
    if status != 429:
        assert status in admitted, (status, payload[:200])
        return "admitted"
    contract.check("429", status, headers, payload)
    assert int(headers["Retry-After"]) >= 1, headers
    assert headers["Connection"] == "close", headers
    return str(json.loads(payload)["error"]["code"])


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
            try:
                seen[_kind(resp.status, dict(resp.getheaders()), payload, admitted)] += 1
            except AssertionError as exc:  # a thread's failure would only warn
                errors.append(f"{method} {path}: {exc!r}"[:300])
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
    conn.putheader("Content-Length", str(8 << 20))
    conn.endheaders()
    resp = conn.getresponse()  # nothing of the 8 MiB was sent, nor read
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


def test_the_cli_sets_the_bucket(tmp_path: Path, team: Team) -> None:
    """``candor serve --rate 1 --burst 2``: the third call at once is refused."""
    data = tmp_path / "data"
    team_roster.bootstrap(Context(LocalCaseStore(data)), team.manifest)
    proc = subprocess.Popen(
        [sys.executable, "-m", "candor", "serve", "--data-dir", str(data), "--port", "0",
         "--rate", "1", "--burst", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        host = next(line.split("//")[1].strip().rstrip("/") for line in proc.stdout
                    if line.startswith("Reporter page:"))
        statuses = []
        for _ in range(3):
            conn = http.client.HTTPConnection(host, timeout=10)
            conn.request("GET", "/v1/manifest")
            statuses.append(conn.getresponse().status)
            conn.close()
        assert statuses == [200, 200, 429]
    finally:
        proc.kill()
        proc.wait()


def test_answers_are_not_held_back_by_nagle(tmp_path: Path) -> None:
    """Every accepted connection has TCP_NODELAY (see Handler)."""
    seen: list[int] = []
    store = LocalCaseStore(tmp_path / "data")
    server = make_server(Settings(), store, None, "127.0.0.1", 0)
    bound = server.RequestHandlerClass

    class Recording(bound):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            super().setup()
            seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server.RequestHandlerClass = Recording
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection(f"127.0.0.1:{server.server_address[1]}", timeout=10)
        conn.request("GET", "/v1/manifest")
        conn.getresponse().read()
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
    assert seen and all(seen), seen


def _drain(host: str) -> None:
    """Empty the anonymous bucket with reads that take no puzzle."""
    for _ in range(8):
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.request("GET", "/v1/manifest")
        conn.getresponse().read()
        conn.close()


def _post(host: str, path: str, body: bytes,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={**JSON, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_a_low_bucket_asks_reporter_routes_for_a_puzzle(empty: str) -> None:
    _drain(empty)
    body = b'{"size": 1000}'
    status, headers, payload = _post(empty, "/v1/attachments", body)
    contract.check("puzzle", status, headers, payload)
    assert json.loads(payload)["error"]["code"] == "puzzle_required"
    assert int(headers["Retry-After"]) >= 1 and headers["Connection"] == "close"
    challenge = puzzle.parse_challenge(headers["Candor-Puzzle"])
    proof = solve(challenge, "POST", "/v1/attachments", body).header()
    status, _, payload = _post(empty, "/v1/attachments", body, {"Candor-Proof": proof})
    assert status == 201, payload
    status, headers, payload = _post(empty, "/v1/attachments", body, {"Candor-Proof": proof})
    assert (status, json.loads(payload)["error"]["code"]) == (429, "puzzle_required")  # replayed
    # A read by GET takes no puzzle and stays throttled.
    conn = http.client.HTTPConnection(empty, timeout=10)
    conn.request("GET", "/v1/manifest")
    resp = conn.getresponse()
    assert json.loads(resp.read())["error"]["code"] == "throttled"


def test_the_cli_solves_the_puzzle_and_gets_through(empty: str) -> None:
    _drain(empty)
    sleeps: list[float] = []
    api = ApiClient(HttpTransport("http://" + empty, sleep=sleeps.append))
    assert api.call("POST", "/v1/attachments", {"size": 1000}, signed=False)["id"]
    assert sleeps == []  # a puzzle is answered at once
    with pytest.raises(ApiError) as refused:  # Retry-After is far beyond the cap: no wait
        api.call("GET", "/v1/manifest", signed=False)
    assert (refused.value.status, refused.value.code, sleeps) == (429, "throttled", [])


@pytest.fixture
def one_a_second(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, rate=1.0, burst=1)


def test_the_cli_waits_for_retry_after_and_retries(one_a_second: str) -> None:
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)

    api = ApiClient(HttpTransport("http://" + one_a_second, sleep=sleep))
    for _ in range(2):
        assert "manifests" in api.call("GET", "/v1/manifest", signed=False)
    assert waited and all(1.0 <= w <= 1.25 for w in waited), waited


@pytest.fixture
def no_puzzles(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, rate=0.001, burst=1, puzzles=False)


def test_without_puzzles_a_low_bucket_only_throttles(no_puzzles: str) -> None:
    _drain(no_puzzles)
    status, headers, payload = _post(no_puzzles, "/v1/attachments", b'{"size": 1000}')
    assert (status, json.loads(payload)["error"]["code"]) == (429, "throttled")
    assert "Candor-Puzzle" not in headers


def _flood(host: str, stop: threading.Event, counts: Counter[int]) -> None:
    """A script that sends reporter calls as fast as it can and never solves."""
    n = 0
    while not stop.is_set():
        n += 1
        path, body = (("/v1/attachments", b'{"size": %d}' % (1000 + n)) if n % 2
                      else ("/v1/followup/open", json.dumps({"auth": "A" * 43}).encode()))
        try:
            counts[_post(host, path, body)[0]] += 1
        except OSError:
            counts[0] += 1


def _during_flood(tmp_path: Path, team: Team, *, puzzles: bool) -> tuple[str, Counter[int]]:
    """A reporter's submission while four flooders keep the anonymous bucket
    (one call per five seconds) empty; what became of it, and the flood."""
    team_roster.bootstrap(Context(LocalCaseStore(tmp_path / "data")), team.manifest)
    serving = _serve(tmp_path, rate=0.2, burst=1, puzzles=puzzles)
    host = next(serving)
    stop, counts = threading.Event(), Counter[int]()
    flooders = [threading.Thread(target=_flood, args=(host, stop, counts)) for _ in range(4)]
    for f in flooders:
        f.start()
    try:
        time.sleep(0.5)
        # Retries without waiting: the reporter gets its six tries at once.
        api = ApiClient(HttpTransport("http://" + host, sleep=lambda _: None))
        try:
            submit(api, team.manifest, {"summary": "reported during a flood"})
            outcome = "completed"
        except ApiError as exc:
            outcome = exc.code
    finally:
        stop.set()
        for f in flooders:
            f.join()
        next(serving, None)
    return outcome, counts


@pytest.mark.slow
def test_a_reporter_gets_through_a_flood_only_with_puzzles(tmp_path: Path, team: Team) -> None:
    outcome, flood = _during_flood(tmp_path / "without", team, puzzles=False)
    assert outcome == "throttled" and flood[429] > 50, (outcome, flood)
    outcome, flood = _during_flood(tmp_path / "with", team, puzzles=True)
    assert outcome == "completed" and flood[429] > 50, (outcome, flood)
    assert flood[0] == 0  # no connection was dropped


class _Unavailable(http.server.BaseHTTPRequestHandler):
    """Answers 503 (Retry-After: 0) to the first ``fail`` requests, then 200."""

    fail = 2
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append("signed" if "Signature" in self.headers else "unsigned")
        failing = len(type(self).seen) <= type(self).fail
        body = b'{"error": {"code": "unavailable", "message": "x"}}' if failing else b"{}"
        self.send_response(503 if failing else 200)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_503_is_retried_only_when_unsigned(team: Team) -> None:
    """An unsigned call is sent again; a signed one is not, as the server
    may have recorded its nonce (protocol §4.3)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        _Unavailable.seen = []
        assert ApiClient(HttpTransport(base)).call("POST", "/v1/followup/open", {"auth": "x"},
                                                   signed=False) == {}
        assert _Unavailable.seen == ["unsigned"] * 3
        _Unavailable.seen = []
        with pytest.raises(ApiError) as refused:
            ApiClient(HttpTransport(base), team.admin.key).call("POST", "/v1/team/cases", {})
        assert (refused.value.status, _Unavailable.seen) == (503, ["signed"])
    finally:
        server.shutdown()
        server.server_close()
