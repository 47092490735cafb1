"""The reporter's flow through the API on every backend (protocol §3.3, §4.2)."""

from __future__ import annotations

import hashlib
import os

import pytest

from candor import documents, roster
from candor.client import ApiError
from candor.receipt import Receipt
from candor.reporter import Evidence, follow_up, submit
from chalicelib.b64 import b64u_decode, b64u_encode
from tests.support.team import Api

FORM = {"category": "confidential-leak", "summary": "Roadmap on a forum",
        "details": "Posted yesterday at 21:00 by an account I recognise."}


def _error(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def test_submit_open_rotate_read(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, FORM)
    assert sub.answer == {"received": api.ctx.day(), "status": "received"}

    status = api.anonymous.call("POST", "/v1/followup/open",
                                {"auth": sub.receipt.auth_b64}, signed=False)
    assert status["status"] == "received"
    assert set(status) == {"status", "received", "updated", "acknowledge_by", "feedback_by",
                           "sealed_identity"}

    # Content needs the visit secret of a rotation: the written-down receipt alone is refused.
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/followup/thread",
                           {"auth": sub.receipt.auth_b64, "visit": b64u_encode(os.urandom(32))},
                           signed=False)
    assert _error(exc) == (409, "rotate_first")

    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    report = visit.read_report()
    assert report["form"] == FORM and report["access"] == sub.body["access"]

    # The old receipt is dead for good, with the same answer as one never issued.
    for dead in (sub.receipt, Receipt.generate()):
        with pytest.raises(ApiError) as exc:
            api.anonymous.call("POST", "/v1/followup/open", {"auth": dead.auth_b64},
                               signed=False)
        assert _error(exc) == (404, "receipt_unknown")

    # The new receipt opens, but content again only with this visit's secret.
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/followup/thread",
                           {"auth": visit.receipt.auth_b64, "visit": b64u_encode(os.urandom(32))},
                           signed=False)
    assert _error(exc) == (409, "rotate_first")


def test_submit_is_idempotent_until_first_rotation(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, FORM)
    again = api.anonymous.call("POST", "/v1/reports", sub.body, signed=False)
    assert again == sub.answer
    changed = {**sub.body, "access": sub.body["access"][:1]}
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/reports", changed, signed=False)
    assert _error(exc) == (409, "token_in_use")
    # Once rotated the receipt is not current: the new one is in use, and
    # the retired token_id is forgotten, so its retry is a new submission.
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/reports", {**sub.body, "token_id":
                                                   visit.receipt.token_id}, signed=False)
    assert _error(exc) == (409, "token_in_use")
    assert api.anonymous.call("POST", "/v1/reports", sub.body, signed=False) == sub.answer
    cases = api.as_member(api.team.admin).call("GET", "/v1/team/cases")["cases"]
    assert len(cases) == 2


def test_reporter_messages_and_team_reply(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, FORM)
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    first = visit.send("I also have a screenshot.")
    assert first["seq"] == 1
    reviewer = api.team.by_name("Grace")
    case_id = api.as_member(reviewer).call("GET", "/v1/team/cases")["cases"][0]["id"]
    case = api.as_member(reviewer).call("GET", f"/v1/team/cases/{case_id}")
    report_sealed = b64u_decode(api.as_member(reviewer).call(
        "GET", f"/v1/team/cases/{case_id}/blobs/{case['report']['id']}")["sealed"])
    report = documents.open_document(report_sealed, reviewer.key.identities)
    assert report["reply_to"] == case["reply_to"]
    doc = documents.new_message("message", case["reply_to"], "team", reviewer.id, None,
                                "Thank you, we are on it.", [], reviewer.key.signing_seed)
    recipients = [*roster.access_recipients(api.team.manifest, case["access"]), case["reply_to"]]
    sealed = documents.seal_document(doc, recipients)
    answer = api.as_member(reviewer).call("POST", f"/v1/team/cases/{case_id}/messages",
                                          {"id": doc["id"], "message": b64u_encode(sealed),
                                           "attachments": []})
    assert answer["seq"] == 2
    next_visit = follow_up(api.anonymous, visit.receipt, api.team.manifest)
    messages = next_visit.read_messages(api.team.manifest)
    assert [(d["text"], ok) for d, ok in messages] == [
        ("I also have a screenshot.", True), ("Thank you, we are on it.", True)]
    status = api.anonymous.call("POST", "/v1/followup/open",
                                {"auth": next_visit.receipt.auth_b64}, signed=False)
    assert status["updated"] == api.ctx.day()


