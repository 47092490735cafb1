"""Routes in Chromium against ``candor serve`` (protocol §4.5, Routes; issue
12): with a manifest routing harassment to HR, the page offers only HR and
the admin, shows who will read the report before it is sent, and seals it
to them only; the other member does not see the case listed. The console's
team view shows the routes. The landing page says who reads each kind of
incident, and the console grants a routed case beyond its route, never to
the route's member the reporter left out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import roster
from tests.browser.report_site import t
from tests.browser.test_console import submit, unlock
from tests.support.live import LiveMember, LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser]
QUESTIONNAIRE = json.loads(
    (Path(__file__).resolve().parents[2] / "frontend" / "questionnaire.json").read_text())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path, make_team())  # Ada (admin), Grace, Alan (HR)
    try:
        yield live
    finally:
        live.stop()


def _member(server: LiveServer, first_name: str) -> LiveMember:
    return next(m for m in server.team if m.name.startswith(first_name))


def _route_harassment_to_hr(server: LiveServer) -> dict[str, Any]:
    """Ada publishes version 2 with a route: the page takes it through the chain."""
    ada, alan = _member(server, "Ada"), _member(server, "Alan")
    s = server.session(ada)
    members = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, members, s.today(),
                                    routes={"harassment": [alan.member_id]})
    signed = roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", signed)
    return dict(signed)


def _offered(page: Any) -> list[str]:
    return sorted(page.eval_on_selector_all("#members input", "boxes => boxes.map(b => b.value)"))


def test_a_harassment_report_is_sealed_to_hr_and_the_admin_only(
    server: LiveServer, make_page: Any
) -> None:
    _route_harassment_to_hr(server)
    ada, grace, alan = (_member(server, n) for n in ("Ada", "Grace", "Alan"))
    page, watch = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    page.click("#start")
    assert page.is_visible("#route-note")
    assert page.inner_text("#route-note") == t("en", "exclude.routed")
    page.select_option("#q-category-input", "account_compromised")  # no route: admins only
    assert _offered(page) == [ada.member_id]
    page.select_option("#q-category-input", "harassment")
    assert _offered(page) == sorted([ada.member_id, alan.member_id])
    page.fill("#q-summary-input", "A manager shouts at interns.")
    page.fill("#q-details-input", "Every Monday meeting since March.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "soon")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    readers = page.eval_on_selector_all("#review-access li", "li => li.map(i => i.textContent)")
    assert len(readers) == 2
    assert any(ada.name in r for r in readers) and any(alan.name in r for r in readers)
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)

    assert server.team_get(grace, "/v1/team/cases")["cases"] == []
    (case,) = server.team_get(alan, "/v1/team/cases")["cases"]
    assert sorted(case["access"]) == sorted([ada.member_id, alan.member_id])
    assert [c["id"] for c in server.team_get(ada, "/v1/team/cases")["cases"]] == [case["id"]]
    watch.check()

    console, _ = make_page(server.url)
    unlock(console, server, ada)
    console.click("#tab-team")
    route = "#team-routes li[data-route=harassment]"
    console.wait_for_selector(route)
    assert console.inner_text(route) == t("en", "console.team.routes.line", category="harassment",
                                          names=alan.name)


def _label(category: str, lang: str) -> str:
    """The questionnaire's name for a kind of incident, as the page shows it."""
    field = next(f for f in QUESTIONNAIRE["fields"] if f["key"] == "category")
    return str(next(o for o in field["options"] if o["value"] == category)["label"][lang])


def _landing(page: Any) -> dict[str, list[str]]:
    """The landing list: each item's heading (none without routes) → names."""
    return dict(page.eval_on_selector_all("#intro-readers > li", """items => items.map(li => [
        li.querySelector('strong')?.textContent ?? '',
        [...li.querySelectorAll('li')].map(n => n.textContent)])"""))


def test_the_landing_page_says_who_reads_each_kind_of_report(
    server: LiveServer, make_page: Any
) -> None:
    ada, grace, alan = (_member(server, n) for n in ("Ada", "Grace", "Alan"))
    page, watch = make_page(server.url)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    names = page.eval_on_selector_all("#intro-readers > li", "li => li.map(i => i.textContent)")
    assert len(names) == 3 and all(any(m.name in n for n in names) for m in (ada, grace, alan))
    assert page.eval_on_selector("#intro-readers-routed", "p => p.hidden") is True

    _route_harassment_to_hr(server)
    page.goto(server.url + "/")
    page.wait_for_selector("#intro-readers li[data-route]", state="attached")
    page.click("#intro-readers-details > summary")
    assert page.is_visible("#intro-readers-routed")
    shown = _landing(page)
    assert page.inner_text("#intro-readers-routed") == t("en", "intro.readers.routed")
    assert list(shown) == [_label("harassment", "en"), t("en", "intro.readers.other")]
    hr, other = shown.values()
    assert sorted(n.split(" — ")[0] for n in hr) == sorted([ada.name, alan.name])
    assert len(other) == 1 and ada.name in other[0]
    assert grace.name not in page.inner_text("#intro-readers")

    page.click(".lang-btn[data-lang=de]")  # the kinds' names follow the language
    assert page.inner_text("#intro-readers-routed") == t("de", "intro.readers.routed")
    assert list(_landing(page)) == [_label("harassment", "de"), t("de", "intro.readers.other")]
    watch.check()


def test_the_console_grants_beyond_the_route_but_never_to_whom_the_reporter_left_out(
    server: LiveServer, make_page: Any
) -> None:
    routed = _route_harassment_to_hr(server)
    ada, grace, alan = (_member(server, n) for n in ("Ada", "Grace", "Alan"))
    form = {"category": "harassment", "summary": "Shouted at in meetings", "details": "Weekly."}
    submit(server, routed, form, exclude=[alan.member_id])  # HR left out: the admin alone
    console, watch = make_page(server.url)
    unlock(console, server, ada)
    console.click("#inbox-rows .case-link")
    console.wait_for_selector("#case-people-list li")
    assert alan.name in console.inner_text("#case-people")  # named as left out
    # Grace, outside the route, was never offered the report: she may be given it.
    offered = console.eval_on_selector_all("#grant-member option", "o => o.map(x => x.value)")
    assert offered == [grace.member_id]
    console.select_option("#grant-member", grace.member_id)
    console.click("#grant-send")
    console.wait_for_selector(f"#case-people-list li[data-member='{grace.member_id}']",
                              timeout=60000)
    (case,) = server.team_get(grace, "/v1/team/cases")["cases"]
    assert sorted(case["access"]) == sorted([ada.member_id, grace.member_id])
    watch.check()
