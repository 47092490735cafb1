"""Protocol §4.1's contract for one answer: its headers, and for an error its
shape and the one status of its code. Used by the route walks of the Chalice
app (tests/api/test_error_contract.py) and of candor serve (tests/cli/test_serve.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from chalicelib.errors import STATUS

HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer",
           "x-content-type-options": "nosniff"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO")
SAMPLE_IDS = {"case_id": "c_" + "A" * 22, "blob_id": "b_" + "A" * 22,
              "member_id": "m_" + "A" * 20}


def route_paths(routes: Mapping[str, object]) -> list[tuple[str, str]]:
    """Each route as (resource, path) with sample ids for its parameters."""
    out = []
    for resource in routes:
        path = resource
        for name, value in SAMPLE_IDS.items():
            path = path.replace("{" + name + "}", value)
        out.append((resource, path))
    return out


def check(where: str, status: int, headers: Mapping[str, str], body: bytes,
          *, head: bool = False) -> None:
    """Fail unless the answer follows protocol §4.1."""
    lower = {k.lower(): v for k, v in headers.items()}
    assert {k: lower.get(k) for k in HEADERS} == HEADERS, (where, status, headers)
    assert "set-cookie" not in lower, where
    assert status in set(STATUS.values()) or status < 400, (where, status)
    if status < 400 or head:
        return
    assert lower.get("content-type") == "application/json; charset=utf-8", (where, headers)
    answer = json.loads(body)
    assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}, where
    assert STATUS[answer["error"]["code"]] == status, (where, status, answer)
    assert isinstance(answer["error"]["message"], str), where
