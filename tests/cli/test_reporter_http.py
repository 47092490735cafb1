"""The reporter's flow against ``candor serve`` over real HTTP (issue 3)."""

from __future__ import annotations

import os

import pytest

from candor import documents
from candor.client import ApiClient, ApiError, HttpTransport
from candor.receipt import Receipt
from candor.reporter import Evidence, follow_up, submit
from chalicelib.b64 import b64u_encode
from tests.support.live import LiveServer


def _code(call: object) -> tuple[int, str]:
    with pytest.raises(ApiError) as exc:
        call()  # type: ignore[operator]
    return exc.value.status, exc.value.code


def test_reporter_flow_over_http(live_api: LiveServer) -> None:
    anon = ApiClient(HttpTransport(live_api.url))
    manifest = live_api.manifest
    sub = submit(anon, manifest, {"summary": "over HTTP"},
                 files=[Evidence("e.bin", os.urandom(3000))])

    # A retried submission is idempotent until the first rotation.
    assert anon.call("POST", "/v1/reports", sub.body, signed=False) == sub.answer
    status = anon.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                       signed=False)
    assert status["status"] == "received"
    # Content is refused before rotating: the written-down receipt alone opens nothing.
    assert _code(lambda: anon.call("POST", "/v1/followup/thread", {
        "auth": sub.receipt.auth_b64, "visit": b64u_encode(os.urandom(32))}, signed=False)
    ) == (409, "rotate_first")

    visit = follow_up(anon, sub.receipt, manifest)
    thread = visit.thread()
    assert thread["messages"] == [] and thread["report"]["size"] > 0
    report = visit.read_report()
    assert report["form"] == {"summary": "over HTTP"}
    attachment_url = visit.fetch(report["attachments"][0]["id"])["url"]
    sealed = anon.download(attachment_url)
    entry = report["attachments"][0]
    opened = documents.open_attachment(sealed, [visit.state["identity"]], entry)
    assert len(opened) == 3000
    # The new receipt without this visit's secret is refused, like the written-down one.
    assert _code(lambda: anon.call("POST", "/v1/followup/fetch", {
        "auth": visit.receipt.auth_b64, "visit": b64u_encode(os.urandom(32)),
        "id": thread["report"]["id"]}, signed=False)) == (409, "rotate_first")
    # The old receipt is dead, like one never issued; a retried submit is a new
    # submission (its token_id is forgotten, protocol §4.2), whose attachment is taken.
    for dead in (sub.receipt, Receipt.generate()):
        assert _code(lambda d=dead: anon.call(
            "POST", "/v1/followup/open", {"auth": d.auth_b64}, signed=False)
        ) == (404, "receipt_unknown")
    assert _code(lambda: anon.call("POST", "/v1/reports", sub.body, signed=False)) == (
        409, "attachment_claimed")
