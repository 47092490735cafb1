"""Issue 19's review-console findings, in Debian's Chromium against
`candor serve`, on a phone in German and on a desktop in English (each
test also switches to the other language where the words matter):

- item 6: a reply to the reporter and an internal note are two tabs that
  look different; a reply is shown back for confirmation and can be undone
  for a few seconds before it is sent; a note goes at once;
- item 7: the audit log reads as words for legal counsel (no raw template,
  actions named, times in the reader's locale), filters by case and by
  person, and exports the entries shown as CSV that a spreadsheet cannot
  run as formulas;
- item 14: a new member's empty inbox says why, the team page says when
  the manifest expires, the reporter's language is named, and the image
  preview raises no CSP violation;
- and, since a removed member is no longer sealed to (protocol §4.5), a
  note or reply says whom it left out.

conftest's watch fails a test on any console error it did not expect."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.browser.conftest import ROOT, run_axe, screenshot
from tests.browser.test_console import FORM, origin, submit, unlock
from tests.support.live import PASSPHRASE, LiveServer, start_live_server
from tests.support.team import Team, make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A person whose name a spreadsheet would run as a formula, with a comma and quotes in it.
FORMULA_NAME = '=CONCAT("Grace","Hopper")'
MEMBERS = (
    ("Ada Lovelace", "Legal", "admin"),
    (FORMULA_NAME, "", "reviewer"),
    ("Alan Turing", "HR", "reviewer"),
)
# (viewport, locale, catalogue language): a phone in German, a desktop in English.
SETUPS = [("phone", "de-DE", "de"), ("desktop", "en-US", "en")]
WORDS = {
    "en": {
        "tab_reply": "Reply to the reporter",
        "tab_note": "Internal note",
        "internal": "INTERNAL",
        "case_read": "Opened the case",
        "verified": "verified",
        "system": "system entry (no signed request)",
        "language": "German",
        "empty": "No cases for you yet.",
        "removed": "Not encrypted to the removed member(s)",
    },
    "de": {
        "tab_reply": "Antwort an die meldende Person",
        "tab_note": "Interne Notiz",
        "internal": "INTERN",
        "case_read": "Fall geöffnet",
        "verified": "geprüft",
        "system": "Systemeintrag (ohne signierte Anfrage)",
        "language": "Deutsch",
        "empty": "Noch keine Fälle für Sie.",
        "removed": "Nicht für entfernte Mitglieder verschlüsselt",
    },
}
OTHER = {"en": "de", "de": "en"}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f00f0004850180849a8c210000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def ux_team() -> Team:
    return make_team(MEMBERS)


@pytest.fixture
def server(tmp_path: Path, ux_team: Team) -> Iterator[LiveServer]:
    """Tests ask for it before make_page, so their pages close before the server stops."""
    live = start_live_server(tmp_path, ux_team)
    try:
        yield live
    finally:
        live.stop()


def person(server: LiveServer, name: str) -> Any:
    return next(m for m in server.team if m.name == name)


def only_case(server: LiveServer, who: Any) -> dict[str, Any]:
    (summary,) = server.team_get(who, "/v1/team/cases")["cases"]
    return dict(server.team_get(who, f"/v1/team/cases/{summary['id']}"))


def open_only_case(page: Any) -> None:
    page.click("#inbox-rows .case-link")
    page.wait_for_selector("#case-report dd")


def style_of(page: Any, selector: str) -> dict[str, str]:
    return dict(
        page.eval_on_selector(
            selector,
            """(n) => { const s = getComputedStyle(n);
                return {border: s.borderTopStyle, background: s.backgroundColor}; }""",
        )
    )


# -- item 6: reply and note ------------------------------------------------------------------


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_reply_and_note_differ_reply_is_confirmed_and_can_be_undone(
    server: LiveServer, make_page: Any, viewport: str, locale: str, lang: str
) -> None:
    ada = person(server, "Ada Lovelace")
    submit(server)
    words = WORDS[lang]
    page, _ = make_page(origin(server), viewport=viewport, locale=locale)
    page.goto(origin(server) + "/console/")
    # The undo window is timed: the test moves the page's clock instead of waiting.
    page.clock.install()
    unlock(page, server, ada)
    open_only_case(page)
    case_id = only_case(server, ada)["id"]

    def sent() -> list[Any]:
        return list(server.team_get(ada, f"/v1/team/cases/{case_id}")["messages"])

    # Two tabs; the note's panel is marked internal and looks different.
    assert page.inner_text("#compose-tab-reply") == words["tab_reply"]
    assert page.inner_text("#compose-tab-note") == words["tab_note"]
    assert page.get_attribute("#compose-tab-reply", "aria-selected") == "true"
    assert page.is_visible("#reply-form") and page.is_hidden("#note-form")
    page.click("#compose-tab-note")
    assert page.is_visible("#note-form") and page.is_hidden("#reply-form")
    assert run_axe(page) == []
    assert words["internal"] in page.inner_text("#note-form .badge-internal").upper()
    assert style_of(page, "#note-form") != style_of(page, "#reply-form")
    assert style_of(page, "#note-form")["border"] == "dashed"

    # A note needs no confirmation: it is added at once, and never reaches the reporter.
    page.fill("#note-text", "Internal: HR was told at 10:05.")
    page.click("#note-send")
    page.wait_for_selector("#case-notes li.message[data-verdict=ok]")
    assert page.is_hidden("#reply-confirm")
    assert sent() == []

    # A reply is shown back first; "keep editing" sends nothing and keeps the text.
    page.click("#compose-tab-reply")
    text = "Thank you, we are looking into it.\nPlease check back next week."
    page.fill("#reply-text", text)
    page.click("#reply-send")
    page.wait_for_selector("#reply-confirm:not([hidden])")
    assert page.inner_text("#reply-confirm-text") == text
    screenshot(page, f"console-case-reply-confirm-{viewport}-{lang}")
    assert run_axe(page) == []
    page.click("#reply-confirm-edit")
    assert page.is_hidden("#reply-confirm")
    assert page.input_value("#reply-text") == text
    page.clock.run_for(20_000)
    assert sent() == []

    # Confirmed, then undone within the window: nothing goes out.
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#reply-undo:not([hidden])")
    assert re.search(r"\b[5-8] s\b", page.inner_text("#reply-undo-text"))
    page.click("#reply-undo-button")
    assert page.is_hidden("#reply-undo")
    page.clock.run_for(20_000)
    assert sent() == []
    assert page.input_value("#reply-text") == text

    # Confirmed and left alone: sent when the window ends.
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#reply-undo:not([hidden])")
    assert sent() == []
    page.clock.run_for(9_000)
    page.wait_for_selector("#case-thread li.message.team[data-verdict=ok]")
    assert len(sent()) == 1
    assert text in page.inner_text("#case-thread")
    screenshot(page, f"console-case-view-{viewport}-{lang}")
    page.click(f".lang-btn[data-lang={OTHER[lang]}]")
    assert page.inner_text("#compose-tab-note") == WORDS[OTHER[lang]]["tab_note"]

    # Locking in the undo window drops the reply with the keys: nothing more goes out.
    page.fill("#reply-text", "Never sent: the console locks first.")
    page.click("#reply-send")
    page.click("#reply-confirm-send")
    page.wait_for_selector("#reply-undo:not([hidden])")
    page.click("#lock")
    page.wait_for_selector("#view-unlock:not([hidden])")
    page.clock.run_for(20_000)
    assert len(sent()) == 1


# -- item 7: the audit log -------------------------------------------------------------------


def formatted(day_time: str, lang: str) -> str:
    """The time as Intl.DateTimeFormat(lang, medium date and time style) writes it in UTC."""
    t = datetime.strptime(day_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if lang == "de":
        return f"{t:%d.%m.%Y}, {t:%H:%M:%S}"
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year}, {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ")).strip()


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_audit_log_reads_as_words_filters_and_exports_csv(
    server: LiveServer, make_page: Any, viewport: str, locale: str, lang: str
) -> None:
    ada, grace = person(server, "Ada Lovelace"), person(server, FORMULA_NAME)
    submit(server, form={**FORM, "summary": "First case."})
    submit(server, form={**FORM, "summary": "Second case."})
    cases = [c["id"] for c in server.team_get(ada, "/v1/team/cases")["cases"]]
    # Grace reads the first case, Ada both: audited reads by two people on two cases.
    server.team_get(grace, f"/v1/team/cases/{cases[0]}")
    for case_id in cases:
        server.team_get(ada, f"/v1/team/cases/{case_id}")
    entries = server.team_get(ada, "/v1/team/audit")["entries"]

    page, _ = make_page(origin(server), viewport=viewport, locale=locale)
    unlock(page, server, ada)
    # Seconds in the reader's locale: "0,4 s" in German, "0.4 s" in English (issue 19 item 9).
    loaded = page.inner_text("#inbox-progress")
    assert re.search(r"\d,\d s" if lang == "de" else r"\d\.\d s", loaded), loaded
    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    page.click("#audit-verify")
    page.wait_for_selector("#audit-result [data-result=ok]")
    rows = page.locator("#audit-rows tr")
    assert rows.count() >= len(entries) >= 4

    words = WORDS[lang]
    table = page.inner_text("#audit-table")
    assert "{" not in table and "}" not in table, table
    for row in page.query_selector_all("#audit-rows tr"):
        cells = row.query_selector_all("td")
        # Every entry verifies; the team's first manifest is the one unsigned (system) entry.
        assert cells[5].inner_text() in (words["verified"], words["system"])
        code = row.get_attribute("data-action") or ""
        assert cells[3].query_selector(".action-code").inner_text() == code
        assert spaces(cells[3].inner_text()) != code  # words first, the code beside them
    read = page.locator(f"#audit-rows tr[data-action='case.read'][data-seq='{entries[-1]['seq']}']")
    assert words["case_read"] in read.inner_text()
    when = read.locator("time")
    assert when.get_attribute("datetime") == entries[-1]["day_time"]
    assert spaces(when.inner_text()) == formatted(entries[-1]["day_time"], lang)
    screenshot(page, f"console-audit-log-{viewport}-{lang}")
    assert run_axe(page) == []

    # Filter by case, then by person.
    page.select_option("#audit-f-case", cases[0])
    shown = [r.get_attribute("data-seq") for r in page.query_selector_all("#audit-rows tr")]
    expected = [str(e["seq"]) for e in reversed(entries) if e["case"] == cases[0]]
    assert shown == expected
    assert all(cases[0] in r.inner_text() for r in page.query_selector_all("#audit-rows tr"))
    page.select_option("#audit-f-member", grace.member_id)
    grace_rows = page.query_selector_all("#audit-rows tr")
    assert grace_rows and all(FORMULA_NAME in r.inner_text() for r in grace_rows)
    assert re.search(rf"\b{len(grace_rows)}\b", page.inner_text("#audit-count"))

    # The export holds the entries shown, quoted, the formula neutralised.
    with page.expect_download() as info:
        page.click("#audit-export")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table_rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = table_rows[0], table_rows[1:]
    assert len(header) == 8 and len(body) == len(grace_rows)
    for line in body:
        assert line[2] == grace.member_id
        assert line[3] == "'" + FORMULA_NAME  # shown as text, never run
        assert line[6] == cases[0]
        assert datetime.strptime(line[1], "%Y-%m-%dT%H:%M:%SZ")
    assert f'"\'{FORMULA_NAME.replace(chr(34), chr(34) * 2)}"' in raw.decode("utf-8-sig")

    # The other language: the actions' words follow.
    page.select_option("#audit-f-member", "")
    page.select_option("#audit-f-case", "")
    page.click(f".lang-btn[data-lang={OTHER[lang]}]")
    assert WORDS[OTHER[lang]]["case_read"] in page.inner_text("#audit-rows")
    assert spaces(read.locator("time").inner_text()) == formatted(
        entries[-1]["day_time"], OTHER[lang]
    )


def test_csv_cells_are_quoted_and_formulas_neutralised() -> None:
    """console/csv.ts on its own (node with tsx): commas, quotes, newlines, every formula prefix."""
    cells = ["a,b", 'say "hi"', "line 1\nline 2", "=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain"]
    script = (
        'import { toCsv } from "./frontend/src/console/csv.ts";'
        f'process.stdout.write(toCsv([{json.dumps(cells)}, ["2"]]));'
    )
    out = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", script],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()  # bytes: text mode would turn the CRLF under test into LF
    assert out.startswith("\ufeff") and out.endswith('"2"\r\n')
    parsed = list(csv.reader(io.StringIO(out[1:], newline="")))
    assert parsed == [
        ["a,b", 'say "hi"', "line 1\nline 2", "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain"],
        ["2"],
    ]


# -- item 14: the smaller console items ------------------------------------------------------


def add_and_publish(server: LiveServer, tmp_path: Path) -> Any:
    """A new reviewer added and published in version 2 by the admin; what unlock() needs."""
    from candor import keyfile as kf
    from candor import roster

    ada = person(server, "Ada Lovelace")
    key = kf.create_keyfile(server.url)
    admin = server.client(ada)
    admin.call("POST", "/v1/team/members", kf.public_card(key, "Katherine Johnson", "", "reviewer"))
    members = admin.call("GET", "/v1/team/members")["members"]
    unsigned = roster.next_manifest(server.manifest, members, datetime.now(UTC).date())
    admin.call(
        "PUT",
        "/v1/team/manifest",
        roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed),
    )
    path = tmp_path / "katherine.candor-key"
    kf.write_keyfile(key, path, PASSPHRASE)
    return SimpleNamespace(keyfile_path=path, passphrase=PASSPHRASE, member_id=key.member)


def long_date(day: str, lang: str) -> str:
    d = date.fromisoformat(day)
    months = {
        "en": "January February March April May June July August September October November "
        "December",
        "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    }[lang].split()
    month = months[d.month - 1]
    return f"{d.day}. {month} {d.year}" if lang == "de" else f"{month} {d.day}, {d.year}"


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_new_member_empty_inbox_and_manifest_expiry(
    server: LiveServer, make_page: Any, tmp_path: Path, viewport: str, locale: str, lang: str
) -> None:
    submit(server)  # sealed to version 1's members only
    katherine = add_and_publish(server, tmp_path)
    page, _ = make_page(origin(server), viewport=viewport, locale=locale)
    unlock(page, server, katherine)
    page.wait_for_selector("#inbox-empty:not([hidden])")
    empty = page.inner_text("#inbox-empty")
    assert WORDS[lang]["empty"] in empty
    assert re.search(r"\b[Vv]ersion 2\b", empty), empty  # the version that added her
    screenshot(page, f"console-inbox-new-member-{viewport}-{lang}")

    page.click("#tab-team")
    page.wait_for_selector("#members-rows tr")
    chain = server.client(person(server, "Ada Lovelace")).call("GET", "/v1/manifest", signed=False)
    manifest = chain["manifests"][-1]
    days = (date.fromisoformat(manifest["expires"]) - datetime.now(UTC).date()).days
    expiry = page.inner_text("#team-expiry")
    assert long_date(manifest["expires"], lang) in expiry
    assert re.search(rf"\b{days}\b", expiry), expiry
    assert page.get_attribute("#team-expiry", "data-days") == str(days)
    page.click(f".lang-btn[data-lang={OTHER[lang]}]")
    assert long_date(manifest["expires"], OTHER[lang]) in page.inner_text("#team-expiry")


def case_with_image(server: LiveServer, make_page: Any, viewport: str, locale: str) -> Any:
    """A report written in German with a PNG, open in the console of the admin; (page, watch)."""
    from candor import reporter

    files = [reporter.Evidence("pixel.png", PNG_1PX, "image/png")]
    submit(server, files=files, lang="de")
    page, watch = make_page(origin(server), viewport=viewport, locale=locale)
    unlock(page, server, person(server, "Ada Lovelace"))
    open_only_case(page)
    return page, watch


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_reporter_language_is_named(
    server: LiveServer, make_page: Any, viewport: str, locale: str, lang: str
) -> None:
    page, _ = case_with_image(server, make_page, viewport, locale)
    report = page.inner_text("#case-report")
    assert WORDS[lang]["language"] in report
    assert not re.search(r"\bde\b", report)
    page.click(f".lang-btn[data-lang={OTHER[lang]}]")
    assert WORDS[OTHER[lang]]["language"] in page.inner_text("#case-report")


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_image_preview_raises_no_csp_violation(
    make_page: Any, server: LiveServer, viewport: str, locale: str, lang: str
) -> None:
    page, watch = case_with_image(server, make_page, viewport, locale)
    image = page.locator("#case-attachments li", has_text="pixel.png")
    image.locator("button").nth(1).click()
    page.wait_for_selector("#preview:not([hidden])")
    frame = page.locator("#preview-frame")
    assert frame.get_attribute("sandbox") == ""
    assert (frame.get_attribute("src") or "").startswith("blob:")
    inner = page.frame_locator("#preview-frame").locator("img")
    inner.wait_for()
    assert inner.evaluate("(img) => img.complete && img.naturalWidth") == 1
    page.wait_for_timeout(500)  # a violation is reported asynchronously
    assert [e for e in watch.console_errors if "Content Security Policy" in e] == []


@pytest.mark.parametrize(("viewport", "locale", "lang"), SETUPS)
def test_note_names_removed_members_it_was_not_sealed_to(
    server: LiveServer, make_page: Any, viewport: str, locale: str, lang: str
) -> None:
    """A case sent to Alan, who is removed since: the note goes to the others and says so."""
    from candor import roster

    ada, alan = person(server, "Ada Lovelace"), person(server, "Alan Turing")
    submit(server)
    admin = server.client(ada)
    admin.call("DELETE", f"/v1/team/members/{alan.member_id}")
    members = admin.call("GET", "/v1/team/members")["members"]
    unsigned = roster.next_manifest(server.manifest, members, datetime.now(UTC).date())
    signed = roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed)
    admin.call("PUT", "/v1/team/manifest", signed)

    page, _ = make_page(origin(server), viewport=viewport, locale=locale)
    unlock(page, server, ada)
    open_only_case(page)
    page.click("#compose-tab-note")
    page.fill("#note-text", "Alan left the company; he no longer reads this case.")
    page.click("#note-send")
    page.wait_for_selector("#case-notes li.message[data-verdict=ok]")
    status = page.inner_text("#note-status")
    assert "Alan Turing" in status, status
    assert WORDS[lang]["removed"] in status
