"""The review console's refresh, case deletion, key rotation, member
removal, threshold publishing and audit head, in Debian's Chromium against
`candor serve` (the `live_server` fixture). conftest checks that nothing is
stored in the browser, no request leaves the origin and no unexpected
console error is logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot
from tests.browser.test_console import FORM, member, origin, submit, unlock

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def reports_queries(requests: list[str]) -> list[str]:
    """The `cases` parameter of every GET /v1/team/reports seen so far."""
    from urllib.parse import parse_qs, urlsplit

    return [
        parse_qs(urlsplit(r.split(" ", 1)[1]).query)["cases"][0]
        for r in requests
        if r.startswith("GET ") and "/v1/team/reports?" in r
    ]


def case_of(server: Any, who: Any, summary: str) -> str:
    s = server.session(who)
    from candor import teamops

    for c in server.team_get(who, "/v1/team/cases")["cases"]:
        if teamops.read_case(s, c["id"]).report["form"]["summary"] == summary:
            return str(c["id"])
    raise AssertionError(summary)


def index_gets(requests: list[str]) -> list[str]:
    return [r for r in requests if r.startswith("GET ") and r.endswith("/v1/team/index")]


def test_refresh_and_admin_deletes_a_case(make_page: Any, live_server: Any) -> None:
    from candor.client import ApiError

    ada, grace = member(live_server, "Ada"), member(live_server, "Grace")
    submit(live_server, form={**FORM, "summary": "First report, kept."})
    page, watch = make_page(origin(live_server))
    watch.expect_error("409")  # the refused delete under legal hold
    unlock(page, live_server, ada)
    assert page.inner_text("#inbox-count") == "Showing 1 of 1 case"
    (first_query,) = reports_queries(watch.requests)

    # A report arrives meanwhile: Refresh lists it and decrypts only it.
    submit(live_server, form={**FORM, "summary": "Second report, to be deleted."})
    second = case_of(live_server, ada, "Second report, to be deleted.")
    page.click("#inbox-refresh")
    page.wait_for_selector("#inbox-count:has-text('Showing 2 of 2 cases')")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    assert reports_queries(watch.requests) == [first_query, second]
    assert page.get_attribute("#inbox-progress", "data-fetched") == "1"
    assert "First report, kept." in page.inner_text("#inbox-rows")
    assert run_axe(page) == []

    # A change in the case view reloads the listing when the inbox is shown again.
    page.click("#inbox-rows .case-link:has-text('First report')")
    page.wait_for_selector("#case-report dd")
    page.select_option("#set-status", "acknowledged")
    page.click("#status-save")
    page.wait_for_selector("#status-result:has-text('Saved')")
    # Listings are GETs; the index may also be written back (PUT) as the case changed.
    listings = len(index_gets(watch.requests))
    page.click("#back-to-inbox")
    page.wait_for_selector("#inbox-progress[data-state=done]")
    assert len(index_gets(watch.requests)) == listings + 1
    assert len(reports_queries(watch.requests)) == 2  # nothing decrypted again

    # Deleting: two steps, the question names the case; under legal hold the server refuses.
    page.click(f"#inbox-rows .case-link[data-case='{second}']")
    page.wait_for_selector("#delete-case:not([hidden])")
    page.click("#delete-start")
    question = page.inner_text("#delete-question")
    assert "Second report, to be deleted." in question and second in question
    assert second in page.inner_text("#delete-yes")
    screenshot(page, "console-case-delete-confirm-desktop-en")
    assert run_axe(page) == []
    live_server.client(ada).call("PATCH", f"/v1/team/cases/{second}", {"legal_hold": True})
    page.click("#delete-yes")
    page.wait_for_selector("#delete-status:has-text('legal hold')")
    assert page.is_hidden("#delete-confirm")
    live_server.client(ada).call("PATCH", f"/v1/team/cases/{second}", {"legal_hold": False})
    page.click("#delete-start")
    page.click("#delete-no")
    assert page.is_hidden("#delete-confirm")
    page.click("#delete-start")
    page.click("#delete-yes")
    page.wait_for_selector("#view-inbox:not([hidden])")
    page.wait_for_selector("#notice:has-text('was deleted')")
    page.wait_for_selector("#inbox-count:has-text('Showing 1 of 1 case')")
    assert "Second report" not in page.inner_text("#inbox-rows")
    with pytest.raises(ApiError) as gone:
        live_server.team_get(ada, f"/v1/team/cases/{second}")
    assert gone.value.status == 404

    # A reviewer never sees the control (the API answers 403 to them).
    reviewer, _ = make_page(origin(live_server))
    unlock(reviewer, live_server, grace)
    reviewer.click("#inbox-rows .case-link")
    reviewer.wait_for_selector("#case-report dd")
    assert reviewer.is_hidden("#delete-case")
    kept = case_of(live_server, ada, "First report, kept.")
    with pytest.raises(ApiError) as refused:
        live_server.client(grace).call("DELETE", f"/v1/team/cases/{kept}")
    assert refused.value.status == 403


def test_member_rotates_keys_in_the_browser(
    make_page: Any, live_server: Any, tmp_path: Path
) -> None:
    from candor import keyfile as kf
    from candor.client import ApiError

    grace = member(live_server, "Grace")
    submit(live_server)
    page, _ = make_page(origin(live_server))
    unlock(page, live_server, grace)
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    events: list[str] = []
    page.on("download", lambda d: events.append("download"))
    page.on("request", lambda r: r.method == "PUT" and events.append(f"PUT {r.url}"))
    assert page.is_disabled("#rotate-publish")
    page.fill("#rotate-passphrase", grace.passphrase)
    with page.expect_download(timeout=60000) as info:
        page.click("#rotate-download")
    new_path = tmp_path / "grace-new.candor-key"
    info.value.save_as(new_path)
    page.wait_for_selector("#rotate-status:has-text('was saved')")
    page.click("#rotate-publish")
    page.wait_for_selector("#rotate-status:has-text('new keys are in use')")
    # The new key file was in the member's hands before the server switched keys.
    assert events[0] == "download" and events[1].startswith("PUT ") and len(events) == 2
    assert events[1].endswith(f"/v1/team/members/{grace.member_id}")

    rotated = kf.open_keyfile(new_path, grace.passphrase)
    assert rotated.member == grace.member_id
    assert list(rotated.identities[1:]) == list(grace.keyfile.identities)
    assert rotated.signing_seed != grace.keyfile.signing_seed
    with pytest.raises(ApiError) as old:
        live_server.team_get(grace, "/v1/team/cases")
    assert old.value.status == 401

    # The new key file and the same passphrase unlock the console; the old report still decrypts.
    again, _ = make_page(origin(live_server))
    again.goto(origin(live_server) + "/console/")
    again.set_input_files("#keyfile", str(new_path))
    again.fill("#passphrase", grace.passphrase)
    again.click("#unlock")
    again.wait_for_selector("#inbox-progress[data-state=done]", timeout=60000)
    assert "Salary spreadsheet" in again.inner_text("#inbox-rows")
    assert "signing key is not the one in the published manifest" in again.inner_text("#notice")


def test_admin_removes_member_publishes_and_keeps_audit_head(
    make_page: Any, live_server: Any, tmp_path: Path
) -> None:
    from candor.client import ApiError

    ada, alan = member(live_server, "Ada"), member(live_server, "Alan")
    page, _ = make_page(origin(live_server))
    unlock(page, live_server, ada)
    page.click("#tab-team")
    row = f"#members-rows tr[data-member='{alan.member_id}']"
    page.wait_for_selector(row)

    # Audit head first: verify, save the head as a file.
    page.click("#audit-verify")
    page.wait_for_selector("#audit-result [data-result=ok]")
    with page.expect_download() as info:
        page.click("#audit-head-save")
    head_path = tmp_path / "head.json"
    info.value.save_as(head_path)
    head = json.loads(head_path.read_text())
    assert head["type"] == "candor/audit-head" and head["seq"] >= 1

    # Two steps; the first names the member, Cancel steps back.
    remove = f"{row} [data-remove]"
    assert page.get_attribute(remove, "aria-label") == "Remove Alan Turing"
    page.click(remove)
    assert "Confirm: remove Alan Turing now" in page.inner_text(row)
    page.click(f"{row} [data-remove-cancel]")
    assert "Confirm" not in page.inner_text(row)
    page.click(remove)
    page.click(remove)
    page.wait_for_selector("#card-status:has-text('Alan Turing was removed')")
    page.wait_for_selector(f"{row}:has-text('Removed; publish the manifest')")
    with pytest.raises(ApiError) as refused:
        live_server.team_get(alan, "/v1/team/cases")
    assert (refused.value.status, refused.value.code) == (401, "unknown_member")

    page.click("#publish-prepare")
    page.wait_for_selector("#publish-diff li[data-change=removed]")
    assert "Alan Turing" in page.inner_text("#publish-diff li[data-change=removed]")
    page.click("#publish-sign")
    page.wait_for_selector("#publish-status:has-text('Published version 2')")
    page.wait_for_selector(f"{row}:has-text('Removed')")
    assert "publish the manifest" not in page.inner_text(row)
    chain = live_server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    assert next(m for m in chain[-1]["members"] if m["id"] == alan.member_id)["removed"]

    # The saved head is still in the (longer) chain; a changed one is caught.
    page.set_input_files("#audit-head-file", str(head_path))
    page.wait_for_selector("#audit-head-result [data-head=ok]")
    assert f"entry {head['seq']}" in page.inner_text("#audit-head-result")
    screenshot(page, "console-audit-head-desktop-en")
    assert run_axe(page) == []
    forged = tmp_path / "forged-head.json"
    forged.write_text(json.dumps({**head, "hash": "A" * 43}))
    page.set_input_files("#audit-head-file", str(forged))
    page.wait_for_selector("#audit-head-result [data-head=bad]")
    assert "gone or changed" in page.inner_text("#audit-head-result")
    beyond = tmp_path / "beyond-head.json"
    beyond.write_text(json.dumps({**head, "seq": 10_000}))
    page.set_input_files("#audit-head-file", str(beyond))
    page.wait_for_selector("#audit-head-result [data-head=bad]:has-text('10,000')")


@pytest.fixture
def two_admin_server(tmp_path: Path) -> Any:
    """`candor serve` for a team of two admins and a reviewer whose
    manifest needs both admins' signatures (threshold 2)."""
    from datetime import UTC, datetime

    from candor import roster
    from tests.support.live import start_live_server
    from tests.support.team import Team, make_team

    team = make_team(
        (("Ada Lovelace", "Legal", "admin"), ("Grace Hopper", "Security", "reviewer"),
         ("Edsger Dijkstra", "Compliance", "admin"))
    )  # fmt: skip
    unsigned = roster.unsigned_manifest(
        1, datetime.now(UTC).date(), [m.card for m in team.members], threshold=2
    )
    for m in team.members:
        if m.role == "admin":
            unsigned = roster.sign_manifest(unsigned, m.id, m.key.signing_seed)
    server = start_live_server(tmp_path, Team(team.members, unsigned))
    try:
        yield server
    finally:
        server.stop()


