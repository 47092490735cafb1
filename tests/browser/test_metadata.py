"""Metadata removal in the reporter page, end to end: files made with known
metadata by independent tools (reportlab and pikepdf, python-docx, FFmpeg
through PyAV, Pillow) go through the page in Chromium, the team decrypts
them with Candor's Python client, and independent readers (Debian's
exiftool, pikepdf, python-docx, PyAV) find none of the removed fields while
the content is intact. A file sent as the original by the reporter's choice
arrives byte for byte. HEIC photos: test_metadata_heic.py."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import av
import docx
import pikepdf
import pytest

from candor import documents
from chalicelib.b64 import b64u_decode
from tests.browser import metadata_files as made
from tests.browser.conftest import run_axe
from tests.support.live import LiveMember, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What exiftool reads from the originals and must not find in what the team receives.
REMOVED_TAGS = {
    "report.pdf": {"PDF:Author", "PDF:Creator", "XMP-dc:Creator", "XMP-xmp:CreatorTool"},
    "invoice.docx": {"XMP-dc:Creator", "XML:LastModifiedBy", "XMP-dc:Title", "XML:Application"},
    "night.mp4": {"UserData:GPSCoordinates", "UserData:LocationInformation", "ItemList:Title"},
    "clip.gif": {"File:Comment"},
}


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server  # the session's team (tests/conftest.py): no new keys per test


def exif_tags(data: bytes, tmp_path: Path, name: str) -> dict[str, Any]:
    """Every tag exiftool finds, as "Group1:Tag" → value; a date it shows as zero is absent."""
    path = tmp_path / f"exif-{name}"
    path.write_bytes(data)
    out = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return {k: v for k, v in json.loads(out)[0].items() if v != "0000:00:00 00:00:00"}


def _fill_form(page: Any, files: dict[str, bytes]) -> None:
    page.click("#start")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", "Figures in the board pack were changed after approval.")
    page.fill(
        "#q-details-input", "The attached files show the altered invoice and the night shift."
    )
    page.fill("#q-where-input", "Finance share")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.set_input_files(
        "#files",
        [
            {"name": n, "mimeType": "application/octet-stream", "buffer": b}
            for n, b in files.items()
        ],
    )


def _received(server: LiveServer, alice: LiveMember) -> dict[str, bytes]:
    """The team opens the one case and decrypts every attachment, checking its hash."""
    (summary,) = server.team_get(alice, "/v1/team/cases")["cases"]
    case = server.team_get(alice, f"/v1/team/cases/{summary['id']}")
    sealed = server.team_get(alice, f"/v1/team/cases/{case['id']}/blobs/{case['report']['id']}")
    report = documents.open_document(b64u_decode(sealed["sealed"]), alice.keyfile.identities)
    files = {}
    for entry in report["attachments"]:
        url = server.team_get(alice, f"/v1/team/cases/{case['id']}/blobs/{entry['id']}")["url"]
        with urllib.request.urlopen(server.url + url) as answer:  # noqa: S310 -- local server
            blob = bytes(answer.read())
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
        files[entry["name"]] = documents.open_attachment(blob, alice.keyfile.identities, entry)
    return files


def _note(page: Any, name: str) -> str:
    return page.locator("#file-list li", has_text=name).text_content() or ""


def _check_pdf(data: bytes) -> None:
    assert made.EARLIER_DRAFT.encode() not in data and data.count(b"startxref") == 1
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer and "/ID" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1
        assert made.PDF_TEXT.encode() in pdf.pages[0].Contents.read_bytes()


def _check_docx(data: bytes) -> None:
    document = docx.Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == [made.DOCX_TEXT]
    props = document.core_properties
    assert (props.author, props.last_modified_by, props.title) == ("", "", "")
    assert [(c.text, c.author, c.initials) for c in document.comments] == [
        (made.COMMENT_TEXT, "", None)
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith((".xml", ".rels")))
    assert b"w:rsid" not in xml and made.AUTHOR.encode() not in xml


def _check_mp4(data: bytes) -> None:
    with av.open(io.BytesIO(data), "r") as container:
        assert not {"location", "title"} & set(container.metadata)
        assert sum(1 for _ in container.decode(video=0)) == made.MP4_FRAMES


def test_metadata_removed_per_format(make_page: Any, server: LiveServer, tmp_path: Path) -> None:
    originals = {
        "report.pdf": made.pdf_with_metadata(),
        "invoice.docx": made.docx_with_metadata(),
        "night.mp4": made.mp4_with_location(),
        "clip.gif": made.gif_with_comment(),
        "kept.gif": made.gif_with_comment(),
    }
    # The originals carry what must go, as an independent reader sees it: the test can fail.
    for name, tags in REMOVED_TAGS.items():
        assert tags <= exif_tags(originals[name], tmp_path, name).keys(), name

    page, watch = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    # The document and video cleaners come only once a file needs them (the "clean" worker).
    assert not any("/assets/clean-" in r for r in watch.requests)
    _fill_form(page, originals)
    page.wait_for_selector("#file-list li:nth-child(5) button")  # files are prepared in order

    # Each file says what was removed (kinds in words, names folded).
    assert all(
        f in _note(page, "report.pdf")
        for f in ("Author", "XMP", "DocumentID", "IncrementalUpdates")
    )
    assert all(
        f in _note(page, "invoice.docx") for f in ("dc:creator", "CommentAuthors", "RevisionIDs")
    )
    assert all(
        f in _note(page, "night.mp4") for f in ("location (GPS)", "©xyz", "loci", "CreationTime")
    )
    assert "Comment" in _note(page, "clip.gif")
    assert any("/assets/clean-" in r for r in watch.requests)
    # Sending the original is a choice made per file, and it is warned about.
    kept = page.locator("#file-list li", has_text="kept.gif")
    assert not kept.locator(".original-warning").is_visible()
    kept.locator("input.send-original").check()
    assert kept.locator(".original-warning").is_visible()
    assert run_axe(page) == []

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    review = page.inner_text("#step-review")
    assert "kept.gif (sent as it is)" in review
    assert "report.pdf (metadata removed)" in review
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)

    received = _received(server, server.team[0])
    assert received["kept.gif"] == originals["kept.gif"]
    for name, tags in REMOVED_TAGS.items():
        found = exif_tags(received[name], tmp_path, f"received-{name}")
        assert not tags & found.keys(), (name, tags & found.keys())
        values = json.dumps(found)
        for trace in (made.AUTHOR, "Acme", "52 deg", "2024:05:01"):
            assert trace not in values, (name, trace)
    _check_pdf(received["report.pdf"])
    _check_docx(received["invoice.docx"])
    _check_mp4(received["night.mp4"])
    gif = exif_tags(received["clip.gif"], tmp_path, "gif-size")
    assert (gif["GIF:ImageWidth"], gif["GIF:ImageHeight"], gif["GIF:AnimationIterations"]) == (
        32,
        24,
        "Infinite",
    )
