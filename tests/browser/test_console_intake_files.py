"""The files of a report a member files in the console (protocol §4.4,
"Filing"; issue 16) lose their metadata as on the reporter page (issue 15):
in Debian's Chromium against `candor serve`, a phone caller's photo with GPS
and a docx with an author go through the console's "File a report" view,
which says what it removed from each; the team decrypts them with the
Python client, and exiftool and python-docx find none of the removed fields
while the picture and the text are intact. A file the page cannot clean is
named as sent as it is, and a screenshot is blacked out in the page's
redaction editor, burned into the pixels. Axe finds nothing serious."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import docx
import pytest
from PIL import Image

from candor import teamops
from tests.browser import metadata_files as made
from tests.browser.conftest import run_axe
from tests.browser.images import jpeg_with_gps
from tests.browser.test_console import member, origin
from tests.browser.test_console_intake import _unlock
from tests.browser.test_metadata import REMOVED_TAGS, exif_tags
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What exiftool reads from the caller's photo and must not find in what the team receives.
PHOTO_TAGS = {"IFD0:Make", "IFD0:Model", "GPS:GPSLatitude", "GPS:GPSLongitude"}
NOTES = b"Call notes: the caller read the posts out to me."


def _screen() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server  # the session's team (tests/conftest.py): no new keys per test


def _note(page: Any, name: str) -> str:
    return page.locator("#intake-file-list li", has_text=name).text_content() or ""


def _check_photo(data: bytes, tmp_path: Path) -> None:
    found = exif_tags(data, tmp_path, "received-photo.jpg")
    assert not PHOTO_TAGS & found.keys() and not any(k.startswith("GPS:") for k in found)
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (64, 48)
        red, white = rgb.getpixel((60, 44)), rgb.getpixel((20, 16))
    assert isinstance(red, tuple) and isinstance(white, tuple)
    assert red[0] > 180 and red[1] < 90 and min(white) > 220  # the picture is the one drawn


def _check_docx(data: bytes, tmp_path: Path) -> None:
    found = exif_tags(data, tmp_path, "received-statement.docx")
    assert not REMOVED_TAGS["invoice.docx"] & found.keys()
    assert made.AUTHOR not in json.dumps(found)
    document = docx.Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == [made.DOCX_TEXT]
    props = document.core_properties
    assert (props.author, props.last_modified_by, props.title) == ("", "", "")
    assert [(c.text, c.author) for c in document.comments] == [(made.COMMENT_TEXT, "")]


def test_a_phone_reports_files_lose_their_metadata(
    make_page: Any, server: LiveServer, tmp_path: Path
) -> None:
    page, watch = make_page(origin(server))
    photo = jpeg_with_gps(page)
    statement = made.docx_with_metadata()
    # The originals carry what must go, as an independent reader sees it: the test can fail.
    assert exif_tags(photo, tmp_path, "photo.jpg").keys() >= PHOTO_TAGS
    assert REMOVED_TAGS["invoice.docx"] <= exif_tags(statement, tmp_path, "statement.docx").keys()

    _unlock(page, server, member(server, "Grace"), "view-inbox")
    page.click("#tab-intake")
    page.wait_for_selector("#view-intake:not([hidden]) #intake-form")
    page.set_input_files("#intake-files", files=[
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo},
        {"name": "statement.docx", "mimeType": "application/octet-stream", "buffer": statement},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": NOTES},
        {"name": "screen.png", "mimeType": "image/png", "buffer": _screen()},
    ])
    page.wait_for_selector("#intake-file-list li:nth-child(4) button")  # prepared in order
    # Each file says what was removed; one the page cannot clean is named as such.
    assert all(f in _note(page, "photo.jpg") for f in ("location (GPS)", "GPS", "Make"))
    assert all(f in _note(page, "statement.docx") for f in ("dc:creator", "CommentAuthors"))
    assert "sent as it is" in _note(page, "notes.txt")
    assert any("/assets/clean-" in r for r in watch.requests)  # the docx went to the clean worker
    # Sending the original stays a choice per file, with its warning.
    photo_item = page.locator("#intake-file-list li", has_text="photo.jpg")
    photo_item.locator("input.send-original").check()
    assert photo_item.locator(".original-warning").is_visible()
    photo_item.locator("input.send-original").uncheck()
    # The caller's name on a screenshot: blacked out from the keyboard (page/redact.ts).
    screen = page.locator("#intake-file-list li", has_text="screen.png")
    screen.get_by_role("button", name="Black out parts").click()
    dialog = page.get_by_role("dialog", name="Black out parts of the picture")
    assert run_axe(page) == []
    page.keyboard.press("Enter")  # a quarter of each side, in the middle
    dialog.get_by_role("button", name="Done").click()
    dialog.wait_for(state="hidden")
    assert "Parts blacked out: 1." in (screen.text_content() or "")
    assert run_axe(page) == []

    page.check("#intake-source-phone")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", "Caller: our account posts crypto spam")
    page.fill("#q-details-input", "Phoned at nine; photo and statement attached.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.click("#intake-send")
    page.wait_for_selector("#intake-receipt", timeout=90000)
    assert page.locator("#intake-sending-files li").count() == 4
    assert run_axe(page) == []

    s = server.session(member(server, "Ada"))
    (case,) = s.get("/v1/team/cases")["cases"]
    assert case["source"] == "phone"
    view = teamops.read_case(s, case["id"])
    received = {e["name"]: teamops.attachment(s, case["id"], e)
                for e in view.report["attachments"]}
    assert received.keys() == {"photo.jpg", "statement.docx", "notes.txt", "screen.png"}
    assert received["notes.txt"] == NOTES
    with Image.open(io.BytesIO(received["screen.png"])) as shot:
        grey = shot.convert("L")
        assert shot.size == (400, 200)
        assert max(grey.crop((180, 90, 220, 110)).tobytes()) < 24  # burned in, not laid on top
        assert min(grey.crop((0, 0, 40, 20)).tobytes()) > 200
    _check_photo(received["photo.jpg"], tmp_path)
    _check_docx(received["statement.docx"], tmp_path)
