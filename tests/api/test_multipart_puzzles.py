"""A proof of work for a route with a path parameter binds the path the
client called (protocol §4.1), as for the other reporter routes: the parts
and completion of an attachment sent in parts (protocol §4.2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import puzzle as solver
from chalicelib import gate, puzzle
from chalicelib.config import Puzzles, Settings
from chalicelib.http import runtime
from tests.backends import FakeClock, make_store
from tests.support.team import BASE_URL, Api, Team, make_api

SECRET = b"multipart-puzzle-test-secret-0123456789"
BURST = 4
ROUTE = "/v1/attachments/{attachment_id}/complete"


class _LambdaContext:
    function_name = "candor-test-api"
    aws_request_id = "request"


def call(attachment_id: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """One POST of the completion route as API Gateway delivers it."""
    from app import app

    path = ROUTE.replace("{attachment_id}", attachment_id)
    sent = {"Content-Type": "application/json", **(headers or {})}
    event = {
        "resource": ROUTE, "path": path, "httpMethod": "POST", "headers": sent,
        "multiValueHeaders": {k: [v] for k, v in sent.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"attachment_id": attachment_id}, "stageVariables": None,
        "requestContext": {"resourcePath": ROUTE, "httpMethod": "POST", "stage": "v1api",
                           "path": "/v1api" + path},
        "body": "{}", "isBase64Encoded": False,
    }
    answer = app(event, _LambdaContext())
    return int(answer["statusCode"]), answer.get("headers") or {}, json.loads(answer["body"])


@pytest.fixture
def cloud(tmp_path: Path, team: Team) -> Iterator[Api]:
    clock = FakeClock()
    with make_store("aws", tmp_path, clock=clock) as store:
        api = make_api(store, team, clock)
        runtime.configure(api.ctx, Settings(public_base_url=BASE_URL, puzzles=Puzzles(
            SECRET, rate=0.01, burst=BURST)))
        gate._gates.clear()
        yield api
        gate._gates.clear()


def test_a_proof_binds_the_called_path(cloud: Api) -> None:
    aid = "a_" + "A" * 22
    assert [call(aid)[0] for _ in range(BURST + 1)] == [404] * BURST + [429]
    _, headers, _ = call(aid)
    challenge = puzzle.parse_challenge(headers[puzzle.CHALLENGE_HEADER])
    path = ROUTE.replace("{attachment_id}", aid)
    proof = solver.solve(challenge, "POST", path, b"{}").header()
    status, _, answer = call(aid, {puzzle.PROOF_HEADER: proof})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    # A proof for another attachment's path is not paid for this one.
    other = solver.solve(challenge, "POST", path.replace("AAAA", "BBBB"), b"{}").header()
    status, _, answer = call(aid, {puzzle.PROOF_HEADER: other})
    assert (status, answer["error"]["code"]) == (429, "puzzle_required")
