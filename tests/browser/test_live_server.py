"""End to end against `candor serve` (the lead's `live_server` fixture from
tests/conftest.py): report with a GPS-tagged image, team decrypts with a key
file, team replies, reporter follows up, answers, old receipt refused.

Needs from the fixture: .url, .team (members with .keyfile.identities),
.reply_as(member, case_id, text), and .team_get(member, path) → parsed JSON
of a signed team GET (protocol §4.4), to read the case and its blobs."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.images import jpeg_with_gps
from tests.browser.test_reporter_flow import fill_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decrypt(member: Any, sealed: bytes) -> bytes:
    from candor.age.api import decrypt_bytes
    from candor.age.keys import parse_identity

    return decrypt_bytes([parse_identity(i) for i in member.keyfile.identities], sealed)


def test_end_to_end(make_page: Any, live_server: Any) -> None:
    origin = live_server.url.rstrip("/")
    admin = next(m for m in live_server.team if m.role == "admin")
    page, _ = make_page(origin)
    blank, _ = make_page(origin)
    image = jpeg_with_gps(blank)
    blank.close()

    page.goto(origin + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    fill_report(page, image)
    page.click("#report-form button[type=submit]")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    receipt = page.get_attribute("#receipt-text", "data-receipt")
    page.check("#receipt-saved")
    page.click("#receipt-continue")
    screenshot(page, "live-receipt-desktop-en")

    (summary,) = live_server.team_get(admin, "/v1/team/cases")["cases"]
    case = live_server.team_get(admin, f"/v1/team/cases/{summary['id']}")
    sealed = unb64u(
        live_server.team_get(admin, f"/v1/team/cases/{case['id']}/blobs/{case['report']['id']}")[
            "sealed"
        ]
    )
    report = json.loads(decrypt(admin, sealed).rstrip(b" "))
    assert report["form"]["category"] == "account_compromised"
    entry = next(a for a in report["attachments"] if a["name"] == "evidence.jpg")
    url = live_server.team_get(admin, f"/v1/team/cases/{case['id']}/blobs/{entry['id']}")["url"]
    with urllib.request.urlopen(url if url.startswith("http") else origin + url) as r:  # noqa: S310 - local test server
        jpeg = decrypt(admin, r.read())[: entry["size"]]
    assert jpeg[:2] == b"\xff\xd8" and b"Exif" not in jpeg and b"CandorCam" not in jpeg

    live_server.reply_as(admin, case["id"], "Thank you, we took the post down.")
    page.goto(origin + "/followup.html")
    page.fill("#receipt-input", receipt)
    page.click("#open")
    page.wait_for_selector("#step-next:not([hidden])")
    next_receipt = page.get_attribute("#next-text", "data-receipt")
    page.fill("#next-last-group", next_receipt.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#report-check.alert-ok")
    page.wait_for_selector("#messages li.message.team")
    assert "took the post down" in page.inner_text("#messages")
    screenshot(page, "live-thread-desktop-en")
    page.fill("#compose-text", "Only the social media team had the password.")
    page.click("#compose-send")
    page.wait_for_selector("#messages > li:nth-child(2)")

    old, watch = make_page(origin)
    watch.expect_error("status of 404")
    old.goto(origin + "/followup.html")
    old.fill("#receipt-input", receipt)
    old.click("#open")
    old.wait_for_selector("#open-error:not([hidden])")
    old.fill("#receipt-input", next_receipt)
    old.click("#open")
    old.wait_for_selector("#step-next:not([hidden])")
