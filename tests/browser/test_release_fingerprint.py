"""Issue 17: the reporter page shows the fingerprint of the signed release
served beside it, next to the team key fingerprint, as candor/release.py
computes it; a site without a release says so, and a release that does not
verify against the page's built-in manifest is a warning, not silence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from candor import release as rel
from tests.browser.report_site import t
from tests.support.live import LiveServer, start_live_server
from tests.support.release import release_site
from tests.support.team import Team

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(tmp_path: Any, team: Team) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path, team)
    yield server
    server.stop()


def open_landing(make_page: Any, live: LiveServer, shown: str) -> tuple[Any, Any]:
    """The reporter page once the release line ``shown`` is no longer hidden."""
    page, watch = make_page(live.url)
    page.goto(live.url + "/")
    page.wait_for_selector(f"#{shown}:not([hidden])", state="attached")
    page.click("#advanced > summary")
    return page, watch


def hidden(page: Any, *ids: str) -> list[bool]:
    return [page.evaluate(f"document.getElementById('{i}').hidden") for i in ids]


def test_the_release_fingerprint_beside_the_team_key_fingerprint(
    make_page: Any, live: LiveServer
) -> None:
    page, watch = open_landing(make_page, live, "release-none")
    assert f"GET {live.url}/release.json" in watch.requests  # answered 404
    assert page.inner_text("#release-none") == t("en", "release.none")
    assert hidden(page, "release", "release-invalid") == [True, True]
    page.close()

    admin = live.team[0]
    manifest = live.data_dir.parent / "manifest.json"
    released = release_site(live.site_dir, manifest, [admin.keyfile_path], admin.passphrase,
                            live.data_dir.parent / "proposal.json")
    page, _ = open_landing(make_page, live, "release")
    assert page.is_visible("#fingerprint") and page.is_visible("#release-fingerprint")
    assert page.inner_text("#release-fingerprint") == rel.fingerprint(released)
    assert page.inner_text("#release-version") == "1"
    assert t("en", "release.fingerprint") in page.inner_text("#release")
    assert hidden(page, "release-none", "release-invalid") == [True, True]
    page.close()

    # A release the admins did not sign as served (one field changed after signing).
    forged = {**released, "expires": released["issued"]}
    (live.site_dir / "release.json").write_text(json.dumps(forged))
    page, _ = open_landing(make_page, live, "release-invalid")
    assert page.is_visible("#release-invalid")
    assert page.inner_text("#release-invalid") == t("en", "release.invalid")
    assert hidden(page, "release", "release-none") == [True, True]
    assert page.inner_text("#release-fingerprint") == ""
