"""The response side in Chromium against ``candor serve`` (issue 16): a
leaked-document case worked through its playbook, each tick a signed note
that the Python client verifies too, and a reply template filled in
German for a German reporter, who reads it on the follow-up page."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor import exportcheck, teamops
from candor.__main__ import main as candor
from candor.reporter import Evidence
from chalicelib.domain.cases import add_months
from tests.browser.conftest import run_axe
from tests.browser.test_console import FORM, case_id_of, member, submit, unlock
from tests.browser.test_followup import _enter
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LEAK = json.loads((ROOT / "frontend" / "playbooks.json").read_text())["playbooks"][
    "confidential_leak"
]


def _open_case(page: Any) -> None:
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#view-case:not([hidden]) #case-meta dd")


def _tick(page: Any, step: str, notes: int) -> None:
    """Tick or untick `step` and wait until the case shows the new note, verified."""
    page.click(f"#step-{step}")
    page.wait_for_selector(f"#case-notes li.message[data-verdict=ok]:nth-child({notes})")
    page.wait_for_selector("#case-playbook input:not([disabled])")


def _state(page: Any) -> dict[str, str]:
    items = page.locator("#case-playbook li.step")
    return {
        str(items.nth(i).get_attribute("data-step")): str(items.nth(i).get_attribute("data-state"))
        for i in range(items.count())
    }


def test_a_leaked_document_case_worked_through_its_playbook(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    alice = member(server, "Ada")
    submit(server)
    case_id = case_id_of(server, alice)
    page, _ = make_page(server.url)
    unlock(page, server, alice)
    _open_case(page)

    # The checklist of the report's category, each step with its owner and due time.
    page.wait_for_selector("#case-playbook li.step")
    steps = [s["id"] for s in LEAK]
    assert list(_state(page)) == steps
    legal = page.locator("#case-playbook li[data-step=legal_hold]").inner_text()
    assert "Owner: Legal" in legal and "due " in legal
    # Due from 00:00 UTC of the day received: overdue exactly when that time has passed.
    received = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expected = {s["id"]: "overdue" if datetime.now(UTC) > received + timedelta(hours=s["hours"])
                else "open" for s in LEAK}  # fmt: skip
    assert _state(page) == expected
    assert "0 of 6 steps done" in page.inner_text("#case-playbook-summary")

    # Worked through: five ticks, one untick and tick again.
    for n, step in enumerate(["preserve_evidence", "scope_leak", "legal_hold", "takedown"], 1):
        _tick(page, step, n)
    _tick(page, "takedown", 5)  # unticked: a takedown request bounced
    assert _state(page)["takedown"] == expected["takedown"]
    row = page.locator("#case-playbook li[data-step=takedown]").inner_text()
    assert f"reopened by {alice.name}" in row
    for n, step in enumerate(["takedown", "holding_statement", "notify_affected"], 6):
        _tick(page, step, n)
    assert set(_state(page).values()) == {"done"}
    assert "6 of 6 steps done" in page.inner_text("#case-playbook-summary")
    scope = page.locator("#case-playbook li[data-step=scope_leak]").inner_text()
    assert f"done by {alice.name}" in scope
    assert "Checklist: done — Put the case and related records under legal hold" in page.inner_text(
        "#case-notes"
    )
    assert run_axe(page) == []

    # The ticks are signed notes: another member's Python client verifies each one.
    grace = member(server, "Grace")
    view = teamops.read_case(server.session(grace), case_id)
    ticks = [(n.doc or {}).get("checklist") for n in view.notes if n.ok]
    assert len(view.notes) == len(ticks) == 8
    assert [(t["step"], t["done"]) for t in ticks if t] == [
        ("preserve_evidence", True), ("scope_leak", True), ("legal_hold", True),
        ("takedown", True), ("takedown", False), ("takedown", True),
        ("holding_statement", True), ("notify_affected", True),
    ]  # fmt: skip
    assert {(n.doc or {}).get("member") for n in view.notes} == {alice.member_id}


def test_a_templated_reply_in_german_to_a_german_reporter(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    alice = member(server, "Ada")
    sub = submit(server, form={**FORM, "category": "harassment"}, lang="de")
    case = server.team_get(alice, f"/v1/team/cases/{case_id_of(server, alice)}")
    page, _ = make_page(server.url)  # the console in English
    unlock(page, server, alice)
    _open_case(page)

    page.select_option("#reply-template", "acknowledge")
    text = page.input_value("#reply-text")
    assert text.startswith("Vielen Dank für Ihre Meldung.")
    # This reply acknowledges the case: feedback is due three months from
    # today, earlier than the day shown before it (counted from the
    # acknowledge-by day).
    feedback_by = add_months(datetime.now(UTC).date(), 3).isoformat()
    assert feedback_by < case["feedback_by"]
    assert f"Bis zum {feedback_by} " in text and "{" not in text
    assert "German, the reporter's language" in page.inner_text("#reply-template-lang")
    page.fill("#reply-text", text + " Ihr Team")
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#case-thread li.message.team[data-verdict=ok]", timeout=30000)

    # The reporter reads it in German on the follow-up page.
    reporter, _ = make_page(server.url, locale="de-DE")
    reporter.goto(server.url + "/followup.html")
    reporter.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    _enter(reporter, sub.receipt.text)
    reporter.wait_for_selector("#step-next:not([hidden])")
    new = str(reporter.get_attribute("#next-text", "data-receipt"))
    reporter.fill("#next-last-group", new.split("-")[-1])
    reporter.click("#next-continue")
    reporter.wait_for_selector("#messages > li.message")
    shown = reporter.locator("#messages > li").nth(0).inner_text()
    assert f"Bis zum {feedback_by} teilen wir Ihnen mit" in shown
    assert "Ihr Team" in shown


def _rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, change.get(name, src.read(name)))
    return out.getvalue()


def test_an_export_for_counsel_rechecked_offline(
    make_page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server
    ada = member(server, "Ada")
    evidence = Evidence("roadmap.txt", b"Q3 roadmap: do not share\n")
    submit(server, files=[evidence])
    case_id = case_id_of(server, ada)
    server.reply_as(ada, case_id, "Thank you, we are on it.")
    page, _ = make_page(server.url)
    unlock(page, server, ada)
    _open_case(page)
    _tick(page, "preserve_evidence", 1)
    with page.expect_download() as info:
        page.click("#export-case")
    path = tmp_path / "export.zip"
    info.value.save_as(path)
    page.wait_for_selector("#export-status:not(:empty)")
    data = path.read_bytes()

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        sheet = json.loads(z.read("verification.json"))
        assert z.read(f"attachments/{sheet['attachments'][0]['id']}-roadmap.txt") == evidence.data
        assert f"Case {case_id}" in z.read("summary.html").decode()
        report = json.loads(z.read("report.json"))
    assert {"summary.html", "report.json", "manifests.json", "verification.json"} <= names
    assert report["form"]["category"] == "confidential_leak"
    assert [d["kind"] for d in sheet["documents"]] == ["report", "message", "note"]
    assert {d["verdict"] for d in sheet["documents"]} == {"ok"}
    # The export is an audited action, in the sheet and in the log; the admin's sheet has the
    # case's entries.
    assert (sheet["export"]["action"], sheet["export"]["case"]) == ("case.export", case_id)
    log = server.team_get(ada, "/v1/team/audit")["entries"]
    assert sheet["export"] in log
    assert sheet["audit_complete"] and {e["action"] for e in sheet["audit"]} >= {
        "case.read", "note.add", "message.add", "case.export"}

    # `candor` re-checks it offline; a changed file or a forged note fails.
    anchor = tmp_path / "anchor.json"
    anchor.write_text(json.dumps(server.manifest))
    assert exportcheck.check(data, server.manifest) == []
    assert candor(["export", "check", str(path), "--manifest", str(anchor)]) == 0
    tampered = _rezip(data, {"report.json": json.dumps({**report, "form": {}}).encode()})
    assert exportcheck.check(tampered, server.manifest) == [
        "report.json: its SHA-256 is not the sheet's"]
    note = next(d for d in sheet["documents"] if d["kind"] == "note")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        doc = json.loads(z.read(note["file"]))
    forged = json.dumps({**doc, "text": "nothing to see"}, indent=2).encode() + b"\n"
    files = {**sheet["files"], note["file"]: hashlib.sha256(forged).hexdigest()}
    resealed = _rezip(data, {note["file"]: forged,
                             "verification.json": json.dumps({**sheet, "files": files}).encode()})
    assert exportcheck.check(resealed, server.manifest) == [
        f"{note['file']}: does not verify (the signature does not verify)"]
    (tampered_path := tmp_path / "tampered.zip").write_bytes(tampered)
    assert candor(["export", "check", str(tampered_path), "--manifest", str(anchor)]) == 1


def _drafting(make_page: Any, server: LiveServer, draft: str) -> tuple[Any, Any, Any, Any]:
    """A reporter's case open in Ada's console, her reply's draft typed:
    the page, its watch, Ada and the reporter's submission."""
    ada = member(server, "Ada")
    sub = submit(server)
    page, watch = make_page(server.url)
    unlock(page, server, ada)
    _open_case(page)
    page.fill("#reply-text", draft)
    return page, watch, ada, sub


