"""Routes in the manifest (protocol §4.5, Routes; issue 12): a harassment
report is sealed to HR and the admin only, the other members do not see
the case listed, and the server refuses an ``access`` list outside every
route. Runs on every backend (``api``)."""

from __future__ import annotations

from typing import Any

import pytest

from candor import grants, reporter, roster, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError
from chalicelib import manifest as mf
from chalicelib.store import keys
from tests.support.team import Api

pytestmark = pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)

HARASSMENT = {"category": "harassment", "summary": "Shouted at in meetings", "details": "Weekly."}


def _session(api: Api, key: kf.KeyFile) -> teamops.Session:
    client = ApiClient(api.transport, key, clock=api.clock.time)
    return teamops.Session(client, key, api.team.manifest, today=api.ctx.today)


def _route(api: Api, routes: dict[str, list[str]]) -> mf.Manifest:
    """Ada publishes the roster as version 2 with `routes`."""
    ada = api.team.admin.key
    s = _session(api, ada)
    members = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, members, api.ctx.today(), routes=routes)
    signed = roster.sign_manifest(unsigned, ada.member, ada.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", signed)
    return signed


def _file(api: Api, manifest: mf.Manifest, form: dict[str, str], access: list[str]) -> None:
    """A report sealed to exactly `access`, whatever the routes say: the
    Python reporter, shown the manifest without its routes, excludes the
    rest of the team."""
    unrouted = {k: v for k, v in manifest.items() if k != "routes"}
    current = [m["id"] for m in manifest["members"] if not m["removed"]]
    reporter.submit(api.anonymous, unrouted, form, today=api.ctx.today(),
                    exclude=[m for m in current if m not in access])


def _listed(api: Api, first_name: str) -> list[dict[str, Any]]:
    s = _session(api, api.team.by_name(first_name).key)
    cases: list[dict[str, Any]] = s.get("/v1/team/cases")["cases"]
    return cases


def test_a_harassment_report_reaches_hr_and_the_admin_only(api: Api) -> None:
    ada, grace, alan = (api.team.by_name(n).id for n in ("Ada", "Grace", "Alan"))
    routed = _route(api, {"harassment": [alan]})
    readers = mf.route_readers(routed, "harassment")
    assert sorted(readers) == sorted([ada, alan])  # in manifest order
    _file(api, routed, HARASSMENT, readers)

    assert _listed(api, "Grace") == []  # not on the case: not listed, 404 on it
    (case,) = _listed(api, "Alan")
    assert [c["id"] for c in _listed(api, "Ada")] == [case["id"]]
    assert sorted(case["access"]) == sorted([ada, alan])
    with pytest.raises(ApiError) as exc:
        _session(api, api.team.by_name("Grace").key).get(f"/v1/team/cases/{case['id']}")
    assert exc.value.status == 404
    view = teamops.read_case(_session(api, api.team.by_name("Alan").key), case["id"])
    assert view.report["form"]["category"] == "harassment"
    # Grace was never offered this report: she is not recorded as excluded,
    # so an escalation beyond the route stays possible (a grant).
    stored = api.store.get(keys.case(case["id"]))
    assert stored is not None and stored.data["excluded"] == []
    assert grace not in stored.data["excluded"]


def test_the_server_refuses_access_outside_every_route(api: Api) -> None:
    ada, grace, alan = (api.team.by_name(n).id for n in ("Ada", "Grace", "Alan"))
    routed = _route(api, {"harassment": [alan], "account_compromised": [grace]})
    for access in ([ada, alan, grace], [alan, grace, ada]):
        with pytest.raises(ApiError) as exc:
            _file(api, routed, HARASSMENT, access)
        assert exc.value.status == 422 and exc.value.code == "invalid_access"
        assert "fits no route" in exc.value.message
    assert _listed(api, "Ada") == []  # nothing half-written

    _file(api, routed, {**HARASSMENT, "category": "account_compromised"}, [ada, grace])
    _file(api, routed, {**HARASSMENT, "category": "other"}, [ada])  # no route: admins only
    assert len(_listed(api, "Ada")) == 2 and len(_listed(api, "Grace")) == 1


def test_a_reporter_exclusion_within_the_route_is_recorded(api: Api) -> None:
    ada, alan = api.team.by_name("Ada").id, api.team.by_name("Alan").id
    routed = _route(api, {"harassment": [alan]})
    _file(api, routed, HARASSMENT, [ada])  # HR excluded by the reporter
    (case,) = _listed(api, "Ada")
    stored = api.store.get(keys.case(case["id"]))
    assert stored is not None and stored.data["excluded"] == [alan]


def test_without_routes_everyone_receives_everything(api: Api) -> None:
    everyone = [m.id for m in api.team.members]
    _file(api, mf.parse_manifest(api.team.manifest), HARASSMENT, everyone)
    assert all(len(_listed(api, m.name.split()[0])) == 1 for m in api.team.members)


def test_a_route_to_a_removed_member_is_refused(api: Api) -> None:
    alan = api.team.by_name("Alan").id
    ada = api.team.admin.key
    s = _session(api, ada)
    s.api.call("DELETE", f"/v1/team/members/{alan}")
    members = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, members, api.ctx.today())
    unsigned = {**unsigned, "routes": {"harassment": [alan]}}
    with pytest.raises(ApiError) as exc:
        s.api.call("PUT", "/v1/team/manifest",
                   roster.sign_manifest(unsigned, ada.member, ada.signing_seed))
    assert exc.value.status == 422 and exc.value.code == "invalid_manifest"
    assert "routes: harassment names someone who is not a current member" in exc.value.message
    # The roster's next version drops a removed member from the routes itself.
    assert roster.kept_routes({"harassment": [alan]}, members) == {}


