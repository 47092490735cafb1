"""`candor verify-page` against `candor serve` (issue 17): the genuine site
passes; one changed byte of served JavaScript, an older release's HTML and a
rolled-back release chain each fail, naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from candor.__main__ import main
from tests.support.live import LiveServer
from tests.support.release import build, release_live


@pytest.fixture
def live(live_server: LiveServer) -> LiveServer:
    return live_server


def _verify(live: LiveServer, anchor: dict[str, Any], tmp_path: Path) -> int:
    path = tmp_path / "anchor.json"
    path.write_text(json.dumps(anchor))
    return main(["verify-page", live.url, "--anchor", str(path)])


def test_the_genuine_site_passes_and_one_changed_byte_of_javascript_fails(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = release_live(live, 1)
    assert _verify(live, first, tmp_path) == 0
    assert "release 1 signs them" in capsys.readouterr().out

    [script] = (live.site_dir / "assets").glob("report-*.js")
    body = bytearray(script.read_bytes())
    body[len(body) // 2] ^= 1
    script.write_bytes(bytes(body))
    assert _verify(live, first, tmp_path) == 1
    assert f"candor: assets/{script.name}: differs from release 1" in capsys.readouterr().err


def test_an_older_release_s_html_and_a_rolled_back_chain_fail(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = release_live(live, 1)
    old_html = tmp_path / "index-1.html"
    shutil.copy(live.site_dir / "index.html", old_html)
    build(live.site_dir, live.data_dir.parent / "manifest.json",
          {"v": 1, "contact": "The ombudsperson, room 4", "outside_contact": None,
           "organisation": None})
    second = release_live(live, 2)
    assert _verify(live, first, tmp_path) == 0  # release 1 -> 2 follows
    capsys.readouterr()

    current_html = (live.site_dir / "index.html").read_bytes()
    shutil.copy(old_html, live.site_dir / "index.html")
    assert _verify(live, first, tmp_path) == 1
    assert "candor: index.html: differs from release 2" in capsys.readouterr().err
    (live.site_dir / "index.html").write_bytes(current_html)

    # The whole site back at release 1, pages and chain: a reader holding
    # release 2 (checked out of band) sees the rollback.
    (live.site_dir / "release.json").write_text(json.dumps(first))
    (live.site_dir / "releases" / "2.json").unlink()
    assert _verify(live, second, tmp_path) == 1
    assert ("candor: release.json: release 1 is older than the anchor's release 2: "
            "the site was rolled back") in capsys.readouterr().err


def test_a_release_not_signed_by_the_team_fails(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = release_live(live, 1)
    forged = {**first, "expires": first["issued"]}  # changed after the admins signed it
    (live.site_dir / "release.json").write_text(json.dumps(forged))
    (live.site_dir / "releases" / "1.json").write_text(json.dumps(forged))
    assert _verify(live, first, tmp_path) == 1  # a reader who pinned the genuine release
    assert "candor: releases/1.json: differs from the anchor" in capsys.readouterr().err
    assert _verify(live, forged, tmp_path) == 1  # a reader handed the forged one
    err = capsys.readouterr().err
    assert err.startswith("candor: release chain: release 1: ") and "bad signature" in err



def test_pages_served_without_a_header_the_release_signs_fail(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The server read headers.json when it started; the release signs a
    # header set with one more header, which the hosting does not send.
    headers_file = live.site_dir / "headers.json"
    headers = json.loads(headers_file.read_text())
    headers["Cross-Origin-Embedder-Policy"] = "require-corp"
    headers_file.write_text(json.dumps(headers))
    first = release_live(live, 1)
    assert first["headers"]["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert _verify(live, first, tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("candor: assets/")
    assert "header Cross-Origin-Embedder-Policy differs from release 1" in err


def test_the_console_served_with_another_path_header_than_the_release_signs_fails(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The release signs headers.json's paths (the console's Permissions-Policy);
    # the hosting still serves what it read when it started.
    headers_file = live.site_dir / "headers.json"
    headers = json.loads(headers_file.read_text())
    served = headers["paths"]["console/*"]["Permissions-Policy"]
    headers["paths"]["console/*"]["Permissions-Policy"] = served.replace("usb=()", "usb=(self)")
    headers_file.write_text(json.dumps(headers))
    first = release_live(live, 1)
    assert _verify(live, first, tmp_path) == 1
    assert capsys.readouterr().err == (
        "candor: console/index.html: header Permissions-Policy differs from release 1\n")
