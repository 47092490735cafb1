"""Reports the team files (protocol §4.4, "Filing") and the intake role
(protocol §4.5, Roles): a phone report a reviewer enters and a monitoring
alert the intake key files arrive as cases the team decrypts, with their
plaintext source; the intake key gets 403 on every other team route; only
an admin files a drill; every filing is audited. On every backend."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import app
from candor import grants, reporter, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError
from chalicelib import manifest as mf
from chalicelib.store import keys
from tests.backends import FakeClock
from tests.support.team import MEMBERS, Api, Team, make_api, make_team

pytestmark = pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)

PHONE = {"category": "account_compromised", "summary": "Caller: our account posts spam",
         "details": "Phoned at 9, the posts started overnight."}
ALERT = {"summary": "Brand monitor: login from a new country", "details": "Rule 12 fired."}


@pytest.fixture(scope="module")
def team_with_intake() -> Team:
    """The usual team and Ivy, an intake member (the webhook host's key)."""
    return make_team((*MEMBERS, ("Ivy Intake", "Monitoring", "intake")))


@pytest.fixture
def intake_api(any_store: object, team_with_intake: Team, clock: FakeClock) -> Api:
    return make_api(any_store, team_with_intake, clock)


def _client(api: Api, first_name: str) -> ApiClient:
    return ApiClient(api.transport, api.team.by_name(first_name).key, clock=api.clock.time)


def _session(api: Api, first_name: str) -> teamops.Session:
    key = api.team.by_name(first_name).key
    return teamops.Session(_client(api, first_name), key, api.team.manifest, today=api.ctx.today)


def _file(api: Api, first_name: str, form: dict[str, str], **filed: Any) -> reporter.Submission:
    return reporter.submit(_client(api, first_name), api.team.manifest, form,
                           today=api.ctx.today(), filed=filed)


def _cases(api: Api, first_name: str = "Ada") -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = _client(api, first_name).call("GET", "/v1/team/cases")["cases"]
    return cases


def test_filed_reports_arrive_as_cases_the_team_decrypts(intake_api: Api) -> None:
    api = intake_api
    ivy = api.team.by_name("Ivy").id
    phone = _file(api, "Grace", PHONE, source="phone")
    alert = _file(api, "Ivy", ALERT, source="monitoring")
    assert phone.answer == {"received": api.ctx.day(), "status": "received"}
    assert ivy not in phone.body["access"] and ivy not in alert.body["access"]

    by_source = {c["source"]: c for c in _cases(api)}
    assert sorted(by_source) == ["monitoring", "phone"]
    assert not any(c["drill"] for c in by_source.values())
    for source, form in (("phone", PHONE), ("monitoring", ALERT)):
        view = teamops.read_case(_session(api, "Alan"), by_source[source]["id"])
        assert view.report["form"] == form and view.warnings == []
        assert view.case["source"] == source and view.case["drill"] is False
    # The caller's receipt opens the follow-up like any reporter's.
    visit = reporter.follow_up(api.anonymous, phone.receipt, api.team.manifest)
    assert visit.read_report()["form"] == PHONE


def test_a_page_report_has_no_source(intake_api: Api) -> None:
    api = intake_api
    reporter.submit(api.anonymous, api.team.manifest, PHONE, today=api.ctx.today())
    (case,) = _cases(api)
    assert "source" not in case and "drill" not in case


def test_filing_is_audited(intake_api: Api) -> None:
    api = intake_api
    _file(api, "Ivy", ALERT, source="monitoring")
    entries = [e.data for e in api.store.query(keys.AUDIT)]
    (filed,) = [e for e in entries if e["action"] == "report.file"]
    assert filed["member"] == api.team.by_name("Ivy").id and filed["case"] is None


def _team_routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, entries in app.routes.items()
                  if path.startswith("/v1/team/") for method in entries)


def _filled(path: str) -> str:
    # Ids of the right shape that name nothing: the refusal comes first.
    ids = {"case_id": "c_" + "A" * 22, "blob_id": "b_" + "A" * 22, "member_id": "m_" + "A" * 20,
           "notice_id": "n_" + "A" * 22}
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x_" + "A" * 22), path)


