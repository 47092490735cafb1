"""Issue 17: two admins of a team whose manifest needs two signatures review
and sign a release of the pages in the console, against `candor serve`:
each sees every file with its hash and whether the served file matches,
the manifest version, the dates and the signatures; a served file that
differs is marked and cannot be signed; the proposal passes from one admin
to the next as a file; the complete release publishes with `candor release
publish`, and `candor verify-page` then passes. As in the cloud, where new
pages are served only once signed, an admin compares the proposal with
their own build's folder instead, signs on that basis, and a build with one
changed byte blocks signing, naming the file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from candor import release as rel
from candor import roster
from candor.__main__ import main
from tests.browser.conftest import ROOT, run_axe
from tests.support.live import LiveMember, LiveServer, start_live_server
from tests.support.team import Team, make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MEMBERS = (
    ("Ada Lovelace", "Legal", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Edsger Dijkstra", "Compliance", "admin"),
)
EN = json.loads((ROOT / "frontend" / "i18n" / "en.json").read_text())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    team = make_team(MEMBERS)
    unsigned = roster.unsigned_manifest(1, datetime.now(UTC).date(),
                                        [m.card for m in team.members], 2)
    for admin in [m for m in team.members if m.role == "admin"]:
        unsigned = roster.sign_manifest(unsigned, admin.id, admin.key.signing_seed)
    server = start_live_server(tmp_path, Team(team.members, dict(unsigned)))
    yield server
    server.stop()


def member(live: LiveServer, first_name: str) -> LiveMember:
    (found,) = [m for m in live.team if m.name.startswith(first_name)]
    return found


def open_proposal(make_page: Any, live: LiveServer, who: LiveMember, proposal: Path) -> Any:
    """`who`'s console, unlocked, on the Team page with `proposal` opened."""
    page, watch = make_page(live.url)
    watch.expect_error("404")  # no manifest proposal waits (GET /v1/team/manifest/proposal)
    page.goto(live.url + "/console/")
    page.set_input_files("#keyfile", str(who.keyfile_path))
    page.fill("#passphrase", who.passphrase)
    page.click("#unlock")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=90000)
    page.click("#tab-team")
    page.wait_for_selector("#releases", state="visible")
    page.set_input_files("#release-file", str(proposal))
    page.wait_for_selector("#release-review:not([hidden])")
    return page


def rows(page: Any) -> dict[str, tuple[str, str]]:
    """path -> (hash shown, live state) of the release's file table."""
    found = page.eval_on_selector_all(
        "#release-files tr",
        "rows => rows.map(r => [r.dataset.path, r.querySelector('.hash').textContent,"
        " r.dataset.live])")
    return {path: (digest, live) for path, digest, live in found}


def builds(page: Any) -> dict[str, str]:
    """path -> state in the admin's build, of every row of the release's file table."""
    found = page.eval_on_selector_all(
        "#release-files tr", "rows => rows.map(r => [r.dataset.path, r.dataset.build])")
    return dict(found)


def choose_build(page: Any, folder: Path) -> None:
    page.set_input_files("#release-build", str(folder))
    page.wait_for_selector("#release-files tr[data-build=match]")


def sign(page: Any, tmp_path: Path, name: str) -> Path:
    with page.expect_download() as download:
        page.click("#release-sign")
    path = tmp_path / name
    download.value.save_as(path)
    return path


