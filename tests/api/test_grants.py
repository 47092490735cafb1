"""Grants and revocations through the API with the Python client (protocol
§4.4 "Grants", issue 12): a member who joined after a report is given it by
a reviewer on the case and reads everything; a member the reporter excluded
can never be given it; an admin takes a member off, who gets 404 from then
on. Runs on every backend (``api``)."""

from __future__ import annotations

from typing import Any

import pytest

from candor import documents, grants, reporter, roster, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError
from chalicelib.age.format import parse_header
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.store import keys
from tests.support.team import Api

# Presigned uploads need a real HTTP endpoint, which in-process moto lacks.
pytestmark = pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)

FORM = {"category": "fraud", "summary": "Invoices approved twice", "details": "In March."}
EVIDENCE = bytes(range(256)) * 300  # 75 KiB: more than one STREAM chunk


def _as(api: Api, key: kf.KeyFile) -> ApiClient:
    return ApiClient(api.transport, key, clock=api.clock.time)


def _session(api: Api, key: kf.KeyFile) -> teamops.Session:
    return teamops.Session(_as(api, key), key, api.team.manifest, today=api.ctx.today)


def _hedy_joins(api: Api) -> kf.KeyFile:
    """A new member, added and published in manifest version 2."""
    hedy = kf.create_keyfile(api.transport.base_url)
    ada = api.team.admin.key
    _as(api, ada).call("POST", "/v1/team/members",
                       kf.public_card(hedy, "Hedy Lamarr", "Comms", "reviewer"))
    s = _session(api, ada)
    listed = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, listed, api.ctx.today())
    s.api.call("PUT", "/v1/team/manifest", roster.sign_manifest(unsigned, ada.member,
                                                                 ada.signing_seed))
    return hedy


@pytest.fixture
def filed(api: Api) -> tuple[Api, str, reporter.Submission]:
    """A report excluding Alan, with evidence, a reply, a note with an attachment."""
    alan = api.team.by_name("Alan")
    sub = reporter.submit(api.anonymous, api.team.manifest, FORM, exclude=[alan.id],
                          files=[reporter.Evidence("ledger.bin", EVIDENCE)],
                          today=api.ctx.today())
    grace = _session(api, api.team.by_name("Grace").key)
    (case,) = grace.get("/v1/team/cases")["cases"]
    view = teamops.read_case(grace, case["id"])
    teamops.write(grace, view, "message", "Thank you; we are on it.")
    teamops.write(grace, teamops.read_case(grace, case["id"]), "note", "Ledger attached.",
                  [("copy.bin", "application/octet-stream", b"note evidence")])
    return api, case["id"], sub


