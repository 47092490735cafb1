"""``candor cases show`` says how a filed case came in (protocol §4.4,
"Filing"), as the console's badge does; a page's report says nothing."""

from __future__ import annotations

from candor.client import ApiClient, HttpTransport
from candor.reporter import submit
from tests.cli.test_team_cli import candor
from tests.support.live import LiveServer

FORM = {"category": "data_leak", "summary": "Caller saw the roadmap", "details": "By phone."}


def test_cases_show_names_the_source_of_a_filed_case(live_api: LiveServer) -> None:
    ada, grace, _ = live_api.team
    submit(live_api.client(grace), live_api.manifest, FORM, filed={"source": "walk-in"})
    submit(ApiClient(HttpTransport(live_api.url)), live_api.manifest, FORM)
    cases = live_api.team_get(ada, "/v1/team/cases")["cases"]
    filed = next(c["id"] for c in cases if c.get("source"))
    page = next(c["id"] for c in cases if "source" not in c)
    assert "filed: walk-in\n" in candor(live_api, ada, "cases", "show", filed).stdout
    assert "filed:" not in candor(live_api, ada, "cases", "show", page).stdout
