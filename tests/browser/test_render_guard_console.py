"""The render guard for the review console: every view, in English and
German, with data in every state, shows no `[object`, `undefined`, `NaN`,
raw catalogue key or empty punctuation where an optional value is missing
("Ada Admin ()", "Ada Admin —", "(,…,)").

The team has members without a function (the manifest allows an empty
one, protocol §4.5) so that every place naming a member is exercised with
and without one. Cases are seeded through the Python client in every
status the inbox shows; one is made overdue by moving its received day
back in the local store, as an operator's clock would."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_console import FORM, b64u, member, origin, submit, unlock
from tests.browser.test_console_ops import seeded_server, today  # noqa: F401 -- a fixture
from tests.support.live import LiveServer, start_live_server
from tests.support.team import Team, make_team

DASHES = ("\u2014", "\u2013")  # em dash, en dash

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "frontend" / "i18n" / "en.json").read_text())
PREFIXES = sorted({key.split(".")[0] for key in CATALOGUE})
RAW_KEY = re.compile(r"\b(?:" + "|".join(PREFIXES) + r")(?:\.[a-z0-9_]+)+\b")
# Punctuation around a value that is not there: "()", "(, x", "x, )", "(,", "— (".
EMPTY_PUNCTUATION = re.compile(r"\(\s*\)|\(\s*[,;:—]|[,;:—]\s*\)|,\s*,|—\s*[,(]")
MEMBERS = (
    ("Ada Admin", "", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Alan Turing", "", "reviewer"),
)


def render_problems(text: str, verbatim: frozenset[str] = frozenset()) -> list[str]:
    """What in the visible `text` of a view betrays a value rendered wrongly.

    `verbatim`: protocol words a view shows as they are (the audit log's
    actions, such as `case.read`), which may look like a catalogue key."""
    problems = [f"{m!r}" for m in re.findall(r"\[object[^\]]*\]|\bundefined\b|\bNaN\b", text)]
    # A catalogue template shown raw: every audit row once read "… {n} … {head}" (issue 19).
    problems += [f"raw template {m!r}" for m in re.findall(r"\{[a-z_]+\}", text)]
    keys = (m.group(0) for m in RAW_KEY.finditer(text))
    problems += [f"raw key {key!r}" for key in keys if key not in verbatim]
    for segment in re.split(r"[\n\t]", text):
        s = segment.strip()
        if EMPTY_PUNCTUATION.search(s):
            problems.append(f"empty punctuation in {s!r}")
        # A dash alone is a placeholder; a dash at either end lacks its value.
        elif s not in DASHES and (s.endswith(tuple(f" {d}" for d in DASHES))
                                  or s.startswith(tuple(f"{d} " for d in DASHES))):
            problems.append(f"dangling dash in {s!r}")
    return problems


class Guard:
    """Collects every problem of every view, so one run reports them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.views: list[str] = []

    def check(self, page: Any, view: str) -> None:
        for lang in ("en", "de"):
            page.click(f".lang-btn[data-lang={lang}]")
            page.wait_for_selector(f"html[lang={lang}]")
            self.views.append(f"{view} ({lang})")
            text = page.inner_text("body")
            verbatim = page.eval_on_selector_all(".mono", "nodes => nodes.map((n) => n.innerText)")
            for problem in render_problems(text, frozenset(verbatim)):
                if f"{view} ({lang}): {problem}" not in self.problems:
                    self.problems.append(f"{view} ({lang}): {problem}")
        page.click(".lang-btn[data-lang=en]")

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def test_guard_catches_the_known_bugs() -> None:
    """The checker itself: each broken rendering seen so far is caught, clean text is not."""
    for broken in (
        "Acknowledge by\t2026-12-07 (,[object HTMLSpanElement],)",
        "Assignee\tAda Admin ()",
        "Ada Admin —",
        "Status\tClosed — ,[object HTMLSpanElement]",
        "Added: Ada Admin (, admin, m_AAAAAAAAAAAAAAAAAAAA)",
        "Total: NaN",
        "Name: undefined",
        "console.case.no_notes",
        "Ada — (admin), id m_x",
        "The chain of {n} entries and every request signature verify. Head: {head}",
    ):
        assert render_problems(broken), broken
    clean = ("Acknowledge by\t2026-12-07 (done 2026-12-01)\nAda Admin\t—\tAdmin\n"
             "Grace Hopper (Security)")
    assert render_problems(clean) == []
    assert render_problems("12:00\tcase.read\tc_x", frozenset({"case.read"})) == []


