"""The offline verifier's build (frontend/build-verifier.mjs, docs/verify.md):
one self-contained file, the same bytes wherever it is built, whose own CSP
allows exactly its inline script and style and reaches the pinned site's
origin alone; a bad anchor or address stops the build."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = json.loads((ROOT / "tests" / "vectors" / "release.json").read_text())["releases"]["r1"]


def build(tmp: Path, url: str, anchor: object = ANCHOR,
          cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    anchor_file = tmp / "anchor.json"
    anchor_file.write_text(json.dumps(anchor))
    return subprocess.run(["node", str(ROOT / "frontend" / "build-verifier.mjs"), "--anchor",
                           str(anchor_file), "--url", url, "--out", str(tmp / "verify.html")],
                          cwd=cwd, capture_output=True, text=True)


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_one_self_contained_deterministic_file_with_its_own_csp(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert build(first, "https://whistle.example.org").returncode == 0
    assert build(second, "https://whistle.example.org/", cwd=second).returncode == 0
    html = (first / "verify.html").read_text()
    assert (second / "verify.html").read_text() == html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    directives = {d.split()[0]: d.split()[1:] for d in csp.group(1).split("; ")}
    [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == [sha256(script)]
    assert directives["style-src"] == [sha256(style)]
    assert directives["connect-src"] == ["https://whistle.example.org"]
    assert directives["trusted-types"] == ["'none'"]
    assert not re.search(r"<script[^>]*\ssrc=|<link|<img|<iframe", html)
    pinned = re.search(r'<script type="application/json" id="pinned">(.*?)</script>', html, re.S)
    assert pinned is not None
    assert json.loads(pinned.group(1)) == {"url": "https://whistle.example.org/", "anchor": ANCHOR}


@pytest.mark.parametrize(("url", "anchor"), [
    ("https://whistle.example.org/?x=1", ANCHOR),
    ("ftp://whistle.example.org/", ANCHOR),
    ("https://user:pw@whistle.example.org/", ANCHOR),
    ("https://whistle.example.org/", {**ANCHOR, "version": 0}),
    ("https://whistle.example.org/", {"kind": "candor-manifest"}),
])
def test_a_bad_address_or_anchor_stops_the_build(tmp_path: Path, url: str, anchor: object) -> None:
    done = build(tmp_path, url, anchor)
    assert done.returncode == 1 and "verifier build failed" in done.stderr
    assert not (tmp_path / "verify.html").exists()
