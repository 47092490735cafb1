"""Issue 17: the single-file offline verifier, opened from file:// in
Chromium, checks `candor serve`'s pages: it passes on the genuine site,
fails naming the file after one byte of served JavaScript changed, and
fails after the release chain was rolled back past its anchor. Its own
CSP lets it reach the site alone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from candor import release as rel
from tests.browser.conftest import ROOT, run_axe
from tests.support.live import LiveServer
from tests.support.release import build, release_live

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(live_server: LiveServer) -> LiveServer:
    return live_server


def verifier(live: LiveServer, anchor: dict[str, Any], out: Path) -> Path:
    """`node frontend/build-verifier.mjs` pinned to `anchor` and the live site."""
    anchor_file = out.with_suffix(".anchor.json")
    anchor_file.write_text(json.dumps(anchor))
    subprocess.run(["node", "frontend/build-verifier.mjs", "--anchor", str(anchor_file),
                    "--url", live.url, "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True)
    return out


def check(browser: Any, page_file: Path, axe: bool = False) -> tuple[str, str, list[str]]:
    """Open the saved verifier from disk, press the button: (outcome, text,
    requests); with `axe`, the result shown has no serious axe finding."""
    context = browser.new_context(service_workers="block")
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(page_file.as_uri())
    page.click("#check")
    page.wait_for_selector("#result[data-outcome=pass], #result[data-outcome=fail]")
    outcome = page.get_attribute("#result", "data-outcome") or ""
    text = page.inner_text("#result")
    assert not axe or run_axe(page) == []
    context.close()
    # A failed check logs nothing but the failing fetch of a file the site lacks.
    assert not [e for e in errors if "Content Security Policy" in e], errors
    return outcome, text, requests


def test_the_offline_verifier_passes_then_names_a_changed_byte_of_javascript(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    first = release_live(live, 1)
    page_file = verifier(live, first, tmp_path / "verify.html")
    html = page_file.read_text()
    assert "<script src" not in html and "<link" not in html  # one self-contained file
    outcome, text, requests = check(browser, page_file, axe=True)
    assert outcome == "pass", text
    assert f"exactly what release 1 signs (fingerprint {rel.fingerprint(first)}" in text
    served = {u for u in requests if not u.startswith("file:")}
    assert all(u.startswith(live.url + "/") for u in served), served
    assert {f"{live.url}/{p}" for p in first["assets"]} <= served
    assert {f"{live.url}/", f"{live.url}/console/", f"{live.url}/v1/manifest"} <= served

    [script] = (live.site_dir / "assets").glob("report-*.js")
    body = bytearray(script.read_bytes())
    body[len(body) // 2] ^= 1
    script.write_bytes(bytes(body))
    outcome, text, _ = check(browser, page_file, axe=True)
    assert outcome == "fail"
    assert text == f"NOT verified: assets/{script.name}: differs from release 1"


def test_the_offline_verifier_sees_a_rolled_back_chain(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    first = release_live(live, 1)
    build(live.site_dir, live.data_dir.parent / "manifest.json",
          {"v": 1, "contact": "The ombudsperson, room 4", "outside_contact": None,
           "organisation": None})
    second = release_live(live, 2)
    page_file = verifier(live, second, tmp_path / "verify-2.html")
    assert check(browser, page_file)[0] == "pass"
    # release 1 pinned follows 1 -> 2 as well
    assert check(browser, verifier(live, first, tmp_path / "verify-1.html"))[0] == "pass"

    # The whole chain back at release 1 (its pages are gone, but the chain
    # is read first): the verifier pinned at release 2 sees the rollback.
    shutil.copy(live.site_dir / "releases" / "1.json", live.site_dir / "release.json")
    (live.site_dir / "releases" / "2.json").unlink()
    outcome, text, _ = check(browser, page_file)
    assert outcome == "fail"
    assert text == ("NOT verified: release.json: release 1 is older than the anchor's "
                    "release 2: the site was rolled back")
