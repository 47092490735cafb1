"""Drills (issue 16): a drill an admin files through the team filing route
(protocol §4.4, "Filing") is left out of the deadlines and the daily digest,
and kept in the audit, while a real report of the same age is counted."""

from __future__ import annotations

from candor import drill
from candor.reporter import submit
from chalicelib.domain import notify
from tests.support.team import Api

DAY = 86_400


def _file_drill(api: Api) -> str:
    """An admin starts a drill from the scenario library; its case id."""
    before = {c.sk for c in api.store.query("cases")}
    scenario = drill.scenario(drill.load_library(), "confidential_leak_roadmap")
    sub = drill.start(api.as_member(api.team.admin), api.team.manifest, scenario,
                      lang="en", today=api.ctx.today())
    assert sub.answer["status"] == "received"
    [case_id] = {c.sk for c in api.store.query("cases")} - before
    return str(case_id)


def test_a_drill_is_never_overdue_nor_counted_by_the_digest(local_api: Api) -> None:
    api = local_api
    admin = api.as_member(api.team.admin)
    submit(api.anonymous, api.team.manifest, {"category": "harassment", "summary": "real"},
           today=api.ctx.today())
    drill_id = _file_drill(api)
    api.clock.advance(10 * DAY)  # both past the 7 days to acknowledge
    listed = {c["id"]: c for c in admin.call("GET", "/v1/team/cases")["cases"]}
    assert listed[drill_id]["drill"] is True and listed[drill_id]["overdue"] is False
    [real] = [c for c in listed.values() if c["id"] != drill_id]
    assert real["overdue"] is True and "drill" not in real
    assert admin.call("GET", f"/v1/team/cases/{drill_id}")["overdue"] is False
    # The inbox index route lists cases as GET /v1/team/cases does: the inbox marks the drill.
    indexed = {c["id"]: c for c in admin.call("GET", "/v1/team/index")["cases"]}
    assert (indexed[drill_id]["drill"], indexed[drill_id]["overdue"]) == (True, False)
    assert "drill" not in indexed[real["id"]]
    found, counts = notify.tally(api.ctx, {})
    assert (found.new_reports, found.acknowledge_due, found.feedback_due) == (1, 1, 0)
    assert sum(counts.values()) == 0  # today's count: neither was received today


def test_a_drill_alone_makes_an_all_zero_digest_and_stays_in_the_audit(local_api: Api) -> None:
    api = local_api
    drill_id = _file_drill(api)
    found, _ = notify.tally(api.ctx, {})
    assert (found.new_reports, found.awaiting_team, found.acknowledge_due, found.feedback_due) == (
        0, 0, 0, 0)
    entries = api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"]
    filed = [e for e in entries if e["action"] == "report.file"]
    assert [e["member"] for e in filed] == [api.team.admin.id]
    # The filing names no case (protocol §4.6); reading the drill is audited under its case.
    api.as_member(api.team.admin).call("GET", f"/v1/team/cases/{drill_id}")
    entries = api.as_member(api.team.admin).call("GET", "/v1/team/audit")["entries"]
    assert any(e["action"] == "case.read" and e["case"] == drill_id for e in entries)
