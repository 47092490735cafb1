"""The reporter's ``updated`` moves only on what the reporter may see
(protocol §4.2): a message either way or a status change, never a note."""

from __future__ import annotations

from candor import documents, roster
from candor.reporter import follow_up, submit
from chalicelib.b64 import b64u_encode
from chalicelib.store import keys
from tests.support.team import Api

DAY = 24 * 3600


def _team_entry(api: Api, case_id: str, kind: str) -> None:
    admin = api.as_member(api.team.admin)
    case = admin.call("GET", f"/v1/team/cases/{case_id}")
    doc = documents.new_message(kind, case["reply_to"], "team", api.team.admin.id, None,
                                f"a {kind}", [], api.team.admin.key.signing_seed)
    recipients = roster.access_recipients(api.team.manifest, case["access"])
    if kind == "message":
        recipients.append(case["reply_to"])
    sealed = documents.seal_document(doc, recipients)
    admin.call("POST", f"/v1/team/cases/{case_id}/{kind}s",
               {"id": doc["id"], kind: b64u_encode(sealed), "attachments": []})


def test_updated_moves_on_messages_and_status_never_on_notes(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "updated"})
    admin = api.as_member(api.team.admin)
    case_id = admin.call("GET", "/v1/team/cases")["cases"][0]["id"]

    def shown() -> str:
        answer = api.anonymous.call("POST", "/v1/followup/open",
                                    {"auth": sub.receipt.auth_b64}, signed=False)
        return str(answer["updated"])

    received = api.ctx.day()
    api.clock.advance(DAY)
    _team_entry(api, case_id, "note")
    assert admin.call("GET", f"/v1/team/cases/{case_id}")["updated"] == api.ctx.day()
    assert shown() == received

    api.clock.advance(DAY)
    _team_entry(api, case_id, "message")
    assert shown() == api.ctx.day()

    api.clock.advance(DAY)
    admin.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "investigating"})
    assert shown() == api.ctx.day()
    status_day = api.ctx.day()

    api.clock.advance(DAY)
    _team_entry(api, case_id, "note")
    assert shown() == status_day

    api.clock.advance(DAY)
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    visit.send("a reporter message")
    status = api.anonymous.call("POST", "/v1/followup/open",
                                {"auth": visit.receipt.auth_b64}, signed=False)
    assert status["updated"] == api.ctx.day()


def test_a_record_without_the_field_falls_back_to_what_the_reporter_sees(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "older record"})
    admin = api.as_member(api.team.admin)
    case_id = admin.call("GET", "/v1/team/cases")["cases"][0]["id"]
    api.clock.advance(DAY)
    _team_entry(api, case_id, "message")
    message_day = api.ctx.day()
    api.clock.advance(DAY)
    _team_entry(api, case_id, "note")
    case = api.store.get(keys.case(case_id))
    assert case is not None
    older = {k: v for k, v in case.data.items() if k != "reporter_updated"}
    api.store.transact([keys.case(case_id).put(older, expect=case.version)])  # type: ignore[arg-type]
    answer = api.anonymous.call("POST", "/v1/followup/open",
                                {"auth": sub.receipt.auth_b64}, signed=False)
    assert answer["updated"] == message_day