def _reporter_writes(server: LiveServer, sub: Any, text: str) -> None:
    """The reporter comes back with the receipt and sends ``text``."""
    from candor import reporter as reporting
    from candor.client import ApiClient, HttpTransport

    visit = reporting.follow_up(ApiClient(HttpTransport(server.url)), sub.receipt, server.manifest)
    visit.send(text)


def test_a_reply_refused_for_a_newer_message_shows_it_and_keeps_the_draft(
    make_page: Any, live_server: LiveServer
) -> None:
    """The reporter writes while Ada writes her reply: the server refuses it
    (``after``, protocol §4.4), the console shows the reporter's new message
    and keeps Ada's draft; sent again, it goes out once, after it."""
    server = live_server
    draft = "Thank you. Could you tell us when the post went up?"
    page, watch, ada, sub = _drafting(make_page, server, draft)
    # Meanwhile the reporter adds something (the console's view is now one message behind).
    _reporter_writes(server, sub, "It went up at 9:10, and it is still there.")
    watch.expect_error("409")
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#reply-status .error", timeout=30000)
    assert "A new message arrived in this case while you were writing" in page.inner_text(
        "#reply-status")
    page.wait_for_selector("#case-thread li.message:has-text('It went up at 9:10')")
    assert page.input_value("#reply-text") == draft
    assert page.locator("#case-thread li.message.team").count() == 0
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#case-thread li.message.team[data-verdict=ok]", timeout=30000)
    case_id = case_id_of(server, ada)
    view = teamops.read_case(server.session(ada), case_id)
    assert [(m.doc or {}).get("text") for m in view.messages] == [
        "It went up at 9:10, and it is still there.", draft]
    assert run_axe(page) == []
    watch.check()


def test_a_reply_that_goes_out_as_its_writer_leaves_the_case_is_never_lost(
    make_page: Any, live_server: LiveServer
) -> None:
    """Ada confirms a reply and goes back to the inbox during its undo
    window; the reporter writes meanwhile. Out of her sight, the reply is
    sent without ``after`` (as before it existed), so it is stored, not
    refused unseen."""
    server = live_server
    draft = "Thank you. We are looking into it today."
    page, watch, ada, sub = _drafting(make_page, server, draft)
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.click("#back-to-inbox")
    _reporter_writes(server, sub, "One more thing: it was shared twice.")
    case_id = case_id_of(server, ada)
    s = server.session(ada)
    deadline = time.monotonic() + 60
    while len(teamops.read_case(s, case_id).messages) < 2:
        assert time.monotonic() < deadline, "the reply never went out"
        time.sleep(0.5)
    texts = [(m.doc or {}).get("text") for m in teamops.read_case(s, case_id).messages]
    assert texts == ["One more thing: it was shared twice.", draft]
    watch.check()