def test_two_admins_sign_the_next_manifest(make_page: Any, two_admin_server: Any) -> None:
    """Threshold 2 (issue 11): one admin prepares and signs, the proposal
    waits on the server, the other admin sees it with its difference, who
    signed and who still must, and signs it from their own console: the last
    signature publishes. No file passes by hand; one signature alone is
    refused by the server and by the verifier."""
    from datetime import UTC, datetime

    from candor import keyfile as kf
    from candor.client import ApiError
    from chalicelib import manifest as mf

    server = two_admin_server
    ada, edsger = member(server, "Ada"), member(server, "Edsger")
    newcomer = kf.create_keyfile(server.url)
    card = kf.public_card(newcomer, "Katherine Johnson", "Communications", "reviewer")
    server.client(ada).call("POST", "/v1/team/members", card)

    # The first admin reviews and signs: the version is stored, not published.
    first, first_watch = make_page(origin(server))
    first_watch.expect_error("404")  # no proposal waits yet
    unlock(first, server, ada)
    first.click("#tab-team")
    first.wait_for_selector("#publish-load:not([hidden])")
    first.click("#publish-prepare")
    first.wait_for_selector("#publish-diff li[data-change=added]")
    assert "1 of 2" in first.inner_text("#publish-sign")
    downloads: list[Any] = []
    first.on("download", lambda d: downloads.append(d))
    first.click("#publish-sign")
    first.wait_for_selector("#publish-status:has-text('1 of 2 signatures')")
    first.wait_for_selector("#proposal:not([hidden])")
    assert (
        "Still needed: 1 more signature, from one of: Edsger Dijkstra (Compliance)"
        in first.inner_text("#proposal-missing")
    )
    assert first.is_hidden("#proposal-sign")
    assert downloads == []
    proposal = server.client(ada).call("GET", "/v1/team/manifest/proposal")
    assert (proposal["signed"], proposal["missing"]) == ([ada.member_id], 1)
    signed_once = proposal["manifest"]
    current = server.manifest
    with pytest.raises(mf.ManifestInvalid, match="fewer than 2"):
        mf.verify_next_manifest(current, signed_once, datetime.now(UTC).date())
    with pytest.raises(ApiError) as alone:
        server.client(ada).call("PUT", "/v1/team/manifest", signed_once)
    assert alone.value.status == 422
    assert len(server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]) == 1

    # The second admin, in another browser context, sees the waiting version and signs: published.
    second, _ = make_page(origin(server))
    unlock(second, server, edsger)
    second.click("#tab-team")
    second.wait_for_selector("#proposal:not([hidden]) #proposal-diff li[data-change=added]")
    assert "Katherine Johnson" in second.inner_text("#proposal-diff")
    assert "Signed so far: 1 of 2 (Ada Lovelace (Legal))" in second.inner_text("#proposal-signed")
    screenshot(second, "console-publish-threshold-desktop-en")
    assert run_axe(second) == []
    second.click("#proposal-sign")
    second.wait_for_selector("#publish-status:has-text('Published version 2')")
    assert second.is_hidden("#proposal")
    second.wait_for_selector("#team-version:has-text('2')")
    chain = server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    assert [s["member"] for s in chain[-1]["sigs"]] == [ada.member_id, edsger.member_id]
    mf.verify_next_manifest(current, chain[-1], datetime.now(UTC).date())