# Presigned uploads need a real HTTP endpoint, which in-process moto lacks.
@pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)
def test_attachment_round_trip(api: Api) -> None:
    data = os.urandom(70_000)
    sub = submit(api.anonymous, api.team.manifest, FORM,
                 files=[Evidence("evidence.bin", data)])
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    report = visit.read_report()
    [entry] = report["attachments"]
    url = visit.fetch(entry["id"])["url"]
    sealed = api.anonymous.download(url)
    assert hashlib.sha256(sealed).hexdigest() == entry["sha256"]
    assert documents.open_attachment(sealed, [visit.state["identity"]], entry) == data
    # A second claim of the same upload is refused.
    again = {**sub.body, "token_id": Receipt.generate().token_id}
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/reports", again, signed=False)
    assert _error(exc) == (409, "attachment_claimed")


def test_a_team_write_does_not_break_a_rotation(api: Api) -> None:
    """The receipt state lives apart from the case record: a status change
    between open and rotate leaves the reporter's rotation unharmed, and the
    team's records never carry the receipt fields."""
    sub = submit(api.anonymous, api.team.manifest, FORM)
    status = api.anonymous.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                                signed=False)
    admin = api.as_member(api.team.admin)
    case_id = admin.call("GET", "/v1/team/cases")["cases"][0]["id"]
    admin.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "acknowledged"})
    state = documents.open_case_state(b64u_decode(status["sealed_identity"]), sub.receipt)
    new = Receipt.generate()
    api.anonymous.call("POST", "/v1/followup/rotate", {
        "auth": sub.receipt.auth_b64, "token_id": new.token_id,
        "sealed_identity": b64u_encode(documents.seal_case_state(state, new)),
        "visit": b64u_encode(hashlib.sha256(os.urandom(32)).digest())}, signed=False)
    record = api.store.get("cases", case_id)
    assert record is not None
    assert not {"token_id", "visit", "sealed_identity", "submit_hash"} & set(record.data)


def test_a_failed_claim_lets_the_uploads_go(
    local_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the claiming transaction loses (a racing submission), the uploads
    it kept are released, so an attacker cannot keep files for good."""
    from chalicelib.store.base import ConditionFailed

    real = local_api.store.transact

    def lose(ops: list[object]) -> None:
        if any(getattr(op, "pk", "").startswith("receipt#") for op in ops):
            raise ConditionFailed(1, "receipt")  # the submission's transaction loses a race
        real(ops)  # type: ignore[arg-type]

    monkeypatch.setattr(local_api.store, "transact", lose)
    with pytest.raises(ApiError):
        submit(local_api.anonymous, local_api.team.manifest, FORM,
               files=[Evidence("x.bin", os.urandom(100))])
    monkeypatch.undo()
    store = local_api.store
    assert list(store.blobs.iterdir()) == []  # neither the report nor the upload is kept
    assert len(list(store.uploads.iterdir())) == 1


def test_a_lost_rotate_answer_is_recovered_as_the_spec_says(api: Api) -> None:
    """protocol §3.3: the browser holds T_{n+1} and v before rotate commits; when
    the answer is lost it retries, gets 404, and reads with T_{n+1} and v."""
    sub = submit(api.anonymous, api.team.manifest, FORM)
    status = api.anonymous.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                                signed=False)
    state = documents.open_case_state(b64u_decode(status["sealed_identity"]), sub.receipt)
    new, visit = Receipt.generate(), os.urandom(32)
    body = {"auth": sub.receipt.auth_b64, "token_id": new.token_id,
            "sealed_identity": b64u_encode(documents.seal_case_state(state, new)),
            "visit": b64u_encode(hashlib.sha256(visit).digest())}
    api.anonymous.call("POST", "/v1/followup/rotate", body, signed=False)  # answer "lost"
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/followup/rotate", body, signed=False)
    assert (exc.value.status, exc.value.code) == (404, "receipt_unknown")
    thread = api.anonymous.call("POST", "/v1/followup/thread",
                                {"auth": new.auth_b64, "visit": b64u_encode(visit)}, signed=False)
    assert thread["messages"] == []
