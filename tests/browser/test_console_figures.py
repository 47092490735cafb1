"""Figures and drills in Chromium against ``candor serve`` (issue 16).

A scripted history of cases (submitted as the page does, then dated on
the server's data directory: received, acknowledged, given feedback and
closed on days of the past months) must give, in the rendered
tables of the dashboard, exactly the numbers the script makes; an admin
starts a drill in the console, the team acknowledges it and ticks two
playbook steps, and its after-action summary says so; the drill is absent
from every figure but its own table and from the overdue cases, and
present in the audit. The charts draw under the strict CSP, and axe finds
nothing serious in either view."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from candor.client import ApiClient, HttpTransport
from candor.reporter import submit
from chalicelib.store import keys
from chalicelib.store.local import LocalCaseStore
from tests.browser.conftest import run_axe, screenshot
from tests.browser.test_console import member, unlock
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CATEGORIES = {"confidential_leak": "Confidential information leaked",
              "account_compromised": "Company account compromised",
              "harassment": "Harassment or abuse"}
RESOLUTIONS = ("substantiated", "referred", "spam")


@dataclass(frozen=True)
class Scripted:
    """One case of the history: days before today it came in, then days to
    the acknowledgement, and from it to the feedback (None: never)."""

    days_ago: int
    category: str
    ack: int | None
    feedback: int | None
    resolution: str | None = None

    def received(self, today: date) -> date:
        return today - timedelta(days=self.days_ago)


# Feedback deadlines fall 89 to 92 days after the acknowledgement: every case
# acknowledged without feedback is either under 80 days ago (not overdue) or
# over 100 (overdue), never in between, so no month arithmetic decides here.
HISTORY = [
    Scripted(130, "confidential_leak", 2, 30, "substantiated"),
    Scripted(125, "harassment", 9, 100, "referred"),
    Scripted(118, "account_compromised", 0, None),            # overdue: no feedback
    Scripted(112, "confidential_leak", None, None),           # overdue: never acknowledged
    Scripted(104, "harassment", 5, 40),
    Scripted(96, "confidential_leak", 1, 20, "spam"),
    Scripted(88, "account_compromised", 12, 60),
    Scripted(75, "harassment", 3, None),
    Scripted(66, "confidential_leak", 7, 50, "substantiated"),
    Scripted(58, "account_compromised", None, None),          # overdue
    Scripted(44, "harassment", 2, 30),
    Scripted(37, "confidential_leak", 8, None),
    Scripted(29, "account_compromised", 4, 10, "referred"),
    Scripted(15, "harassment", 0, None),
    Scripted(9, "confidential_leak", None, None),             # overdue
    Scripted(3, "account_compromised", None, None),           # not due yet
]


def _play_history(server: LiveServer, today: date) -> None:
    """Each scripted case submitted as the page does, then its record dated
    as the script says: the server keeps only these days, and its audit log
    refuses requests dated before its last entry, so the history cannot be
    replayed through the API with a clock set back."""
    store = LocalCaseStore(server.data_dir)
    seen: set[str] = set()
    for s in HISTORY:
        form = {"category": s.category, "summary": f"case {s.days_ago}", "details": "d",
                "ongoing": "no", "urgency": "normal"}
        submit(ApiClient(HttpTransport(server.url)), server.manifest, form)
        [item] = [c for c in store.query(keys.CASES) if c.data["id"] not in seen]
        seen.add(item.data["id"])
        day = s.received(today)
        ack = None if s.ack is None else day + timedelta(days=s.ack)
        fed = None if ack is None or s.feedback is None else ack + timedelta(days=s.feedback)
        record = {**item.data, "received": day.isoformat(), "updated": day.isoformat(),
                  "acknowledged": ack and ack.isoformat(), "feedback": fed and fed.isoformat(),
                  "status": "closed" if s.resolution else "acknowledged" if ack else "received",
                  "resolution": s.resolution, "closed": fed and s.resolution and fed.isoformat()}
        store.transact([keys.case(item.data["id"]).put(record, expect=item.version)])  # type: ignore[arg-type]


def _table(page: Any, table_id: str) -> list[list[str]]:
    """A rendered table as text: the header row, then each body row."""
    rows: list[list[str]] = page.eval_on_selector(
        f"#{table_id}",
        "t => [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))")
    return rows


def _expected_volumes(today: date) -> tuple[list[str], dict[str, list[str]]]:
    received = [s.received(today) for s in HISTORY]
    first, last = min(received).replace(day=1), max(received).replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    rows = {}
    for category, label in CATEGORIES.items():
        counts = [sum(1 for s in HISTORY if s.category == category
                      and s.received(today).replace(day=1) == m) for m in months]
        rows[label] = [str(n) for n in counts] + [str(sum(counts))]
    return [m.strftime("%b %Y") for m in months], rows


def _overdue() -> list[Scripted]:
    """Never acknowledged after 7 days, or acknowledged over 95 days ago, open, without feedback."""
    return [s for s in HISTORY if (s.ack is None and s.days_ago > 7) or (
        s.ack is not None and s.feedback is None and not s.resolution and s.days_ago - s.ack > 95)]


def _check_figures(page: Any, today: date) -> None:
    months, rows = _expected_volumes(today)
    volume = _table(page, "figures-volume")
    assert volume[0][1:-1] == months
    by_label = {r[0]: r[1:] for r in volume[1:]}
    for label, counts in rows.items():
        assert by_label[label] == counts, label
    assert all(set(r) == {"0"} for label, r in by_label.items() if label not in rows)

    acked = [s.ack for s in HISTORY if s.ack is not None]
    waiting = [s for s in HISTORY if s.ack is None]
    ack_row = _table(page, "figures-deadlines")[1]
    assert ack_row[1:] == [str(n) for n in (
        sum(1 for d in acked if d <= 7), sum(1 for d in acked if d > 7),
        sum(1 for s in waiting if s.days_ago > 7), sum(1 for s in waiting if s.days_ago <= 7),
    )] + [f"{statistics.median(acked):g}"]
    fed = [s.feedback for s in HISTORY if s.feedback is not None]
    fb_row = _table(page, "figures-deadlines")[2]
    in_time, late = sum(1 for d in fed if d <= 80), sum(1 for d in fed if d >= 100)
    assert fb_row[1:3] == [str(in_time), str(late)]
    assert int(fb_row[3]) + int(fb_row[4]) == len(HISTORY) - len(fed)

    closed = [s for s in HISTORY if s.resolution]
    overdue = _overdue()
    states = {r[0]: r[1] for r in _table(page, "figures-states")[1:]}
    assert (states["Open"], states["Overdue"], states["Closed"]) == (
        str(len(HISTORY) - len(closed)), str(len(overdue)), str(len(closed)))
    for r in RESOLUTIONS:
        assert states[r.capitalize()] == str(sum(1 for s in closed if s.resolution == r)), r


def _start_drill(page: Any) -> None:
    page.click("#tab-drills")
    page.wait_for_selector("#view-drills:not([hidden]) #drill-start-box:not([hidden])")
    page.select_option("#drill-scenario", "confidential_leak_roadmap")
    page.select_option("#drill-lang", "de")
    page.click("#drill-start")
    page.wait_for_selector("#drill-rows tr", timeout=60000)
    assert "Drill started" in page.inner_text("#drill-start-status")


def _work_drill(page: Any, server: LiveServer, drill_id: str) -> None:
    """Acknowledged by a reply (Python client), two steps ticked in the console."""
    server.reply_as(member(server, "Ada"), drill_id, "Wir kümmern uns darum.")
    page.click(f"#drill-rows tr[data-case='{drill_id}'] button:nth-of-type(2)")
    page.wait_for_selector("#view-case:not([hidden]) #case-playbook li.step")
    for n, step in enumerate(["preserve_evidence", "scope_leak"], 1):
        page.click(f"#step-{step}")
        page.wait_for_selector(f"#case-notes li.message[data-verdict=ok]:nth-child({n})")
        page.wait_for_selector("#case-playbook input:not([disabled])")


def test_figures_match_the_script_and_a_drill_runs_to_its_summary(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    today = datetime.now(UTC).date()
    _play_history(server, today)
    ada = member(server, "Ada")
    page, watch = make_page(server.url)
    unlock(page, server, ada)

    _start_drill(page)
    # The inbox lists the new drill, marked, without being asked to refresh.
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-rows [data-drill]")
    page.click("#tab-drills")
    page.wait_for_selector("#drill-rows tr")
    drills = [c for c in server.team_get(ada, "/v1/team/cases")["cases"] if c.get("drill")]
    [drill] = drills
    assert drill["source"] == "drill" and drill["overdue"] is False
    _work_drill(page, server, drill["id"])
    # The inbox's "overdue only" filter never lists the drill.
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    page.wait_for_selector("#inbox-rows [data-drill]")
    assert page.locator("#inbox-rows [data-drill]").count() == 1
    page.check("#f-overdue")
    page.wait_for_function("!document.querySelector('#inbox-rows [data-drill]')")
    assert page.locator("#inbox-rows .case-link").count() == len(_overdue())
    page.uncheck("#f-overdue")

    page.click("#tab-drills")
    page.wait_for_selector(f"#drill-rows tr[data-case='{drill['id']}']")
    page.click(f"#drill-rows tr[data-case='{drill['id']}'] button:nth-of-type(1)")
    page.wait_for_selector("#drill-summary:not([hidden])")
    facts = page.inner_text("#drill-summary-facts")
    assert "Days to acknowledge\n0" in facts and "2 of 6 steps done" in facts
    states = page.eval_on_selector_all("#drill-summary-steps li",
                                       "ls => ls.map(l => l.dataset.state)")
    assert states[:2] == ["done", "done"] and len(states) == 6
    assert "The acknowledgement" not in page.inner_text("#drill-summary-late")
    screenshot(page, "console-drill-summary")
    assert run_axe(page) == []

    page.click("#tab-figures")
    page.wait_for_selector("#view-figures[data-state=ready]", timeout=90000)
    _check_figures(page, today)
    [drill_row] = _table(page, "figures-drills")[1:]
    assert drill_row[2:4] == ["0", "2/6"]
    assert "left out of every other figure: 1" in page.inner_text("#figures-body")
    assert page.locator("#figure-volume .chart canvas").count() >= 1
    screenshot(page, "console-figures")
    assert run_axe(page) == []
    # In Arabic (right to left) the same tables, in words of the catalogue.
    page.click("button[data-lang=ar]")
    page.wait_for_selector("#figures-volume caption:has-text('البلاغات المستلمة')")
    assert [r[0] for r in _table(page, "figures-states")[1:4]] == ["مفتوحة", "متأخرة", "مغلقة"]
    assert run_axe(page) == []
    page.click("button[data-lang=en]")
    # The print sheet keeps the figures and drops the rest of the console.
    page.emulate_media(media="print")
    assert page.locator(".bar").is_hidden() and page.locator("#figures-print").is_hidden()
    assert page.locator("#figure-volume").is_visible()
    page.emulate_media(media="screen")

    entries = server.team_get(ada, "/v1/team/audit")["entries"]
    assert [e["member"] for e in entries if e["action"] == "report.file"] == [ada.member_id]
    watch.check()