def test_two_admins_sign_a_release_in_the_console_and_it_verifies(
    make_page: Any, live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest_file = live.data_dir.parent / "manifest.json"
    proposal = tmp_path / "proposal.json"
    assert main(["release", "propose", str(proposal), "--site", str(live.site_dir),
                 "--manifest", str(manifest_file)]) == 0
    unsigned = json.loads(proposal.read_text())
    assert unsigned["sigs"] == []

    ada = open_proposal(make_page, live, member(live, "Ada"), proposal)
    shown = rows(ada)
    assert {p: h for p, (h, _) in shown.items()} == unsigned["assets"]
    assert {state for _, state in shown.values()} == {"match"}
    summary = ada.inner_text("#release-summary")
    assert f"Release 1, issued {unsigned['issued']}, valid until {unsigned['expires']}" in summary
    assert "team manifest version 1" in summary and rel.fingerprint(unsigned) in summary
    assert EN["console.release.first"] in summary
    assert "Signed so far: 0 of 2" in summary
    assert run_axe(ada) == []
    first = sign(ada, tmp_path, "after-ada.json")
    signed_by = [s["member"] for s in json.loads(first.read_text())["sigs"]]
    assert signed_by == [member(live, "Ada").member_id]
    assert "1 more signature(s) needed" in ada.inner_text("#release-status")
    assert ada.is_hidden("#release-sign")  # signed once

    # One changed byte served: marked, and nobody can sign it.
    [script] = (live.site_dir / "assets").glob("report-*.js")
    original = script.read_bytes()
    script.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    edsger = open_proposal(make_page, live, member(live, "Edsger"), first)
    assert rows(edsger)[f"assets/{script.name}"][1] == "differs"
    assert edsger.is_disabled("#release-sign")
    assert EN["console.release.mismatch"] in edsger.inner_text("#release-basis")
    script.write_bytes(original)

    edsger.set_input_files("#release-file", [])
    edsger.set_input_files("#release-file", str(first))
    edsger.wait_for_selector("#release-files tr[data-live=differs]", state="detached")
    assert "Signed so far: 1 of 2 (Ada Lovelace (Legal))" in edsger.inner_text("#release-summary")
    complete = sign(edsger, tmp_path, "after-edsger.json")
    assert "has all the signatures it needs" in edsger.inner_text("#release-status")

    assert main(["release", "publish", str(complete), "--site", str(live.site_dir),
                 "--manifest", str(manifest_file)]) == 0
    published = json.loads((live.site_dir / "release.json").read_text())
    assert len(published["sigs"]) == 2
    anchor = tmp_path / "anchor.json"
    anchor.write_text(json.dumps(published))
    capsys.readouterr()
    assert main(["verify-page", live.url, "--anchor", str(anchor)]) == 0
    assert "release 1 signs them" in capsys.readouterr().out


def test_admins_sign_against_their_own_build_when_the_served_pages_differ(
    make_page: Any, live: LiveServer, tmp_path: Path
) -> None:
    manifest_file = live.data_dir.parent / "manifest.json"
    proposal = tmp_path / "proposal.json"
    assert main(["release", "propose", str(proposal), "--site", str(live.site_dir),
                 "--manifest", str(manifest_file)]) == 0
    assets = json.loads(proposal.read_text())["assets"]
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(live.site_dir, rebuilt)
    # As in the cloud: the server still serves the pages of before.
    [script] = (live.site_dir / "assets").glob("report-*.js")
    script.write_bytes(script.read_bytes() + b"// the previous release\n")

    ada = open_proposal(make_page, live, member(live, "Ada"), proposal)
    assert rows(ada)[f"assets/{script.name}"][1] == "differs"
    assert set(builds(ada).values()) == {""}
    assert ada.is_disabled("#release-sign")
    assert EN["console.release.mismatch"] in ada.inner_text("#release-basis")
    choose_build(ada, rebuilt)
    assert builds(ada) == {path: "match" for path in assets}
    assert rows(ada)[f"assets/{script.name}"][1] == "differs"  # still shown, no longer needed
    assert ada.is_enabled("#release-sign")
    basis = ada.inner_text("#release-basis")
    assert EN["console.release.build_headers.match"] in basis
    assert EN["console.release.basis.build"].replace("{folder}", "rebuilt") in basis
    assert run_axe(ada) == []
    first = sign(ada, tmp_path, "after-ada.json")
    assert "1 more signature(s) needed" in ada.inner_text("#release-status")

    # One changed byte in Edsger's build: marked, named, and not signable.
    tampered = tmp_path / "tampered"
    shutil.copytree(rebuilt, tampered)
    styles = sorted((tampered / "assets").glob("*.css"))[0]
    data = styles.read_bytes()
    styles.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    name = styles.relative_to(tampered).as_posix()
    edsger = open_proposal(make_page, live, member(live, "Edsger"), first)
    choose_build(edsger, tampered)
    assert {p: s for p, s in builds(edsger).items() if s != "match"} == {name: "differs"}
    assert edsger.is_disabled("#release-sign")
    assert f"Your build (tampered) does not match the proposal, first at {name}" in (
        edsger.inner_text("#release-basis"))
    assert run_axe(edsger) == []

    # An extra file the release would serve blocks it too; the identical build signs.
    extra = tmp_path / "extra"
    shutil.copytree(rebuilt, extra)
    (extra / "stray.html").write_text("<p>not in the release</p>")
    choose_build(edsger, extra)
    assert builds(edsger)["stray.html"] == "extra"
    assert edsger.is_disabled("#release-sign")
    choose_build(edsger, rebuilt)
    edsger.wait_for_selector("#release-files tr[data-build=extra]", state="detached")
    complete = sign(edsger, tmp_path, "after-edsger.json")
    assert "has all the signatures it needs" in edsger.inner_text("#release-status")
    # The release the two builds back publishes beside that build: threshold met, site identical.
    assert main(["release", "publish", str(complete), "--site", str(rebuilt),
                 "--manifest", str(manifest_file)]) == 0
