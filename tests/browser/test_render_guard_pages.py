"""The render guard for the reporter pages: every view of the report page
and the follow-up page, with data in every state (a member without a
function, a failed send, an unknown receipt, a thread with no replies, with
replies and a forged message, every case status), in English and in
German. The visible text may hold no ``[object``, ``undefined``, ``NaN``,
raw catalogue key or unreplaced ``{parameter}``, and no empty punctuation
where an optional value is missing ("Ada Admin ()", "Ada Admin —",
"· (UTC)")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor import documents, roster
from candor.receipt import Receipt
from chalicelib.b64 import b64u_encode
from tests.support.live import LiveMember, LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Ada has no function: the pages must show "Ada Admin", never "Ada Admin —" or "Ada Admin ()".
TEAM = (
    ("Ada Admin", "", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Carol Admin", "Legal", "admin"),
)
LANGUAGES = ("en", "de")

# A raw catalogue key is a dotted name in one of the catalogues' namespaces
# ("thread.forged", "case.status.bogus"), whether or not the key exists.
_NAMESPACES = sorted(
    {key.split(".")[0] for key in json.loads((ROOT / "frontend/i18n/en.json").read_text())}
)
RAW_KEY = re.compile(rf"^(?:{'|'.join(_NAMESPACES)})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
WORDS = ("[object", "undefined", "NaN")
EMPTY_PUNCTUATION = (
    (re.compile(r"\(\s*\)"), "empty parentheses"),
    (re.compile("\\S\\s*[\u2014\u2013\u00b7(]$"), "a dash, dot or parenthesis ending a line"),
    (re.compile(r"^\s*[·,]"), "a line starting with a separator"),
    (re.compile(r",\s*,"), "two commas in a row"),
    (re.compile(r"(?:^|[^\d\s])\s*\(UTC\)"), "(UTC) without a day"),
    (re.compile(r"\{\w+\}"), "an unreplaced {parameter}"),
)


def render_problems(text: str) -> list[str]:
    """What is wrong with a view's visible text (empty when nothing is)."""
    problems = [f"{word!r} in the text" for word in WORDS if word in text]
    for token in text.split():
        if RAW_KEY.match(token.strip(".,:;()«»„“\"'")):
            problems.append(f"raw catalogue key {token!r}")
    for line in text.splitlines():
        problems += [f"{why}: {line!r}" for rule, why in EMPTY_PUNCTUATION if rule.search(line)]
    return problems


def assert_renders(page: Any, view: str) -> None:
    """The visible text of `view` is clean in every language; the page ends in English."""
    for lang in LANGUAGES:
        page.click(f".lang-btn[data-lang={lang}]")
        assert page.evaluate("document.documentElement.lang") == lang
        text = page.evaluate("document.body.innerText")
        assert render_problems(text) == [], f"{view} ({lang})"
    page.click(".lang-btn[data-lang=en]")


@pytest.mark.parametrize(
    "text",
    [
        "Ada Admin ()",
        "Ada Admin —",
        "From the team · (UTC)",
        "Acknowledge by 2026-12-07 (,[object HTMLSpanElement],)",
        "Status: undefined",
        "NaN KB",
        "thread.forged",
        "case.status.bogus",
        "Signed so far: {n} of 2",
        "Ada, , Carol",
    ],
)
def test_the_guard_catches(text: str) -> None:
    assert render_problems(text) != []


@pytest.mark.parametrize(
    "text",
    ["Ada Admin", "Carol Admin — Legal", "2026-12-07 (UTC)", "—", "https://social.example/a.b"],
)
def test_the_guard_passes(text: str) -> None:
    assert render_problems(text) == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path, make_team(TEAM))
    try:
        yield live
    finally:
        live.stop()


def _member(server: LiveServer, first_name: str) -> LiveMember:
    return next(m for m in server.team if m.name.startswith(first_name))


def _report(page: Any, watch: Any, server: LiveServer) -> str:
    """Every view of the report page; returns the receipt."""
    origin = server.url
    page.goto(origin + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    assert_renders(page, "landing")
    page.click("#start")
    assert_renders(page, "form")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden])")
    assert_renders(page, "form errors")
    page.select_option("#q-category-input", "harassment")
    page.fill("#q-summary-input", "A manager shouts at interns.")
    page.fill("#q-details-input", "Every Monday meeting since March.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.set_input_files(
        "#files", [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"monday\n"}]
    )
    page.wait_for_selector("#file-list li .small.warn-text")
    assert_renders(page, "form filled")
    # Text over a limit (the counter), and the last admin locked with its reason.
    page.fill("#q-summary-input", "x" * 201)
    assert_renders(page, "counter over the limit")
    page.fill("#q-summary-input", "A manager shouts at interns.")
    page.check(f"#exclude-{_member(server, 'Ada').member_id}")
    assert page.is_visible(f"#exclude-{_member(server, 'Carol').member_id}-reason")
    assert_renders(page, "last admin locked")
    page.uncheck(f"#exclude-{_member(server, 'Ada').member_id}")
    # A file refused when picked: more than the limit.
    page.set_input_files(
        "#files",
        [{"name": f"n{i}.txt", "mimeType": "text/plain", "buffer": b"x"} for i in range(10)],
    )
    page.wait_for_selector("#file-refused:not([hidden])")
    assert_renders(page, "file refused when picked")
    page.click("#file-list li:nth-child(2) button")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert "Ada Admin" in page.inner_text("#review-access")
    assert_renders(page, "review")

    # A file the server refuses (named, only "Back to edit"), then a refused send with a retry.
    watch.expect_error("status of 413")
    too_large = json.dumps({"error": {"code": "too_large", "message": "no"}})
    page.route("**/v1/attachments", lambda route: route.fulfill(status=413, body=too_large))
    page.click("#send")
    page.wait_for_selector("#sending-back:not([hidden])", timeout=60000)
    assert_renders(page, "file refused by the server")
    page.unroute("**/v1/attachments")
    page.click("#sending-back")
    page.wait_for_selector("#step-form:not([hidden])")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    watch.expect_error("status of 400")
    refusal = json.dumps({"error": {"code": "malformed", "message": "no"}})
    page.route("**/v1/reports", lambda route: route.fulfill(status=400, body=refusal))
    page.click("#send")
    page.wait_for_selector("#sending-retry:not([hidden])", timeout=60000)
    assert_renders(page, "send failed")
    page.unroute("**/v1/reports")
    page.click("#sending-retry")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    assert_renders(page, "receipt")
    receipt = page.get_attribute("#receipt-text", "data-receipt")
    page.check("#receipt-saved")
    page.click("#receipt-continue")
    assert_renders(page, "receipt saved")
    return str(receipt)


