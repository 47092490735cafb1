"""Routes in Chromium against ``candor serve`` (protocol §4.5, Routes; issue
12): with a manifest routing harassment to HR, the page offers only HR and
the admin, shows who will read the report before it is sent, and seals it
to them only; the other member does not see the case listed. The console's
team view shows the routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import roster
from tests.browser.report_site import t
from tests.browser.test_console import unlock
from tests.support.live import LiveMember, LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path, make_team())  # Ada (admin), Grace, Alan (HR)
    try:
        yield live
    finally:
        live.stop()


def _member(server: LiveServer, first_name: str) -> LiveMember:
    return next(m for m in server.team if m.name.startswith(first_name))


def _route_harassment_to_hr(server: LiveServer) -> None:
    """Ada publishes version 2 with a route: the page takes it through the chain."""
    ada, alan = _member(server, "Ada"), _member(server, "Alan")
    s = server.session(ada)
    members = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, members, s.today(),
                                    routes={"harassment": [alan.member_id]})
    signed = roster.sign_manifest(unsigned, ada.member_id, ada.keyfile.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", signed)


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
