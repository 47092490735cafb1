"""The case listing carries what the console's figures count (issue 16):
``GET /v1/team/cases`` and the inbox index route list each case's
resolution and the days it was acknowledged, given feedback and closed,
the same as ``GET /v1/team/cases/{id}`` says, so the figures read no case."""

from __future__ import annotations

from candor.reporter import submit
from tests.support.team import Api

FIELDS = ("status", "resolution", "received", "acknowledged", "feedback", "closed")


def test_listings_carry_the_days_and_resolution_the_case_has(local_api: Api) -> None:
    api = local_api
    admin = api.as_member(api.team.admin)
    for summary in ("open", "closed"):
        submit(api.anonymous, api.team.manifest, {"category": "harassment", "summary": summary},
               today=api.ctx.today())
    first, second = (c["id"] for c in admin.call("GET", "/v1/team/cases")["cases"])
    admin.call("PATCH", f"/v1/team/cases/{first}", {"status": "acknowledged"})
    admin.call("PATCH", f"/v1/team/cases/{second}", {"status": "closed", "resolution": "spam"})
    details = {c: admin.call("GET", f"/v1/team/cases/{c}") for c in (first, second)}
    assert details[first]["acknowledged"] == api.ctx.day() and details[first]["closed"] is None
    assert (details[second]["closed"], details[second]["resolution"]) == (api.ctx.day(), "spam")
    for route in ("/v1/team/cases", "/v1/team/index"):
        for listed in admin.call("GET", route)["cases"]:
            detail = details[listed["id"]]
            assert {f: listed[f] for f in FIELDS} == {f: detail[f] for f in FIELDS}, route