def test_the_intake_key_is_refused_every_other_team_route(intake_api: Api) -> None:
    api = intake_api
    _file(api, "Ivy", ALERT, source="monitoring")  # one case exists
    ivy = _client(api, "Ivy")
    routes = [r for r in _team_routes() if r != ("POST", "/v1/team/reports")]
    assert ("GET", "/v1/team/cases") in routes and ("GET", "/v1/team/audit") in routes
    assert len(routes) >= 20
    for method, path in routes:
        body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
        with pytest.raises(ApiError) as exc:
            ivy.call(method, _filled(path), body,
                     query={"cases": _cases(api)[0]["id"]} if path == "/v1/team/reports" else None)
        assert (exc.value.status, exc.value.code) == (403, "forbidden"), (method, path)


def test_only_an_admin_files_a_drill(intake_api: Api) -> None:
    api = intake_api
    with pytest.raises(ApiError) as exc:
        _file(api, "Grace", PHONE, source="drill", drill=True)
    assert exc.value.status == 403
    with pytest.raises(ApiError) as exc:
        _file(api, "Ivy", PHONE, source="monitoring", drill=True)
    assert exc.value.status == 403
    assert _cases(api) == []
    _file(api, "Ada", PHONE, source="drill", drill=True)
    (case,) = _cases(api)
    assert (case["source"], case["drill"]) == ("drill", True)


@pytest.mark.parametrize("filed", [
    {"source": "email"}, {"source": "drill"}, {"source": "drill", "drill": False},
    {"source": "phone", "drill": "yes"}, {"source": 1},
])
def test_a_bad_source_or_drill_flag_is_400_and_stores_nothing(
    intake_api: Api, filed: dict[str, Any]
) -> None:
    api = intake_api
    with pytest.raises(ApiError) as exc:
        _file(api, "Ada", PHONE, **filed)
    assert (exc.value.status, exc.value.code) == (400, "malformed")
    assert _cases(api) == [] and list(api.store.query(keys.AUDIT))[-1].data["action"] != \
        "report.file"


def test_the_server_refuses_access_naming_the_intake_member(
    intake_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that seals to the intake key anyway: 422, nothing stored."""
    api = intake_api
    everyone = [m["id"] for m in api.team.manifest["members"]]
    monkeypatch.setattr(reporter, "route_readers", lambda manifest, category: everyone)
    with pytest.raises(ApiError) as exc:
        reporter.submit(api.anonymous, api.team.manifest, PHONE, today=api.ctx.today())
    assert exc.value.status == 422
    assert _cases(api) == []


def test_the_intake_member_reads_no_report_and_gets_no_grant(
    intake_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = intake_api
    ivy = api.team.by_name("Ivy").id
    assert ivy not in mf.route_readers(api.team.manifest, None)
    _file(api, "Grace", PHONE, source="walk-in")
    (case,) = _cases(api)
    with pytest.raises(grants.GrantError, match="intake"):  # refused before anything is sent
        grants.grant(_session(api, "Ada"), case["id"], ivy)
    # A client that skips that check: the server refuses too.
    monkeypatch.setattr(grants, "check_grantable",
                        lambda case, member, manifest, left_out: next(
                            m for m in manifest["members"] if m["id"] == member))
    with pytest.raises(ApiError) as exc:
        grants.grant(_session(api, "Ada"), case["id"], ivy)
    assert exc.value.status == 422 and "intake" in exc.value.message
    assert _cases(api)[0]["access"] == case["access"]


def test_no_member_moves_to_or_from_intake_by_itself(intake_api: Api) -> None:
    api = intake_api
    grace = api.team.by_name("Grace")
    current = next(m for m in _client(api, "Grace").call("GET", "/v1/team/members")["members"]
                   if m["id"] == grace.id)
    entry = kf.public_card(grace.key, grace.name, grace.function, "intake", current)
    with pytest.raises(ApiError) as exc:
        _client(api, "Grace").call("PUT", f"/v1/team/members/{grace.id}", entry)
    assert exc.value.status == 403
