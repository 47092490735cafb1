"""Retention (protocol §4.7) on every backend: closed cases purged after the
retention period unless held, every blob version and index entry gone,
retired token_ids forgotten, unclaimed uploads swept."""

from __future__ import annotations

import dataclasses
import os

import pytest

from candor.client import ApiError
from candor.reporter import Evidence, follow_up, submit
from chalicelib.domain import retention
from chalicelib.store import keys
from tests.support.team import Api

DAY = 86400


def _closed_case(api: Api, store_kind: str) -> tuple[str, list[str], object]:
    files = [] if store_kind == "aws" else [Evidence("a.txt", os.urandom(100))]
    sub = submit(api.anonymous, api.team.manifest, {"summary": "old"}, files=files)
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    visit.send("one more thing")
    admin = api.as_member(api.team.admin)
    case = admin.call("GET", "/v1/team/cases")["cases"][0]
    admin.call("PATCH", f"/v1/team/cases/{case['id']}",
               {"status": "closed", "resolution": "substantiated"})
    detail = admin.call("GET", f"/v1/team/cases/{case['id']}")
    blobs = [detail["report"]["id"], *(m["id"] for m in detail["messages"]),
             *(a["id"] for a in detail["report"]["attachments"])]
    return case["id"], blobs, (sub.receipt, visit.receipt)


def _later(api: Api, days: int) -> object:
    api.clock.advance(days * DAY)
    return dataclasses.replace(api.ctx, retention_days=30)


def test_closed_cases_are_purged_after_retention(api: Api, store_kind: str) -> None:
    case_id, blobs, (retired, current) = _closed_case(api, store_kind)
    ctx = _later(api, 30)
    assert retention.run(ctx) == 0  # closed 30 days ago: kept for now
    assert api.store.get(keys.case(case_id)) is not None
    ctx = _later(api, 1)
    assert retention.run(ctx) == 1
    assert api.store.get(keys.case(case_id)) is None
    assert api.store.query(f"case#{case_id}") == []
    assert api.store.query(retention.PURGES) == []
    for blob in blobs:
        assert api.store.blob_size(blob) is None
    if store_kind != "local":
        versions = api.store._s3.list_object_versions(Bucket=api.store.bucket)
        assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    # No receipt is left: the retired one was forgotten at rotation.
    assert api.store.get(keys.receipt(retired.token_id)) is None
    assert api.store.get(keys.receipt(current.token_id)) is None
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/followup/open", {"auth": current.auth_b64},
                           signed=False)
    assert exc.value.code == "receipt_unknown"
    entries = api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"]
    purge = entries[-1]
    assert (purge["action"], purge["case"], purge["member"], purge["request"]) == (
        "case.purge", case_id, None, None)


def test_legal_hold_keeps_a_closed_case(api: Api, store_kind: str) -> None:
    case_id, _, _ = _closed_case(api, store_kind)
    api.as_member(api.team.admin).call("PATCH", f"/v1/team/cases/{case_id}",
                                       {"legal_hold": True})
    assert retention.run(_later(api, 400)) == 0
    assert api.store.get(keys.case(case_id)) is not None


def test_reopened_cases_are_kept(api: Api, store_kind: str) -> None:
    case_id, _, _ = _closed_case(api, store_kind)
    api.as_member(api.team.admin).call("PATCH", f"/v1/team/cases/{case_id}",
                                       {"status": "investigating"})
    assert retention.run(_later(api, 400)) == 0


def test_unclaimed_uploads_go_after_a_day(local_api: Api) -> None:
    announced = local_api.anonymous.call("POST", "/v1/attachments", {"size": 10}, signed=False)
    local_api.anonymous.upload(announced["upload"], b"0123456789")
    assert local_api.store.blob_size(announced["id"]) == 10
    retention.run(_later(local_api, 0))
    assert local_api.store.blob_size(announced["id"]) == 10
    api_ctx = _later(local_api, 1)
    local_api.clock.advance(60)
    retention.run(api_ctx)
    assert local_api.store.blob_size(announced["id"]) is None


def test_interrupted_purge_is_finished_by_the_next_run(
    local_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, blobs, _ = _closed_case(local_api, "local")
    ctx = _later(local_api, 31)

    def crash(*_: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(retention, "finish_purge", crash)
    with pytest.raises(RuntimeError):
        retention.run(ctx)
    monkeypatch.undo()
    assert local_api.store.get(keys.case(case_id)) is None  # gone for every reader at once
    assert local_api.store.blob_size(blobs[0]) is not None
    retention.run(ctx)
    assert all(local_api.store.blob_size(b) is None for b in blobs)
    assert local_api.store.query(retention.PURGES) == []
