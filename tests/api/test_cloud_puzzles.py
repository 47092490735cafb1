"""Client puzzles in the Lambda handler (protocol §4.1): the Chalice app
in-process, called with API Gateway's events, on the aws backend (moto).

Each execution environment keeps its own buckets; a proof's digest is
recorded in DynamoDB, so a proof buys one call in all environments. A
second environment is a second gate on the same table (the packaged-Lambda
test runs real separate processes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import puzzle as solver
from chalicelib import gate, puzzle
from chalicelib.config import Puzzles, Settings, load_settings
from chalicelib.http import runtime
from chalicelib.store import keys
from tests.backends import FakeClock, make_store
from tests.support.team import BASE_URL, Api, Team, make_api

SECRET = b"cloud-puzzle-test-secret-0123456789"
BURST = 4
OPEN = "/v1/followup/open"
BODY = b'{"auth":"not-a-receipt"}'


class _LambdaContext:
    function_name = "candor-test-api"
    aws_request_id = "request"


def call(path: str, body: bytes = BODY, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], dict[str, Any]]:
    """One POST as API Gateway delivers it (stage v1api) to the Lambda handler."""
    from app import app

    sent = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7",
            **(headers or {})}
    # A route with a parameter ("/v1/attachments/{attachment_id}/parts") is
    # called for an attachment nobody announced.
    params = dict.fromkeys(re.findall(r"\{(\w+)\}", path), "a_" + "A" * 22)
    called = re.sub(r"\{\w+\}", "a_" + "A" * 22, path)
    event = {
        "resource": path, "path": called, "httpMethod": "POST", "headers": sent,
        "multiValueHeaders": {k: [v] for k, v in sent.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": "POST", "stage": "v1api",
                           "path": "/v1api" + called,
                           "identity": {"sourceIp": "198.51.100.7"}},
        "body": body.decode(), "isBase64Encoded": False,
    }
    answer = app(event, _LambdaContext())
    return (int(answer["statusCode"]), dict(answer.get("headers") or {}),
            json.loads(answer.get("body") or "{}"))


@pytest.fixture
def cloud(tmp_path: Path, team: Team) -> Iterator[Api]:
    """The app as the Lambda handler runs it: aws backend, puzzles on, an
    environment's bucket of BURST calls refilling slowly."""
    clock = FakeClock()
    with make_store("aws", tmp_path, clock=clock) as store:
        api = make_api(store, team, clock)
        runtime.configure(api.ctx, Settings(public_base_url=BASE_URL, puzzles=Puzzles(
            SECRET, rate=0.01, burst=BURST)))
        gate._gates.clear()
        yield api
        gate._gates.clear()


def flood(path: str = OPEN, calls: int = BURST) -> list[int]:
    return [call(path)[0] for _ in range(calls)]


def solved(headers: dict[str, str], path: str = OPEN, body: bytes = BODY) -> dict[str, str]:
    challenge = puzzle.parse_challenge(headers[puzzle.CHALLENGE_HEADER])
    return {puzzle.PROOF_HEADER: solver.solve(challenge, "POST", path, body).header()}


def test_a_flood_gets_a_challenge_and_a_proof_buys_one_call(cloud: Api) -> None:
    # Under the low-water mark (a quarter of the burst) the calls pass;
    # then every unproven reporter call is asked for work.
    assert flood(calls=BURST + 1) == [404] * BURST + [429]
    status, headers, answer = call(OPEN)
    assert (status, answer["error"]["code"]) == (429, "puzzle_required")
    assert int(headers["Retry-After"]) >= 1
    proof = solved(headers)
    # The proof passes the gate; the app then answers the call itself.
    status, _, answer = call(OPEN, headers=proof)
    assert (status, answer["error"]["code"]) == (404, "receipt_unknown")
    # Its replay is refused and asked for new work.
    status, headers, answer = call(OPEN, headers=proof)
    assert (status, answer["error"]["code"]) == (429, "puzzle_required")
    # A proof binds its body: another body is not paid for.
    status, _, answer = call(OPEN, body=b'{"auth":"other"}', headers=solved(headers))
    assert (status, answer["error"]["code"]) == (429, "puzzle_required")


def test_a_proof_spent_in_one_environment_is_refused_in_another(cloud: Api) -> None:
    flood(calls=BURST + 1)
    _, headers, _ = call(OPEN)
    proof = solved(headers)
    assert call(OPEN, headers=proof)[0] == 404
    record = cloud.store.get(keys.puzzle_proof(_digest(proof)))
    assert record is not None and record.data == {}  # the digest, nothing about a client
    assert record.expires is not None and record.expires <= cloud.ctx.epoch() + 3 * 60

    gate._gates.clear()  # a second execution environment: fresh buckets, nothing admitted yet
    flood(calls=BURST + 1)
    status, headers, answer = call(OPEN, headers=proof)
    assert (status, answer["error"]["code"]) == (429, "puzzle_required")
    # The same environment admits a proof nobody spent.
    assert call(OPEN, headers=solved(headers))[0] == 404


