"""Client puzzles in the packaged Lambda (protocol §4.1, issue 14): two
execution environments behind the API Gateway-like proxy, each with its
own small anonymous bucket, under a scripted flood that does no work.

A reporter's submission by candor's own client, which solves the
challenges, gets through; the same request without work does not; and a
proof buys one call whichever environment answers its replays."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from candor import puzzle as solver
from candor.client import ApiClient, HttpTransport
from candor.reporter import submit
from chalicelib import puzzle
from chalicelib.store import keys
from tests.awslambda import packaged
from tests.awslambda.packaged import PackagedLambda, packaged_lambda
from tests.support.team import Team

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lambda-package")]
# Each environment's anonymous bucket: far below what the flood sends.
PUZZLE_ENV = {"CANDOR_PUZZLE_SECRET": "packaged-lambda-puzzle-secret-0123456789",
              "CANDOR_PUZZLE_RATE": "1", "CANDOR_PUZZLE_BURST": "8"}
OPEN = "/v1/followup/open"
FLOOD_BODY = b'{"auth":"flood"}'


def post(url: str, body: bytes, headers: Mapping[str, str] | None = None
         ) -> tuple[int, dict[str, str], dict[str, Any]]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("tests only talk to loopback servers")
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, method="POST", headers=sent)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - checked above
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def code(answer: tuple[int, dict[str, str], dict[str, Any]]) -> tuple[int, str]:
    return answer[0], answer[2].get("error", {}).get("code", "")


class Flood:
    """Threads that send the same unproven call as fast as they can."""

    def __init__(self, url: str, threads: int = 3) -> None:
        self.url, self.seen = url + OPEN, Counter[tuple[int, str]]()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen[code(post(self.url, FLOOD_BODY))] += 1

    def __enter__(self) -> Flood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


@pytest.fixture
def fn(tmp_path: Path, team: Team, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackagedLambda]:
    """The packaged function with the API function's puzzle settings
    (infra/candor_infra/puzzles.py), in two execution environments."""
    environment = packaged.lambda_environment

    def with_puzzles(*args: Any, **kwargs: Any) -> dict[str, str]:
        return {**environment(*args, **kwargs), **PUZZLE_ENV}

    monkeypatch.setattr(packaged, "lambda_environment", with_puzzles)
    with packaged_lambda(tmp_path, manifest=team.manifest, workers=2) as running:
        running.wait_ready()
        yield running


def test_a_reporter_gets_through_a_flood_that_locks_out_calls_without_work(
    fn: PackagedLambda, team: Team, record_property: Any
) -> None:
    reporter = ApiClient(HttpTransport(fn.url))
    with Flood(fn.url) as flood:
        deadline = time.monotonic() + 30
        while flood.seen[(429, "puzzle_required")] < 20:  # the buckets are empty
            assert time.monotonic() < deadline, f"no challenge for the flood: {flood.seen}"
            time.sleep(0.05)
        # The same report without work is refused... (an environment the flood has not
        # drained yet, or a token refilled meanwhile, lets a probe through to the body's
        # check: each such probe spends that token, so a challenge comes within the burst)
        sealed = json.dumps({"report": "x", "token_id": "t"}).encode()
        probes = []
        while (429, "puzzle_required") not in probes:
            assert len(probes) < 40, f"reports without work were never challenged: {probes}"
            probes.append(code(post(fn.url + "/v1/reports", sealed)))
        assert set(probes) <= {(429, "puzzle_required"), (400, "malformed")}, probes
        # ...and candor's client, which solves the challenge, files it.
        filed = submit(reporter, team.manifest, {"summary": "filed during a flood"})
        after = sum(flood.seen.values())
    assert filed.receipt
    assert set(flood.seen) <= {(404, "receipt_unknown"), (429, "puzzle_required")}
    refused = flood.seen[(429, "puzzle_required")] / after
    assert refused > 0.8  # the flood's unproven calls get in only as the buckets refill
    assert fn.gateway.failures == []
    # How the runtime spreads the flood is its own business (an environment
    # that took fewer calls than its burst had no reason to ask for work).
    took = [log for log in fn.logs if "route=followup.open" in log.read_text()]
    record_property("lambda:flood calls refused with a challenge",
                    f"{refused:.1%} of {after}, over {len(took)} environments")


def every_environment_asks_for_work(fn: PackagedLambda) -> None:
    """Waits until the flood has emptied every environment's bucket."""
    deadline = time.monotonic() + 60
    while not all("status=429" in log.read_text() for log in fn.logs):
        assert time.monotonic() < deadline, "an environment never took the flood"
        time.sleep(0.1)


def test_a_proof_buys_one_call_in_whichever_environment(fn: PackagedLambda) -> None:
    with Flood(fn.url):
        every_environment_asks_for_work(fn)
        for _ in range(200):
            status, headers, _ = post(fn.url + OPEN, FLOOD_BODY)
            if status == 429 and puzzle.CHALLENGE_HEADER in headers:
                break
        else:
            raise AssertionError("no challenge under the flood")
        challenge = puzzle.parse_challenge(headers[puzzle.CHALLENGE_HEADER])
        proof = solver.solve(challenge, "POST", OPEN, FLOOD_BODY).header()
        answers = [code(post(fn.url + OPEN, FLOOD_BODY, {puzzle.PROOF_HEADER: proof}))
                   for _ in range(8)]
        # Admitted once (the app then answers the call itself), refused after,
        # by whichever environment the replay reaches.
        assert answers[0] == (404, "receipt_unknown")
        assert answers[1:] == [(429, "puzzle_required")] * 7
        digest = puzzle.proof_digest(puzzle.parse_proof(proof), "POST", OPEN, FLOOD_BODY)
        assert fn.store().get(keys.puzzle_proof(digest)) is not None  # spent cloud-wide
    assert fn.gateway.failures == []
