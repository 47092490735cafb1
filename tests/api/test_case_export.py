"""``POST /v1/team/cases/{case_id}/export`` (protocol §4.4, "Exports"): an
export is recorded as its own signed audit entry, which the answer returns;
a member outside the case gets 404 and nothing is recorded."""

from __future__ import annotations

import pytest

from candor import audit
from candor.client import ApiError
from candor.reporter import submit
from tests.support.team import Api

FORM = {"category": "confidential_leak", "summary": "roadmap leaked"}


def _case(api: Api, exclude: tuple[str, ...] = ()) -> str:
    submit(api.anonymous, api.team.manifest, FORM, exclude=exclude)
    admin = api.as_member(api.team.admin)
    (case,) = admin.call("GET", "/v1/team/cases")["cases"]
    return str(case["id"])


def test_an_export_is_an_audited_action(api: Api) -> None:
    case_id = _case(api)
    reviewer = api.as_member(api.team.by_name("Grace"))
    answer = reviewer.call("POST", f"/v1/team/cases/{case_id}/export", {})
    entry = answer["entry"]
    assert (entry["action"], entry["case"]) == ("case.export", case_id)
    assert entry["member"] == api.team.by_name("Grace").id
    admin = api.as_member(api.team.admin)
    entries = admin.call("GET", "/v1/team/audit")["entries"]
    assert entries[-1] == entry
    assert audit.verify_entries(entries, api.team.manifest).problems == []


def test_outside_the_case_nothing_is_recorded(api: Api) -> None:
    alan = api.team.by_name("Alan")
    case_id = _case(api, exclude=(alan.id,))
    admin = api.as_member(api.team.admin)
    before = admin.call("GET", "/v1/team/audit")["entries"]
    outsider = api.as_member(alan)
    missing = "c_" + ("B" if case_id[2] != "B" else "C") * 22
    for client, path, status in (
        (outsider, f"/v1/team/cases/{case_id}/export", 404),
        (admin, f"/v1/team/cases/{missing}/export", 404),
        (admin, "/v1/team/cases/nonsense/export", 400),
    ):
        with pytest.raises(ApiError) as err:
            client.call("POST", path, {})
        assert err.value.status == status, path
    assert admin.call("GET", "/v1/team/audit")["entries"] == before
