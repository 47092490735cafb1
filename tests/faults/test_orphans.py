"""The orphan sweep (protocol §4.7): a blob written before a transaction
that then fails with a 503 is deleted a day later, once a day; a blob whose
transaction committed though its answer was lost is kept, as is every
referenced blob and every blob kind the sweep does not know. An inbox
index blob goes unless its member's index record names it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from candor import documents
from candor import keyfile as kf
from candor.client import ApiError
from candor.reporter import Evidence, submit
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain import retention
from chalicelib.store.base import Op, StorageUnavailable
from tests.support.team import Api

DAY = 86400


def _names(store: Any) -> set[str]:
    return set(store.blob_names(2**40))


def _failing_submits(api: Api, monkeypatch: pytest.MonkeyPatch, *, commit: bool) -> None:
    """Submissions' transactions answer StorageUnavailable; with ``commit``
    after taking effect (a timeout that hid the commit)."""
    real: Callable[[Sequence[Op]], None] = api.store.transact

    def transact(ops: Sequence[Op]) -> None:
        if not any(op.pk == "cases" for op in ops):
            return real(ops)
        if commit:
            real(ops)
        raise StorageUnavailable("timeout")

    monkeypatch.setattr(api.store, "transact", transact)


def _submit(api: Api, summary: str, store_kind: str) -> None:
    # In-process moto takes no presigned upload: attachments on local and aws-server.
    files = [] if store_kind == "aws" else [Evidence("a.bin", os.urandom(100))]
    submit(api.anonymous, api.team.manifest, {"summary": summary}, files=files)


def _failed_submit(api: Api, summary: str, store_kind: str, *, commit: bool) -> set[str]:
    """The blobs a 503 submission left."""
    before = _names(api.store)
    with pytest.MonkeyPatch.context() as mp:
        _failing_submits(api, mp, commit=commit)
        with pytest.raises(ApiError) as exc:
            _submit(api, summary, store_kind)
    assert exc.value.status == 503
    return _names(api.store) - before


def test_orphans_go_a_day_later(
    api: Api, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _submit(api, "kept", store_kind)
    orphans = _failed_submit(api, "failed", store_kind, commit=False)
    orphans |= _failed_submit(api, "failed again", store_kind, commit=False)
    lost = _failed_submit(api, "lost", store_kind, commit=True)
    other_kind = "x_" + "A" * 22  # an inbox index name without its member: not judged
    api.store.put_blob(other_kind, b"index")
    assert len(orphans) >= 2 and lost
    everything = _names(api.store)

    api.clock.advance(3600)
    assert retention.sweep_orphans(api.ctx) == 0  # an hour old: a day at the earliest
    assert retention.sweep_orphans(api.ctx) is None  # once a day
    api.clock.advance(DAY + 3600)
    monkeypatch.setattr(retention, "ORPHAN_LIMIT", 1)
    assert retention.sweep_orphans(api.ctx) == 1  # bounded per run
    assert retention.sweep_orphans(api.ctx) is None
    api.clock.advance(DAY)
    monkeypatch.setattr(retention, "ORPHAN_LIMIT", 1000)
    retention.run(api.ctx)
    assert _names(api.store) == everything - orphans

    admin = api.as_member(api.team.admin)
    cases = admin.call("GET", "/v1/team/cases")["cases"]
    assert len(cases) == 2  # "kept" and "lost": their blobs all read
    for case in cases:
        detail = admin.call("GET", f"/v1/team/cases/{case['id']}")
        for blob in [detail["report"]["id"], *(a["id"] for a in detail["report"]["attachments"])]:
            admin.call("GET", f"/v1/team/cases/{case['id']}/blobs/{blob}")


def test_a_stale_index_blob_goes_a_day_later_the_current_one_stays(api: Api) -> None:
    grace = api.team.by_name("Grace")
    as_grace = api.as_member(grace)
    recipient = kf.identity_recipient(grace.key.identities[0])

    def put(text: str, version: int) -> Any:
        sealed = b64u_encode(documents.seal_document({"v": 1, "text": text}, [recipient]))
        return as_grace.call("PUT", "/v1/team/index", {"sealed": sealed, "version": version})

    put("current", 0)
    current = _names(api.store)
    real: Callable[[Sequence[Op]], None] = api.store.transact

    def transact(ops: Sequence[Op]) -> None:
        if any(op.pk.startswith("inbox-index#") for op in ops):
            raise StorageUnavailable("timeout")
        real(ops)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api.store, "transact", transact)
        with pytest.raises(ApiError) as exc:
            put("failed", 1)
    assert exc.value.status == 503
    (stale,) = _names(api.store) - current
    assert stale.startswith(f"x_{grace.id}_")
    api.clock.advance(DAY + 3600)
    assert retention.sweep_orphans(api.ctx) == 1
    assert _names(api.store) == current
    answer = as_grace.call("GET", "/v1/team/index")
    assert documents.open_document(b64u_decode(answer["sealed"]), grace.key.identities)["text"] \
        == "current"
