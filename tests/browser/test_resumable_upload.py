"""Resumable attachment uploads from the reporter page in Chromium against
``candor serve`` (protocol §4.2, lib/upload.ts): a 256 MiB file goes up in
8 MiB parts through two network cuts (the browser offline, then connections
reset) and the team decrypts it byte-exact; a cancelled upload leaves
nothing claimed; the progress UI passes axe."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot
from tests.browser.report_site import t
from tests.browser.upload_fixtures import (
    LOCAL_PARTS,
    MIB,
    assert_resumed,
    cut_twice,
    detail_says,
    forget_cut_requests,
    large_file,
    open_report,
    plain_sha256,
    received_attachments,
    small_parts,
    wait_until,
)
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser]
__all__ = ["small_parts"]  # a fixture, used by name


@pytest.mark.slow
def test_256_mib_upload_survives_two_cuts_and_decrypts_byte_exact(
    make_page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    path, digest = large_file(tmp_path, 256 * MIB)
    origin = live_server.url.rstrip("/")
    page, watch = make_page(origin)
    log = open_report(page, origin, [path])
    cut_twice(page, log, LOCAL_PARTS)
    # Back under way: the share sent, the speed and the time left; a screen reader hears the share.
    detail = re.compile(r"\d+% sent · [\d.]+ [KMG]?B/s · about \d+ (seconds?|minutes?) left")
    page.locator("#sending-files .upload-detail", has_text=detail).wait_for()
    live = page.locator("#sending-files [role=status][aria-live=polite]")
    assert re.fullmatch(r"video\.bin: \d+% sent", live.inner_text())
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=900_000)
    assert forget_cut_requests(watch)

    admin = next(m for m in live_server.team if m.role == "admin")
    team_get = functools.partial(live_server.team_get, admin)
    ((entry, sealed),) = received_attachments(team_get, admin.keyfile, origin)
    assert (entry["name"], entry["size"]) == ("video.bin", 256 * MIB)
    assert_resumed(log, len(sealed))
    assert plain_sha256(admin.keyfile, entry, sealed) == digest


@pytest.mark.parametrize(
    ("viewport", "locale", "lang"), [("desktop", "en-US", "en"), ("phone", "ar", "ar")]
)
def test_cancel_stops_the_upload_and_nothing_is_claimed(
    make_page: Any, small_parts: LiveServer, tmp_path: Path, viewport: str, locale: str, lang: str
) -> None:
    path, _ = large_file(tmp_path, 4 * MIB)
    origin = small_parts.url.rstrip("/")
    page, watch = make_page(origin, viewport, locale)
    log = open_report(page, origin, [path])
    wait_until(page, lambda: len(log.taken) >= 3)
    page.context.set_offline(True)
    detail_says(page, "upload.offline", lang)
    live = page.locator("#sending-files [role=status][aria-live=polite]")
    assert t(lang, "upload.offline") in live.inner_text()
    assert run_axe(page) == []
    screenshot(page, f"upload-offline-{viewport}-{lang}")

    page.click("#sending-files .upload-cancel")
    page.context.set_offline(False)
    page.wait_for_selector("#sending-error:not([hidden])")
    assert t(lang, "upload.cancelled", name=path.name) in live.inner_text()
    tried = len(log.tried)
    page.click("#sending-back")
    assert len(log.tried) == tried, "a part went up after cancel"
    finished = [
        r
        for r in watch.requests
        if r.endswith("/complete") or r == "POST " + origin + "/v1/reports"
    ]
    assert finished == [], "the upload was completed or a report claimed it"
    admin = next(m for m in small_parts.team if m.role == "admin")
    assert small_parts.team_get(admin, "/v1/team/cases")["cases"] == []
    forget_cut_requests(watch)
