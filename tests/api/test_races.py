"""Concurrency: one receipt, many rotations (protocol §3.3), on every backend."""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from candor import documents
from candor.client import ApiError
from candor.receipt import Receipt
from candor.reporter import submit
from chalicelib.b64 import b64u_decode, b64u_encode
from tests.support.team import Api

RACERS = 100


def test_exactly_one_of_100_concurrent_rotations_wins(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "race"})
    status = api.anonymous.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                                signed=False)
    state = documents.open_case_state(b64u_decode(status["sealed_identity"]), sub.receipt)
    bodies = []
    for _ in range(RACERS):
        new = Receipt.generate()
        bodies.append((new, {
            "auth": sub.receipt.auth_b64, "token_id": new.token_id,
            "sealed_identity": b64u_encode(documents.seal_case_state(state, new)),
            "visit": b64u_encode(hashlib.sha256(os.urandom(32)).digest()),
        }))
    start = threading.Barrier(RACERS)

    def rotate(body: dict[str, str]) -> str:
        start.wait()
        try:
            api.anonymous.call("POST", "/v1/followup/rotate", body, signed=False)
            return "ok"
        except ApiError as exc:
            return f"{exc.status} {exc.code}"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(rotate, [b for _, b in bodies]))
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "404 receipt_unknown"}
    winner = bodies[outcomes.index("ok")][0]

    def opens(receipt: Receipt) -> str:
        try:
            api.anonymous.call("POST", "/v1/followup/open", {"auth": receipt.auth_b64},
                               signed=False)
            return "open"
        except ApiError as exc:
            return exc.code

    assert [opens(new) for new, _ in bodies] == [
        "open" if new is winner else "receipt_unknown" for new, _ in bodies]
