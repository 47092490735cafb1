"""The reporter pages in real Chromium against the fake API: report with an
image carrying GPS EXIF, receipt, team decrypts, follow-up with rotate,
thread checks (forged message flagged), reply, old receipt refused. No
request leaves the origin, nothing is stored, no console error."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, run_axe, screenshot
from tests.browser.images import jpeg_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def team_tool(*args: str) -> Any:
    out = subprocess.run(
        ["node", "tests/js/support/team-tools.mjs", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def open_as(team: dict[str, Any], member: int, sealed: bytes, tmp: Path) -> Any:
    path = tmp / "sealed.age"
    path.write_bytes(sealed)
    return team_tool("open", str(team["dir"] / "team.json"), str(member), str(path))


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


def test_report_and_followup(
    make_page: Any, fake_server: Any, test_team: dict[str, Any], tmp_path: Path
) -> None:
    origin = fake_server.url
    page, watch = make_page(origin)
    page.goto(origin + "/")
    page.wait_for_selector("#fingerprint:not(:empty)")
    screenshot(page, "index-landing-desktop-en")

    # Required fields are checked locally, with a focused summary of errors.
    page.click("#start")
    page.click("#report-form button[type=submit]")
    assert page.is_visible("#form-errors")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.get_attribute("#q-summary-input", "aria-invalid") == "true"
    screenshot(page, "index-form-errors-desktop-en")
    assert run_axe(page) == []
    page.click("#back-to-form") if page.is_visible("#back-to-form") else None
    page.goto(origin + "/")

    blank, _ = make_page(origin)
    image = jpeg_with_gps(blank)
    blank.close()
    fill_report(page, image)
    cleaned = page.inner_text("#file-list li:first-child")
    for name in ("Make", "Model", "GPS", "GPSLatitude", "GPSLongitude"):
        assert name in cleaned

    # Conflict of interest: exclude the reviewer and one admin; the last admin is locked.
    members = test_team["members"]
    bob = next(m for m in members if m["role"] == "reviewer")
    admins = [m for m in members if m["role"] == "admin"]
    page.check(f"#exclude-{bob['id']}")
    page.check(f"#exclude-{admins[1]['id']}")
    assert page.is_disabled(f"#exclude-{admins[0]['id']}")
    page.uncheck(f"#exclude-{admins[1]['id']}")
    screenshot(page, "index-form-filled-desktop-en")

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert "Bob Reviewer" in page.inner_text("#review-excluded")
    screenshot(page, "index-review-desktop-en")
    assert run_axe(page) == []
    posts_before = [r for r in fake_server.requests if r[0] != "GET"]
    assert posts_before == [], "nothing may be sent before the reporter presses send"
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

    # The team decrypts: the report, and the image without its metadata.
    (case,) = fake_server.cases.values()
    assert bob["id"] not in case.access
    report = open_as(test_team, 0, case.report, tmp_path)
    assert report["type"] == "report" and report["form"]["category"] == "account_compromised"
    assert report["form"]["ongoing"] == "yes" and report["access"] == case.access
    with pytest.raises(subprocess.CalledProcessError):
        open_as(test_team, members.index(bob), case.report, tmp_path)
    jpeg_entry = next(a for a in report["attachments"] if a["name"] == "evidence.jpg")
    sealed_jpeg = fake_server.uploads[jpeg_entry["id"]]["data"]
    assert hashlib.sha256(sealed_jpeg).hexdigest() == jpeg_entry["sha256"]
    plain = bytes.fromhex(open_as(test_team, 0, sealed_jpeg, tmp_path)["bytes"])
    assert len(plain) == 4096 or len(plain) >= jpeg_entry["size"]
    cleaned_jpeg = plain[: jpeg_entry["size"]]
    assert (
        cleaned_jpeg[:2] == b"\xff\xd8"
        and b"Exif" not in cleaned_jpeg
        and b"CandorCam" not in cleaned_jpeg
    )
    assert set(plain[jpeg_entry["size"] :]) <= {0}

    # The team replies (signed), and a forged "team" message is slipped in.
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report))
    reply = team_tool(
        "reply",
        str(test_team["dir"] / "team.json"),
        "0",
        str(report_path),
        "null",
        "Thank you, we took the post down. Did anyone else have the password?",
    )
    fake_server.add_team_message(case, unb64u(reply["sealed"]), reply["id"])
    forged_team = [dict(m) for m in members]
    forged_team[0]["seed"] = members[1]["seed"]
    (tmp_path / "forged.json").write_text(json.dumps(forged_team))
    forged = team_tool(
        "reply", str(tmp_path / "forged.json"), "0", str(report_path), "null", "Send us your name."
    )
    fake_server.add_team_message(case, unb64u(forged["sealed"]), forged["id"])

    # Follow-up: a typo is caught locally, nothing is sent.
    page.goto(origin + "/followup.html")
    typo = receipt[:-1] + ("0" if receipt[-1] != "0" else "1")
    sent_before = len(fake_server.requests)
    page.fill("#receipt-input", typo)
    page.click("#open")
    page.wait_for_selector("#receipt-error:not(:empty)")
    assert "typo" in page.inner_text("#receipt-error")
    assert [r for r in fake_server.requests[sent_before:] if r[0] == "POST"] == []
    screenshot(page, "followup-typo-desktop-en")

    page.fill("#receipt-input", receipt.lower().replace("-", " "))
    page.click("#open")
    page.wait_for_selector("#step-status:not([hidden])")
    next_receipt = page.get_attribute("#next-text", "data-receipt")
    assert next_receipt != receipt
    assert page.is_disabled("#next-continue")
    screenshot(page, "followup-status-desktop-en")
    assert run_axe(page) == []
    page.check("#next-saved")
    page.click("#next-continue")
    page.wait_for_selector("#messages li.message")
    page.wait_for_selector("#report-check.alert-ok")
    items = page.locator("#messages > li")
    assert items.count() == 2
    assert "took the post down" in items.nth(0).inner_text()
    assert "Send us your name" not in items.nth(1).inner_text()
    assert "forged" in items.nth(1).get_attribute("class")
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
    mine = case.messages[-1]
    doc = open_as(test_team, 0, mine["sealed"], tmp_path)
    assert doc["from"] == "reporter" and doc["member"] is None and doc["sig"]
    # prev names the last message the reporter saw (the forged one is still a blob in the thread).
    assert doc["prev"] == b64u(hashlib.sha256(case.messages[1]["sealed"]).digest())
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
    page2.wait_for_selector("#step-status:not([hidden])")
    assert all(
        origin in r.split(" ", 1)[1]
        for r in watch.requests
        if not r.split(" ", 1)[1].startswith("blob:")
    )
