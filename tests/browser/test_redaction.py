"""Redaction in the reporter page, end to end: a picture with a name line
and a figures line, made with Pillow, is chosen on the page; the reporter
blacks out the name by dragging (the keyboard adds and removes a box on the
way), sends it, and the team decrypts it with Candor's Python client.
Debian's tesseract reads both lines in the original, and in what the team
receives reads the figures and nothing of the name, whose pixels are black."""

from __future__ import annotations

import io
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.browser.conftest import run_axe
from tests.browser.report_site import catalogue
from tests.browser.test_metadata import _fill_form, _received
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NAME, FIGURES = "ALICE EXAMPLE", "BUDGET 2027"
NAME_AT, FIGURES_AT = (40, 40), (40, 180)
MARGIN = 14  # the box reaches this far around the name's ink


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server  # the session's team (tests/conftest.py): no new keys per test


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), 64) if FONT.exists() else ImageFont.load_default(size=64)


def screenshot_with_name() -> tuple[bytes, tuple[int, int, int, int]]:
    """A PNG with the two lines, and the box (left, top, right, bottom) to black out."""
    image = Image.new("RGB", (760, 300), "white")
    draw = ImageDraw.Draw(image)
    font = _font()
    draw.text(NAME_AT, NAME, fill="black", font=font)
    draw.text(FIGURES_AT, FIGURES, fill="black", font=font)
    left, top, right, bottom = draw.textbbox(NAME_AT, NAME, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    box = (
        math.floor(left) - MARGIN,
        math.floor(top) - MARGIN,
        math.ceil(right) + MARGIN,
        math.ceil(bottom) + MARGIN,
    )
    return out.getvalue(), box


def ocr(data: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(
        ["tesseract", str(path), "stdout", "-l", "eng"], check=True, capture_output=True, text=True
    ).stdout.upper()


def _drag(page: Any, box: tuple[int, int, int, int], width: int, height: int) -> None:
    """Drag over `box` (image pixels) on the canvas, wherever and however large it is drawn."""
    frame = page.locator("dialog.redact canvas").bounding_box()
    sx, sy = frame["width"] / width, frame["height"] / height
    page.mouse.move(frame["x"] + box[0] * sx, frame["y"] + box[1] * sy)
    page.mouse.down()
    page.mouse.move(frame["x"] + box[2] * sx, frame["y"] + box[3] * sy, steps=6)
    page.mouse.up()


def test_name_blacked_out_is_gone(make_page: Any, server: LiveServer, tmp_path: Path) -> None:
    original, box = screenshot_with_name()
    # The test can fail: tesseract reads both lines in the original.
    seen = ocr(original, tmp_path, "original.png")
    assert "ALICE" in seen and "EXAMPLE" in seen and "BUDGET" in seen, seen

    page, _ = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    _fill_form(page, {"shot.png": original})
    row = page.locator("#file-list li", has_text="shot.png")
    row.get_by_role("button", name="Black out parts").click()
    dialog = page.get_by_role("dialog", name="Black out parts of the picture")
    canvas = dialog.get_by_role("application")
    assert canvas.evaluate("c => document.activeElement === c")
    assert run_axe(page) == []

    # From the keyboard: Enter adds a box, the arrows move it, Delete takes it away.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    assert "Box 1 of 1 chosen: 293 pixels from the left" in dialog.text_content()
    page.keyboard.press("Delete")
    assert "Boxes: 0. None chosen." in dialog.text_content()

    # Cancel keeps the file as it was.
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    assert "Parts blacked out" not in (row.text_content() or "")

    row.get_by_role("button", name="Black out parts").click()
    _drag(page, box, 760, 300)
    assert "Box 1 of 1 chosen" in dialog.text_content()
    dialog.get_by_role("button", name="Done").click()
    dialog.wait_for(state="hidden")
    assert "Parts blacked out: 1." in (row.text_content() or "")
    # The row shows what will be sent: the name's middle is black there too.
    middle = ((box[0] + box[2]) / 2 / 760, (box[1] + box[3]) / 2 / 300)
    thumb = row.get_by_role("img", name="What will be sent: shot.png")
    # It is drawn once the picture decodes: wait for an opaque pixel, then look at it.
    pixel = page.wait_for_function(
        "([c, fx, fy]) => { const p = c.getContext('2d').getImageData("
        "Math.floor(fx * c.width), Math.floor(fy * c.height), 1, 1).data;"
        " return p[3] > 0 && [...p]; }",
        arg=[thumb.element_handle(), *middle],
    ).json_value()
    assert pixel == [0, 0, 0, 255]
    assert run_axe(page) == []

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)

    received = _received(server, server.team[0])["shot.png"]
    picture = Image.open(io.BytesIO(received))
    assert (picture.format, picture.size) == ("PNG", (760, 300))
    read = ocr(received, tmp_path, "received.png")
    assert "BUDGET" in read, read
    for trace in ("ALICE", "EXAMPLE", "ALIC", "EXAMP"):
        assert trace not in read, read
    # Burned in: every pixel under the box is black, not a layer over the name.
    covered = picture.convert("RGB").crop(box)
    assert covered.getextrema() == ((0, 0), (0, 0), (0, 0))


def test_keyboard_only_on_a_phone_in_arabic(make_page: Any, server: LiveServer) -> None:
    """A JPEG blacked out from the keyboard alone, at phone width, right to left:
    the editor fits the screen, passes axe, the row shows the box burned in the
    middle, and the team receives a JPEG of the same size."""
    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (250, 250, 250)).save(picture, "JPEG")
    text = catalogue("ar")
    page, _ = make_page(server.url, viewport="phone")
    page.goto(f"{server.url}/index.html?lang=ar")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    _fill_form(page, {"photo.jpg": picture.getvalue()})
    row = page.locator("#file-list li", has_text="photo.jpg")
    row.get_by_role("button", name=text["files.redact"]).click()
    dialog = page.get_by_role("dialog", name=text["redact.title"])
    frame = dialog.get_by_role("application").bounding_box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= 390, frame
    assert run_axe(page) == []
    page.keyboard.press("Enter")  # a quarter of each side, in the middle
    page.keyboard.press("Shift+ArrowRight")
    dialog.get_by_role("button", name=text["redact.done"]).click()
    dialog.wait_for(state="hidden")
    done = text["files.redacted"].replace("{n}", "1")
    assert done in (row.text_content() or "")
    pixel = page.wait_for_function(
        "c => { const p = c.getContext('2d').getImageData("
        "Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;"
        " return p[3] > 0 && [...p]; }",
        arg=row.locator("canvas").element_handle(),
    ).json_value()
    assert max(pixel[:3]) < 24, pixel  # black, give or take JPEG's rounding
    corner = row.locator("canvas").evaluate(
        "c => [...c.getContext('2d').getImageData(1, 1, 1, 1).data]"
    )
    assert min(corner[:3]) > 200, corner

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    received = Image.open(io.BytesIO(_received(server, server.team[0])["photo.jpg"]))
    assert (received.format, received.size) == ("JPEG", (1200, 800))
    assert max(received.convert("L").crop((560, 380, 640, 420)).tobytes()) < 24