@pytest.mark.parametrize(("viewport", "locale"), [("phone", "de-DE"), ("desktop", "en-US")])
def test_sole_admin_rotates_then_publishes(
    make_page: Any, live_server: Any, tmp_path: Path, viewport: str, locale: str
) -> None:
    """Issue 19 item 1: the only admin rotates her keys in the console and
    publishes the next manifest with the new key file; the download is named
    <name>-<date>.candor-key."""
    from datetime import UTC, datetime

    ada = member(live_server, "Ada")
    page, _ = make_page(origin(live_server), viewport=viewport, locale=locale)
    unlock(page, live_server, ada)
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.fill("#rotate-passphrase", ada.passphrase)
    with page.expect_download(timeout=60000) as info:
        page.click("#rotate-download")
    today = datetime.now(UTC).date().isoformat()
    assert info.value.suggested_filename == f"ada-lovelace-{today}.candor-key"
    new_path = tmp_path / info.value.suggested_filename
    info.value.save_as(new_path)
    page.click("#rotate-publish")
    page.wait_for_selector("#rotate-status [data-i18n='console.team.rotate.done']")

    again, _ = make_page(origin(live_server), viewport=viewport, locale=locale)
    again.goto(origin(live_server) + "/console/")
    again.set_input_files("#keyfile", str(new_path))
    again.fill("#passphrase", ada.passphrase)
    again.click("#unlock")
    again.wait_for_selector("#inbox-progress[data-state=done]", timeout=60000)
    again.click("#tab-team")
    again.wait_for_selector("#members-rows tr")
    again.click("#publish-prepare")
    again.wait_for_selector("#publish-diff li")
    again.click("#publish-sign")
    again.wait_for_selector("#publish-status [data-i18n='console.team.published']")
    head = live_server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"][-1]
    assert head["version"] == 2
