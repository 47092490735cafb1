"""The pages' response headers, read from `frontend/headers.json`.

The frontend build owns the header set (protocol §6: strict CSP, no third-party
origin); CloudFront only serves it. The one thing the build cannot know is
the deployed object-storage origin that presigned uploads and downloads go
to (protocol §4), so it is added to `connect-src` here, in every CSP.

The file's `paths` change some headers for some paths (CloudFront path
patterns without the leading "/"): each becomes a behaviour of its own with
a whole header set, the pages' headers with the changes applied
(candor/release.py's headers_for, which `candor serve` and verifiers use).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
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
# Sent through the policy's CORS block: CloudFront refuses CORS headers among
# custom headers, and adds them to answers to requests with an Origin.
ALLOW_ORIGIN = "access-control-allow-origin"
EXPOSE_HEADERS = "access-control-expose-headers"
CORS_HEADERS = frozenset({ALLOW_ORIGIN, EXPOSE_HEADERS})


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
    # Access-Control-Allow-Origin ("*": public files) or None, and the
    # Access-Control-Expose-Headers that goes with it.
    allow_origin: str | None = None
    expose_headers: str | None = None
    # CloudFront path pattern (with its leading "/") -> that path's whole header set.
    paths: dict[str, PageHeaders] = field(default_factory=dict)


def load_page_headers(path: Path, storage_origins: list[str]) -> PageHeaders:
    """Read the header set and add `storage_origins` to the CSP's connect-src.

    Raises HeadersFileInvalid when the file is absent, is not one of the
    accepted shapes, or has no Content-Security-Policy.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HeadersFileInvalid(f"{path}: {err}") from err
    base = _flatten(raw)
    page = _page_headers(base, storage_origins, f"{path}")
    paths = raw.get("paths") if isinstance(raw, dict) and "headers" in raw else None
    if paths is None:
        return page
    if not isinstance(paths, dict) or not all(isinstance(c, dict) for c in paths.values()):
        raise HeadersFileInvalid(f"{path}: paths: expected patterns to header objects")
    by_pattern = {
        "/" + pattern: _page_headers(_changed(base, changes), storage_origins, f"{path}: {pattern}")
        for pattern, changes in paths.items()
    }
    return replace(page, paths=by_pattern)


def _changed(base: dict[str, str], changes: dict[str, Any]) -> dict[str, str]:
    """`base` with the headers `changes` names replaced (names match in any case)."""
    names = {name.lower() for name in changes}
    kept = {name: value for name, value in base.items() if name.lower() not in names}
    return {**kept, **_flatten(changes)}


def _page_headers(flat: dict[str, str], storage_origins: list[str], where: str) -> PageHeaders:
    headers = {name.lower(): value for name, value in flat.items()}
    csp = headers.get("content-security-policy")
    if not csp:
        raise HeadersFileInvalid(f"{where}: no Content-Security-Policy")
    hsts = _parse_hsts(headers.get("strict-transport-security", ""))
    custom = {
        _canonical(name): value
        for name, value in flat.items()
        if name.lower() not in SECURITY_HEADERS | CORS_HEADERS
    }
    return PageHeaders(
        csp=with_storage_origins(csp, storage_origins),
        hsts_seconds=hsts[0],
        hsts_subdomains=hsts[1],
        hsts_preload=hsts[2],
        custom=custom,
        allow_origin=headers.get(ALLOW_ORIGIN),
        expose_headers=headers.get(EXPOSE_HEADERS) if ALLOW_ORIGIN in headers else None,
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


def served(page: PageHeaders) -> dict[str, str]:
    """The headers CloudFront adds under `page` (edge.py's policies), as the
    build's headers.json names them; Access-Control-Allow-Origin is in the
    answers to requests with an Origin, as every verifier's are."""
    hsts = (f"max-age={page.hsts_seconds}" + ("; includeSubDomains" if page.hsts_subdomains else "")
            + ("; preload" if page.hsts_preload else ""))
    cors = {"Access-Control-Allow-Origin": page.allow_origin} if page.allow_origin else {}
    if page.allow_origin and page.expose_headers:
        cors["Access-Control-Expose-Headers"] = page.expose_headers
    return {"Content-Security-Policy": page.csp, "Strict-Transport-Security": hsts,
            "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY", **page.custom, **cors}


def served_file(page: PageHeaders) -> dict[str, Any]:
    """headers.json as CloudFront serves the pages: the headers, and `paths`
    with what each path's behaviour changes (the release signs this file)."""
    base = served(page)
    paths = {
        pattern.removeprefix("/"): {n: v for n, v in served(p).items() if base.get(n) != v}
        for pattern, p in page.paths.items()
    }
    paths = {pattern: changes for pattern, changes in paths.items() if changes}
    return {**base, "paths": paths} if paths else base
