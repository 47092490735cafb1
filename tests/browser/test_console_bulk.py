""""Acknowledge all new" in Chromium against ``candor serve`` (issue 16):
twenty new cases each get one acknowledgement, the template in the
reporter's language, which another member's Python client and the
reporter's own client verify; a case the team had answered is marked, not
written to again; a failed send is listed and its retry sends it once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from candor import reporter, teamops
from candor.client import ApiClient, HttpTransport
from tests.browser.conftest import run_axe
from tests.browser.test_console import FORM, member, submit, unlock
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ACK = next(r for r in json.loads((ROOT / "frontend" / "replies.json").read_text())["replies"]
           if r["id"] == "acknowledge")


def _filled(lang: str, case: dict[str, Any]) -> str:
    text = str(ACK["text"].get(lang, ACK["text"]["en"]))
    for key in ("case", "received", "acknowledge_by", "feedback_by"):
        text = text.replace("{" + key + "}", str(case[key] if key != "case" else case["id"]))
    return text


def test_twenty_new_cases_acknowledged_each_with_its_own_signed_message(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    ada, grace = member(server, "Ada"), member(server, "Grace")
    subs = []
    for n in range(20):
        lang = "de" if n % 2 else "en"
        form = {**FORM, "summary": f"Leak report {n:02d}"}
        subs.append((submit(server, form=form, lang=lang), lang))
    cases = server.team_get(ada, "/v1/team/cases")["cases"]
    assert len(cases) == 20
    # One more, which a member already answered from the CLI: marked, never written to again.
    submit(server, form={**FORM, "summary": "Answered already"})
    answered = next(c["id"] for c in server.team_get(ada, "/v1/team/cases")["cases"]
                    if c["id"] not in {c["id"] for c in cases})
    server.reply_as(grace, answered, "We are on it.")
    flaky = cases[3]["id"]

    page, watch = make_page(server.url)
    unlock(page, server, ada)
    # Storage fails for one case's reply, longer than the console waits: it is listed, and its
    # retry sends it once.
    failing = [True]

    def storage_down(route: Any) -> None:
        if failing[0] and route.request.method == "POST":
            route.fulfill(status=503, headers={"Retry-After": "60"}, json={
                "error": {"code": "unavailable", "message": "Storage is unavailable."}})
        else:
            route.continue_()

    page.route(f"**/v1/team/cases/{flaky}/messages", storage_down)
    watch.expect_error("503")
    page.click("#bulk-ack")
    question = page.inner_text("#bulk-ack-question")
    assert "New cases to acknowledge: 21." in question and "Acknowledge receipt" in question
    assert page.locator("#bulk-ack-outcomes li").count() == 0  # nothing sent before confirming
    page.click("#bulk-ack-send")
    page.wait_for_selector("#bulk-ack-retry:not([hidden])", timeout=120000)
    assert "Acknowledged: 20. Failed: 1" in page.inner_text("#bulk-ack-status")
    outcomes = {li.get_attribute("data-case"): li.get_attribute("data-outcome")
                for li in page.locator("#bulk-ack-outcomes li").all()}
    assert outcomes[flaky] == "failed" and outcomes[answered] == "status"
    assert list(outcomes.values()).count("sent") == 19
    assert run_axe(page) == []
    failing[0] = False
    page.click("#bulk-ack-retry")
    assert "New cases to acknowledge: 1." in page.inner_text("#bulk-ack-question")
    page.click("#bulk-ack-send")
    page.wait_for_selector("#bulk-ack-status:has-text('Done')", timeout=60000)
    assert page.locator("#bulk-ack-outcomes li[data-outcome=sent]").count() == 1

    # Every case: one team message, verified by another member's client, in its reporter's language.
    s = server.session(grace)
    for case in cases:
        view = teamops.read_case(s, case["id"])
        team = [m for m in view.messages if (m.doc or {}).get("from") == "team"]
        assert len(team) == 1 and team[0].ok, case["id"]
        assert team[0].doc and team[0].doc["member"] == ada.member_id
        # Feedback is promised by the day it is due once acknowledged, the team's own deadline.
        assert team[0].doc["text"] == _filled(view.report["lang"], view.case)
        assert view.case["status"] == "acknowledged" and view.case["acknowledged"]
    assert len(teamops.read_case(s, answered).messages) == 1

    # The reporters read theirs with their own receipts, and each verifies.
    api = ApiClient(HttpTransport(server.url))
    for sub, lang in subs[:2]:
        visit = reporter.follow_up(api, sub.receipt, server.manifest)
        ((doc, ok),) = visit.read_messages(server.manifest)
        assert ok and doc["from"] == "team"
        opening = "Vielen Dank" if lang == "de" else "Thank you for your report"
        assert doc["text"].startswith(opening)

    # Asked again: nothing is new, nothing is sent twice.
    page.click("#bulk-ack-cancel")
    page.click("#bulk-ack")
    assert "no new case" in page.inner_text("#bulk-ack-question")
    assert page.locator("#bulk-ack-send").is_hidden()


def test_another_console_acknowledging_meanwhile_leaves_the_reporter_one_acknowledgement(
    make_page: Any, live_server: LiveServer
) -> None:
    """Grace's console acknowledges a case between Ada's console reading it
    and sending its reply: the server refuses Ada's (``after``, protocol
    §4.4), her console reads the case again and sends nothing more."""
    from candor import replies

    server = live_server
    ada, grace = member(server, "Ada"), member(server, "Grace")
    for n in range(2):
        submit(server, form={**FORM, "summary": f"Leak report {n}"})
    raced, calm = (c["id"] for c in server.team_get(ada, "/v1/team/cases")["cases"])
    page, watch = make_page(server.url)
    unlock(page, server, ada)
    won: list[str] = []

    def grace_first(route: Any) -> None:
        if route.request.method == "POST" and not won:
            ack = replies.acknowledgement(replies.load())
            assert ack is not None
            won.append(replies.acknowledge(server.session(grace), raced, ack))
        route.continue_()

    page.route(f"**/v1/team/cases/{raced}/messages", grace_first)
    watch.expect_error("409")
    page.click("#bulk-ack")
    page.click("#bulk-ack-send")
    page.wait_for_selector("#bulk-ack-status:has-text('Done')", timeout=60000)
    outcomes = {li.get_attribute("data-case"): li.get_attribute("data-outcome")
                for li in page.locator("#bulk-ack-outcomes li").all()}
    assert won == ["sent"] and outcomes == {raced: "none", calm: "sent"}
    s = server.session(grace)
    for case_id, by in ((raced, grace), (calm, ada)):
        view = teamops.read_case(s, case_id)
        team = [m for m in view.messages if m.doc and m.doc["from"] == "team"]
        assert [m.doc["member"] for m in team if m.doc] == [by.member_id], case_id
        assert view.case["status"] == "acknowledged"
    watch.check()
