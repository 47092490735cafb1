"""The reporter pages stay light: a frightened reporter on a bad phone
network downloads the page bundle before reading a word, so the document
and video cleaners (pdf-lib and its fonts, the XML parser, the zip reader)
live only in the "clean" worker script (frontend/src/workers/clean.ts),
which the pages load when a file needs it. Built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from candor.opscli import build_site
from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]

# Code that only the cleaners bring, as it survives minification: pdf-lib's
# class name and its standard fonts, xmldom's XML namespace, fflate's error.
HEAVY_MARKERS = {
    "pdf-lib": ["PDFDocument", "Helvetica-Bold"],
    "@xmldom/xmldom": ["http://www.w3.org/XML/1998/namespace"],
    "fflate": ["invalid zip data"],
}
# The report page's bundle, less its built-in catalogues (which grow with
# each language): about 215 KB minified with the cleaners in the worker,
# about 700 KB when they were bundled into the page.
MAX_PAGE_CODE_BYTES = 300_000


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory, team: Team) -> Path:
    out = tmp_path_factory.mktemp("site")
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps(team.manifest))
    build_site(manifest, out / "site")
    return out / "site" / "assets"


def catalogue_bytes() -> int:
    """The catalogues as the bundle embeds them (compact JSON, UTF-8)."""
    return sum(
        len(
            json.dumps(
                json.loads(p.read_text("utf-8")), ensure_ascii=False, separators=(",", ":")
            ).encode()
        )
        for p in (ROOT / "frontend" / "i18n").glob("*.json")
    )


def one(assets: Path, name: str) -> str:
    [script] = assets.glob(f"{name}-*.js")
    return script.read_text(encoding="utf-8")


def test_reporter_pages_hold_no_document_cleaner_and_name_the_clean_worker(assets: Path) -> None:
    worker = one(assets, "clean")
    [worker_name] = [p.name for p in assets.glob("clean-*.js")]
    for page in ("report", "followup"):
        code = one(assets, page)
        for library, markers in HEAVY_MARKERS.items():
            for marker in markers:
                assert marker not in code, f"{page} bundle holds {library} ({marker!r})"
                assert marker in worker, f"the clean worker lacks {library} ({marker!r})"
        # The page starts the worker by its hashed name, and still cleans pictures itself.
        assert worker_name in code
        assert "GPSLatitude" in code


def test_report_page_bundle_is_under_its_bound(assets: Path) -> None:
    size = len(one(assets, "report").encode())
    code = size - catalogue_bytes()
    print(f"report bundle {size} bytes, {code} without its catalogues")
    assert 0 < code < MAX_PAGE_CODE_BYTES, f"report page code is {code} bytes"
