"""A found receipt proves nothing (protocol §3.3, §4.1): once rotated, its
``token_id`` is forgotten, and every reporter route answers it exactly as
it answers a receipt that was never issued."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from candor.receipt import Receipt
from candor.reporter import follow_up, submit
from chalicelib.b64 import b64u_encode
from chalicelib.store import keys
from tests.support.team import Api

JUNK = b64u_encode(b"not an age file")


def _bodies(admin: str) -> dict[str, Callable[[Receipt], dict[str, Any]]]:
    """Per reporter route, a request an attacker holding ``receipt`` could send."""
    visit = b64u_encode(os.urandom(32))
    fresh = Receipt.generate().token_id
    return {
        "/v1/reports": lambda r: {
            "report": JUNK, "token_id": r.token_id, "sealed_identity": JUNK,
            "reply_to": "not a recipient", "access": [admin], "attachments": []},
        "/v1/followup/open": lambda r: {"auth": r.auth_b64},
        "/v1/followup/rotate": lambda r: {
            "auth": r.auth_b64, "token_id": fresh, "sealed_identity": JUNK, "visit": visit},
        "/v1/followup/thread": lambda r: {"auth": r.auth_b64, "visit": visit},
        "/v1/followup/fetch": lambda r: {"auth": r.auth_b64, "visit": visit,
                                         "id": "b_AAAAAAAAAAAAAAAAAAAAAA"},
        "/v1/followup/messages": lambda r: {
            "auth": r.auth_b64, "visit": visit, "id": "b_AAAAAAAAAAAAAAAAAAAAAA",
            "message": JUNK, "attachments": []},
    }


def _answer(api: Api, route: str, body: dict[str, Any]) -> tuple[object, ...]:
    """Everything an answer shows: status, code, body shape and headers."""
    raw = json.dumps(body).encode()
    answer = api.transport._gateway.handle_request(
        "POST", route, {"content-type": "application/json"}, raw)
    parsed = json.loads(answer["body"] or "null")
    shape = {k: sorted(v) if isinstance(v, dict) else type(v).__name__
             for k, v in parsed.items()} if isinstance(parsed, dict) else parsed
    code = parsed.get("error", {}).get("code") if isinstance(parsed, dict) else None
    return answer["statusCode"], code, shape, sorted(answer["headers"].items())


def test_a_rotated_receipt_answers_like_one_never_issued(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "found on a laptop"})
    first = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    follow_up(api.anonymous, first.receipt, api.team.manifest)
    retired = [sub.receipt, first.receipt]

    # Nothing stored tells that these token_ids were ever issued.
    for receipt in retired:
        assert api.store.get(keys.receipt(receipt.token_id)) is None

    never = Receipt.generate()
    for route, body in _bodies(api.team.admin.id).items():
        expected = _answer(api, route, body(never))
        assert expected[0] in (404, 422), (route, expected)
        for receipt in retired:
            assert _answer(api, route, body(receipt)) == expected, route


@pytest.mark.parametrize("store_kind", ["local"], indirect=True)
def test_a_retired_record_of_an_older_release_is_no_oracle(api: Api) -> None:
    """Stores written before the fix still hold ``{"case": null}`` records."""
    sub = submit(api.anonymous, api.team.manifest, {"summary": "older release"})
    follow_up(api.anonymous, sub.receipt, api.team.manifest)
    api.store.transact([keys.receipt(sub.receipt.token_id).put({"case": None})])
    never = Receipt.generate()
    for route, body in _bodies(api.team.admin.id).items():
        assert _answer(api, route, body(sub.receipt)) == _answer(api, route, body(never)), route