def _visit(page: Any, origin: str, receipt: str, status: str) -> str:
    """One follow-up visit: status, next receipt, thread. Returns the next receipt."""
    page.goto(origin + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    page.fill("#receipt-input", receipt)
    page.click("#open")
    page.wait_for_selector("#step-next:not([hidden])")
    assert_renders(page, f"next receipt {status}")
    next_receipt = str(page.get_attribute("#next-text", "data-receipt"))
    page.fill("#next-last-group", "0000" if not next_receipt.endswith("0000") else "1111")
    page.click("#next-continue")
    page.wait_for_selector("#next-last-group-error:not(:empty)")
    assert_renders(page, f"wrong last group {status}")
    page.fill("#next-last-group", next_receipt.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#step-status:not([hidden])")
    page.wait_for_selector("#report-check.alert-ok")
    assert page.inner_text("#status-list")
    assert_renders(page, f"status {status}")
    return next_receipt


def _forge(server: LiveServer, case: dict[str, Any]) -> None:
    """A message that claims to be Ada's but is signed with Carol's key."""
    ada, carol = _member(server, "Ada"), _member(server, "Carol")
    doc = documents.new_message(
        "message", case["reply_to"], "team", ada.member_id, None, "Send us your name.", [],
        carol.keyfile.signing_seed,
    )  # fmt: skip
    recipients = [*roster.access_recipients(server.manifest, case["access"]), case["reply_to"]]
    sealed = documents.seal_document(doc, recipients)
    body = {"id": doc["id"], "message": b64u_encode(sealed), "attachments": []}
    server.client(ada).call("POST", f"/v1/team/cases/{case['id']}/messages", body)


def _set_status(server: LiveServer, case_id: str, status: str) -> None:
    body = {"status": status, **({"resolution": "substantiated"} if status == "closed" else {})}
    server.client(_member(server, "Ada")).call("PATCH", f"/v1/team/cases/{case_id}", body)


def test_every_reporter_view_renders(make_page: Any, server: LiveServer) -> None:
    origin = server.url
    page, watch = make_page(origin)
    receipt = _report(page, watch, server)

    # Follow-up: the entry step, a typo, an unknown receipt.
    page.goto(origin + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert_renders(page, "follow-up entry")
    page.fill("#receipt-input", receipt[:-1] + ("0" if receipt[-1] != "0" else "1"))
    page.click("#open")
    page.wait_for_selector("#receipt-error:not(:empty)")
    assert_renders(page, "typo")
    watch.expect_error("status of 404")
    page.fill("#receipt-input", Receipt.generate().text)
    page.click("#open")
    page.wait_for_selector("#open-error:not([hidden])")
    assert_renders(page, "unknown receipt")

    # A thread with no replies yet, with the case just received; an empty message refused.
    receipt = _visit(page, origin, receipt, "received")
    assert page.is_visible("#thread-empty")
    assert_renders(page, "thread without replies")
    page.click("#compose-send")
    page.wait_for_selector("#compose-error:not(:empty)")
    assert_renders(page, "empty message")

    # Replies and a forged message; every later status.
    (summary,) = server.team_get(_member(server, "Ada"), "/v1/team/cases")["cases"]
    case = server.team_get(_member(server, "Ada"), f"/v1/team/cases/{summary['id']}")
    _set_status(server, case["id"], "acknowledged")
    server.reply_as(_member(server, "Ada"), case["id"], "Thank you. Who else was there?")
    _forge(server, case)
    receipt = _visit(page, origin, receipt, "acknowledged")
    page.wait_for_selector("#messages > li.message.forged")
    assert_renders(page, "thread with replies and a forged message")
    page.fill("#compose-text", "Only the interns.")
    page.click("#compose-send")
    page.wait_for_selector("#messages > li:nth-child(3)")
    page.wait_for_selector("#compose-status:not(:empty)")
    assert_renders(page, "message sent")
    for status in ("investigating", "closed"):
        _set_status(server, case["id"], status)
        receipt = _visit(page, origin, receipt, status)
        assert_renders(page, f"thread, case {status}")


def test_closed_reporter_page_renders(make_page: Any, server: LiveServer) -> None:
    """The page that cannot accept reports (an expired head), without a configured contact."""
    page, _ = make_page(server.url)
    expires = datetime.fromisoformat(server.manifest["expires"]).replace(tzinfo=UTC)
    page.clock.set_fixed_time(expires + timedelta(days=3))
    page.goto(server.url + "/")
    page.wait_for_selector("#step-closed:not([hidden])")
    assert page.is_visible("#closed-no-contact")
    assert_renders(page, "closed")