def test_escalation_beyond_the_route_is_a_grant_but_never_to_an_excluded_member(
    api: Api,
) -> None:
    ada, grace, alan = (api.team.by_name(n) for n in ("Ada", "Grace", "Alan"))
    routed = _route(api, {"harassment": [alan.id]})
    _file(api, routed, HARASSMENT, [ada.id, alan.id])
    (case,) = _listed(api, "Ada")
    granted = grants.grant(_session(api, ada.key), case["id"], grace.id)
    assert granted["member"] == grace.id
    # Grace reads the case, and Alan's client still proves who is on it.
    assert teamops.read_case(_session(api, grace.key), case["id"]).report["form"] == HARASSMENT
    alans = _session(api, alan.key)
    report = teamops.read_case(alans, case["id"]).report
    left_out = grants.excluded(report, [routed])
    assert left_out == set()
    view = alans.get(f"/v1/team/cases/{case['id']}")
    assert grants.access_problems(view, report, routed, left_out) == []

    # HR excluded by the reporter: nobody may give them the case.
    _file(api, routed, {**HARASSMENT, "summary": "About HR"}, [ada.id])
    (other,) = [c for c in _listed(api, "Ada") if c["id"] != case["id"]]
    with pytest.raises(grants.GrantError, match="excluded by the reporter"):
        grants.grant(_session(api, ada.key), other["id"], alan.id)
    adas = _session(api, ada.key)
    reply_to = adas.get(f"/v1/team/cases/{other['id']}")["reply_to"]
    with pytest.raises(ApiError) as exc:
        adas.api.call("POST", f"/v1/team/cases/{other['id']}/access", {
            "member": alan.id, "headers": {},
            "grant": grants.new_grant(reply_to, alan.id, ada.id, ada.key.signing_seed)})
    assert (exc.value.status, exc.value.code) == (422, "member_excluded")
    assert grants.grant(_session(api, ada.key), other["id"], grace.id)["member"] == grace.id


def test_the_python_reporter_seals_to_the_category_readers(api: Api) -> None:
    ada, grace, alan = (api.team.by_name(n).id for n in ("Ada", "Grace", "Alan"))
    everyone = [m["id"] for m in api.team.manifest["members"]]
    unrouted = reporter.submit(api.anonymous, api.team.manifest, HARASSMENT, today=api.ctx.today())
    assert unrouted.body["access"] == everyone
    routed = _route(api, {"harassment": [alan]})
    sent = [sorted(reporter.submit(api.anonymous, routed, form, today=api.ctx.today())
                   .body["access"])
            for form in (HARASSMENT, {**HARASSMENT, "category": "other"}, {"summary": "x"})]
    assert sent == [sorted([ada, alan]), [ada], [ada]]  # no route, or no category: the admins
    excluding = reporter.submit(api.anonymous, routed, HARASSMENT, exclude=[alan],
                                today=api.ctx.today())
    assert excluding.body["access"] == [ada]
    # The first report reached everyone; of the routed ones HR got one, Grace none.
    assert len(_listed(api, "Alan")) == 2 and len(_listed(api, "Grace")) == 1
    assert grace in everyone
