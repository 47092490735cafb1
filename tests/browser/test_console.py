"""The review console in Debian's Chromium against `candor serve` (the
`live_server` fixture): unlock with a real key file, inbox, case view with
attachment, signed reply and status change seen by the reporter; role
limits; adding a member and publishing the manifest from the console, which
the reporter page then follows; exclusions; tampered storage and forged
messages flagged; lock; audit log. Nothing is stored in the browser, no
request leaves the origin, no unexpected console error (conftest checks)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot
from tests.browser.images import jpeg_with_gps
from tests.browser.test_reporter_flow import fill_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORM = {
    "category": "confidential_leak",
    "summary": "Salary spreadsheet posted in a public channel.",
    "details": "The HR salary sheet was posted in #random at 14:02 by a bot account.",
    "ongoing": "no",
    "urgency": "soon",
}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def member(server: Any, first: str) -> Any:
    return next(m for m in server.team if m.name.startswith(first))


def origin(server: Any) -> str:
    return str(server.url).rstrip("/")


def unlock(page: Any, server: Any, who: Any) -> None:
    page.goto(origin(server) + "/console/")
    page.wait_for_selector("#unlock-form")
    page.set_input_files("#keyfile", str(who.keyfile_path))
    page.fill("#passphrase", who.passphrase)
    page.click("#unlock")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=90000)
    page.wait_for_selector("#inbox-progress[data-state=done]", timeout=90000)


def submit(
    server: Any,
    manifest: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    from candor import reporter
    from candor.client import ApiClient, HttpTransport

    return reporter.submit(
        ApiClient(HttpTransport(server.url)), manifest or server.manifest, form or FORM, **kwargs
    )


def case_id_of(server: Any, who: Any) -> str:
    (summary,) = server.team_get(who, "/v1/team/cases")["cases"]
    return str(summary["id"])


def test_reviewer_reads_answers_and_acknowledges(
    make_page: Any, live_server: Any, tmp_path: Path
) -> None:
    from candor import reporter
    from candor.client import ApiClient, HttpTransport
    from candor.receipt import Receipt

    grace = member(live_server, "Grace")
    page, _ = make_page(origin(live_server))
    blank, _ = make_page(origin(live_server))
    image = jpeg_with_gps(blank)
    blank.close()

    # The report goes through the real reporter page.
    page.goto(origin(live_server) + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    fill_report(page, image)
    page.click("#report-form button[type=submit]")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    receipt = Receipt.parse(page.get_attribute("#receipt-text", "data-receipt"))

    console, watch = make_page(origin(live_server))
    console.goto(origin(live_server) + "/console/")
    console.wait_for_selector("#unlock-form")
    screenshot(console, "console-unlock-desktop-en")
    assert run_axe(console) == []
    unlock(console, live_server, grace)
    console.fill("#f-search", "crypto giveaway")
    console.wait_for_selector("#inbox-count:has-text('1 of 1')")
    assert "social media account posted a scam link" in console.inner_text("#inbox-rows")
    assert "Company account compromised" in console.inner_text("#inbox-rows")
    console.fill("#f-search", "no such words anywhere")
    console.wait_for_selector("#inbox-count:has-text('0 of 1')")
    console.fill("#f-search", "")
    console.wait_for_selector("#inbox-count:has-text('1 of 1')")
    screenshot(console, "console-inbox-desktop-en")
    assert run_axe(console) == []

    console.click("#inbox-rows .case-link")
    console.wait_for_selector("#case-report dd")
    report_text = console.inner_text("#case-report")
    assert "At 09:10 the account posted a crypto giveaway link" in report_text
    assert "Harm is happening now" in report_text
    assert console.query_selector_all(".case-warning") == []

    # The image: hash-checked, decrypted, previewed only in a sandboxed blob: frame.
    jpeg = console.locator("#case-attachments li", has_text="evidence.jpg")
    # No console error: the frame shows the image without inline style (conftest's watch checks).
    jpeg.get_by_role("button", name="Preview image").click()
    console.wait_for_selector("#preview:not([hidden])")
    frame = console.locator("#preview-frame")
    assert frame.get_attribute("sandbox") == ""
    assert (frame.get_attribute("src") or "").startswith("blob:")
    with console.expect_download() as info:
        jpeg.get_by_role("button", name="Save file").click()
    download = info.value
    saved = tmp_path / "saved.jpg"
    download.save_as(saved)
    data = saved.read_bytes()
    assert download.suggested_filename == "evidence.jpg"
    assert data[:2] == b"\xff\xd8" and b"Exif" not in data
    notes = console.locator("#case-attachments li", has_text="notes.txt")
    assert notes.get_by_role("button", name="Preview image").count() == 0
    screenshot(console, "console-case-desktop-en")
    assert run_axe(console) == []

    console.fill("#reply-text", "Thank you. We removed the post and reset the account password.")
    console.click("#reply-send")
    # The reply is shown back, confirmed, and goes out when its undo window ends.
    console.click("#reply-confirm-send")
    console.wait_for_selector("#case-thread li.message.team[data-verdict=ok]")
    console.click("#compose-tab-note")
    console.fill("#note-text", "Checked with the social media team; password rotated 10:05.")
    console.click("#note-send")
    console.wait_for_selector("#case-notes li.message[data-verdict=ok]")
    console.select_option("#set-status", "acknowledged")
    console.click("#status-save")
    console.wait_for_selector("#status-result:has-text('Saved')")
    assert "Acknowledged" in console.inner_text("#case-meta")
    screenshot(console, "console-case-replied-desktop-en")

    # German, then back to the inbox: the status is updated there too.
    console.click(".lang-btn[data-lang=de]")
    assert "Gespräch mit der meldenden Person" in console.inner_text("#view-case")
    screenshot(console, "console-case-desktop-de")
    console.click("#back-to-inbox")
    assert "Bestätigt" in console.inner_text("#inbox-rows")
    console.click(".lang-btn[data-lang=en]")

    # The reporter sees the reply and the status.
    visit = reporter.follow_up(
        ApiClient(HttpTransport(live_server.url)), receipt, live_server.manifest
    )
    assert visit.status["status"] == "acknowledged"
    messages = visit.read_messages(live_server.manifest)
    assert [(doc["text"], ok) for doc, ok in messages] == [
        ("Thank you. We removed the post and reset the account password.", True)
    ]
    watch.check()


def test_roles_members_manifest_and_exclusion(
    make_page: Any, live_server: Any, tmp_path: Path
) -> None:
    from candor import documents
    from candor import keyfile as kf
    from candor.client import ApiError
    from chalicelib.b64 import b64u_decode

    grace, ada, alan = (member(live_server, n) for n in ("Grace", "Ada", "Alan"))

    # A reviewer has no team administration in the UI, and the API refuses it.
    page, watch = make_page(origin(live_server))
    unlock(page, live_server, grace)
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    assert page.is_hidden("#admin-tools")
    assert page.query_selector_all("[data-remove]") == []
    assert page.is_visible("#rotate-form")
    screenshot(page, "console-team-reviewer-desktop-en")
    newcomer = kf.create_keyfile(live_server.url)
    card = kf.public_card(newcomer, "Katherine Johnson", "Communications", "reviewer")
    with pytest.raises(ApiError) as refused:
        live_server.client(grace).call("POST", "/v1/team/members", card)
    assert refused.value.status == 403
    with pytest.raises(ApiError) as refused:
        live_server.client(grace).call("GET", "/v1/team/audit")
    assert refused.value.status == 403

    # The admin adds the member from the public card and publishes version 2.
    card_path = tmp_path / "katherine.card.json"
    card_path.write_text(json.dumps(card))
    admin, _ = make_page(origin(live_server))
    unlock(admin, live_server, ada)
    admin.click("#tab-team")
    admin.wait_for_selector("#members-rows tr")
    admin.set_input_files("#card-file", str(card_path))
    admin.wait_for_selector("#card-preview:has-text('Katherine Johnson')")
    admin.click("#card-add")
    admin.wait_for_selector("#card-status:has-text('was added')")
    admin.wait_for_selector("#members-rows tr:has-text('Katherine Johnson')")
    admin.click("#publish-prepare")
    admin.wait_for_selector("#publish-diff li[data-change=added]")
    assert "Katherine Johnson" in admin.inner_text("#publish-diff")
    screenshot(admin, "console-publish-diff-desktop-en")
    assert run_axe(admin) == []
    admin.click("#publish-sign")
    admin.wait_for_selector("#publish-status:has-text('Published version 2')")
    assert admin.inner_text("#team-version") == "2"

    # The audit log verifies in the browser: chain and request signatures.
    admin.click("#audit-verify")
    admin.wait_for_selector("#audit-result [data-result=ok]")
    assert admin.query_selector_all("#audit-rows tr[data-verdict=bad]") == []
    screenshot(admin, "console-audit-desktop-en")

    # The reporter page (built with version 1) follows the chain to version 2.
    reporter_page, _ = make_page(origin(live_server))
    reporter_page.goto(origin(live_server) + "/")
    reporter_page.wait_for_selector("#manifest-version:has-text('2')", state="attached")
    reporter_page.click("#start")
    reporter_page.select_option("#q-category-input", "other")
    reporter_page.fill("#q-summary-input", "A second report after the team grew.")
    reporter_page.fill("#q-details-input", "Details of the second report.")
    reporter_page.check("#q-ongoing-2")
    reporter_page.select_option("#q-urgency-input", "normal")
    reporter_page.click("#report-form button[type=submit]")
    reporter_page.click("#send")
    reporter_page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    (summary,) = live_server.team_get(ada, "/v1/team/cases")["cases"]
    case = live_server.team_get(ada, f"/v1/team/cases/{summary['id']}")
    assert newcomer.member in case["access"]
    sealed = b64u_decode(
        live_server.team_get(ada, f"/v1/team/cases/{case['id']}/blobs/{case['report']['id']}")[
            "sealed"
        ]
    )
    report = documents.open_document(sealed, newcomer.identities)
    assert (
        report["manifest"] == 2
        and report["form"]["summary"] == "A second report after the team grew."
    )

    # A member the reporter excluded does not see the case at all.
    chain = live_server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    excluded = submit(live_server, chain[-1], exclude=[alan.member_id])
    assert alan.member_id not in excluded.state["access"]
    turing, _ = make_page(origin(live_server))
    unlock(turing, live_server, alan)
    assert "Salary spreadsheet" not in turing.inner_text("#inbox-rows")
    assert turing.inner_text("#inbox-count") == "Showing 1 of 1 case"
    ids = [c["id"] for c in live_server.team_get(alan, "/v1/team/cases")["cases"]]
    assert len(ids) == 1 and summary["id"] in ids
    watch.check()


def test_tampered_case_and_forged_message(make_page: Any, live_server: Any) -> None:
    from candor import documents, roster, teamops
    from candor.age.keys import parse_identity
    from chalicelib.store.base import Put
    from chalicelib.store.local import LocalCaseStore

    grace, ada = member(live_server, "Grace"), member(live_server, "Ada")
    forged_case = submit(live_server, form={**FORM, "summary": "Case with a forged reply."})
    tampered_case = submit(
        live_server, form={**FORM, "summary": "Case whose reply key was swapped."}
    )
    cases = {
        c["id"]: live_server.team_get(ada, f"/v1/team/cases/{c['id']}")
        for c in live_server.team_get(ada, "/v1/team/cases")["cases"]
    }
    by_reply = {c["reply_to"]: c for c in cases.values()}
    forged = by_reply[forged_case.body["reply_to"]]
    tampered = by_reply[tampered_case.body["reply_to"]]

    # A team message signed with a key that is not Grace's, though it names her.
    reply_to = forged["reply_to"]
    doc = documents._new_message_from_parts(
        "message",
        reply_to,
        "team",
        grace.member_id,
        None,
        "Please send us your password.",
        [],
        os.urandom(32),
        documents.new_blob_id(),
    )
    recipients = documents.sealing_recipients(
        "message", roster.access_recipients(live_server.manifest, forged["access"]), reply_to
    )
    sealed = documents.seal_document(doc, recipients)
    live_server.client(grace).call(
        "POST",
        f"/v1/team/cases/{forged['id']}/messages",
        {"id": doc["id"], "message": b64u(sealed), "attachments": []},
    )
    live_server.reply_as(ada, forged["id"], "A genuine reply.")

    # The stored reply_to of the other case is swapped for someone else's key.
    store = LocalCaseStore(live_server.data_dir)
    item = store.get("cases", tampered["id"])
    assert item is not None
    other = documents.new_reply_identity()
    store.transact(
        [
            Put(
                "cases",
                tampered["id"],
                {**item.data, "reply_to": parse_identity(other).recipient().encode()},
            )
        ]
    )

    page, _ = make_page(origin(live_server))
    unlock(page, live_server, grace)
    page.click("#inbox-rows .case-link:has-text('forged reply')")
    page.wait_for_selector("#case-thread li.message")
    assert page.locator("#case-thread li[data-verdict=signature]").count() == 1
    assert page.locator("#case-thread li[data-verdict=ok]").count() == 1
    assert "Please send us your password" not in page.inner_text("#case-thread")
    assert "FORGED" in page.inner_text("#case-thread")
    page.wait_for_selector(".case-warning[data-warning=forged]")
    screenshot(page, "console-forged-desktop-en")

    page.click("#back-to-inbox")
    page.click("#inbox-rows .case-link:has-text('reply key was swapped')")
    page.wait_for_selector(".case-warning[data-warning=report]")
    page.fill("#reply-text", "This must not be sent.")
    page.click("#reply-send")
    page.wait_for_selector("#reply-status:has-text('Refused')")
    assert live_server.team_get(ada, f"/v1/team/cases/{tampered['id']}")["messages"] == []
    screenshot(page, "console-tampered-desktop-en")
    assert run_axe(page) == []
    # The CLI twin agrees.
    s = live_server.session(grace)
    view = teamops.read_case(s, tampered["id"])
    with pytest.raises(teamops.TeamError):
        teamops.write(s, view, "message", "no")


def test_lock_wrong_passphrase_and_idle(make_page: Any, live_server: Any) -> None:
    grace = member(live_server, "Grace")
    submit(live_server)
    page, _ = make_page(origin(live_server), viewport="phone")
    page.goto(origin(live_server) + "/console/")
    page.set_input_files("#keyfile", str(grace.keyfile_path))
    page.fill("#passphrase", "not the passphrase")
    page.click("#unlock")
    page.wait_for_selector("#unlock-error:not([hidden])", timeout=60000)
    assert "does not open" in page.inner_text("#unlock-error")
    assert page.input_value("#passphrase") == "not the passphrase"
    screenshot(page, "console-unlock-wrong-phone-en")

    unlock(page, live_server, grace)
    page.wait_for_selector("#inbox-rows tr")
    screenshot(page, "console-inbox-phone-en")
    page.click("#lock")
    page.wait_for_selector("#view-unlock:not([hidden])")
    assert page.inner_text("#inbox-rows") == ""
    assert "Salary" not in page.content()
    assert page.input_value("#passphrase") == ""

    # Inactivity locks too (the clock is fast-forwarded past 15 minutes).
    page.clock.install()
    unlock(page, live_server, grace)
    page.clock.fast_forward("16:00")
    page.wait_for_selector("#view-unlock:not([hidden])")
    assert "without activity" in page.inner_text("#notice")
    assert "Salary" not in page.content()
