"""The pages' header set comes from frontend/headers.json (protocol §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from candor_infra.headers import (
    HeadersFileInvalid,
    load_page_headers,
    served_file,
    with_storage_origins,
)
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


def test_paths_get_the_whole_set_with_their_changes(tmp_path: Path) -> None:
    path = tmp_path / "headers.json"
    path.write_text(json.dumps({
        "headers": {"Content-Security-Policy": "default-src 'none'; script-src 'self'",
                    "Permissions-Policy": "usb=()", "Access-Control-Allow-Origin": "*",
                    "Access-Control-Expose-Headers": "*"},
        "paths": {"console/*": {"permissions-policy": "usb=(self)"},
                  "assets/clean-*.js": {
                      "Content-Security-Policy": "script-src 'self' 'wasm-unsafe-eval'"}}}))
    page = load_page_headers(path, [ORIGIN])
    assert page.allow_origin == "*" and "Access-Control-Allow-Origin" not in page.custom
    assert page.expose_headers == "*" and "Access-Control-Expose-Headers" not in page.custom
    console, worker = page.paths["/console/*"], page.paths["/assets/clean-*.js"]
    assert console.custom == {"Permissions-Policy": "usb=(self)"} and console.csp == page.csp
    assert console.allow_origin == "*"
    assert directives(worker.csp)["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert directives(worker.csp)["connect-src"] == ["'self'", ORIGIN]  # every CSP gets it
    assert worker.custom == page.custom

    file = served_file(page)  # what the deploy writes into the build for the release
    assert file["Access-Control-Allow-Origin"] == file["Access-Control-Expose-Headers"] == "*"
    assert file["Permissions-Policy"] == "usb=()"
    assert file["paths"] == {"console/*": {"Permissions-Policy": "usb=(self)"},
                             "assets/clean-*.js": {"Content-Security-Policy": worker.csp}}
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"headers": {"Content-Security-Policy": "default-src 'none'"}}))
    assert "paths" not in served_file(load_page_headers(plain, []))


def test_the_frontend_file_opens_passkeys_on_the_console_only() -> None:
    page = load_page_headers(HEADERS, [ORIGIN])
    blocked = ("publickey-credentials-get=()", "publickey-credentials-create=()")
    assert all(b in page.custom["Permissions-Policy"] for b in blocked)
    console = page.paths["/console/*"].custom["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in console
    assert "publickey-credentials-create=(self)" in console
    opened = {f"publickey-credentials-{w}=(self)" for w in ("get", "create")}
    assert set(console.split(", ")) - opened == set(page.custom["Permissions-Policy"].split(
        ", ")) - set(blocked)


def test_paths_of_another_shape_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "headers.json"
    path.write_text(json.dumps({"headers": {"Content-Security-Policy": "default-src 'none'"},
                                "paths": {"console/*": "usb=()"}}))
    with pytest.raises(HeadersFileInvalid):
        load_page_headers(path, [])
