"""`candor release poster` (issue 17): the intranet poster carries the
reporter page's address as a QR code that an independent decoder (zxing-cpp)
reads back, and both fingerprints; a release the manifest's admins did not
sign gets no poster."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from candor import release as rel
from candor.__main__ import main
from chalicelib import manifest as mf
from tests.support.team import Team

URL = "https://whistle.example.org/"
QR_DATA = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def code(poster: str, element_id: str) -> str:
    found = re.search(rf'<code id="{element_id}">([^<]*)</code>', poster)
    assert found, element_id
    return found.group(1)


def test_the_poster_carries_the_address_as_a_qr_code_and_both_fingerprints(
        tmp_path: Path, team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Candor</title>")
    (site / "headers.json").write_text(json.dumps({"X-Frame-Options": "DENY"}))
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(team.manifest))
    unsigned = rel.unsigned_release(site, team.manifest, None, datetime.now(UTC).date())
    release_path, poster_path = tmp_path / "release.json", tmp_path / "poster.html"

    release_path.write_text(json.dumps(unsigned))
    args = ["release", "poster", str(release_path), "--url", URL, "--manifest",
            str(manifest_path), "-o", str(poster_path)]
    assert main(args) == 1
    assert "no poster" in capsys.readouterr().err and not poster_path.exists()

    signed = rel.sign_release(unsigned, team.admin.id, team.admin.key.signing_seed)
    release_path.write_text(json.dumps(signed))
    assert main(args) == 0
    poster = poster_path.read_text(encoding="utf-8")
    assert code(poster, "release-fingerprint") == rel.fingerprint(signed)
    assert code(poster, "manifest-fingerprint") == mf.fingerprint(team.manifest)

    (png,) = QR_DATA.findall(poster)
    image = Image.open(io.BytesIO(base64.b64decode(png))).convert("L")
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [URL]
