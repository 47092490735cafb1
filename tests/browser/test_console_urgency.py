"""The console inbox's urgency and "awaiting the team" (issue 12), in
Debian's Chromium against `candor serve`, in English and in German: three
cases of different urgency, one where the reporter wrote after the team's
reply, one received five days ago so its acknowledgement falls due within
two days. Sorting by urgency puts the questionnaire's most urgent level
first; the urgency filter and the "awaiting the team" filter keep the right
rows; the marker and the due-soon words show (not colour alone); axe finds
nothing serious. The filtering logic itself is node-tested
(tests/js/inbox-sort.test.mjs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.browser.conftest import ROOT, run_axe, screenshot
from tests.browser.test_console import FORM, member, origin, submit, unlock
from tests.support.live import start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCALES = {"en": "en-US", "de": "de-DE"}
CATALOGUES = {
    lang: json.loads((ROOT / "frontend" / "i18n" / f"{lang}.json").read_text()) for lang in LOCALES
}
URGENCY = next(
    f for f in json.loads((ROOT / "frontend" / "questionnaire.json").read_text())["fields"]
    if f["key"] == "urgency"
)
LEVELS = [o["value"] for o in URGENCY["options"]]
TEAM = (("Ada Lovelace", "Legal", "admin"),)


def label(value: str, lang: str) -> str:
    return str(next(o for o in URGENCY["options"] if o["value"] == value)["label"][lang])


def submit_in_the_past(server: Any, days: int, form: dict[str, str]) -> None:
    """A report received `days` ago: the API in-process on the server's data, on that
    day's clock (the server, idle meanwhile, reads the same SQLite store)."""
    from candor import reporter
    from candor.client import ApiClient, InProcessTransport
    from chalicelib.domain.cases import Context
    from chalicelib.store.local import LocalCaseStore

    then = datetime.now(UTC) - timedelta(days=days)
    store = LocalCaseStore(server.data_dir)
    api = ApiClient(InProcessTransport(store, ctx=Context(store, clock=lambda: then)))
    reporter.submit(api, server.manifest, form)


def case_ids(server: Any, who: Any) -> set[str]:
    return {c["id"] for c in server.team_get(who, "/v1/team/cases")["cases"]}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    from candor import reporter
    from candor.client import ApiClient, HttpTransport

    assert LEVELS[0] == "immediate"  # the questionnaire's most urgent level comes first
    server = start_live_server(tmp_path_factory.mktemp("urgency"), make_team(TEAM))
    ada = member(server, "Ada")
    # Received five days ago: acknowledge by two days from now.
    submit_in_the_past(server, 5, {**FORM, "summary": "Acknowledge soon.", "urgency": "normal"})
    submit(server, form={**FORM, "summary": "Harm right now.", "urgency": "immediate"})
    before = case_ids(server, ada)
    asked = submit(server, form={**FORM, "summary": "Within days, asked again.", "urgency": "soon"})
    (asked_id,) = case_ids(server, ada) - before
    # The team replied, then the reporter wrote again: the team owes the next answer.
    server.reply_as(ada, asked_id, "Thank you, we are looking into it.")
    api = ApiClient(HttpTransport(server.url))
    reporter.follow_up(api, asked.receipt, server.manifest).send("Any news?")
    yield SimpleNamespace(server=server, ada=ada)
    server.stop()


def t(lang: str, key: str) -> str:
    return str(CATALOGUES[lang][key])


def shown(page: Any) -> list[str]:
    """The urgency values of the rows shown, top to bottom."""
    rows = "#inbox-rows tr[data-case]"
    return list(page.eval_on_selector_all(rows, "rs => rs.map(r => r.dataset.urgency)"))


def row_text(page: Any, urgency: str) -> str:
    return str(page.inner_text(f"#inbox-rows tr[data-urgency={urgency}]"))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_urgency_sort_filters_and_markers(
    make_page: Any, inbox: SimpleNamespace, lang: str
) -> None:
    page, _ = make_page(origin(inbox.server), locale=LOCALES[lang])
    unlock(page, inbox.server, inbox.ada)
    page.wait_for_selector("#inbox-rows tr[data-urgency=normal]")

    # Most urgent first, in the questionnaire's order, the level named in the reader's language.
    page.select_option("#f-sort", "urgency")
    assert shown(page) == ["immediate", "soon", "normal"]
    first = page.query_selector_all("#inbox-rows tr[data-case]")[0]
    assert label("immediate", lang) in first.inner_text()
    assert page.inner_text("#f-sort option[value=urgency]") == t(lang, "console.sort.urgency")

    # The markers in words: the reporter wrote last on one case; one acknowledgement is due soon.
    awaiting = t(lang, "console.inbox.awaiting")
    ack_soon = t(lang, "console.inbox.acknowledge_soon")
    assert awaiting in row_text(page, "soon")
    assert ack_soon in row_text(page, "normal")
    assert awaiting not in row_text(page, "immediate") + row_text(page, "normal")
    assert ack_soon not in row_text(page, "immediate") + row_text(page, "soon")
    assert page.get_attribute("#inbox-rows tr[data-urgency=normal]", "class") == "due-soon"

    page.select_option("#f-urgency", "immediate")
    assert shown(page) == ["immediate"]
    page.select_option("#f-urgency", "normal")
    assert shown(page) == ["normal"]
    page.select_option("#f-urgency", "")
    page.check("#f-awaiting")
    assert shown(page) == ["soon"]
    assert page.inner_text("label[for=f-awaiting]") == t(lang, "console.inbox.awaiting_only")
    assert run_axe(page) == []
    screenshot(page, f"console-urgency-{lang}")
    page.uncheck("#f-awaiting")
    assert shown(page) == ["immediate", "soon", "normal"]
