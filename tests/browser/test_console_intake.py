""""File a report" in the console (protocol §4.4, "Filing"; issue 16), in
Debian's Chromium against `candor serve`: a reviewer files a phone caller's
report, sealed by the page's own code; the team decrypts it with the Python
client and sees its source; the receipt, shown large, opens the follow-up
page. An intake member's console offers that view alone and reads nothing.
Axe finds nothing serious."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import teamops
from tests.browser.conftest import run_axe
from tests.browser.test_console import member, origin
from tests.support.live import LiveServer, start_live_server
from tests.support.team import MEMBERS, Team, make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VOICEMAIL = b"Voicemail transcript: the caller's account posts links since 3 a.m."
CALL = {"summary": "Caller: our account posts crypto spam",
        "details": "Phoned at nine; the posts started overnight."}


@pytest.fixture(scope="module")
def with_intake() -> Team:
    return make_team((*MEMBERS, ("Ivy Intake", "Monitoring", "intake")))


@pytest.fixture
def server(tmp_path: Path, with_intake: Team) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path, with_intake)
    try:
        yield live
    finally:
        live.stop()


def _unlock(page: Any, server: LiveServer, who: Any, view: str) -> None:
    page.goto(origin(server) + "/console/")
    page.wait_for_selector("#unlock-form")
    page.set_input_files("#keyfile", str(who.keyfile_path))
    page.fill("#passphrase", who.passphrase)
    page.click("#unlock")
    page.wait_for_selector(f"#{view}:not([hidden])", timeout=90000)


def _fill(page: Any, source: str, summary: str) -> None:
    page.check(f"#intake-source-{source}")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", summary)
    page.fill("#q-details-input", CALL["details"])
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.click("#intake-send")
    page.wait_for_selector("#intake-receipt", timeout=90000)


def _filed(server: LiveServer) -> dict[str, tuple[dict[str, Any], teamops.CaseView]]:
    s = server.session(member(server, "Ada"))
    return {c["source"]: (c, teamops.read_case(s, c["id"]))
            for c in s.get("/v1/team/cases")["cases"]}


def test_a_member_files_a_phone_report_whose_receipt_opens_the_follow_up(
    make_page: Any, server: LiveServer
) -> None:
    page, _ = make_page(origin(server))
    _unlock(page, server, member(server, "Grace"), "view-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]", timeout=90000)
    page.click("#tab-intake")
    page.wait_for_selector("#view-intake:not([hidden]) #intake-form")
    assert page.get_attribute("#tab-intake", "aria-current") == "page"
    assert run_axe(page) == []
    page.click("#intake-send")  # nothing filled in: the form says what is missing
    assert page.get_attribute("#q-summary-input", "aria-invalid") == "true"
    assert page.query_selector("#intake-receipt") is None

    page.set_input_files("#intake-files", files=[
        {"name": "voicemail.txt", "mimeType": "text/plain", "buffer": VOICEMAIL}])
    alan = member(server, "Alan").member_id
    page.select_option("#q-category-input", "account_compromised")  # the readers follow it
    page.check(f"#intake-exclude-{alan}")  # the caller does not want Alan to read it
    assert page.query_selector(f"#intake-exclude-{member(server, 'Ivy').member_id}") is None
    _fill(page, "phone", CALL["summary"])
    receipt = str(page.get_attribute("#intake-receipt", "data-receipt"))
    groups = page.locator("#intake-receipt .receipt-groups li").all_inner_texts()
    assert "-".join(groups) == receipt
    font = page.eval_on_selector("#intake-receipt .receipt-groups li",
                                 "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 32  # large enough to read out
    assert run_axe(page) == []

    ((case, view),) = _filed(server).values()
    assert (case["source"], case["drill"]) == ("phone", False)
    assert view.report["form"]["summary"] == CALL["summary"] and view.warnings == []
    assert member(server, "Ivy").member_id not in case["access"] and alan not in case["access"]
    (entry,) = view.report["attachments"]
    assert entry["name"] == "voicemail.txt"
    s = server.session(member(server, "Grace"))
    assert teamops.attachment(s, case["id"], entry) == VOICEMAIL

    # The caller, at home, opens the follow-up page with the receipt read out to them.
    followup, _ = make_page(origin(server))
    followup.goto(str(page.get_attribute("#intake-followup", "href")))
    followup.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    followup.fill("#receipt-input", receipt)
    followup.click("#open")
    followup.wait_for_selector("#step-next:not([hidden])", timeout=60000)

    page.click("#intake-another")
    assert page.is_visible("#intake-form") and page.input_value("#q-summary-input") == ""


def test_the_reporter_page_never_names_an_intake_member_as_a_reader(
    make_page: Any, server: LiveServer
) -> None:
    page, _ = make_page(origin(server))
    page.goto(origin(server) + "/")
    page.wait_for_selector("#intro-readers li", state="attached")  # in a closed <details>
    readers = page.text_content("#intro-readers") or ""
    assert "Ada Lovelace" in readers and "Alan Turing" in readers
    assert "Ivy Intake" not in readers


def test_an_intake_members_console_only_files(make_page: Any, server: LiveServer) -> None:
    page, watch = make_page(origin(server))
    _unlock(page, server, member(server, "Ivy"), "view-intake")
    shown = [t.get_attribute("id") for t in page.query_selector_all(".tab") if t.is_visible()]
    assert shown == ["tab-intake"]
    _fill(page, "walk-in", "Walk-in: a laptop left unlocked in the lobby")
    assert run_axe(page) == []
    # Nothing but the filing was asked of the server with the intake key.
    team_calls = [r for r in watch.requests if "/v1/team/" in r]
    assert team_calls == ["POST " + origin(server) + "/v1/team/reports"], team_calls
    ((case, view),) = _filed(server).values()
    assert case["source"] == "walk-in"
    assert view.report["form"]["summary"] == "Walk-in: a laptop left unlocked in the lobby"
