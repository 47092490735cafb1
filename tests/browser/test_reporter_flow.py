"""The reporter pages in real Chromium against ``candor serve``: report with
an image carrying GPS EXIF, receipt, team decrypts, follow-up with rotate,
thread checks (a forged team message flagged), answer with an attachment,
old receipt refused. No request leaves the origin, nothing is stored in the
browser, no console error."""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import documents, roster
from chalicelib import manifest as mf
from chalicelib.b64 import b64u_decode, b64u_encode
from tests.browser.conftest import run_axe, screenshot
from tests.browser.images import jpeg_with_gps
from tests.support.live import LiveMember, LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TWO_ADMINS = (
    ("Alice Admin", "Legal", "admin"),
    ("Bob Reviewer", "Communications", "reviewer"),
    ("Carol Admin", "Security", "admin"),
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """``candor serve`` for a team with two admins, so the page can lock the last one."""
    live = start_live_server(tmp_path, make_team(TWO_ADMINS))
    try:
        yield live
    finally:
        live.stop()


def _member(server: LiveServer, first_name: str) -> LiveMember:
    return next(m for m in server.team if m.name.startswith(first_name))


def _sealed(server: LiveServer, member: LiveMember, case_id: str, blob_id: str) -> bytes:
    path = f"/v1/team/cases/{case_id}/blobs/{blob_id}"
    return b64u_decode(server.team_get(member, path)["sealed"])


def _download(server: LiveServer, member: LiveMember, case_id: str, blob_id: str) -> bytes:
    url = server.team_get(member, f"/v1/team/cases/{case_id}/blobs/{blob_id}")["url"]
    with urllib.request.urlopen(server.url + url) as answer:  # noqa: S310 -- local server
        return bytes(answer.read())


def _forge_team_message(server: LiveServer, case: dict[str, Any], text: str) -> None:
    """A message that claims to be Alice's but is signed with Carol's key: the
    server cannot tell (it holds no plaintext); the reporter's page must."""
    alice, carol = _member(server, "Alice"), _member(server, "Carol")
    doc = documents.new_message(
        "message",
        case["reply_to"],
        "team",
        alice.member_id,
        None,
        text,
        [],
        carol.keyfile.signing_seed,
    )
    recipients = [*roster.access_recipients(server.manifest, case["access"]), case["reply_to"]]
    sealed = documents.seal_document(doc, recipients)
    server.client(alice).call(
        "POST",
        f"/v1/team/cases/{case['id']}/messages",
        {"id": doc["id"], "message": b64u_encode(sealed), "attachments": []},
    )


def fill_report(page: Any, image: bytes) -> None:
    page.click("#start")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", "The company's social media account posted a scam link.")
    page.fill(
        "#q-details-input", "At 09:10 the account posted a crypto giveaway link. It is still up."
    )
    page.fill("#q-where-input", "https://social.example/company/status/1")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.set_input_files(
        "#files",
        [
            {"name": "evidence.jpg", "mimeType": "image/jpeg", "buffer": image},
            {
                "name": "notes.txt",
                "mimeType": "text/plain",
                "buffer": b"timeline: 09:10 post, 09:12 reported\n",
            },
        ],
    )
    page.wait_for_selector("#file-list li:nth-child(2) .small.warn-text")


def test_report_and_followup(make_page: Any, server: LiveServer) -> None:
    origin = server.url
    alice, bob, carol = (_member(server, n) for n in ("Alice", "Bob", "Carol"))
    page, watch = make_page(origin)
    page.goto(origin + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    assert (page.text_content("#fingerprint") or "").strip() == mf.fingerprint(server.manifest)
    screenshot(page, "index-landing-desktop-en")

    # Required fields are checked locally, with a focused summary of errors.
    page.click("#start")
    page.click("#report-form button[type=submit]")
    assert page.is_visible("#form-errors")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.get_attribute("#q-summary-input", "aria-invalid") == "true"
    screenshot(page, "index-form-errors-desktop-en")
    assert run_axe(page) == []
    page.goto(origin + "/")

    blank, _ = make_page(origin)
    image = jpeg_with_gps(blank)
    blank.close()
    fill_report(page, image)
    # The field names sit folded under "Technical names", below the plain words.
    cleaned = page.text_content("#file-list li:first-child details") or ""
    for name in ("Make", "Model", "GPS", "GPSLatitude", "GPSLongitude"):
        assert name in cleaned

    # Conflict of interest: exclude the reviewer and one admin; the last admin is locked.
    page.check(f"#exclude-{bob.member_id}")
    page.check(f"#exclude-{carol.member_id}")
    assert page.is_disabled(f"#exclude-{alice.member_id}")
    page.uncheck(f"#exclude-{carol.member_id}")
    screenshot(page, "index-form-filled-desktop-en")

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert "Bob Reviewer" in page.inner_text("#review-excluded")
    screenshot(page, "index-review-desktop-en")
    assert run_axe(page) == []
    assert [r for r in watch.requests if not r.startswith("GET ")] == [], (
        "nothing may be sent before the reporter presses send"
    )
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    receipt = page.get_attribute("#receipt-text", "data-receipt")
    assert len(receipt) == 34 and receipt.count("-") == 6
    assert page.locator("#receipt-text .receipt-groups li").count() == 7
    screenshot(page, "index-receipt-desktop-en")
    assert run_axe(page) == []

    # The receipt can be copied and downloaded; leaving needs confirmation until it is saved.
    page.click("#receipt-copy")
    assert page.evaluate("navigator.clipboard.readText()") == receipt
    with page.expect_download() as download:
        page.click("#receipt-download")
    assert receipt in Path(download.value.path()).read_text()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.evaluate("setTimeout(() => { location.href = '/followup.html' }, 0)")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and page.url.endswith("/")
    page.check("#receipt-saved")
    page.click("#receipt-continue")

    # The team decrypts the report, and the image without its metadata; Bob cannot.
    (summary,) = server.team_get(alice, "/v1/team/cases")["cases"]
    case = server.team_get(alice, f"/v1/team/cases/{summary['id']}")
    assert bob.member_id not in case["access"]
    assert server.team_get(bob, "/v1/team/cases")["cases"] == []
    sealed_report = _sealed(server, alice, case["id"], case["report"]["id"])
    report = documents.open_document(sealed_report, alice.keyfile.identities)
    assert report["type"] == "report" and report["form"]["category"] == "account_compromised"
    assert report["form"]["ongoing"] == "yes" and report["access"] == case["access"]
    assert report["reply_to"] == case["reply_to"]
    with pytest.raises(documents.DocumentUnreadable):
        documents.open_document(sealed_report, bob.keyfile.identities)
    jpeg_entry = next(a for a in report["attachments"] if a["name"] == "evidence.jpg")
    sealed_jpeg = _download(server, alice, case["id"], jpeg_entry["id"])
    assert hashlib.sha256(sealed_jpeg).hexdigest() == jpeg_entry["sha256"]
    cleaned_jpeg = documents.open_attachment(sealed_jpeg, alice.keyfile.identities, jpeg_entry)
    assert cleaned_jpeg[:2] == b"\xff\xd8"
    assert b"Exif" not in cleaned_jpeg and b"CandorCam" not in cleaned_jpeg

    # The team replies (signed), and a forged "team" message is slipped in.
    server.reply_as(
        alice, case["id"], "Thank you, we took the post down. Did anyone else have the password?"
    )
    _forge_team_message(server, case, "Send us your name.")

    # Follow-up: a typo is caught locally, nothing is sent.
    page.goto(origin + "/followup.html")
    typo = receipt[:-1] + ("0" if receipt[-1] != "0" else "1")
    sent_before = len(watch.requests)
    page.fill("#receipt-input", typo)
    page.click("#open")
    page.wait_for_selector("#receipt-error:not(:empty)")
    assert "typo" in page.inner_text("#receipt-error")
    assert [r for r in watch.requests[sent_before:] if r.startswith("POST ")] == []
    screenshot(page, "followup-typo-desktop-en")

    page.fill("#receipt-input", receipt.lower().replace("-", " "))
    page.click("#open")
    # The new receipt comes first; the case only once its last group is typed back.
    page.wait_for_selector("#step-next:not([hidden])")
    next_receipt = page.get_attribute("#next-text", "data-receipt")
    assert next_receipt != receipt
    screenshot(page, "followup-next-desktop-en")
    assert run_axe(page) == []
    page.fill("#next-last-group", next_receipt.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#step-status:not([hidden])")
    page.wait_for_selector("#messages li.message")
    page.wait_for_selector("#report-check.alert-ok")
    # Newest first: the forged message, then the reply.
    items = page.locator("#messages > li")
    assert items.count() == 2
    assert "took the post down" in items.nth(1).inner_text()
    assert "Send us your name" not in items.nth(0).inner_text()
    assert "forged" in items.nth(0).get_attribute("class")
    screenshot(page, "followup-thread-desktop-en")
    assert run_axe(page) == []

    # The reporter answers with an attachment, signed with the case's key.
    page.fill("#compose-text", "Only the social media team had it. Screenshot attached.")
    page.set_input_files(
        "#compose-files", [{"name": "shot.png", "mimeType": "image/png", "buffer": image}]
    )
    page.wait_for_selector("#compose-file-list li .small")
    page.click("#compose-send")
    page.wait_for_selector("#messages > li:nth-child(3)")
    case = server.team_get(alice, f"/v1/team/cases/{case['id']}")
    assert [m["from"] for m in case["messages"]] == ["team", "team", "reporter"]
    mine = _sealed(server, alice, case["id"], case["messages"][2]["id"])
    doc = documents.open_document(mine, alice.keyfile.identities)
    assert doc["from"] == "reporter" and doc["member"] is None and doc["sig"]
    keys = documents.author_keys(doc, server.manifest, report["reporter_key"])
    assert documents.check_message(doc, "message", "reporter", case["reply_to"], keys).ok
    # prev names the last message that verified (protocol §2.2): the forged one is skipped,
    # as the team clients do.
    verified = _sealed(server, alice, case["id"], case["messages"][0]["id"])
    assert doc["prev"] == documents.blob_hash(verified)
    assert doc["attachments"][0]["name"] == "shot.png"

    # The old receipt is dead; the new one opens.
    page2, watch2 = make_page(origin)
    watch2.expect_error("status of 404")
    page2.goto(origin + "/followup.html")
    page2.fill("#receipt-input", receipt)
    page2.click("#open")
    page2.wait_for_selector("#open-error:not([hidden])")
    assert "not recognised" in page2.inner_text("#open-error")
    page2.fill("#receipt-input", next_receipt)
    page2.click("#open")
    page2.wait_for_selector("#step-next:not([hidden])")
    urls = [r.split(" ", 1)[1] for r in watch.requests]
    assert all(u.startswith((origin + "/", "blob:")) for u in urls)
