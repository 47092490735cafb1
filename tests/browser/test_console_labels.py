"""Reporter-controlled names in the console (issue 13 finding 4, protocol §6):
a right-to-left override cannot disguise an attachment's extension."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_console import member, origin, submit, unlock

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_spoofed_attachment_name_shows_as_it_is(make_page: Any, live_server: Any) -> None:
    from candor.reporter import Evidence

    submit(live_server, files=[Evidence("invoice\u202efdp.exe", b"MZ not really")])
    page, _ = make_page(origin(live_server))
    unlock(page, live_server, member(live_server, "Ada"))
    page.click("#inbox-rows .case-link")
    name = page.locator("#case-attachments bdi.file-name")
    name.wait_for()
    assert name.inner_text() == "invoicefdp.exe"  # not "invoiceexe.pdf"
    assert "\u202e" not in page.inner_text("#case-attachments")
    with page.expect_download() as info:
        page.locator("#case-attachments li").get_by_role("button", name="Save file").click()
    assert info.value.suggested_filename == "invoicefdp.exe"
