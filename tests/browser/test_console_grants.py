"""Grants and revocations in the console (issue 12, protocol §4.4 "Grants"),
in Debian's Chromium against `candor serve`: a member who joined after a
report with a 64 MiB attachment is given the case by a reviewer on it, reads
the report, the thread and the attachment, and replies, and the reporter
reads that reply; a renewed grant covers the reporter's next message; the
member the reporter excluded is never offered; an admin takes the new member
off, told that what was read stays read, and the member gets 404 from then
on."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import run_axe
from tests.browser.test_console import FORM, member, origin, submit, unlock
from tests.browser.test_console_ux import add_and_publish

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZE = 64 * 1024 * 1024


def test_a_later_member_is_granted_reads_replies_and_is_taken_off(
    make_page: Any, live_server: Any, tmp_path: Path
) -> None:
    from candor import reporter
    from candor.client import ApiClient, ApiError, HttpTransport

    grace, ada, alan = (member(live_server, n) for n in ("Grace", "Ada", "Alan"))
    evidence = os.urandom(SIZE)
    sub = submit(live_server, exclude=[alan.member_id],
                 files=[reporter.Evidence("ledger.bin", evidence)])
    (case,) = live_server.team_get(grace, "/v1/team/cases")["cases"]
    live_server.reply_as(grace, case["id"], "Thank you, we are looking into it.")
    katherine = add_and_publish(live_server, tmp_path)  # joins after the report

    # Grace, on the case, gives Katherine access; Alan is never offered.
    page, watch = make_page(origin(live_server))
    unlock(page, live_server, grace)
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#case-people-list li")
    people = page.inner_text("#case-people")
    assert "Alan Turing" in people and "Left out by the reporter" in people
    offered = page.locator("#grant-member option").all_inner_texts()
    assert offered == ["Katherine Johnson"]
    page.select_option("#grant-member", katherine.member_id)
    page.click("#grant-send")
    page.wait_for_selector(f"#case-people-list li[data-member='{katherine.member_id}']",
                           timeout=60000)
    assert "given access by Grace Hopper" in page.inner_text("#case-people")
    assert run_axe(page) == []

    # Katherine reads everything and replies.
    other, other_watch = make_page(origin(live_server))
    unlock(other, live_server, katherine)
    assert FORM["summary"] in other.inner_text("#inbox-rows")
    other.click("#inbox-rows .case-link")
    other.wait_for_selector("#case-report dd")
    assert other.query_selector_all(".case-warning") == []
    assert "Thank you, we are looking into it." in other.inner_text("#case-thread")
    with other.expect_download(timeout=120000) as info:
        other.locator("#case-attachments li", has_text="ledger.bin").get_by_role(
            "button", name="Save file").click()
    saved = tmp_path / "ledger.bin"
    info.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(evidence).digest()
    other.fill("#reply-text", "Katherine from Communications here.")
    other.click("#reply-send")
    other.click("#reply-confirm-send")
    other.wait_for_selector("#case-thread li.message.team[data-verdict=ok] >> nth=1")
    s = live_server.session(grace)
    visit = reporter.follow_up(ApiClient(HttpTransport(live_server.url)), sub.receipt,
                               s.manifest)
    last, verified = visit.read_messages(s.manifest)[-1]
    assert (last["text"], verified) == ("Katherine from Communications here.", True)

    # The reporter's page seals to the report's access list: Katherine reads
    # the reporter's next message once Grace renews the grant.
    visit.send("The ledger was changed again last night.")
    other.click("#back-to-inbox")
    other.click("#inbox-rows .case-link")
    other.wait_for_selector("#case-thread li.message[data-verdict=unreadable]")
    granted = lambda r: r.url.endswith("/access") and r.request.method == "POST"  # noqa: E731
    with page.expect_response(granted, timeout=60000) as answer:
        page.click(f"[data-regrant='{katherine.member_id}']")
    assert answer.value.status == 201
    other.click("#back-to-inbox")
    other.click("#inbox-rows .case-link")
    other.wait_for_selector("#case-thread li.message.reporter[data-verdict=ok]")
    assert "The ledger was changed again last night." in other.inner_text("#case-thread")

    # Ada, the admin, takes Katherine off: two steps, and the console says it plainly.
    admin, _ = make_page(origin(live_server))
    unlock(admin, live_server, ada)
    admin.click("#inbox-rows .case-link")
    admin.click(f"[data-revoke='{katherine.member_id}']")
    assert "cannot be unread" in admin.inner_text("#case-people")
    admin.click("#revoke-yes")
    admin.wait_for_selector("#notice:has-text('cannot be unread')")
    assert katherine.member_id not in [
        li.get_attribute("data-member") for li in admin.query_selector_all("#case-people-list li")]
    from candor import keyfile as kf

    key = kf.open_keyfile(katherine.keyfile_path, katherine.passphrase)
    with pytest.raises(ApiError) as exc:
        ApiClient(HttpTransport(live_server.url), key).call("GET", f"/v1/team/cases/{case['id']}")
    assert exc.value.status == 404
    watch.check()
    other_watch.check()