@pytest.fixture(scope="module")
def guard_team() -> Team:
    return make_team(MEMBERS)


@pytest.fixture
def server(tmp_path: Path, guard_team: Team) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path, guard_team)
    try:
        yield live
    finally:
        live.stop()


def seed_cases(server: Any) -> dict[str, str]:
    """One case per state the console shows; returns {state: case id}."""
    from candor import reporter
    from candor.client import ApiClient, HttpTransport

    ada, grace = member(server, "Ada"), member(server, "Grace")
    names = ["new", "acknowledged", "investigating", "closed", "legal_hold", "overdue", "thread"]
    submitted = {}
    for name in names:
        files = [reporter.Evidence("notes.txt", b"Timeline of events.\n", "text/plain")]
        submitted[name] = submit(
            server,
            form={**FORM, "summary": f"Case {name}."},
            files=files if name == "thread" else (),
        )
    by_reply = {c["reply_to"]: c["id"] for c in case_details(server, ada)}
    ids = {name: by_reply[s.body["reply_to"]] for name, s in submitted.items()}
    admin = server.client(ada)
    patch = {
        "acknowledged": {"status": "acknowledged"},
        "investigating": {"status": "investigating", "assignee": ada.member_id},
        "closed": {"status": "closed", "resolution": "substantiated"},
        "legal_hold": {"legal_hold": True, "assignee": grace.member_id},
    }
    for name, body in patch.items():
        admin.call("PATCH", f"/v1/team/cases/{ids[name]}", body)
    make_overdue(server, ids["overdue"])

    # The thread: a reply from a member without a function, one from the
    # reporter, a note, and a forged message naming Grace.
    server.reply_as(ada, ids["thread"], "We are looking into it.")
    visit = reporter.follow_up(
        ApiClient(HttpTransport(server.url)), submitted["thread"].receipt, server.manifest
    )
    visit.send("Thank you, here is more detail.")
    from candor import teamops

    s = server.session(grace)
    teamops.write(s, teamops.read_case(s, ids["thread"]), "note", "Called the IT desk.")
    forge_message(server, ids["thread"], grace)
    return ids


def case_details(server: Any, who: Any) -> list[dict[str, Any]]:
    return [
        server.team_get(who, f"/v1/team/cases/{c['id']}")
        for c in server.team_get(who, "/v1/team/cases")["cases"]
    ]


def make_overdue(server: Any, case_id: str) -> None:
    """Received a month ago and never acknowledged: past acknowledge_by."""
    from chalicelib.store.base import Put
    from chalicelib.store.local import LocalCaseStore

    store = LocalCaseStore(server.data_dir)
    item = store.get("cases", case_id)
    assert item is not None
    received = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    store.transact([Put("cases", case_id, {**item.data, "received": received})])


def forge_message(server: Any, case_id: str, named: Any) -> None:
    """A team message naming `named` but signed with another key."""
    from candor import documents, roster

    case = server.team_get(named, f"/v1/team/cases/{case_id}")
    doc = documents._new_message_from_parts(
        "message", case["reply_to"], "team", named.member_id, None,
        "Please send us your password.", [], os.urandom(32), documents.new_blob_id(),
    )  # fmt: skip
    recipients = documents.sealing_recipients(
        "message", roster.access_recipients(server.manifest, case["access"]), case["reply_to"]
    )
    sealed = documents.seal_document(doc, recipients)
    server.client(named).call(
        "POST",
        f"/v1/team/cases/{case_id}/messages",
        {"id": doc["id"], "message": b64u(sealed), "attachments": []},
    )


