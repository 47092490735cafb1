"""The pages' header set comes from frontend/headers.json (protocol §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from candor_infra.headers import HeadersFileInvalid, load_page_headers, with_storage_origins
from conftest import REPO_ROOT

HEADERS = REPO_ROOT / "frontend" / "headers.json"
ORIGIN = "https://b.s3.eu-central-1.amazonaws.com"


def directives(csp: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in csp.split(";") if p.strip()}


def test_the_frontend_header_file_is_read_and_extended() -> None:
    raw = json.loads(HEADERS.read_text(encoding="utf-8"))["headers"]
    page = load_page_headers(HEADERS, [ORIGIN])
    got, want = directives(page.csp), directives(raw["Content-Security-Policy"])
    for name, values in want.items():
        if name != "connect-src":
            assert got[name] == values
    assert got["connect-src"] == [*want["connect-src"], ORIGIN]
    assert got["frame-ancestors"] == ["'none'"]
    assert "Content-Security-Policy" not in page.custom
    assert page.custom["Permissions-Policy"] == raw["Permissions-Policy"]


def test_connect_src_is_added_and_none_is_replaced() -> None:
    assert directives(with_storage_origins("default-src 'none'", [ORIGIN]))["connect-src"] == [
        "'self'",
        ORIGIN,
    ]
    csp = with_storage_origins("default-src 'none'; connect-src 'none'", [ORIGIN])
    assert directives(csp)["connect-src"] == ["'self'", ORIGIN]


@pytest.mark.parametrize(
    "body",
    [
        {"Content-Security-Policy": "default-src 'none'"},
        {"headers": {"Content-Security-Policy": "default-src 'none'"}},
        {"/*": {"Content-Security-Policy": "default-src 'none'"}},
        [{"key": "Content-Security-Policy", "value": "default-src 'none'"}],
    ],
)
def test_accepted_shapes(tmp_path: Path, body: object) -> None:
    path = tmp_path / "headers.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert load_page_headers(path, []).csp.startswith("default-src 'none'")


@pytest.mark.parametrize("body", ['{"Referrer-Policy": "no-referrer"}', "[1]", "{"])
def test_a_file_without_a_csp_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "headers.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(HeadersFileInvalid):
        load_page_headers(path, [])


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HeadersFileInvalid):
        load_page_headers(tmp_path / "absent.json", [])
