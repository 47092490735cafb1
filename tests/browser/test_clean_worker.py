"""Documents and videos are cleaned in the "clean" worker
(frontend/src/workers/clean.ts), loaded only when such a file is chosen.
It fails closed: when the worker script is refused, each file it should
have cleaned is named as not cleaned, with the reason, and the report
cannot be sent with it until the reporter removes it or ticks to send it as
it is; pictures are still cleaned by the page itself. And the page's main
thread keeps running timers while a large PDF is cleaned."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests.browser import metadata_files as made
from tests.browser.images import jpeg_with_gps
from tests.browser.test_metadata import _fill_form, _note, _received, exif_tags
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORKER = "**/assets/clean-*.js"


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server  # the session's team (tests/conftest.py): no new keys per test


def _open(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")


def test_refused_worker_names_files_not_cleaned_and_sends_none_without_a_choice(
    make_page: Any, server: LiveServer, tmp_path: Path
) -> None:
    page, _watch = make_page(server.url)
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()

    page.route(WORKER, refuse)
    _open(page, server)
    photo = jpeg_with_gps(page)
    chosen, left = made.pdf_with_metadata(), made.pdf_with_metadata() + b"\n"
    _fill_form(page, {"chosen.pdf": chosen, "left.pdf": left, "photo.jpg": photo})
    page.wait_for_selector("#file-list li:nth-child(3) button")

    assert refused, "the page did not try to load the clean worker"
    for name in ("chosen.pdf", "left.pdf"):
        note = _note(page, name)
        assert "could not be cleaned" in note and "could not be loaded" in note, note
    # Pictures do not need the worker: the page removed the photo's location itself.
    assert "location (GPS)" in _note(page, "photo.jpg")

    # Neither PDF was chosen to go as it is: the report does not go on.
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden])")
    assert page.is_hidden("#step-review")

    item = page.locator("#file-list li", has_text="chosen.pdf")
    assert not item.locator(".original-warning").is_visible()
    item.locator("input.send-original").check()
    assert "none of which was removed" in item.locator(".original-warning").inner_text()
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden])")  # left.pdf still stops it
    assert page.is_hidden("#step-review")
    page.locator("#file-list li", has_text="left.pdf").get_by_role("button").click()

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    review = page.inner_text("#step-review")
    assert "chosen.pdf (sent as it is)" in review and "photo.jpg (metadata removed)" in review
    assert "left.pdf" not in review
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)

    received = _received(server, server.team[0])
    assert sorted(received) == ["chosen.pdf", "photo.jpg"]
    assert received["chosen.pdf"] == chosen
    assert "GPS:GPSLatitude" not in exif_tags(received["photo.jpg"], tmp_path, "photo.jpg")


def scanned_pdf(pages: int, image_bytes: int) -> bytes:
    """A PDF of scanned pages, each one large image (random bytes, as
    compressed pictures look). pdf-lib reads each stream in one go: on the
    page's thread it would block it for the whole cleaning, over a second."""
    pdf = pikepdf.new()
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(595, 842))
        image = pdf.make_stream(
            os.urandom(image_bytes),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=1000,
            Height=image_bytes // 3000,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
        )
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf.docinfo["/Author"] = made.AUTHOR
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    return out.getvalue()


# A 10 ms timer's ticks while the PDF is cleaned; a main thread busy with
# pdf-lib would leave a gap as long as the whole cleaning.
PROBE = """() => {
  window.probe = { ticks: [] };
  window.probe.timer = setInterval(() => window.probe.ticks.push(performance.now()), 10);
}"""
RESULT = """() => {
  clearInterval(window.probe.timer);
  const t = window.probe.ticks;
  const gaps = t.slice(1).map((x, i) => x - t[i]);
  return { ticks: t.length, maxGap: Math.max(...gaps), span: t[t.length - 1] - t[0] };
}"""
# As in test_console_unlock: the worker competes for one of two shared cores.
MAX_GAP_MS = 250


def test_main_thread_keeps_running_while_a_large_pdf_is_cleaned(
    make_page: Any, server: LiveServer, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.pdf"
    ledger.write_bytes(scanned_pdf(4, 12_000_000))
    page, watch = make_page(server.url)
    _open(page, server)
    page.click("#start")
    page.evaluate(PROBE)
    # By path: Chromium reads the file itself, as when a reporter picks it.
    page.set_input_files("#files", str(ledger))
    page.wait_for_selector("#file-list li .cleaned", timeout=60000)
    seen = page.evaluate(RESULT)
    print(
        f"cleaning a {ledger.stat().st_size}-byte PDF: {seen['ticks']} ticks over "
        f"{seen['span']:.0f} ms, longest gap {seen['maxGap']:.0f} ms"
    )
    assert "Author" in _note(page, "ledger.pdf")
    assert seen["span"] > 500, "the PDF was cleaned too fast to tell a blocked thread"
    assert seen["maxGap"] < MAX_GAP_MS, f"main thread blocked for {seen['maxGap']:.0f} ms"
    assert any("/assets/clean-" in r for r in watch.requests)