def visit_cases(page: Any, guard: Guard, ids: dict[str, str]) -> None:
    for name, case_id in ids.items():
        page.click(f"#inbox-rows .case-link[data-case='{case_id}']")
        page.wait_for_selector("#case-meta dd")
        page.wait_for_selector("#case-thread li")
        guard.check(page, f"case {name}")
        page.click("#back-to-inbox")
        page.wait_for_selector("#inbox-progress[data-state=done]")


def visit_compose(page: Any, guard: Guard, case_id: str) -> None:
    """The note tab, a reply waiting for confirmation and one in its undo window (taken back)."""
    page.click(f"#inbox-rows .case-link[data-case='{case_id}']")
    page.wait_for_selector("#case-thread li")
    page.click("#compose-tab-note")
    guard.check(page, "case, note tab")
    page.click("#compose-tab-reply")
    page.fill("#reply-text", "Not sent: the render guard takes it back.")
    page.click("#reply-send")
    page.wait_for_selector("#reply-confirm:not([hidden])")
    guard.check(page, "case, reply confirmation")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#reply-undo:not([hidden])")
    guard.check(page, "case, reply undo window")
    page.click("#reply-undo-button")
    guard.check(page, "case, reply taken back")
    page.click("#back-to-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")


def add_member_without_function(server: Any, admin: Any) -> str:
    """A new reviewer with no function, added to the roster (not yet published)."""
    from candor import keyfile as kf

    newcomer = kf.create_keyfile(server.url)
    card = kf.public_card(newcomer, "Katherine Johnson", "", "reviewer")
    server.client(admin).call("POST", "/v1/team/members", card)
    return str(newcomer.member)


def preview_card_without_function(page: Any, guard: Guard, server: Any, tmp_path: Path) -> None:
    """The add-member preview of a card whose optional function is empty."""
    from candor import keyfile as kf

    card = kf.public_card(kf.create_keyfile(server.url), "Mary Jackson", "", "reviewer")
    card_path = tmp_path / "mary.card.json"
    card_path.write_text(json.dumps(card))
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.set_input_files("#card-file", str(card_path))
    page.wait_for_selector("#card-preview:has-text('Mary Jackson')")
    assert page.inner_text("#card-preview").startswith("Mary Jackson (")
    guard.check(page, "team, card preview")
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")


def visit_team(page: Any, guard: Guard, view: str, audit: bool, publish: bool = False) -> None:
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    guard.check(page, view)
    if publish:
        page.click("#publish-prepare")
        page.wait_for_selector("#publish-diff li[data-change=added]")
        guard.check(page, f"{view}, publish review")
    if audit:
        page.click("#audit-verify")
        page.wait_for_selector("#audit-result [data-result=ok]")
        guard.check(page, f"{view}, audit")
        # Filtered by the first case and by the first person the filters offer.
        for select in ("#audit-f-case", "#audit-f-member"):
            values = page.eval_on_selector(select, "s => [...s.options].map((o) => o.value)")
            if len(values) > 1:
                page.select_option(select, values[1])
                guard.check(page, f"{view}, audit by {select[9:]}")
                page.select_option(select, "")
    page.click("#tab-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")


