"""The console's day-2 operations (issue 11), in Debian's Chromium against
`candor serve`: the expiry banner from 30 days before the team manifest
expires (every member; admins get "Renew now", which publishes the next
version with the same roster and new dates), the read-only console after a
lapse (it unlocks, lists, decrypts and verifies; whatever would encrypt to
the team stops with the reason), and the threshold field. The manifests are
seeded with past dates, so the browser and the server keep the real clock
(signed requests must be within minutes of the server's clock)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, run_axe, screenshot
from tests.browser.test_console import FORM, member, origin, submit, unlock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCALES = {"en": "en-US", "de": "de-DE"}
CATALOGUES = {
    lang: json.loads((ROOT / "frontend" / "i18n" / f"{lang}.json").read_text()) for lang in LOCALES
}
# Two admins, so a threshold of 2 can be seeded; the render guard passes its own team.
TEAM = (
    ("Ada Lovelace", "Legal", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Edsger Dijkstra", "Compliance", "admin"),
)


def t(lang: str, key: str, **args: Any) -> str:
    text = str(CATALOGUES[lang][key])
    for name, value in args.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def today() -> date:
    return datetime.now(UTC).date()


ServerFactory = Callable[..., Any]


@pytest.fixture
def seeded_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerFactory]:
    """seeded_server(issued, threshold=1, members=TEAM) → `candor serve` whose
    version 1 was issued on `issued` (signed by `threshold` admins). The store takes it with
    its clock on that day, as it did then; the server then runs on today."""
    from candor import roster
    from chalicelib.domain.cases import Context
    from tests.support import live
    from tests.support.team import Team, make_team

    servers: list[Any] = []

    def start(
        issued: date, threshold: int = 1, members: tuple[tuple[str, str, str], ...] = TEAM
    ) -> Any:
        team = make_team(members)
        unsigned = roster.unsigned_manifest(1, issued, [m.card for m in team.members], threshold)
        for admin in [m for m in team.members if m.role == "admin"][:threshold]:
            unsigned = roster.sign_manifest(unsigned, admin.id, admin.key.signing_seed)
        # Never after now: the audit log's times only move forward.
        noon = datetime.combine(issued, datetime.min.time(), UTC) + timedelta(hours=12)
        then = min(noon, datetime.now(UTC) - timedelta(minutes=1))
        monkeypatch.setattr(live, "Context", functools.partial(Context, clock=lambda: then))
        server = live.start_live_server(
            tmp_path / f"s{len(servers)}", Team(team.members, dict(unsigned))
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def long_date(day: str, lang: str) -> str:
    """The date as the console writes it (Intl dateStyle long, UTC)."""
    d = date.fromisoformat(day)
    if lang == "de":
        months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                  "September", "Oktober", "November", "Dezember"]  # fmt: skip
        return f"{d.day}. {months[d.month - 1]} {d.year}"
    return f"{d.strftime('%B')} {d.day}, {d.year}"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_banner_from_30_days_and_renew_now(
    make_page: Any, seeded_server: ServerFactory, lang: str
) -> None:
    from chalicelib import manifest as mf

    server = seeded_server(today() - timedelta(days=70))  # 20 days left
    ada, grace = member(server, "Ada"), member(server, "Grace")
    expires = server.manifest["expires"]

    # Every member sees the warning; a reviewer has no Renew button.
    reviewer, _ = make_page(origin(server), locale=LOCALES[lang])
    unlock(reviewer, server, grace)
    reviewer.wait_for_selector("#banner[data-state=warn]")
    text = reviewer.inner_text("#banner-text")
    assert text == t(
        lang, "console.banner.text.other", version=1, n=20, date=long_date(expires, lang)
    )
    assert reviewer.get_attribute("#banner", "data-days") == "20"
    assert reviewer.is_hidden("#banner-renew")

    page, _ = make_page(origin(server), locale=LOCALES[lang])
    unlock(page, server, ada)
    page.wait_for_selector("#banner[data-state=warn] #banner-renew:not([hidden])")
    screenshot(page, f"console-banner-renew-desktop-{lang}")
    assert run_axe(page) == []
    page.click("#banner-renew")
    renewed = (today() + timedelta(days=90)).isoformat()
    page.wait_for_selector("#notice:not([hidden])")
    assert page.inner_text("#notice") == t(
        lang, "console.banner.renewed", version=2, date=long_date(renewed, lang)
    )
    assert page.is_hidden("#banner")

    chain = server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    v1, v2 = chain
    assert (v2["version"], v2["issued"], v2["expires"]) == (2, today().isoformat(), renewed)
    assert v2["members"] == v1["members"] and v2["threshold"] == v1["threshold"]
    mf.verify_chain(v1, [v2], today=today())

    # The console switches to the new version at once; a fresh unlock has no banner.
    page.click("#tab-team")
    page.wait_for_selector("#team-version:has-text('2')")
    again, _ = make_page(origin(server), locale=LOCALES[lang])
    unlock(again, server, grace)
    assert again.is_hidden("#banner")


def test_lapse_leaves_the_console_read_only(make_page: Any, seeded_server: ServerFactory) -> None:
    issued = today() - timedelta(days=100)  # expired 10 days ago
    server = seeded_server(issued)
    ada = member(server, "Ada")
    submit(
        server,
        form={**FORM, "summary": "Filed before the lapse."},
        today=issued + timedelta(days=3),
    )
    expires = server.manifest["expires"]

    page, watch = make_page(origin(server))
    unlock(page, server, ada)
    page.wait_for_selector("#banner[data-state=lapsed]")
    lapse = t("en", "console.lapse.text", version=1, date=long_date(expires, "en"))
    assert page.inner_text("#banner-text") == lapse
    assert page.is_hidden("#banner-renew")
    screenshot(page, "console-lapse-desktop-en")
    assert run_axe(page) == []

    # Lists, decrypts and verifies with the expired version.
    assert "Filed before the lapse." in page.inner_text("#inbox-rows")
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#case-report dd")
    assert "Filed before the lapse." in page.inner_text("#case-report")
    assert page.query_selector_all(".case-warning") == []

    # A note would encrypt to the team: refused before anything is sealed or sent.
    page.click("#compose-tab-note")
    page.fill("#note-text", "Should not go out.")
    page.click("#note-send")
    page.wait_for_selector("#note-status .error")
    assert t("en", "console.case.manifest_expired") in page.inner_text("#note-status")
    assert not [r for r in watch.requests if r.startswith("POST ") and "/messages" in r]
    assert not [r for r in watch.requests if r.startswith("POST ") and "/attachments" in r]

    # Publishing is refused with the same reason, and so is it on the server.
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.click("#publish-prepare")
    refused = t("en", "console.lapse.refused", date=long_date(expires, "en"))
    page.wait_for_selector("#publish-status:not(:empty)")
    assert page.inner_text("#publish-status") == refused
    from candor import roster
    from candor.client import ApiError

    unsigned = roster.renew_manifest(server.manifest, today())
    signed = roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed)
    with pytest.raises(ApiError) as conflict:
        server.client(ada).call("PUT", "/v1/team/manifest", signed)
    assert conflict.value.status == 409


def test_lapse_banner_in_german(make_page: Any, seeded_server: ServerFactory) -> None:
    server = seeded_server(today() - timedelta(days=95))
    grace = member(server, "Grace")
    page, _ = make_page(origin(server), locale="de-DE")
    unlock(page, server, grace)
    page.wait_for_selector("#banner[data-state=lapsed]")
    expires = server.manifest["expires"]
    assert page.inner_text("#banner-text") == t(
        "de", "console.lapse.text", version=1, date=long_date(expires, "de")
    )
    screenshot(page, "console-lapse-desktop-de")
    assert run_axe(page) == []


def test_threshold_field_sets_the_next_versions_threshold(
    make_page: Any, seeded_server: ServerFactory
) -> None:
    server = seeded_server(today())
    ada = member(server, "Ada")
    page, _ = make_page(origin(server))
    unlock(page, server, ada)
    assert page.is_hidden("#banner")
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    assert page.input_value("#publish-threshold") == "1"
    page.fill("#publish-threshold", "0")
    page.click("#publish-prepare")
    page.wait_for_selector("#publish-status:has-text('whole number of at least 1')")
    page.fill("#publish-threshold", "2")
    page.click("#publish-prepare")
    page.wait_for_selector("#publish-diff li[data-change=threshold]")
    page.click("#publish-sign")  # version 1 asks for one signature: published at once
    page.wait_for_selector("#publish-status:not(:empty)")
    assert "Published version 2" in page.inner_text("#publish-status")
    chain = server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    assert [m["threshold"] for m in chain] == [1, 2]
    # From now on a version needs two: the team page says so.
    page.wait_for_selector("#publish-load:not([hidden])")
    assert page.input_value("#publish-threshold") == "2"


def test_renew_now_with_threshold_two_waits_for_the_second_admin(
    make_page: Any, seeded_server: ServerFactory
) -> None:
    server = seeded_server(today() - timedelta(days=80), threshold=2)  # 10 days left
    ada, edsger = member(server, "Ada"), member(server, "Edsger")
    first, first_watch = make_page(origin(server))
    # The Team page and Renew now ask for a waiting proposal before there is one.
    first_watch.expect_error("404")
    first_watch.expect_error("404")
    unlock(first, server, ada)
    first.click("#tab-team")
    first.wait_for_selector("#members-rows tr")
    assert first.is_hidden("#proposal")
    first.click("#banner-renew")
    first.wait_for_selector("#banner-status:has-text('waits for the other admins')")
    assert first.inner_text("#banner-status") == t(
        "en", "console.banner.proposed", n=1, threshold=2
    )
    assert first.get_attribute("#banner", "data-state") == "warn"  # not renewed until both signed
    first.wait_for_selector("#proposal:not([hidden])")
    assert len(server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]) == 1

    second, _ = make_page(origin(server), locale="de-DE")
    unlock(second, server, edsger)
    second.wait_for_selector("#banner[data-state=warn]")
    # Renew now does not replace the waiting version: it points to it.
    second.click("#banner-renew")
    second.wait_for_selector(f"#banner-status:has-text('{t('de', 'console.banner.waiting')}')")
    second.click("#tab-team")
    second.wait_for_selector("#proposal:not([hidden]) #proposal-sign:not([hidden])")
    assert "Ada Lovelace (Legal)" in second.inner_text("#proposal-signed")
    assert second.inner_text("#proposal-title") == t("de", "console.team.proposal.title")
    screenshot(second, "console-proposal-desktop-de")
    assert run_axe(second) == []
    second.click("#proposal-sign")
    second.wait_for_selector("#publish-status:not(:empty)")
    assert "Version 2" in second.inner_text("#publish-status")
    assert second.is_hidden("#banner") and second.is_hidden("#proposal")
    v1, v2 = server.client(ada).call("GET", "/v1/manifest", signed=False)["manifests"]
    assert v2["members"] == v1["members"] and v2["threshold"] == 2
    assert v2["expires"] == (today() + timedelta(days=90)).isoformat()
    assert [s["member"] for s in v2["sigs"]] == [ada.member_id, edsger.member_id]


def test_note_after_a_removal_names_who_was_left_out(
    make_page: Any, seeded_server: ServerFactory
) -> None:
    """Issue 11: a removed member in the case's access list is dropped from
    the recipients of a new note or reply, and the sender sees who."""
    from candor import roster

    server = seeded_server(today())
    ada, grace = member(server, "Ada"), member(server, "Grace")
    submit(server, form={**FORM, "summary": "Filed while Grace was a member."})
    client = server.client(ada)
    client.call("DELETE", f"/v1/team/members/{grace.member_id}")
    members = server.team_get(ada, "/v1/team/members")["members"]
    unsigned = roster.next_manifest(server.manifest, members, today())
    client.call(
        "PUT",
        "/v1/team/manifest",
        roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed),
    )

    page, _ = make_page(origin(server))
    unlock(page, server, ada)
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#case-report dd")
    page.click("#compose-tab-note")
    page.fill("#note-text", "Grace has left; this note is not for her.")
    page.click("#note-send")
    page.wait_for_selector("#case-notes li.message[data-verdict=ok]")
    page.wait_for_selector("#note-status:has-text('Grace Hopper')")
    assert page.inner_text("#note-status").endswith(
        t("en", "console.case.dropped", names="Grace Hopper (Security)")
    )
