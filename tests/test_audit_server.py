"""The chain the server writes passes candor/audit.py, on every backend: every
audited route of chalicelib/audit_actions.json, a base path, a retention
purge and version 1 (protocol §4.6). The server records nothing the
verifiers would refuse: a signature gone stale by the time of the entry is
401, and day_time never goes back."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from candor import audit, documents, grants, roster, teamops
from candor import keyfile as kf
from candor import notice as notice_doc
from candor.client import ApiClient, ApiError
from candor.reporter import submit
from chalicelib import httpsig
from chalicelib.b64 import b64u_encode
from chalicelib.domain import audit as server_audit
from chalicelib.domain import retention
from tests.support.team import Api

FORM = {"category": "other", "summary": "audited"}


def _case(api: Api) -> str:
    admin = api.as_member(api.team.admin)
    before = {c["id"] for c in admin.call("GET", "/v1/team/cases")["cases"]}
    submit(api.anonymous, api.team.manifest, FORM)
    (new,) = {c["id"] for c in admin.call("GET", "/v1/team/cases")["cases"]} - before
    return str(new)


def _post(api: Api, client: ApiClient, case_id: str, kind: str) -> None:
    case = client.call("GET", f"/v1/team/cases/{case_id}")
    doc = documents.new_message(kind, case["reply_to"], "team", api.team.admin.id, None,
                                "text", [], api.team.admin.key.signing_seed)
    sealed = documents.seal_document(doc, roster.access_recipients(api.team.manifest,
                                                                   case["access"]))
    client.call("POST", f"/v1/team/cases/{case_id}/{kind}s",
                {"id": doc["id"], kind: b64u_encode(sealed), "attachments": []})


def _case_routes(api: Api) -> None:
    admin = api.as_member(api.team.admin)
    case_id, other = _case(api), _case(api)
    view = admin.call("GET", f"/v1/team/cases/{case_id}")
    admin.call("GET", f"/v1/team/cases/{case_id}/blobs/{view['report']['id']}")
    admin.call("GET", "/v1/team/reports", query={"cases": f"{case_id},{other}"})
    submit(admin, api.team.manifest, FORM, filed={"source": "phone"})  # report.file
    _post(api, admin, case_id, "message")
    _post(api, admin, case_id, "note")
    admin.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "closed", "resolution": "spam"})
    admin.call("DELETE", f"/v1/team/cases/{case_id}")
    admin.call("PATCH", f"/v1/team/cases/{other}", {"status": "closed", "resolution": "spam"})
    api.clock.advance(31 * 86400)
    assert retention.run(dataclasses.replace(api.ctx, retention_days=30)) == 1  # a system entry


def _member_routes(api: Api) -> Mapping[str, Any]:
    """Add, rotate, publish, grant a case and revoke it, export it, remove,
    publish a notice and withdraw it; the manifest that lists every key used."""
    admin = api.as_member(api.team.admin)
    case_id = _case(api)  # filed before the newcomer joins
    newcomer = kf.create_keyfile("", kf._identity_type(api.team.admin.key.identities[0]))
    card = kf.public_card(newcomer, "Hedy Lamarr", "Communications", "reviewer")
    admin.call("POST", "/v1/team/members", card)
    rotated, old_seed = kf.rotate_keys(newcomer)
    entry = kf.public_card(rotated, card["name"], card["function"], card["role"], card, old_seed)
    ApiClient(api.transport, newcomer, clock=api.clock.time).call(
        "PUT", f"/v1/team/members/{newcomer.member}", entry)
    listed = admin.call("GET", "/v1/team/members")["members"]
    unsigned = roster.unsigned_manifest(2, api.ctx.today(), listed, threshold=1)
    v2 = roster.sign_manifest(unsigned, api.team.admin.id, api.team.admin.key.signing_seed)
    admin.call("PUT", "/v1/team/manifest/proposal", {"manifest": v2})
    admin.call("PUT", "/v1/team/manifest", v2)
    s = teamops.Session(admin, api.team.admin.key, api.team.manifest, today=api.ctx.today)
    grants.grant(s, case_id, newcomer.member)
    grants.revoke(s, case_id, newcomer.member)
    admin.call("POST", f"/v1/team/cases/{case_id}/export", {})
    admin.call("DELETE", f"/v1/team/members/{newcomer.member}")
    notice = notice_doc.unsigned_notice(v2, {"en": "Do not comment publicly."}, api.ctx.today())
    notice = notice_doc.sign_notice(notice, api.team.admin.id, api.team.admin.key.signing_seed)
    admin.call("POST", "/v1/team/notices", notice)
    admin.call("DELETE", f"/v1/team/notices/{notice['id']}")
    return v2


def test_every_chain_the_server_writes_verifies(api: Api) -> None:
    _case_routes(api)
    manifest = _member_routes(api)
    entries = api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"]
    actions = {(e["action"], e["member"] is None) for e in entries}
    routes = {(r["action"], False) for r in server_audit.TABLE["routes"]}
    systems = {("case.purge", True), ("manifest.publish", True)}  # and re-anchors, elsewhere
    assert actions == routes | systems  # every route of the table, written and checked
    result = audit.verify_entries(entries, manifest)
    assert result.problems == []


def test_a_base_path_is_recorded_and_verifies(api: Api) -> None:
    """The recorded @path carries the public base URL's path (protocol §4.3)."""
    from candor.client import InProcessTransport

    case_id = _case(api)  # before the server's public base URL changes
    transport = InProcessTransport(api.store, "https://example.org/api/prod", api.ctx)
    client = ApiClient(transport, api.team.admin.key, clock=api.clock.time)
    client.call("GET", f"/v1/team/cases/{case_id}")
    entries = client.call("GET", "/v1/team/audit")["entries"]
    assert entries[-1]["request"]["@path"] == f"/api/prod/v1/team/cases/{case_id}"
    assert audit.verify_entries(entries, api.team.manifest).problems == []