def test_every_console_view_renders_cleanly(make_page: Any, server: Any, tmp_path: Path) -> None:
    ada, grace = member(server, "Ada"), member(server, "Grace")
    guard = Guard()
    page, _ = make_page(origin(server))
    page.goto(origin(server) + "/console/")
    page.wait_for_selector("#unlock-form")
    guard.check(page, "unlock")
    unlock(page, server, ada)
    guard.check(page, "inbox, empty")
    visit_team(page, guard, "team, admin", audit=True)

    ids = seed_cases(server)
    page.click("#inbox-refresh")
    page.wait_for_selector(f"#inbox-count:has-text('Showing {len(ids)} of {len(ids)} cases')")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    page.wait_for_selector("#inbox-rows tr.overdue")
    guard.check(page, "inbox, every status")
    visit_cases(page, guard, ids)
    page.click("#inbox-rows .case-link[data-case='{}']".format(ids["thread"]))
    page.wait_for_selector("#case-thread li[data-verdict=signature]")
    page.wait_for_selector("#case-attachments li[data-attachment]")
    page.click("#back-to-inbox")
    visit_compose(page, guard, ids["thread"])
    preview_card_without_function(page, guard, server, tmp_path)
    newcomer = add_member_without_function(server, ada)
    visit_team(page, guard, "team, admin, after cases", audit=True, publish=True)
    assert "Katherine Johnson (reviewer, " in page.inner_text("#publish-diff")
    assert newcomer in page.inner_text("#publish-diff")

    reviewer, _ = make_page(origin(server))
    unlock(reviewer, server, grace)
    guard.check(reviewer, "inbox, reviewer")
    visit_cases(reviewer, guard, {"thread": ids["thread"], "acknowledged": ids["acknowledged"]})
    visit_team(reviewer, guard, "team, reviewer", audit=False)
    assert len(guard.views) == 2 * (11 + len(ids) + 2 + 7)
    guard.assert_clean()


def test_banner_and_lapse_render_cleanly(make_page: Any, seeded_server: Any) -> None:  # noqa: F811
    """The expiry banner (admin with Renew now, after renewing, reviewer) and
    the read-only console after a lapse (inbox, case, a refused note, a
    refused publish), for a team with members without a function."""
    guard = Guard()
    warned = seeded_server(today() - timedelta(days=75), members=MEMBERS)
    page, _ = make_page(origin(warned))
    unlock(page, warned, member(warned, "Ada"))
    page.wait_for_selector("#banner[data-state=warn] #banner-renew:not([hidden])")
    guard.check(page, "banner, admin")
    visit_team(page, guard, "team, banner", audit=False)
    page.click("#banner-renew")
    page.wait_for_selector("#notice:not([hidden])")
    guard.check(page, "banner, renewed")
    reviewer, _ = make_page(origin(warned))
    unlock(reviewer, warned, member(warned, "Grace"))
    guard.check(reviewer, "banner, reviewer, renewed")

    issued = today() - timedelta(days=100)
    lapsed = seeded_server(issued, members=MEMBERS)
    submit(lapsed, today=issued + timedelta(days=1))
    page, _ = make_page(origin(lapsed))
    unlock(page, lapsed, member(lapsed, "Ada"))
    page.wait_for_selector("#banner[data-state=lapsed]")
    guard.check(page, "lapse, inbox")
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#case-report dd")
    guard.check(page, "lapse, case")
    page.click("#compose-tab-note")
    page.fill("#note-text", "Not sent.")
    page.click("#note-send")
    page.wait_for_selector("#note-status .error")
    guard.check(page, "lapse, note refused")
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.click("#publish-prepare")
    page.wait_for_selector("#publish-status:not(:empty)")
    guard.check(page, "lapse, publish refused")

    # Threshold 2: the review, the waiting proposal for its signer and for the other admin.
    pair = seeded_server(today(), threshold=2, members=(*MEMBERS, ("Edsger Dijkstra", "", "admin")))
    page, watch = make_page(origin(pair))
    watch.expect_error("404")  # no proposal waits when the Team page first asks
    unlock(page, pair, member(pair, "Ada"))
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.fill("#publish-threshold", "1")
    page.click("#publish-prepare")
    page.wait_for_selector("#publish-diff li[data-change=threshold]")
    guard.check(page, "publish review, threshold 2")
    page.click("#publish-sign")
    page.wait_for_selector("#proposal:not([hidden])")
    guard.check(page, "proposal, signed by you")
    other, _ = make_page(origin(pair))
    unlock(other, pair, member(pair, "Edsger"))
    other.click("#tab-team")
    other.wait_for_selector("#proposal:not([hidden]) #proposal-sign:not([hidden])")
    guard.check(other, "proposal, to sign")
    assert len(guard.views) == 2 * 11
    guard.assert_clean()
