"""Team case routes, transitions, access lists, members, manifest and audit
(protocol §4.4-§4.6) on every backend."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from candor import documents, roster
from candor import keyfile as kf
from candor.client import ApiClient, ApiError
from candor.reporter import submit
from chalicelib import manifest as mf
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain.audit import GENESIS, entry_hash
from chalicelib.domain.cases import add_months, deadlines
from tests.support.team import Api

FORM = {"category": "account-compromised", "summary": "Our X account posts spam"}


def _case(api: Api, exclude: tuple[str, ...] = ()) -> str:
    """Submit a report; the new case's id."""
    def ids() -> set[str]:
        cases = api.as_member(api.team.admin).call("GET", "/v1/team/cases")["cases"]
        return {c["id"] for c in cases}

    before = ids()
    submit(api.anonymous, api.team.manifest, FORM, exclude=exclude)
    (new,) = ids() - before
    return new


def _patch(client: ApiClient, case_id: str, **body: object) -> dict[str, object]:
    return dict(client.call("PATCH", f"/v1/team/cases/{case_id}", body))


def _refused(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def test_status_transitions(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    case_id = _case(api)
    assert _patch(admin, case_id, status="received")["acknowledged"] is None  # no-op
    with pytest.raises(ApiError) as exc:
        _patch(admin, case_id, status="closed")  # needs a resolution
    assert _refused(exc) == (422, "bad_transition")
    case = _patch(admin, case_id, status="acknowledged")
    assert case["acknowledged"] == api.ctx.day()
    with pytest.raises(ApiError) as exc:
        _patch(admin, case_id, status="received")
    assert _refused(exc) == (422, "bad_transition")
    _patch(admin, case_id, status="investigating")
    with pytest.raises(ApiError) as exc:
        _patch(admin, case_id, status="acknowledged")
    assert _refused(exc) == (422, "bad_transition")
    closed = _patch(admin, case_id, status="closed", resolution="substantiated")
    assert (closed["resolution"], closed["closed"]) == ("substantiated", api.ctx.day())
    reopened = _patch(admin, case_id, status="investigating")
    assert (reopened["resolution"], reopened["closed"]) == (None, None)
    with pytest.raises(ApiError) as exc:
        _patch(admin, case_id, status="closed", resolution="because")
    assert _refused(exc) == (400, "malformed")


def test_every_allowed_transition_from_received(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    for target in ("acknowledged", "investigating"):
        assert _patch(admin, _case(api), status=target)["status"] == target
    closed = _patch(admin, _case(api), status="closed", resolution="spam")
    assert closed["status"] == "closed"
    assert _patch(admin, closed["id"], status="closed")["resolution"] == "spam"  # no-op
    for bad in ("received", "acknowledged"):
        with pytest.raises(ApiError) as exc:
            _patch(admin, closed["id"], status=bad)
        assert _refused(exc) == (422, "bad_transition")
    acked = _patch(admin, _case(api), status="acknowledged")
    assert _patch(admin, acked["id"], status="closed", resolution="withdrawn")["status"] == "closed"


def test_access_list_hides_the_case_from_excluded_members(api: Api) -> None:
    alan = api.team.by_name("Alan")
    case_id = _case(api, exclude=(alan.id,))
    excluded = api.as_member(alan)
    assert excluded.call("GET", "/v1/team/cases")["cases"] == []
    for method, path in (("GET", f"/v1/team/cases/{case_id}"),
                         ("PATCH", f"/v1/team/cases/{case_id}")):
        with pytest.raises(ApiError) as exc:
            excluded.call(method, path, {"status": "acknowledged"} if method == "PATCH" else None)
        assert _refused(exc) == (404, "not_found")
    with pytest.raises(ApiError) as exc:
        _patch(api.as_member(api.team.admin), case_id, assignee=alan.id)
    assert _refused(exc) == (422, "invalid_access")
    grace = api.team.by_name("Grace")
    assert _patch(api.as_member(api.team.admin), case_id, assignee=grace.id)["assignee"] == grace.id


def test_admin_excluded_is_refused_like_anyone(api: Api) -> None:
    # Two admins, so the reporter can exclude one of them.
    with pytest.raises(ApiError) as exc:
        submit(api.anonymous, api.team.manifest, FORM, exclude=(api.team.admin.id,))
    assert _refused(exc) == (422, "invalid_access")


def test_legal_hold(api: Api) -> None:
    admin, reviewer = api.as_member(api.team.admin), api.as_member(api.team.by_name("Grace"))
    case_id = _case(api)
    assert _patch(reviewer, case_id, legal_hold=True)["legal_hold"] is True
    with pytest.raises(ApiError) as exc:
        _patch(reviewer, case_id, legal_hold=False)
    assert _refused(exc) == (403, "forbidden")
    with pytest.raises(ApiError) as exc:
        admin.call("DELETE", f"/v1/team/cases/{case_id}")
    assert _refused(exc) == (409, "legal_hold")
    assert _patch(admin, case_id, legal_hold=False)["legal_hold"] is False
    with pytest.raises(ApiError) as exc:
        reviewer.call("DELETE", f"/v1/team/cases/{case_id}")
    assert _refused(exc) == (403, "forbidden")
    admin.call("DELETE", f"/v1/team/cases/{case_id}")
    with pytest.raises(ApiError) as exc:
        admin.call("GET", f"/v1/team/cases/{case_id}")
    assert _refused(exc) == (404, "not_found")


def test_deadlines() -> None:
    case = {"received": "2026-11-25", "acknowledged": None, "feedback": None,
            "status": "received"}
    d = deadlines(case, date(2026, 12, 2))
    assert d == {"acknowledge_by": "2026-12-02", "feedback_by": "2027-03-02", "overdue": False}
    assert deadlines(case, date(2026, 12, 3))["overdue"] is True
    acked = {**case, "acknowledged": "2026-11-30", "status": "acknowledged"}
    assert deadlines(acked, date(2027, 2, 28)) == {
        "acknowledge_by": "2026-12-02", "feedback_by": "2027-02-28", "overdue": False}
    assert deadlines(acked, date(2027, 3, 1))["overdue"] is True
    assert deadlines({**acked, "status": "closed"}, date(2027, 3, 1))["overdue"] is False
    assert deadlines({**acked, "feedback": "2027-01-01"}, date(2027, 6, 1))["overdue"] is False
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_listing_pages_and_cursor(api: Api) -> None:
    for _ in range(3):
        _case(api)
    admin = api.as_member(api.team.admin)
    listed = admin.call("GET", "/v1/team/cases")
    assert len(listed["cases"]) == 3 and listed["cursor"] is None
    with pytest.raises(ApiError) as exc:
        admin.call("GET", "/v1/team/cases", query={"cursor": "!!"})
    assert _refused(exc) == (400, "bad_cursor")
    assert admin.call("GET", "/v1/team/cases", query={"status": "closed"})["cases"] == []


def test_members_add_rotate_and_manifest_chain(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    newcomer = kf.create_keyfile("")
    card = kf.public_card(newcomer, "Hedy Lamarr", "Communications", "reviewer")
    admin.call("POST", "/v1/team/members", card)
    with pytest.raises(ApiError) as exc:
        admin.call("POST", "/v1/team/members", card)
    assert _refused(exc) == (409, "conflict")
    forged = {**card, "name": "Someone Else"}
    with pytest.raises(ApiError) as exc:
        admin.call("POST", "/v1/team/members", {**forged, "id": kf.create_keyfile("").member})
    assert _refused(exc) == (422, "invalid_manifest")

    # Only the member itself rotates its keys.
    rotated, old_seed = kf.rotate_keys(newcomer)
    entry = kf.public_card(rotated, "Hedy Lamarr", "Communications", "reviewer", card, old_seed)
    with pytest.raises(ApiError) as exc:
        admin.call("PUT", f"/v1/team/members/{newcomer.member}", entry)
    assert _refused(exc) == (403, "forbidden")
    ApiClient(api.transport, newcomer).call("PUT", f"/v1/team/members/{newcomer.member}", entry)
    with pytest.raises(ApiError) as exc:  # the old key is no longer accepted
        ApiClient(api.transport, newcomer).call("GET", "/v1/team/cases")
    assert _refused(exc) == (401, "bad_signature")
    ApiClient(api.transport, rotated).call("GET", "/v1/team/cases")

    listed = admin.call("GET", "/v1/team/members")["members"]
    v1 = api.team.manifest
    unsigned = roster.unsigned_manifest(2, api.ctx.today(), listed, threshold=1)
    v2 = roster.sign_manifest(unsigned, api.team.admin.id, api.team.admin.key.signing_seed)
    with pytest.raises(ApiError) as exc:
        admin.call("PUT", "/v1/team/manifest", {**v2, "version": 3})
    assert _refused(exc) == (409, "conflict")
    bad = roster.sign_manifest(unsigned, api.team.by_name("Grace").id,
                           api.team.by_name("Grace").key.signing_seed)
    with pytest.raises(ApiError) as exc:
        admin.call("PUT", "/v1/team/manifest", bad)  # not signed by an admin of v1
    assert _refused(exc) == (422, "invalid_manifest")
    admin.call("PUT", "/v1/team/manifest", v2)
    chain = api.anonymous.call("GET", "/v1/manifest", query={"since": "1"}, signed=False)
    assert chain["manifests"] == [v2]
    assert mf.verify_chain(v1, chain["manifests"], today=api.ctx.today())["version"] == 2
    everything = api.anonymous.call("GET", "/v1/manifest", signed=False)["manifests"]
    assert [m["version"] for m in everything] == [1, 2]


def test_audit_chain(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    case_id = _case(api)
    _patch(admin, case_id, status="acknowledged")
    admin.call("GET", f"/v1/team/cases/{case_id}")
    entries = admin.call("GET", "/v1/team/audit")["entries"]
    actions = [e["action"] for e in entries]
    assert actions[0] == "manifest.publish" and actions[-2:] == ["case.update", "case.read"]
    prev = GENESIS
    for seq, entry in enumerate(entries, start=1):
        assert (entry["seq"], entry["prev"]) == (seq, prev)
        prev = entry_hash(entry)
    update = entries[-2]
    assert update["member"] == api.team.admin.id and update["case"] == case_id
    assert update["request"]["@method"] == "PATCH"
    assert set(update["request"]) == {"@method", "@path", "@query", "Content-Digest",
                                      "Signature-Input", "Signature"}
    # Reporter actions are not in the chain.
    assert not any(e["action"].startswith(("report", "followup")) for e in entries)


def test_expired_and_invalid_manifests_are_refused(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    listed = admin.call("GET", "/v1/team/members")["members"]
    old = roster.unsigned_manifest(2, api.ctx.today() - timedelta(days=100), listed, threshold=1)
    signed = roster.sign_manifest(old, api.team.admin.id, api.team.admin.key.signing_seed)
    with pytest.raises(ApiError) as exc:
        admin.call("PUT", "/v1/team/manifest", signed)
    assert _refused(exc) == (422, "invalid_manifest")


def test_reports_in_one_audited_call(api: Api) -> None:
    alan = api.team.by_name("Alan")
    visible = [_case(api) for _ in range(3)]
    hidden = _case(api, exclude=(alan.id,))
    unknown = "c_" + "A" * 22
    client = api.as_member(alan)
    before = len(api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"])
    answer = client.call("GET", "/v1/team/reports",
                         query={"cases": ",".join([*visible, hidden, unknown])})
    assert [r["case"] for r in answer["reports"]] == visible
    assert answer["missing"] == [hidden, unknown] and answer["more"] == []
    for report in answer["reports"]:
        sealed = b64u_decode(report["sealed"])
        assert documents.open_document(sealed, alan.key.identities)["form"] == FORM
    entries = api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"]
    assert [e["action"] for e in entries[before:]] == ["reports.read"]
    assert hidden in entries[before]["request"]["@query"]  # the signed query names the cases
    for bad in ("", "c_x", ",".join([visible[0]] * 2), ",".join([unknown] * 51)):
        with pytest.raises(ApiError) as exc:
            client.call("GET", "/v1/team/reports", query={"cases": bad} if bad else None)
        assert _refused(exc) == (400, "malformed")


def test_an_author_chosen_id_cannot_name_another_cases_blob(api: Api) -> None:
    """An admin who can read case B posts B's sealed report and message into
    case A under B's ids, then purges A: B keeps all its blobs."""
    admin = api.as_member(api.team.admin)
    b = _case(api)
    b_view = admin.call("GET", f"/v1/team/cases/{b}")
    session_case = admin.call("GET", f"/v1/team/cases/{b}/blobs/{b_view['report']['id']}")
    report_sealed = session_case["sealed"]
    a = _case(api)
    answer = admin.call("POST", f"/v1/team/cases/{a}/messages",
                        {"id": b_view["report"]["id"], "message": report_sealed,
                         "attachments": []})
    assert answer["seq"] == 1  # stored, but as case A's own blob
    a_view = admin.call("GET", f"/v1/team/cases/{a}")
    own_report_id = {"id": a_view["report"]["id"], "message": report_sealed, "attachments": []}
    with pytest.raises(ApiError) as exc:  # and a case's own report id is refused
        admin.call("POST", f"/v1/team/cases/{a}/messages", own_report_id)
    assert _refused(exc) == (409, "conflict")
    _patch(admin, a, status="closed", resolution="spam")
    admin.call("DELETE", f"/v1/team/cases/{a}")
    again = admin.call("GET", f"/v1/team/cases/{b}/blobs/{b_view['report']['id']}")
    assert again["sealed"] == report_sealed


def test_team_entries_and_their_audit_entry_commit_together(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.store import keys
    from chalicelib.store.base import Op, StorageUnavailable

    admin = api.as_member(api.team.admin)
    case_id = _case(api)
    real = api.store.transact

    def failing(ops: list[Op]) -> None:
        if any(op.pk == keys.AUDIT.pk for op in ops):
            raise StorageUnavailable("injected")
        real(ops)

    case = admin.call("GET", f"/v1/team/cases/{case_id}")
    doc = documents.new_message("note", case["reply_to"], "team", api.team.admin.id, None,
                                "internal", [], api.team.admin.key.signing_seed)
    recipients = roster.access_recipients(api.team.manifest, case["access"])
    sealed = documents.seal_document(doc, recipients)
    body = {"id": doc["id"], "note": b64u_encode(sealed), "attachments": []}
    monkeypatch.setattr(api.store, "transact", failing)
    with pytest.raises(ApiError) as exc:
        admin.call("POST", f"/v1/team/cases/{case_id}/notes", body)
    monkeypatch.undo()
    assert (exc.value.status, exc.value.code) == (503, "unavailable")
    assert admin.call("GET", f"/v1/team/cases/{case_id}")["notes"] == []
    admin.call("POST", f"/v1/team/cases/{case_id}/notes", body)  # the retry succeeds
    assert len(admin.call("GET", f"/v1/team/cases/{case_id}")["notes"]) == 1


def test_a_manifest_dated_ahead_is_refused(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    listed = admin.call("GET", "/v1/team/members")["members"]
    ahead = roster.unsigned_manifest(2, api.ctx.today() + timedelta(days=30), listed, threshold=1)
    signed = roster.sign_manifest(ahead, api.team.admin.id, api.team.admin.key.signing_seed)
    with pytest.raises(ApiError) as exc:
        admin.call("PUT", "/v1/team/manifest", signed)
    assert _refused(exc) == (422, "invalid_manifest")


def test_a_new_admin_has_powers_only_once_a_manifest_lists_them(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    newcomer = kf.create_keyfile("")
    admin.call("POST", "/v1/team/members", kf.public_card(newcomer, "Eve", "Board", "admin"))
    new_admin = ApiClient(api.transport, newcomer, clock=api.clock.time)
    with pytest.raises(ApiError) as exc:
        new_admin.call("GET", "/v1/team/audit")
    assert _refused(exc) == (403, "forbidden")
    listed = admin.call("GET", "/v1/team/members")["members"]
    unsigned = roster.unsigned_manifest(2, api.ctx.today(), listed, threshold=1)
    admin.call("PUT", "/v1/team/manifest",
               roster.sign_manifest(unsigned, api.team.admin.id, api.team.admin.key.signing_seed))
    assert new_admin.call("GET", "/v1/team/audit")["entries"]
