"""Signed staff notices on the reporter page in Chromium (issue 16, protocol
§4.9), against ``candor serve`` with a team whose manifest needs two
admins: a notice both admins signed appears at the top of the landing step
in every language of the page, switched in place; one altered in storage
after it was published is not shown; a report started from the notice
carries the notice's id inside the sealed report; the console's Team page
lists both and flags the altered one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from candor import documents, roster
from candor import notice as nt
from chalicelib.b64 import b64u_decode
from chalicelib.store import keys
from chalicelib.store.local import LocalCaseStore
from tests.browser.report_site import t
from tests.browser.test_console import unlock
from tests.support.live import LiveServer, start_live_server
from tests.support.team import Team, make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    team = make_team((("Ada Admin", "Legal", "admin"), ("Edsger Admin", "IT", "admin"),
                      ("Bob Reviewer", "HR", "reviewer")))
    manifest: Any = roster.unsigned_manifest(1, datetime.now(UTC).date(),
                                             [m.card for m in team.members], threshold=2)
    for admin in team.members[:2]:
        manifest = roster.sign_manifest(manifest, admin.id, admin.key.signing_seed)
    live = start_live_server(tmp_path_factory.mktemp("notices"), Team(team.members, manifest))
    try:
        yield live
    finally:
        live.stop()


def _publish(server: LiveServer, text: dict[str, str]) -> nt.Notice:
    notice = nt.unsigned_notice(server.manifest, text, datetime.now(UTC).date())  # type: ignore[arg-type]
    admins = [m for m in server.team if m.role == "admin"]
    for admin in admins:
        notice = nt.sign_notice(notice, admin.member_id, admin.keyfile.signing_seed)
    assert server.client(admins[0]).call("POST", "/v1/team/notices", notice) == notice
    return notice


def _tamper(data_dir: Path, notice: nt.Notice) -> None:
    """Change the stored notice's English text, as someone with the storage could."""
    store = LocalCaseStore(data_dir)
    key = keys.notice(notice["id"])
    item = store.get(key)
    assert item is not None
    forged = {**notice, "text": {**notice["text"], "en": "All is fine: post about it."}}
    store.transact([key.put(forged, expect=item.version)])  # type: ignore[arg-type]


def _sealed_report(server: LiveServer) -> dict[str, Any]:
    ada = server.team[0]
    client = server.client(ada)
    (case,) = client.call("GET", "/v1/team/cases")["cases"]
    blob = client.call("GET", f"/v1/team/cases/{case['id']}/blobs/{case['report']['id']}")
    return documents.open_document(b64u_decode(blob["sealed"]), ada.keyfile.identities)


def test_a_signed_notice_shows_in_every_language_and_a_tampered_one_does_not(
    make_page: Any, server: LiveServer
) -> None:
    real = _publish(server, {lang: f"[{lang}] Do not comment publicly." for lang in nt.LANGUAGES})
    tampered = _publish(server, {"en": "We know about the leak. Report here."})
    _tamper(server.data_dir, tampered)
    listed = server.client(server.team[0]).call("GET", "/v1/notices", signed=False)["notices"]
    assert {n["id"] for n in listed} == {real["id"], tampered["id"]}  # the server serves both

    page, _ = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector(f"#notices [data-notice={real['id']}]")
    languages = page.eval_on_selector_all(".lang-btn", "bs => bs.map((b) => b.dataset.lang)")
    assert sorted(languages) == sorted(nt.LANGUAGES)
    for lang in languages:
        page.click(f".lang-btn[data-lang={lang}]")
        assert page.evaluate("document.documentElement.lang") == lang
        notices = page.locator("#notices .notice")
        assert notices.count() == 1
        assert notices.first.get_attribute("data-notice") == real["id"]
        assert page.inner_text("#notices .notice-text") == real["text"][lang]
        assert page.get_attribute("#notices .notice-text", "lang") == lang
        assert page.inner_text("#notices .notice strong") == t(lang, "notice.title")
        assert page.inner_text("#notices .notice-report") == t(lang, "notice.report")
    assert page.locator(f"[data-notice={tampered['id']}]").count() == 0

    # A report started from the notice carries its id, sealed.
    page.click(".lang-btn[data-lang=en]")
    page.click("#notices .notice-report")
    page.wait_for_selector("#step-form:not([hidden])")
    assert page.is_visible("#notice-ref")
    assert real["text"]["en"] in page.inner_text("#notice-ref")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", "A colleague was asked to comment by a journalist.")
    page.fill("#q-details-input", "A reporter called the front desk this morning.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    report = _sealed_report(server)
    assert report["form"]["notice"] == real["id"]

    # The console's Team page lists both, and flags the one altered in storage.
    console, console_watch = make_page(server.url)
    console_watch.expect_error("404")  # no manifest proposal waits
    unlock(console, server, server.team[0])
    console.click("#tab-team")
    console.wait_for_selector(f"#team-notices li[data-notice={tampered['id']}]")
    assert console.get_attribute(f"[data-notice={real['id']}]", "data-valid") == "true"
    assert console.get_attribute(f"[data-notice={tampered['id']}]", "data-valid") == "false"
    assert console.locator(f"[data-notice={real['id']}] .notice-flag").count() == 0
    flag = console.inner_text(f"[data-notice={tampered['id']}] .notice-flag").strip()
    assert flag == t("en", "console.notices.invalid")
