"""HEIC photos in the reporter page, end to end: a HEIC made by libheif's
own encoder (Debian's heif-enc) with a camera make and model, a GPS position
and XMP goes through the page in Chromium, which decodes it with libheif's
WebAssembly build in the clean worker and redraws it as a JPEG; the team
decrypts it, Debian's exiftool finds none of those fields, and Pillow reads
a JPEG of the same size showing the same picture. An AVIF picture with the
same fields (which that libheif build cannot decode) is redrawn by
Chromium's own decoder in the same worker. The decoder is fetched only
once such a file is chosen, and sending the original stays a choice."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.browser import metadata_files as made
from tests.browser.test_metadata import _fill_form, _note, _received, exif_tags
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What exiftool reads from the HEIC and must not find in what the team receives.
REMOVED_TAGS = {"IFD0:Make", "IFD0:Model", "GPS:GPSLatitude", "GPS:GPSLongitude", "XMP-dc:Creator"}


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server  # the session's team (tests/conftest.py): no new keys per test


def _decoder_requests(watch: Any) -> list[str]:
    return [r for r in watch.requests if "/assets/libheif-" in r]


def test_heic_redrawn_as_jpeg_without_metadata(
    make_page: Any, server: LiveServer, tmp_path: Path
) -> None:
    heic, avif = made.heic_with_gps(), made.heic_with_gps(avif=True)
    for data, name in ((heic, "original.heic"), (avif, "original.avif")):
        original = exif_tags(data, tmp_path, name)
        assert original.keys() >= REMOVED_TAGS  # the test can fail: the fields are there to remove
        assert (original["File:ImageWidth"], original["File:ImageHeight"]) == made.HEIC_SIZE

    page, watch = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    assert _decoder_requests(watch) == []  # the pages never load the decoder
    _fill_form(page, {"photo.heic": heic, "kept.heic": heic, "scene.avif": avif})
    page.wait_for_selector("#file-list li:nth-child(3) button")
    # The decoder's WebAssembly came with the files, into the clean worker (a fresh one per file).
    assert len(_decoder_requests(watch)) == 3
    for name in ("photo.heic", "scene.avif"):
        note = _note(page, name)
        assert all(f in note for f in ("location (GPS)", "GPSLatitude", "Make", "XMP")), note
    kept = page.locator("#file-list li", has_text="kept.heic")
    kept.locator("input.send-original").check()
    assert kept.locator(".original-warning").is_visible()

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    review = page.inner_text("#step-review")
    assert "kept.heic (sent as it is)" in review
    assert "(metadata removed)" in review
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)

    received = _received(server, server.team[0])
    assert received.pop("kept.heic") == heic  # the reporter's choice, byte for byte
    assert sorted(received) == ["photo.jpg", "scene.jpg"]  # named as what they now are
    for name, jpeg in received.items():
        found = exif_tags(jpeg, tmp_path, f"received-{name}")
        assert found["File:FileType"] == "JPEG", name
        groups = {"IFD0", "ExifIFD", "GPS", "XMP-dc", "XMP-x"}
        assert not {k for k in found if k.split(":")[0] in groups}, name
        assert made.AUTHOR not in json.dumps(found) and "52 deg" not in json.dumps(found)
        with Image.open(io.BytesIO(jpeg)) as picture:
            assert picture.format == "JPEG" and picture.size == made.HEIC_SIZE, name
            difference = ImageChops.difference(picture.convert("RGB"), made.heic_picture())
            # The same picture, through two lossy codecs.
            assert max(ImageStat.Stat(difference).mean) < 8, name
