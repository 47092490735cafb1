"""Issue 19 items 3, 4, 5, 11 and 12 on the reporter page, in German on a
phone and in English on a desktop: Back goes to the previous step and a
reload is guarded once anything was typed; the file limits are stated and
checked when files are picked, and every refusal is specific with "Back to
edit"; character counters, with overflow refused and never cut; the only
admin cannot be excluded, with the reason and the outside contact; a large
"Add files" button with a count, and removed metadata in plain words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, run_axe, screenshot
from tests.browser.images import jpeg_with_gps
from tests.browser.report_site import LOCALES, PAGES, SITE, posts, serve_with_site, t
from tests.browser.test_render_guard_pages import render_problems
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# One admin only: her box must be locked from the start.
TEAM = (
    ("Ada Admin", "Legal", "admin"),
    ("Bob Reviewer", "HR", "reviewer"),
    ("Cleo Clerk", "", "reviewer"),
)
SUMMARY = "A manager shouts at interns."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = serve_with_site(tmp_path_factory.mktemp("report-form"), TEAM)
    try:
        yield live
    finally:
        live.stop()


def _open(make_page: Any, server: LiveServer, viewport: str, lang: str) -> tuple[Any, Any]:
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    assert page.evaluate("document.documentElement.lang") == lang
    return page, watch


def _fill(page: Any) -> None:
    page.click("#start")
    page.select_option("#q-category-input", "harassment")
    page.fill("#q-summary-input", SUMMARY)
    page.fill("#q-details-input", "Every Monday meeting since March.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "soon")


def _visible_step(page: Any) -> str:
    return str(page.evaluate("[...document.querySelectorAll('.step')].find(s => !s.hidden).id"))


def _leave_prompts(page: Any) -> list[str]:
    """Try to reload; return the dialogs the page raised (each dismissed, so the page stays)."""
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.evaluate("setTimeout(() => location.reload(), 0)")
    page.wait_for_timeout(600)
    page.remove_listener("dialog", dismiss)
    return dialogs


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_back_goes_to_the_previous_step_and_leaving_is_guarded(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, _ = _open(make_page, server, viewport, lang)
    screenshot(page, f"report-landing-{viewport}-{lang}")
    assert _leave_prompts(page) == [], "an untouched page leaves without asking"
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")

    _fill(page)
    assert _leave_prompts(page) == ["beforeunload"]
    assert page.input_value("#q-summary-input") == SUMMARY

    # Back from the form returns to the landing step, Forward to the form, the draft kept.
    page.go_back()
    page.wait_for_selector("#step-intro:not([hidden])")
    assert page.url.startswith(server.url)
    page.go_forward()
    page.wait_for_selector("#step-form:not([hidden])")
    assert page.input_value("#q-summary-input") == SUMMARY

    # Back from the review returns to the form, with everything as it was typed.
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.go_back()
    page.wait_for_selector("#step-form:not([hidden])")
    assert page.input_value("#q-summary-input") == SUMMARY
    assert page.is_checked("#q-ongoing-0")
    page.go_forward()
    page.wait_for_selector("#step-review:not([hidden])")
    assert SUMMARY in page.inner_text("#review-list")
    # "Back to edit" is the same step back.
    page.click("#back-to-form")
    page.wait_for_selector("#step-form:not([hidden])")
    assert _visible_step(page) == "step-form"


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_counters_refuse_overflow_and_nothing_is_cut(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, _ = _open(make_page, server, viewport, lang)
    _fill(page)
    number = "20,000" if lang == "en" else "20.000"
    assert page.inner_text("#q-details-count") == t(lang, "form.count", count=33, max=number)

    long_summary = "x" * 201
    page.fill("#q-summary-input", long_summary)
    page.fill("#q-details-input", "y" * 20005)
    assert page.input_value("#q-summary-input") == long_summary, "text was cut"
    assert len(page.input_value("#q-details-input")) == 20005, "text was cut"
    assert page.inner_text("#q-summary-count") == t(
        lang, "form.count_over", count=201, max=200, over=1
    )
    assert "error" in (page.get_attribute("#q-details-count", "class") or "")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden])")
    errors = page.inner_text("#form-error-list")
    assert t(lang, "form.error.too_long", over=1, max=200) in errors
    assert t(lang, "form.error.too_long", over=5, max=number) in errors
    assert render_problems(page.evaluate("document.body.innerText")) == []
    screenshot(page, f"report-counters-{viewport}-{lang}")

    exactly = "z" * 200
    page.fill("#q-summary-input", exactly)
    page.fill("#q-details-input", "y" * 20000)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert exactly in page.inner_text("#review-list")
    assert page.inner_text("#review-unchanged") == t(lang, "review.unchanged")


def _pick(page: Any, files: list[tuple[str, int]]) -> None:
    """Choose files of the given sizes through the picker, as the browser's file dialog would.
    Large files are a Blob repeating one MiB, so Chromium holds only that MiB."""
    page.evaluate(
        """(files) => {
            const mib = new Blob([new Uint8Array(1 << 20)]);
            const transfer = new DataTransfer();
            for (const [name, size] of files) {
                const parts = Array(Math.floor(size / (1 << 20))).fill(mib);
                parts.push(new Uint8Array(size % (1 << 20)));
                transfer.items.add(new File(parts, name, {type: "application/octet-stream"}));
            }
            const input = document.getElementById("files");
            input.files = transfer.files;
            input.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        files,
    )


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_file_limits_are_stated_and_checked_when_picked(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, watch = _open(make_page, server, viewport, lang)
    _fill(page)
    assert "10" in page.inner_text("#file-limits")
    _pick(page, [(f"note-{i:02}.txt", 10) for i in range(11)])
    page.wait_for_selector("#file-list li:nth-child(10) .small.warn-text")
    assert page.locator("#file-list li").count() == 10
    assert page.inner_text("#file-refused") == t(
        lang, "files.refused_count", name="note-10.txt", n=10
    )
    assert page.inner_text("#file-count") == t(lang, "files.count", n=10, max=10)

    page.click("#file-list li:first-child button")
    gib = 1 << 30
    _pick(page, [("video.mp4", gib + gib // 10)])
    refused = page.inner_text("#file-refused")
    assert refused.startswith(
        t(lang, "files.refused_size", name="video.mp4", size="@").split("@")[0]
    )
    assert page.locator("#file-list li").count() == 9
    assert render_problems(page.evaluate("document.body.innerText")) == []
    screenshot(page, f"report-file-limits-{viewport}-{lang}")
    assert posts(watch) == [], "nothing is sent while files are picked"


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_each_refusal_is_specific_and_offers_back_to_edit(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, watch = _open(make_page, server, viewport, lang)
    _fill(page)
    page.set_input_files(
        "#files", [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"monday\n"}]
    )
    page.wait_for_selector("#file-list li .small.warn-text")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")

    def refuse(path: str, status: int, code: str) -> None:
        watch.expect_error(f"status of {status}")
        body = json.dumps({"error": {"code": code, "message": "refused"}})
        page.route(path, lambda route: route.fulfill(status=status, body=body,
                   headers={"Content-Type": "application/json"}))  # fmt: skip

    # A file the server refuses as too large: named, no "Try again", "Back to edit" keeps the draft.
    refuse("**/v1/attachments", 413, "too_large")
    page.click("#send")
    page.wait_for_selector("#sending-back:not([hidden])", timeout=60000)
    error = page.inner_text("#sending-error")
    assert t(lang, "sending.failed_file", name="notes.txt") in error
    assert t(lang, "error.file_too_large") in error
    assert page.is_hidden("#sending-retry")
    assert render_problems(page.evaluate("document.body.innerText")) == []
    assert run_axe(page) == []
    screenshot(page, f"report-send-refused-{viewport}-{lang}")
    page.click("#sending-back")
    page.wait_for_selector("#step-form:not([hidden])")
    assert page.input_value("#q-summary-input") == SUMMARY
    page.unroute("**/v1/attachments")

    # The team changed meanwhile: a specific text, only "Back to edit".
    refuse("**/v1/reports", 422, "invalid_access")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#send")
    page.wait_for_selector("#sending-back:not([hidden])", timeout=60000)
    assert t(lang, "error.invalid_access") in page.inner_text("#sending-error")
    assert page.is_hidden("#sending-retry")
    page.unroute("**/v1/reports")

    # A refusal that may pass on a second try: both buttons.
    refuse("**/v1/reports", 400, "malformed")
    page.click("#sending-back")
    page.wait_for_selector("#step-form:not([hidden])")
    page.click("#report-form button[type=submit]")
    page.click("#send")
    page.wait_for_selector("#sending-back:not([hidden])", timeout=60000)
    assert t(lang, "error.malformed") in page.inner_text("#sending-error")
    assert page.is_visible("#sending-retry")
    page.unroute("**/v1/reports")
    page.click("#sending-retry")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_only_admin_is_locked_with_reason_and_outside_contact(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, _ = _open(make_page, server, viewport, lang)
    ada = next(m for m in server.team if m.name.startswith("Ada"))
    bob = next(m for m in server.team if m.name.startswith("Bob"))
    page.click("#start")
    box = f"#exclude-{ada.member_id}"
    assert page.is_disabled(box), "the only admin can be ticked"
    assert page.inner_text(f"{box}-reason") == t(lang, "exclude.locked")
    assert page.get_attribute(box, "aria-describedby") == f"exclude-{ada.member_id}-reason"
    assert page.is_enabled(f"#exclude-{bob.member_id}")
    assert page.inner_text("#outside-contact-text") == SITE["outside_contact"][lang]
    assert t(lang, "exclude.outside") in page.inner_text("#outside-contact")
    page.locator("#exclusions").scroll_into_view_if_needed()
    assert run_axe(page) == []
    screenshot(page, f"report-exclusions-{viewport}-{lang}")


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_add_files_button_with_count_and_metadata_in_plain_words(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, _ = _open(make_page, server, viewport, lang)
    page.click("#start")
    button = page.locator("#add-files")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    assert button.inner_text() == t(lang, "files.choose")
    assert page.inner_text("#file-count") == t(lang, "files.count", n=0, max=10)

    blank, _ = make_page(server.url)
    image = jpeg_with_gps(blank)
    blank.close()
    page.set_input_files(
        "#files", [{"name": "shot.jpg", "mimeType": "image/jpeg", "buffer": image}]
    )
    page.wait_for_selector("#file-list li .cleaned")
    assert page.inner_text("#file-count") == t(lang, "files.count", n=1, max=10)
    cleaned = page.inner_text("#file-list li .cleaned")
    assert t(lang, "files.meta.location") in cleaned
    assert t(lang, "files.meta.device") in cleaned
    assert "GPSLatitude" not in page.inner_text("#file-list li")
    # The field names stay one click away for whoever wants them.
    page.click("#file-list li details summary")
    assert "GPSLatitude" in page.inner_text("#file-list li details")
    screenshot(page, f"report-files-{viewport}-{lang}")
    picker = page.locator("fieldset", has=page.locator("#add-files"))
    picker.screenshot(path=str(SCREENSHOTS / f"report-files-picker-{viewport}-{lang}.png"))