def test_the_table_keeps_the_servers_skew() -> None:
    assert server_audit.SKEW_SECONDS == httpsig.SKEW_SECONDS


def test_a_request_gone_stale_before_its_entry_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verified at created + 299 s, recorded two seconds later: 401, nothing written."""
    case_id = _case(api)
    late = ApiClient(api.transport, api.team.admin.key, clock=lambda: api.clock.time() - 299)
    before = len(late.call("GET", "/v1/team/audit")["entries"])
    real = api.store.transact

    def slow(ops: list[Any]) -> None:
        api.clock.advance(2)  # the work before the audit entry took two seconds
        real(ops)

    monkeypatch.setattr(api.store, "transact", slow)
    with pytest.raises(ApiError) as exc:
        late.call("GET", f"/v1/team/cases/{case_id}")
    monkeypatch.undo()
    assert (exc.value.status, exc.value.code) == (401, "clock_skew")
    assert len(late.call("GET", "/v1/team/audit")["entries"]) == before


def test_day_time_never_goes_back(api: Api) -> None:
    """Another server's clock a minute behind still records after the last entry."""
    admin = api.as_member(api.team.admin)
    case_id = _case(api)
    admin.call("GET", f"/v1/team/cases/{case_id}")
    minute = timedelta(seconds=60)
    behind = dataclasses.replace(
        api.ctx, clock=lambda: datetime.fromtimestamp(api.clock.time(), UTC) - minute)
    entry = server_audit.commit(behind, [], member=None, action="case.purge", case=case_id,
                                request=None)
    entries = admin.call("GET", "/v1/team/audit")["entries"]
    assert entry["day_time"] == entries[-2]["day_time"]
    assert audit.verify_entries(entries, api.team.manifest).problems == []


def test_the_server_writes_no_entry_a_verifier_refuses(api: Api) -> None:
    """An unsigned member.add, or a read recorded as a purge, is never written."""
    admin = api.as_member(api.team.admin)
    case_id = _case(api)
    admin.call("GET", f"/v1/team/cases/{case_id}")
    read = admin.call("GET", "/v1/team/audit")["entries"][-1]
    with pytest.raises(Exception, match="system entry"):
        server_audit.commit(api.ctx, [], member=None, action="member.add", case=None,
                            request=None)
    with pytest.raises(ValueError, match="does not follow"):
        server_audit.commit(api.ctx, [], member=read["member"], action="case.purge",
                            case=case_id, request=read["request"])
    assert admin.call("GET", "/v1/team/audit")["entries"][-1] == read
