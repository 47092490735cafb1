"""The console's reply and the follow-up page's answer upload their
attachments through the same resumable upload as the reporter page
(lib/upload.ts): against ``candor serve`` cutting anything over 128 KiB into
64 KiB parts, both go up in parts and the team opens both byte-exact."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from candor import documents
from candor.client import ApiClient, HttpTransport
from chalicelib.b64 import b64u_decode
from tests.browser.conftest import run_axe
from tests.browser.report_site import t
from tests.browser.test_console import FORM, member, unlock
from tests.browser.upload_fixtures import (
    MIB,
    PartLog,
    forget_cut_requests,
    large_file,
    small_parts,
)
from tests.support.live import LiveMember, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["small_parts"]  # a fixture, used by name


def opened_attachments(server: LiveServer, who: LiveMember, case_id: str) -> dict[str, str]:
    """Every message attachment of the case, by name: the SHA-256 of its plaintext."""
    case = server.team_get(who, f"/v1/team/cases/{case_id}")
    blobs = f"/v1/team/cases/{case_id}/blobs"
    out = {}
    for message in case["messages"]:
        sealed = b64u_decode(server.team_get(who, f"{blobs}/{message['id']}")["sealed"])
        for entry in documents.open_document(sealed, who.keyfile.identities)["attachments"]:
            url = server.team_get(who, f"{blobs}/{entry['id']}")["url"]
            with urllib.request.urlopen(server.url + url) as answer:  # noqa: S310 -- local server
                data = answer.read()
            plain = documents.open_attachment(data, who.keyfile.identities, entry)
            out[entry["name"]] = hashlib.sha256(plain).hexdigest()
    return out


def test_console_reply_and_followup_answer_go_up_in_parts(
    make_page: Any, small_parts: LiveServer, tmp_path: Path
) -> None:
    from candor import reporter

    server, origin = small_parts, small_parts.url.rstrip("/")
    submitted = reporter.submit(ApiClient(HttpTransport(server.url)), server.manifest, FORM)
    grace = member(server, "Grace")
    minutes, minutes_sha = large_file(tmp_path, MIB, "minutes.bin")
    answer, answer_sha = large_file(tmp_path, MIB + 12345, "answer.bin")

    console, _ = make_page(origin)
    team_parts = PartLog()
    team_parts.follow(console.context)
    unlock(console, server, grace)
    console.click("#inbox-rows .case-link")
    console.wait_for_selector("#case-report dd")
    console.fill("#reply-text", "The meeting minutes are attached.")
    console.set_input_files("#reply-files", str(minutes))
    console.click("#reply-send")
    console.click("#reply-confirm-send")
    console.wait_for_selector("#case-thread li.message.team[data-verdict=ok]", timeout=60000)
    assert len(set(team_parts.tried)) > 16  # 64 KiB parts, URLs asked more than once

    page, _ = make_page(origin)
    reporter_parts = PartLog()
    reporter_parts.follow(page.context)
    page.goto(origin + "/followup.html")
    page.fill("#receipt-input", submitted.receipt.text)
    page.click("#open")
    page.wait_for_selector("#step-next:not([hidden])")
    page.fill("#next-last-group", page.get_attribute("#next-text", "data-receipt").split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#messages li.message")
    page.fill("#compose-text", "Here is my own copy.")
    page.set_input_files("#compose-files", str(answer))
    page.wait_for_selector("#compose-file-list li .small")
    page.click("#compose-send")
    page.wait_for_selector("#messages > li:nth-child(2)", timeout=60000)
    assert len(set(reporter_parts.tried)) > 16

    case_id = server.team_get(grace, "/v1/team/cases")["cases"][0]["id"]
    assert opened_attachments(server, grace, case_id) == {
        "minutes.bin": minutes_sha,
        "answer.bin": answer_sha,
    }


def test_console_shows_a_reply_file_waiting_offline_then_sends_it(
    make_page: Any, small_parts: LiveServer, tmp_path: Path
) -> None:
    from candor import reporter

    server, origin = small_parts, small_parts.url.rstrip("/")
    reporter.submit(ApiClient(HttpTransport(server.url)), server.manifest, FORM)
    grace = member(server, "Grace")
    minutes, minutes_sha = large_file(tmp_path, MIB, "minutes.bin")
    console, watch = make_page(origin)
    unlock(console, server, grace)
    console.click("#inbox-rows .case-link")
    console.wait_for_selector("#case-report dd")
    console.fill("#reply-text", "The meeting minutes are attached.")
    console.set_input_files("#reply-files", str(minutes))
    console.click("#reply-send")
    console.context.set_offline(True)
    console.click("#reply-confirm-send")
    # The file's row says the upload waits for the network, and can be cancelled.
    row = console.locator("#view-case .upload-progress")
    row.locator(".upload-detail", has_text=t("en", "upload.offline")).wait_for()
    assert row.locator(".upload-cancel").is_visible()
    assert run_axe(console) == []
    console.context.set_offline(False)
    console.wait_for_selector("#case-thread li.message.team[data-verdict=ok]", timeout=60000)
    assert row.count() == 0
    forget_cut_requests(watch)
    case_id = server.team_get(grace, "/v1/team/cases")["cases"][0]["id"]
    assert opened_attachments(server, grace, case_id) == {"minutes.bin": minutes_sha}
