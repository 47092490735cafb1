"""A release's per-path header changes (protocol §4.8): candor/release.py
parses them as frontend/src/lib/release.ts does (tests/js/release-paths.test.mjs)
and picks the longest matching CloudFront path pattern."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from candor import release as rel

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "release.json").read_text())
BASE: dict[str, Any] = VECTORS["releases"]["r1"]
RELEASE: dict[str, Any] = {
    **BASE,
    "headers": {"Content-Security-Policy": "default-src 'none'", "Permissions-Policy": "usb=()"},
    "paths": {
        "console/*": {"Permissions-Policy": "usb=(self)"},
        "assets/*": {"X-Robots-Tag": "noindex"},
        "assets/clean-*.js": {"content-security-policy": "script-src 'wasm-unsafe-eval'"},
        "favicon.sv?": {"X-Robots-Tag": "all"},
    },
}


def headers_for(release: dict[str, Any], path: str) -> dict[str, str]:
    return rel.headers_for(release["headers"], release.get("paths", {}), path)


def test_the_longest_matching_pattern_changes_the_headers_it_names() -> None:
    assert headers_for(RELEASE, "console/") == {
        "Content-Security-Policy": "default-src 'none'", "Permissions-Policy": "usb=(self)"}
    assert headers_for(RELEASE, "console/index.html")["Permissions-Policy"] == "usb=(self)"
    assert headers_for(RELEASE, "") == RELEASE["headers"]
    assert headers_for(RELEASE, "consoles") == RELEASE["headers"]
    assert headers_for(RELEASE, "assets/clean-1a.js") == {
        "content-security-policy": "script-src 'wasm-unsafe-eval'", "Permissions-Policy": "usb=()"}
    assert headers_for(RELEASE, "assets/report-1a.js")["X-Robots-Tag"] == "noindex"
    assert headers_for(RELEASE, "favicon.svg")["X-Robots-Tag"] == "all"
    assert headers_for(BASE, "console/") == BASE["headers"]


def test_patterns_are_cloudfront_s() -> None:
    assert rel.pattern_matches("a*b", "a/x/b") and rel.pattern_matches("a*b", "ab")
    assert not rel.pattern_matches("a.b", "axb") and not rel.pattern_matches("a?b", "ab")
    assert not rel.pattern_matches("[a]", "a") and rel.pattern_matches("[a]", "[a]")


@pytest.mark.parametrize("paths", [{}, {"/console/*": {"A": "b"}}, {"../x": {"A": "b"}},
                                   {"console/*": {}}, [], {"console/*": {"A\n": "b"}}])
def test_paths_of_another_shape_are_refused(paths: object) -> None:
    with pytest.raises(rel.ReleaseInvalid):
        rel.parse_release({**RELEASE, "paths": paths})


def test_paths_is_optional() -> None:
    assert rel.parse_release(RELEASE)["paths"] == RELEASE["paths"]
    assert "paths" not in rel.parse_release(BASE)
    with pytest.raises(rel.ReleaseInvalid):
        rel.parse_release({**RELEASE, "extra": 1})