def test_every_anonymous_post_is_gated_and_the_manifest_is_not(cloud: Api) -> None:
    from chalicelib.load import PUZZLE_PATHS

    flood(calls=BURST + 1)
    for path in sorted(PUZZLE_PATHS):
        status, headers, answer = call(path, b"{}")
        assert (status, answer["error"]["code"]) == (429, "puzzle_required"), path
        assert puzzle.CHALLENGE_HEADER in headers
    # The team's routes and the manifest are API Gateway's to throttle.
    assert cloud.anonymous.call("GET", "/v1/manifest", signed=False)["manifests"]


def test_without_a_secret_the_app_leaves_puzzles_to_candor_serve(cloud: Api) -> None:
    runtime.configure(cloud.ctx, Settings(public_base_url=BASE_URL))
    assert {s for s in flood(calls=3 * BURST)} == {404}


def test_candor_serve_checks_puzzles_before_the_app_and_never_in_it(tmp_path: Path) -> None:
    from candor.serve import make_server
    from chalicelib.store.local import LocalCaseStore

    settings = Settings(puzzles=Puzzles(SECRET))
    server = make_server(settings, LocalCaseStore(tmp_path / "data"), None, "127.0.0.1", 0)
    try:
        assert not runtime.settings.puzzles.on
    finally:
        server.server_close()


def test_settings_read_the_function_environment() -> None:
    puzzles = load_settings({"CANDOR_PUZZLE_SECRET": SECRET.decode(), "CANDOR_PUZZLE_RATE": "2.5",
                             "CANDOR_PUZZLE_BURST": "9"}).puzzles
    assert puzzles == Puzzles(SECRET, 2.5, 9) and puzzles.on
    assert not load_settings({}).puzzles.on
    for bad in ({"CANDOR_PUZZLE_SECRET": "short"}, {"CANDOR_PUZZLE_RATE": "0"},
                {"CANDOR_PUZZLE_RATE": "nan"}, {"CANDOR_PUZZLE_BURST": "0"}):
        with pytest.raises(ValueError, match="CANDOR_PUZZLE"):
            load_settings(bad)


def _digest(proof_headers: dict[str, str]) -> bytes:
    proof = puzzle.parse_proof(proof_headers[puzzle.PROOF_HEADER])
    return puzzle.proof_digest(proof, "POST", OPEN, BODY)


def test_only_new_proofs_with_capacity_cost_a_write() -> None:
    """A replay in the same environment, or a proof that finds no capacity,
    is refused before the shared store is asked: a flood replaying one
    proof costs at most one write per environment."""
    from chalicelib.load import PuzzleGate, TokenBucket

    writes: list[bytes] = []
    spent_elsewhere: set[bytes] = set()

    def record(digest: bytes) -> bool:
        writes.append(digest)
        return digest not in spent_elsewhere

    clock = FakeClock()
    gate_ = PuzzleGate(TokenBucket(0.001, 2), secret=SECRET, clock=clock.time, record=record)

    def proof(body: bytes) -> str:
        return solver.solve(gate_.challenge(), "POST", OPEN, body).header()

    first = proof(b"1")
    assert gate_.admit(first, "POST", OPEN, b"1") and len(writes) == 1
    assert not gate_.admit(first, "POST", OPEN, b"1") and len(writes) == 1
    elsewhere = proof(b"2")
    spent_elsewhere.add(puzzle.proof_digest(puzzle.parse_proof(elsewhere), "POST", OPEN, b"2"))
    assert not gate_.admit(elsewhere, "POST", OPEN, b"2") and len(writes) == 2
    assert not gate_.admit(elsewhere, "POST", OPEN, b"2") and len(writes) == 2
    assert gate_.admit(proof(b"3"), "POST", OPEN, b"3") and len(writes) == 3
    assert not gate_.admit(proof(b"4"), "POST", OPEN, b"4") and len(writes) == 3  # bucket empty


class Timer:
    """Seconds that move only when told, as a frozen environment's would not."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_a_flood_and_a_quiet_spell_the_first_reporter_pays_the_least() -> None:
    """Steps happen on calls; a spell without calls steps down once for
    every period it lasted, not once in all."""
    from chalicelib.load import PERIOD, PuzzleGate, TokenBucket

    timer = Timer()
    gate_ = PuzzleGate(TokenBucket(0.5, 8, timer=timer), secret=SECRET, clock=FakeClock().time)
    for n in range(7):  # provers use up the proven bucket
        assert gate_.admit(solver.solve(gate_.challenge(), "POST", OPEN, b"%d" % n).header(),
                           "POST", OPEN, b"%d" % n)
    for _ in range(6):  # and the difficulty rises while they do
        timer.now += PERIOD
        gate_.challenge()
        gate_.proven = TokenBucket(0.5, 8, timer=timer)
        for _ in range(6):
            gate_.proven.take()
    assert gate_.bits == puzzle.MIN_BITS + 6
    timer.now += 60  # the flood is over; nobody calls for a minute
    assert gate_.challenge().bits == puzzle.MIN_BITS


def test_the_lambda_gate_keeps_time_by_the_wall_clock(cloud: Api) -> None:
    """Lambda may stop the monotonic clock while an environment is frozen
    between calls: a bucket a flood emptied must refill all the same."""
    import time

    flood(calls=BURST + 1)
    app_gate = gate.current()
    assert app_gate is not None and app_gate.gate.anonymous.timer is time.time
    assert app_gate.gate.needed()
    bucket = app_gate.gate.anonymous
    bucket._at -= BURST / bucket.rate  # as if the environment slept that long
    assert not app_gate.gate.needed()
