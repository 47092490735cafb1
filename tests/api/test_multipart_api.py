"""Attachments sent in parts through the API (protocol §4.2), with small parts.

Uploads need a real HTTP endpoint, which in-process moto lacks: the flows run
on the local store and on moto's server (whose 5 MiB floor for parts but the
last is lowered here); the refusals that send no part run on every backend.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Any

import pytest

from candor import documents
from candor.client import ApiClient, ApiError, InProcessTransport
from candor.receipt import Receipt
from candor.reporter import Evidence, follow_up, submit
from chalicelib.config import KiB, Limits, load_settings
from tests.support.team import BASE_URL, Api

FORM = {"category": "confidential-leak", "summary": "Roadmap on a forum",
        "details": "Posted yesterday at 21:00 by an account I recognise."}
LIMITS = Limits(multipart_above=64 * KiB, part_size=32 * KiB)


@pytest.fixture
def mp_api(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", KiB)
    ctx = dataclasses.replace(api.ctx, limits=LIMITS)
    return dataclasses.replace(api, ctx=ctx, transport=InProcessTransport(api.store, BASE_URL, ctx))


def _error(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as exc:
        call()
    return _error(exc)


def _send(anon: ApiClient, attachment_id: str, sealed: bytes, size: int,
          numbers: list[int]) -> None:
    answer = anon.call("POST", f"/v1/attachments/{attachment_id}/parts", {"numbers": numbers},
                       signed=False)
    assert [p["number"] for p in answer["parts"]] == numbers
    for part in answer["parts"]:
        n = part["number"]
        anon.upload(part, sealed[(n - 1) * size:n * size])


def test_announce_chooses_one_put_or_parts(mp_api: Api) -> None:
    anon = mp_api.anonymous
    single = anon.call("POST", "/v1/attachments", {"size": 64 * KiB}, signed=False)
    assert set(single) == {"id", "upload"}
    parts = anon.call("POST", "/v1/attachments", {"size": 64 * KiB + 1}, signed=False)
    assert set(parts) == {"id", "parts"}
    assert parts["parts"] == {"size": 32 * KiB, "count": 3}  # the last part is 1 byte
    # No more than 10,000 parts: a larger attachment gets larger parts.
    small = dataclasses.replace(mp_api.ctx, limits=dataclasses.replace(LIMITS, part_size=1))
    transport = InProcessTransport(mp_api.store, BASE_URL, small)
    many = ApiClient(transport).call("POST", "/v1/attachments", {"size": 100_001}, signed=False)
    assert many["parts"] == {"size": 11, "count": 9091}


@pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)
def test_large_attachment_round_trip(mp_api: Api) -> None:
    data = os.urandom(150 * KiB)
    sub = submit(mp_api.anonymous, mp_api.team.manifest, FORM,
                 files=[Evidence("video.bin", data)])
    visit = follow_up(mp_api.anonymous, sub.receipt, mp_api.team.manifest)
    [entry] = visit.read_report()["attachments"]
    sealed = mp_api.anonymous.download(visit.fetch(entry["id"])["url"])
    assert len(sealed) > LIMITS.multipart_above
    assert hashlib.sha256(sealed).hexdigest() == entry["sha256"]
    assert documents.open_attachment(sealed, [visit.state["identity"]], entry) == data


def test_part_requests_refused(mp_api: Api) -> None:
    anon = mp_api.anonymous
    aid = anon.call("POST", "/v1/attachments", {"size": 100 * KiB}, signed=False)["id"]
    parts = f"/v1/attachments/{aid}/parts"
    for bad in ([], [0], [5], [1, 1], ["1"], [True], [1.0], list(range(1, 18)), "1", None):
        assert _refused(lambda b=bad: anon.call("POST", parts, {"numbers": b},
                                                signed=False)) == (400, "malformed")
    assert _refused(lambda: anon.call("POST", parts, {"numbers": [1], "x": 1},
                                      signed=False)) == (400, "malformed")
    assert _refused(lambda: anon.call("POST", f"/v1/attachments/{aid}/complete", {"x": 1},
                                      signed=False)) == (400, "malformed")
    single = anon.call("POST", "/v1/attachments", {"size": 1000}, signed=False)["id"]
    for unknown in ("a_" + "A" * 22, "nonsense", single):
        for route, body in (("parts", {"numbers": [1]}), ("complete", {})):
            assert _refused(lambda u=unknown, r=route, b=body: anon.call(
                "POST", f"/v1/attachments/{u}/{r}", b, signed=False)) == (404, "not_found")
    # Nothing sent yet: completion is refused, and so is a claim.
    assert _refused(lambda: anon.call("POST", f"/v1/attachments/{aid}/complete", {},
                                      signed=False)) == (422, "attachment_missing")
    # 24 h after the announcement the upload is gone.
    mp_api.clock.advance(24 * 3600 + 1)
    assert _refused(lambda: anon.call("POST", parts, {"numbers": [1]},
                                      signed=False)) == (404, "not_found")


@pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)
def test_completion_and_claim(mp_api: Api) -> None:
    anon = mp_api.anonymous
    sub = submit(anon, mp_api.team.manifest, FORM)
    sealed = documents.seal_attachment(os.urandom(100 * KiB), [sub.body["reply_to"]])
    announced = anon.call("POST", "/v1/attachments", {"size": len(sealed)}, signed=False)
    aid, size, count = announced["id"], announced["parts"]["size"], announced["parts"]["count"]
    base = f"/v1/attachments/{aid}"
    claim = {**sub.body, "token_id": Receipt.generate().token_id, "attachments": [aid]}
    _send(anon, aid, sealed, size, list(range(1, count)))  # all but the last
    assert _refused(lambda: anon.call("POST", "/v1/reports", claim,
                                      signed=False)) == (422, "attachment_missing")
    assert _refused(lambda: anon.call("POST", f"{base}/complete", {},
                                      signed=False)) == (422, "attachment_missing")
    _send(anon, aid, sealed, size, [count, 1])  # the last, and the first again
    assert anon.call("POST", f"{base}/complete", {}, signed=False) == {}
    assert anon.call("POST", f"{base}/complete", {}, signed=False) == {}  # a retry
    assert _refused(lambda: anon.call("POST", f"{base}/parts", {"numbers": [1]},
                                      signed=False)) == (409, "conflict")
    anon.call("POST", "/v1/reports", claim, signed=False)
    for route, body in (("parts", {"numbers": [1]}), ("complete", {})):
        assert _refused(lambda r=route, b=body: anon.call(
            "POST", f"{base}/{r}", b, signed=False)) == (409, "attachment_claimed")
    assert mp_api.store.get_blob(aid) == sealed


def test_part_settings() -> None:
    env = {"CANDOR_PART_SIZE": "65536", "CANDOR_MULTIPART_ABOVE": "131072"}
    assert load_settings(env).limits == Limits(part_size=65536, multipart_above=131072)
    assert load_settings({}).limits == Limits()
    for bad in ({"CANDOR_PART_SIZE": "0"}, {"CANDOR_MULTIPART_ABOVE": "-1"},
                {"CANDOR_PART_SIZE": "8M"}, {**env, "CANDOR_BACKEND": "aws"}):
        with pytest.raises(ValueError, match=r"CANDOR_|invalid literal"):
            load_settings(bad)
    assert load_settings({"CANDOR_BACKEND": "aws"}).limits.part_size == 8 * 1024 * KiB
