"""The pages' response headers, read from `frontend/headers.json`.

The frontend build owns the header set (protocol §6: strict CSP, no third-party
origin); CloudFront only serves it. The one thing the build cannot know is
the deployed object-storage origin that presigned uploads and downloads go
to (protocol §4), so it is added to `connect-src` here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Headers that CloudFront sets through its typed security-headers block; all
# others go in the policy's custom headers.
SECURITY_HEADERS = frozenset(
    {
        "content-security-policy",
        "strict-transport-security",
        "referrer-policy",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
    }
)
# Two years, the HSTS preload list's floor; used when headers.json has none.
DEFAULT_HSTS_SECONDS = 63_072_000
# CloudFront refuses a Content-Security-Policy longer than this.
CLOUDFRONT_CSP_MAX = 1783


class HeadersFileInvalid(ValueError):
    """`frontend/headers.json` is missing, malformed or lacks a required header."""


@dataclass(frozen=True)
class PageHeaders:
    """The headers CloudFront adds to every page response."""

    csp: str
    hsts_seconds: int
    hsts_subdomains: bool
    hsts_preload: bool
    custom: dict[str, str] = field(default_factory=dict)


def load_page_headers(path: Path, storage_origins: list[str]) -> PageHeaders:
    """Read the header set and add `storage_origins` to the CSP's connect-src.

    Raises HeadersFileInvalid when the file is absent, is not one of the
    accepted shapes, or has no Content-Security-Policy.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HeadersFileInvalid(f"{path}: {err}") from err
    headers = {name.lower(): value for name, value in _flatten(raw).items()}
    csp = headers.get("content-security-policy")
    if not csp:
        raise HeadersFileInvalid(f"{path}: no Content-Security-Policy")
    hsts = _parse_hsts(headers.get("strict-transport-security", ""))
    custom = {
        _canonical(name): value
        for name, value in _flatten(raw).items()
        if name.lower() not in SECURITY_HEADERS
    }
    return PageHeaders(
        csp=with_storage_origins(csp, storage_origins),
        hsts_seconds=hsts[0],
        hsts_subdomains=hsts[1],
        hsts_preload=hsts[2],
        custom=custom,
    )


def _flatten(raw: Any) -> dict[str, str]:
    """Accept `{"Name": "value"}`, `{"headers": {...}}`, `{"/*": {...}}` or
    `[{"key"|"name": ..., "value": ...}]`; raise HeadersFileInvalid otherwise."""
    if isinstance(raw, dict) and isinstance(raw.get("headers"), dict | list):
        return _flatten(raw["headers"])
    if isinstance(raw, list) and all(isinstance(h, dict) for h in raw):
        return _flatten({str(h.get("key", h.get("name"))): h.get("value") for h in raw})
    if not isinstance(raw, dict):
        raise HeadersFileInvalid("headers.json: expected an object of header names to strings")
    # Keys starting with "_" are comments.
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}
    if raw and all(isinstance(v, dict) for v in raw.values()):
        # Path-keyed (Netlify/_headers style): the catch-all entry applies to pages.
        return _flatten(raw.get("/*") or next(iter(raw.values())))
    if all(isinstance(v, str) for v in raw.values()):
        return dict(raw)
    raise HeadersFileInvalid("headers.json: expected an object of header names to strings")


def with_storage_origins(csp: str, origins: list[str]) -> str:
    """Return `csp` whose connect-src also lists `origins`, with frame-ancestors
    'none' guaranteed (the pages must never be framed)."""
    directives: list[tuple[str, list[str]]] = []
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.append((words[0].lower(), words[1:]))
    names = [name for name, _ in directives]
    if "connect-src" not in names:
        directives.append(("connect-src", ["'self'"]))
    if "frame-ancestors" not in names:
        directives.append(("frame-ancestors", ["'none'"]))
    out = []
    for name, values in directives:
        if name == "connect-src":
            values = [v for v in values if v != "'none'"] or ["'self'"]
            values = values + [o for o in origins if o not in values]
        out.append(" ".join([name, *values]))
    return "; ".join(out)


def _parse_hsts(value: str) -> tuple[int, bool, bool]:
    if not value:
        return DEFAULT_HSTS_SECONDS, True, False
    parts = [p.strip().lower() for p in value.split(";")]
    seconds = DEFAULT_HSTS_SECONDS
    for part in parts:
        if part.startswith("max-age="):
            seconds = int(part.removeprefix("max-age=").strip('"'))
    return seconds, "includesubdomains" in parts, "preload" in parts


def _canonical(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))
