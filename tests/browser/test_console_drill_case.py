"""The case view of a drill in Chromium against ``candor serve`` (issue 16).

A drill an admin files (the listing's plaintext flag and the sealed
report's mark both say so) opens under a banner naming its scenario in
the console's language, with when it started and a link to its
after-action summary, and its report lists no raw ``drill`` rows. A case
whose two words disagree (a report filed with the flag but no mark, or a
reporter's report carrying a mark but no flag) shows a warning instead of
the banner. In the inbox, only the drill by both words has the Drill
badge; each of the other two is marked "Drill not confirmed" and worked as
a real case, also when the rows come from the member's inbox index on the
next unlock. Axe finds nothing serious."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from candor import drill
from candor.client import ApiClient, HttpTransport
from candor.reporter import submit
from tests.browser.conftest import run_axe, screenshot
from tests.browser.test_console import member, unlock
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCENARIO = "confidential_leak_roadmap"


def _file_cases(server: LiveServer) -> dict[str, str]:
    """A drill, a report flagged a drill with no mark inside, and a
    reporter's report marked as a drill that the listing does not flag."""
    ada = member(server, "Ada")
    library = drill.load_library()
    before = {c["id"] for c in server.team_get(ada, "/v1/team/cases")["cases"]}
    drill.start(server.client(ada), server.manifest, drill.scenario(library, SCENARIO), lang="de")
    plain = {"category": "harassment", "summary": "Flagged a drill, nothing inside says so",
             "details": "d", "ongoing": "no", "urgency": "normal"}
    submit(server.client(ada), server.manifest, plain,
           filed={"source": "monitoring", "drill": True})
    other = drill.scenario(library, "harassment_team_chat")
    marked = drill.drill_form(other, "en", datetime.now(UTC))
    marked["summary"] = "Marked a drill inside, not listed as one"
    submit(ApiClient(HttpTransport(server.url)), server.manifest, marked)
    cases = {}
    for c in server.team_get(ada, "/v1/team/cases")["cases"]:
        if c["id"] not in before:
            kind = "drill" if c.get("source") == "drill" else "flag" if c.get("drill") else "mark"
            cases[kind] = c["id"]
    assert set(cases) == {"drill", "flag", "mark"}
    return cases


def _open(page: Any, case_id: str) -> None:
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    page.click(f"#inbox-rows .case-link[data-case='{case_id}']")
    page.wait_for_selector(f"#view-case:not([hidden]) #case-meta dd:has-text('{case_id}')")


def _badges(page: Any, cases: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    """Per case: (the Drill badge, the "Drill not confirmed" badge) of its inbox row."""
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    out = {}
    for kind, case_id in cases.items():
        row = page.locator(f"#inbox-rows tr[data-case='{case_id}']")
        out[kind] = (row.locator("[data-drill]").count() == 1,
                     row.locator("[data-drill-mismatch]").count() == 1)
    return out


def _report_keys(page: Any) -> list[str]:
    keys: list[str] = page.eval_on_selector_all(
        "#case-report dt", "ds => ds.map(d => d.textContent.trim())")
    return keys


def test_a_drill_case_shows_its_banner_and_a_tampered_flag_a_warning(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    cases = _file_cases(server)
    titles = drill.scenario(drill.load_library(), SCENARIO)["answers"]["summary"]
    page, watch = make_page(server.url)
    unlock(page, server, member(server, "Ada"))
    expected = {"drill": (True, False), "flag": (False, True), "mark": (False, True)}
    assert _badges(page, cases) == expected
    assert "Drill not confirmed" in page.inner_text(f"#inbox-rows tr[data-case='{cases['flag']}']")

    _open(page, cases["drill"])
    banner = page.wait_for_selector(f"#case-warnings [data-drill-banner='{SCENARIO}']")
    text = banner.inner_text()
    assert "Drill" in text and f"“{titles['en']}”" in text and str(datetime.now(UTC).year) in text
    assert "After-action summary" in text
    keys = _report_keys(page)
    assert "drill" not in keys and "drill_started" not in keys
    assert "In one sentence: what happened?" in keys
    assert page.locator("[data-warning=drill]").count() == 0
    screenshot(page, "console-drill-case")
    assert run_axe(page) == []
    # In Spanish, the scenario's Spanish title (the report itself was filed in German).
    page.click("button[data-lang=es]")
    page.wait_for_selector(f"[data-drill-banner]:has-text('«{titles['es']}»')")
    assert "Simulacro" in page.inner_text("[data-drill-banner] h2")
    assert run_axe(page) == []
    page.click("button[data-lang=en]")
    page.wait_for_selector("[data-drill-banner] h2:has-text('Drill')")
    page.click("[data-drill-banner] [data-drill-summary]")
    page.wait_for_selector("#view-drills:not([hidden])")
    page.wait_for_selector("#drill-summary:not([hidden])")  # that drill's summary, opened

    # The listing says drill, the sealed report does not: a warning, no banner.
    _open(page, cases["flag"])
    warning = page.wait_for_selector("#case-warnings [data-warning=drill]")
    assert "the server lists this case as a drill" in warning.inner_text()
    assert page.locator("[data-drill-banner]").count() == 0
    assert run_axe(page) == []
    # The sealed report says drill, the listing does not: a warning, and its mark shown as answers.
    _open(page, cases["mark"])
    warning = page.wait_for_selector("#case-warnings [data-warning=drill]")
    assert "the sealed report says it is a drill" in warning.inner_text()
    assert page.locator("[data-drill-banner]").count() == 0
    assert {"drill", "drill_started"} <= set(_report_keys(page))
    # A tag on the flagged case, whose report every unlock reads again for its mark: the
    # index keeps the tag all the same.
    _open(page, cases["flag"])
    page.wait_for_selector("#case-tags-box:not([hidden])")
    page.fill("#case-tags-input", "drillcheck")
    page.click("#case-tags-save")
    page.wait_for_selector("#case-tags .badge-tag[data-tag=drillcheck]")
    page.click("#back-to-inbox")
    page.wait_for_selector("#inbox-progress[data-index-saved]", state="attached")
    # The next unlocks read the rows from Ada's inbox index: the same badges, the same tag.
    for _ in range(2):
        page.click("#lock")
        unlock(page, server, member(server, "Ada"))
        assert page.get_attribute("#inbox-progress", "data-index") == "warm"
        page.wait_for_selector("#inbox-progress[data-index-saved]", state="attached")
    assert _badges(page, cases) == expected
    page.select_option("#f-tag", "drillcheck")
    assert [r.get_attribute("data-case") for r in page.locator("#inbox-rows tr[data-case]").all()] \
        == [cases["flag"]]
    page.select_option("#f-tag", "")
    assert run_axe(page) == []
    watch.check()