def test_a_member_who_joined_later_is_granted_reads_everything_and_replies(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, sub = filed
    hedy = _hedy_joins(api)
    with pytest.raises(ApiError) as exc:  # not on the case yet
        _as(api, hedy).call("GET", f"/v1/team/cases/{case_id}")
    assert exc.value.status == 404

    grace = _session(api, api.team.by_name("Grace").key)
    answer = grants.grant(grace, case_id, hedy.member)
    assert answer["member"] == hedy.member and answer["by"] == grace.key.member

    s = _session(api, hedy)
    view = teamops.read_case(s, case_id)
    assert view.warnings == []
    assert view.report["form"]["summary"] == FORM["summary"]
    assert [(m.doc or {}).get("text") for m in view.messages] == ["Thank you; we are on it."]
    assert all(m.ok for m in view.messages + view.notes)
    (evidence,) = view.report["attachments"]
    assert teamops.attachment(s, case_id, evidence) == EVIDENCE
    (copy,) = view.notes[0].doc["attachments"]  # type: ignore[index]
    assert teamops.attachment(s, case_id, copy) == b"note evidence"

    teamops.write(s, view, "message", "Hedy from Comms here.")
    # The reporter verifies against the manifest that lists Hedy (version 2).
    visit = reporter.follow_up(api.anonymous, sub.receipt, s.manifest)
    texts = [(d["text"], ok) for d, ok in visit.read_messages(s.manifest)]
    assert texts[-1] == ("Hedy from Comms here.", True)


def test_the_grant_stores_one_header_per_blob_and_the_blobs_stay_unchanged(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    case = api.store.get(keys.case(case_id)).data
    blob_ids = sorted(grants_blob_ids(api, case_id))
    before = {b: _stored(api, case, b) for b in blob_ids}
    grants.grant(_session(api, api.team.by_name("Grace").key), case_id, hedy.member)
    headers = api.store.query(keys.grant_headers(case_id, hedy.member))
    assert sorted(h.sk.rsplit("#", 1)[1] for h in headers) == blob_ids
    for h in headers:  # one stanza, no payload: O(header) whatever the blob's size
        raw = b64u_decode(h.data["header"])
        assert len(parse_header(raw).stanzas) == 1 and parse_header(raw).size == len(raw)
        assert len(raw) < 2048
    assert {b: _stored(api, case, b) for b in blob_ids} == before


def grants_blob_ids(api: Api, case_id: str) -> set[str]:
    from chalicelib.domain.grants import case_blobs

    return case_blobs(api.ctx, api.store.get(keys.case(case_id)).data)


def _stored(api: Api, case: dict[str, Any], blob_id: str) -> bytes:
    if blob_id.startswith("a_") or blob_id == case["report"]["id"]:
        return bytes(api.store.get_blob(blob_id))
    return bytes(api.store.get_blob(keys.entry_blob(case["id"], blob_id)))


def test_an_excluded_member_is_refused_by_the_client_and_by_the_server(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    alan = api.team.by_name("Alan")
    grace = _session(api, api.team.by_name("Grace").key)
    with pytest.raises(grants.GrantError, match="excluded by the reporter"):
        grants.grant(grace, case_id, alan.id)
    # A client that skips the check (or a hand-made request) meets the server's.
    case = grace.get(f"/v1/team/cases/{case_id}")
    with pytest.raises(ApiError) as exc:
        grace.api.call("POST", f"/v1/team/cases/{case_id}/access", {
            "member": alan.id, "headers": {},
            "grant": grants.new_grant(case["reply_to"], alan.id, grace.key.member,
                                      grace.key.signing_seed)})
    assert (exc.value.status, exc.value.code) == (422, "member_excluded")
    with pytest.raises(ApiError) as exc:
        _as(api, alan.key).call("GET", f"/v1/team/cases/{case_id}")
    assert exc.value.status == 404


def test_revoked_member_gets_404_loses_headers_and_is_left_out_of_new_entries(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    grace = _session(api, api.team.by_name("Grace").key)
    grants.grant(grace, case_id, hedy.member)
    with pytest.raises(ApiError) as exc:  # reviewers cannot take anyone off
        grants.revoke(grace, case_id, hedy.member)
    assert (exc.value.status, exc.value.code) == (403, "forbidden")

    grants.revoke(_session(api, api.team.admin.key), case_id, hedy.member)
    with pytest.raises(ApiError) as exc:
        _as(api, hedy).call("GET", f"/v1/team/cases/{case_id}")
    assert exc.value.status == 404
    assert api.store.query(keys.grant_headers(case_id, hedy.member)) == []
    assert _as(api, hedy).call("GET", "/v1/team/cases")["cases"] == []

    view = teamops.read_case(grace, case_id)
    assert view.warnings == [] and hedy.member not in view.case["access"]
    answer = teamops.write(grace, view, "note", "After the revocation.")
    sealed = b64u_decode(grace.get(f"/v1/team/cases/{case_id}/blobs/{answer['id']}")["sealed"])
    assert len(parse_header(sealed).stanzas) == len(view.case["access"])  # not Hedy's
    with pytest.raises(documents.DocumentUnreadable):
        documents.open_document(sealed, hedy.identities)


def test_the_last_admin_cannot_be_taken_off(filed: tuple[Api, str, reporter.Submission]) -> None:
    api, case_id, _ = filed
    ada = _session(api, api.team.admin.key)
    with pytest.raises(ApiError) as exc:
        grants.revoke(ada, case_id, ada.key.member)
    assert (exc.value.status, exc.value.code) == (409, "conflict")


def test_a_server_cannot_add_a_reader_or_forge_a_grant(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    grace = _session(api, api.team.by_name("Grace").key)
    # The server puts Hedy on the case by itself: no grant document verifies,
    # so Grace's client warns and writes nothing to the case.
    item = api.store.get(keys.case(case_id))
    api.store.transact([item.key.put({**item.data, "access": [*item.data["access"],
                                                              hedy.member]})])
    view = teamops.read_case(grace, case_id)
    assert any("without a grant that verifies" in w for w in view.warnings)
    with pytest.raises(teamops.TeamError, match="refusing to write"):
        teamops.write(grace, view, "note", "Sealed to Hedy?")
    # Headers the server makes (for a file key of its own) do not decrypt:
    # Hedy's client fails closed with the opaque error.
    report_id = item.data["report"]["id"]
    forged = documents.seal_document({"v": 1}, [kf.public_card(hedy, "H", "", "reviewer")
                                                ["recipient"]])
    header = forged[:parse_header(forged).size]
    api.store.transact([keys.grant_header(case_id, hedy.member, report_id).put(
        {"header": b64u_encode(header)})])
    with pytest.raises(teamops.TeamError, match="cannot open the report"):
        teamops.read_case(_session(api, hedy), case_id)


def test_a_grant_that_misses_a_new_entry_is_refused(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    grace = _session(api, api.team.by_name("Grace").key)
    case = grace.get(f"/v1/team/cases/{case_id}")
    doc = grants.new_grant(case["reply_to"], hedy.member, grace.key.member,
                           grace.key.signing_seed)
    report = grace.get(f"/v1/team/cases/{case_id}/blobs/{case['report']['id']}")
    recipient = kf.public_card(hedy, "H", "", "reviewer")["recipient"]
    only_report = {case["report"]["id"]: grants.grant_header(
        b64u_decode(report["sealed"]), grace.key.identities, recipient)}
    with pytest.raises(ApiError) as exc:
        grace.api.call("POST", f"/v1/team/cases/{case_id}/access", {
            "member": hedy.member, "grant": doc, "headers": grants.encode_headers(only_report)})
    assert (exc.value.status, exc.value.code) == (409, "conflict")
    with pytest.raises(ApiError) as exc:  # a signature by someone else
        grace.api.call("POST", f"/v1/team/cases/{case_id}/access", {
            "member": hedy.member, "grant": {**doc, "by": api.team.admin.id},
            "headers": grants.encode_headers(only_report)})
    assert (exc.value.status, exc.value.code) == (422, "invalid_access")
    assert hedy.member not in grace.get(f"/v1/team/cases/{case_id}")["access"]


def test_a_purge_deletes_the_grants_with_the_case(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    """Grant records and headers live under the case's partition (store/keys.py),
    so a purge removes them with its entries (protocol §4.7)."""
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    grants.grant(_session(api, api.team.by_name("Grace").key), case_id, hedy.member)
    assert api.store.query(keys.grant_headers(case_id, hedy.member))
    ada = _as(api, api.team.admin.key)
    ada.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "closed", "resolution": "spam"})
    ada.call("DELETE", f"/v1/team/cases/{case_id}")
    assert api.store.query(keys.case_items(case_id)) == []
    assert api.store.get(keys.grant(case_id, hedy.member)) is None


def test_a_reporter_message_after_the_grant_is_read_once_granted_again(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    """The reporter's page seals to the report's access (protocol §4.4): a
    granted member reads a later reporter message once the grant is renewed."""
    api, case_id, sub = filed
    hedy = _hedy_joins(api)
    grace = _session(api, api.team.by_name("Grace").key)
    grants.grant(grace, case_id, hedy.member)
    visit = reporter.follow_up(api.anonymous, sub.receipt, api.team.manifest)
    visit.send("One more thing.")
    s = _session(api, hedy)
    assert [m.reason for m in teamops.read_case(s, case_id).messages][-1] == "cannot be decrypted"
    grants.grant(grace, case_id, hedy.member)
    last = teamops.read_case(s, case_id).messages[-1]
    assert last.ok and (last.doc or {}).get("text") == "One more thing."


def test_bad_grants_and_revocations_are_refused_and_change_nothing(
    filed: tuple[Api, str, reporter.Submission],
) -> None:
    api, case_id, _ = filed
    hedy = _hedy_joins(api)
    grace = _session(api, api.team.by_name("Grace").key)
    case = grace.get(f"/v1/team/cases/{case_id}")
    recipient = kf.public_card(hedy, "H", "", "reviewer")["recipient"]
    doc = grants.new_grant(case["reply_to"], hedy.member, grace.key.member,
                           grace.key.signing_seed)
    good = {}
    for blob_id in grants_blob_ids(api, case_id):
        answer = grace.get(f"/v1/team/cases/{case_id}/blobs/{blob_id}")
        head = (grants.attachment_head(grace.api, answer) if blob_id.startswith("a_")
                else b64u_decode(answer["sealed"]))
        good[blob_id] = b64u_encode(grants.grant_header(head, grace.key.identities, recipient))
    some = sorted(good)[0]
    two_stanzas = documents.seal_document({"v": 1}, [recipient, case["reply_to"]])
    cases = [
        ({"headers": {**good, "b_" + "A" * 22: good[some]}}, 400, "malformed"),
        ({"headers": {**good, some: b64u_encode(two_stanzas[:parse_header(two_stanzas).size])}},
         422, "invalid_blob"),
        ({"headers": {**good, some: good[some] + "AAAA"}}, 422, "invalid_blob"),
        ({"headers": {**good, some: "A" * 6000}}, 413, "too_large"),
        ({"member": api.team.admin.id}, 409, "conflict"),  # on the case already
        ({"grant": {**doc, "sig": doc["sig"][::-1]}}, 422, "invalid_access"),
    ]
    for change, status, code in cases:
        body = {"member": hedy.member, "grant": doc, "headers": good, **change}
        with pytest.raises(ApiError) as exc:
            grace.api.call("POST", f"/v1/team/cases/{case_id}/access", body)
        assert (exc.value.status, exc.value.code) == (status, code), change
    assert hedy.member not in grace.get(f"/v1/team/cases/{case_id}")["access"]
    ada = _as(api, api.team.admin.key)
    with pytest.raises(ApiError) as exc:  # not on the case
        ada.call("DELETE", f"/v1/team/cases/{case_id}/access/{hedy.member}")
    assert exc.value.status == 404
    grace.api.call("POST", f"/v1/team/cases/{case_id}/access",
                   {"member": hedy.member, "grant": doc, "headers": good})  # the good one works
