"""The follow-up page's status (issue 12, "Reporter side"): the team's
first answer acknowledges the report (protocol §4.4), so the reporter sees
"acknowledged" from then on, not "received, not yet confirmed"."""

from __future__ import annotations

from candor import teamops
from candor.reporter import Visit, follow_up, submit
from tests.support.team import Api


def _status(api: Api, visit: Visit) -> tuple[Visit, str]:
    later = follow_up(api.anonymous, visit.receipt, api.team.manifest)
    return later, later.status["status"]


def test_the_first_answer_shows_as_the_acknowledgement(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "s"}, today=api.ctx.today())
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    assert visit.status["status"] == "received"
    ada = api.team.admin
    s = teamops.Session(api.as_member(ada), ada.key, api.team.manifest, today=api.ctx.today)
    case_id = api.store.query("cases")[0].sk
    teamops.write(s, teamops.read_case(s, case_id), "message", "We have your report.")
    visit, status = _status(api, visit)
    assert status == "acknowledged"
    assert visit.status["updated"] == api.ctx.day()
    # A status the team sets is shown as it is.
    team = api.as_member(ada)
    team.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "investigating"})
    assert _status(api, visit)[1] == "investigating"


def test_a_report_nobody_answered_stays_received(api: Api) -> None:
    sub = submit(api.anonymous, api.team.manifest, {"summary": "s"}, today=api.ctx.today())
    visit = follow_up(api.anonymous, sub.receipt, api.team.manifest)
    visit.send("Anyone there?", today=api.ctx.today())
    assert _status(api, visit)[1] == "received"
