"""Signed releases of the pages (protocol §4.8): the document, its chain, the site's hashes.

A release lists the SHA-256 of every file the pages serve and the headers
they are served with, names the manifest built into them, and is signed by
`threshold` admins of that manifest. Releases chain like manifests, with the
same succession, continuity and expiry rules (`chalicelib.manifest`), plus
`prev`, the fingerprint of the release before. Releases are static files
beside the pages (`release.json`, `releases/N.json`): the server never
reads them, so this module lives with the clients and never ships to Lambda.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from candor import roster
from chalicelib import manifest as mf
from chalicelib.b64 import b64u_encode
from chalicelib.manifest_shape import check_dates, check_sigs_shape, require

__all__ = [
    "HEAD_FILE",
    "KIND",
    "Release",
    "ReleaseInvalid",
    "asset_hash",
    "chain_file",
    "fingerprint",
    "headers_for",
    "parse_release",
    "release_manifests",
    "sign_release",
    "site_assets",
    "site_difference",
    "site_headers",
    "site_paths",
    "unsigned_release",
    "verify_next_release",
    "verify_release",
    "verify_release_chain",
]

KIND = "candor-release"
FIELDS = frozenset(
    {"v", "kind", "version", "issued", "expires", "prev", "manifest", "assets", "headers", "sigs"}
)
# Per-path header changes (protocol §4.8): absent when there are none, so a
# release without them keeps the fields and fingerprint it always had.
PATHS = "paths"
MAX_PATHS = 20  # CloudFront's behaviours per distribution, less the API's and some room
HEAD_FILE = "release.json"
CHAIN_DIR = "releases"
HEADERS_FILE = "headers.json"  # the build's header set; served as headers, not as a file
HOSTING_HEADERS = frozenset({"cache-control"})
# A site path is fetched as URL + path: plain segments, none starting with a
# dot, so no "..", no hidden file, no scheme or host can hide in one.
_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_HASH = re.compile(r"[A-Za-z0-9_-]{43}")
# A CloudFront path pattern without its leading "/": `*` any run of
# characters, `?` one; no segment starts with a dot.
_PATTERN = re.compile(r"[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*(/[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*)*/?")


class ManifestRef(TypedDict):
    version: int
    fingerprint: str


class Release(TypedDict):
    """A release as the protocol writes it (protocol §4.8)."""

    v: int
    kind: str
    version: int
    issued: str
    expires: str
    prev: str | None
    manifest: ManifestRef
    assets: dict[str, str]
    headers: dict[str, str]
    sigs: list[mf.ManifestSig]
    paths: NotRequired[dict[str, dict[str, str]]]


class ReleaseInvalid(ValueError):
    """A release or its chain breaks protocol §4.8; the message names the release and rule."""


def asset_hash(data: bytes) -> str:
    return b64u_encode(hashlib.sha256(data).digest())


def fingerprint(release: Mapping[str, Any]) -> str:
    """`b64u(H(JCS(release without sigs)))`: the next release's `prev`, shown for comparison."""
    return mf.fingerprint(release)


def chain_file(version: int) -> str:
    return f"{CHAIN_DIR}/{version}.json"


# --- the site ------------------------------------------------------------------


def site_assets(site: Path) -> dict[str, str]:
    """`path -> hash` of every file of a built site but the releases and headers.json."""
    assets = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        skipped = rel in (HEAD_FILE, HEADERS_FILE) or rel.startswith(CHAIN_DIR + "/")
        if skipped or not path.is_file():
            continue
        if not _PATH.fullmatch(rel):
            raise ReleaseInvalid(f"{rel}: not a plain path a release can name")
        assets[rel] = asset_hash(path.read_bytes())
    if "index.html" not in assets:
        raise ReleaseInvalid(f"{site} holds no index.html: build the pages first")
    return assets


def _headers_file(site: Path) -> dict[str, Any]:
    raw = json.loads((site / HEADERS_FILE).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ReleaseInvalid(f"{site / HEADERS_FILE}: not an object")
    return raw


def _signed(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in HOSTING_HEADERS}


def site_headers(site: Path) -> dict[str, str]:
    """The headers every file is served with, from the build's headers.json,
    but caching: the hosting caches hashed assets for good and revalidates
    the rest, and no reader's safety depends on it."""
    raw = _headers_file(site)
    return _signed({name: value for name, value in raw.items() if name != PATHS})


def site_paths(site: Path) -> dict[str, dict[str, str]]:
    """The build's per-path header changes (headers.json's `paths`), but caching."""
    paths = _headers_file(site).get(PATHS) or {}
    return {pattern: _signed(changes) for pattern, changes in paths.items()}


def pattern_matches(pattern: str, path: str) -> bool:
    """CloudFront's path pattern rule: `*` any run of characters, `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, path, re.DOTALL) is not None


def headers_for(headers: Mapping[str, str], paths: Mapping[str, Mapping[str, str]],
                path: str) -> dict[str, str]:
    """The headers the URL `path` (below the site's root, no leading "/") is
    served with: `headers` changed by the longest pattern of `paths` that
    matches it (ties: the first in sorted order), the order CloudFront tries
    its behaviours in (infra/candor_infra/edge.py)."""
    matching = sorted((p for p in paths if pattern_matches(p, path)), key=lambda p: (-len(p), p))
    if not matching:
        return dict(headers)
    changes = paths[matching[0]]
    names = {name.lower() for name in changes}
    return {**{n: v for n, v in headers.items() if n.lower() not in names}, **changes}


def site_difference(release: Release, site: Path) -> str | None:
    """The first file or header of `site` that differs from `release`, or None."""
    assets, headers = site_assets(site), site_headers(site)
    for path in sorted(set(assets) | set(release["assets"])):
        if path not in assets:
            return f"{path}: listed in release {release['version']}, missing from {site}"
        if path not in release["assets"]:
            return f"{path}: in {site}, not listed in release {release['version']}"
        if assets[path] != release["assets"][path]:
            return f"{path}: differs from release {release['version']}"
    if headers != release["headers"] or site_paths(site) != release.get(PATHS, {}):
        return f"{HEADERS_FILE}: the headers differ from release {release['version']}"
    return None


def _check_headers(headers: object, where: str) -> None:
    require(isinstance(headers, Mapping), f"{where} is not an object")
    for name, value in cast(Mapping[str, Any], headers).items():
        require(bool(_HEADER_NAME.fullmatch(name)) and isinstance(value, str)
                and value.isascii() and value.isprintable(), f"bad header {name!r}")


def _check_paths(paths: object) -> None:
    require(isinstance(paths, Mapping) and 0 < len(paths) <= MAX_PATHS,
            f"paths is not an object of 1 to {MAX_PATHS} patterns")
    for pattern, changes in cast(Mapping[str, Any], paths).items():
        require(bool(_PATTERN.fullmatch(pattern)), f"path pattern {pattern!r} is not plain")
        _check_headers(changes, f"paths[{pattern!r}]")
        require(bool(changes), f"paths[{pattern!r}] changes no header")


def _check_release_shape(release: Mapping[str, Any]) -> None:
    require(set(release) - {PATHS} == FIELDS, "release does not have exactly the protocol fields")
    require(release["v"] == 1 and release["kind"] == KIND, f"v is not 1 or kind is not {KIND}")
    version = release["version"]
    require(type(version) is int and version >= 1, "bad version")
    check_dates(release)
    prev = release["prev"]
    require((prev is None) == (version == 1), "prev is null exactly for version 1")
    require(prev is None or (isinstance(prev, str) and bool(_HASH.fullmatch(prev))), "bad prev")
    ref = release["manifest"]
    require(isinstance(ref, Mapping) and set(ref) == {"version", "fingerprint"}, "bad manifest")
    require(type(ref["version"]) is int and ref["version"] >= 1, "bad manifest version")
    require(isinstance(ref["fingerprint"], str) and bool(_HASH.fullmatch(ref["fingerprint"])),
            "bad manifest fingerprint")
    assets, headers = release["assets"], release["headers"]
    require(isinstance(assets, Mapping) and "index.html" in assets, "assets lacks index.html")
    for path, digest in assets.items():
        require(bool(_PATH.fullmatch(path)), f"asset path {path!r} is not a plain path")
        require(isinstance(digest, str) and bool(_HASH.fullmatch(digest)), f"{path}: bad hash")
    _check_headers(headers, "headers")
    if PATHS in release:
        _check_paths(release[PATHS])
    check_sigs_shape(release["sigs"])


def parse_release(release: object) -> Release:
    """Check everything in a release that needs no other document. Raises ReleaseInvalid."""
    try:
        require(isinstance(release, Mapping), "release is not an object")
        _check_release_shape(cast(Mapping[str, Any], release))
    except mf.ManifestInvalid as exc:
        version = release.get("version") if isinstance(release, Mapping) else None
        raise ReleaseInvalid(f"release {version}: {exc.reason}") from None
    return cast(Release, release)


# --- writing -----------------------------------------------------------------------


def unsigned_release(
    site: Path, manifest: mf.Manifest, previous: Release | None, issued: date,
    lifetime_days: int = mf.MAX_LIFETIME_DAYS,
) -> Release:
    """The release after `previous` (None: the first) of the built `site`,
    with `manifest` built in, unsigned. Raises ReleaseInvalid."""
    release = {
        "v": 1, "kind": KIND, "version": previous["version"] + 1 if previous else 1,
        "issued": issued.isoformat(),
        "expires": (issued + timedelta(days=lifetime_days)).isoformat(),
        "prev": fingerprint(previous) if previous else None,
        "manifest": {"version": manifest["version"], "fingerprint": mf.fingerprint(manifest)},
        "assets": site_assets(site), "headers": site_headers(site), "sigs": [],
    }  # fmt: skip
    paths = site_paths(site)
    if paths:
        release[PATHS] = paths
    return parse_release(release)


def sign_release(release: Release, member_id: str, seed: bytes) -> Release:
    """`release` with `member_id`'s signature appended. Raises ValueError when already signed."""
    # A release is signed exactly as a manifest is: `sigs` over JCS(the rest).
    signed = roster.sign_manifest(cast(mf.Manifest, release), member_id, seed)
    return cast(Release, signed)


# --- verifying ---------------------------------------------------------------------


def verify_release(release: object, authority: mf.Manifest, *, partial: bool = False) -> Release:
    """Check `release` alone: its shape, that `authority` (trusted) is the
    manifest it names, and its signatures by `threshold` admins of it (any
    number if `partial`). Raises ReleaseInvalid."""
    checked = parse_release(release)
    ref = checked["manifest"]
    try:
        require(ref["version"] == authority["version"]
                and ref["fingerprint"] == mf.fingerprint(authority),
                f"names manifest version {ref['version']}, not the one given")
        mf.verify_admin_sigs(checked, authority, partial=partial)
    except mf.ManifestInvalid as exc:
        raise ReleaseInvalid(f"release {checked['version']}: {exc.reason}") from None
    return checked


def verify_next_release(current: Release, candidate: object, authority: mf.Manifest) -> Release:
    """Check `candidate` as the release after `current` (trusted), signed
    under `authority`, the trusted manifest it names. Raises ReleaseInvalid."""
    following = verify_release(candidate, authority)
    try:
        mf.check_succession(current, following)
        require(following["prev"] == fingerprint(current), "prev is not the previous fingerprint")
        require(following["manifest"]["version"] >= current["manifest"]["version"],
                "names an older manifest than the release before")
    except mf.ManifestInvalid as exc:
        raise ReleaseInvalid(f"release {following['version']}: {exc.reason}") from None
    return following


def release_manifests(
    anchor: Release, manifests: Sequence[object], up_to: int
) -> dict[int, mf.Manifest]:
    """The manifests from the one `anchor` names up to version `up_to`,
    checked as a chain from it, by version. `manifests` are the signed
    versions the API lists (`GET /v1/manifest`). Raises ReleaseInvalid."""
    ref = anchor["manifest"]
    by_version = {m.get("version"): m for m in manifests if isinstance(m, Mapping)}
    start = by_version.get(ref["version"])
    if start is None or mf.fingerprint(start) != ref["fingerprint"]:
        raise ReleaseInvalid(f"the API lists no manifest version {ref['version']} with the "
                             "anchor's fingerprint")
    later = [by_version[v] for v in range(ref["version"] + 1, up_to + 1) if v in by_version]
    try:
        mf.follow_chain(start, later)  # every step, so each listed version is trusted
    except mf.ManifestInvalid as exc:
        raise ReleaseInvalid(f"the manifest chain does not verify: {exc.reason}") from None
    return {m["version"]: cast(mf.Manifest, m) for m in [start, *later]}


def verify_release_chain(
    anchor: object, later: Sequence[object], manifests: Sequence[object], *, today: date
) -> Release:
    """Follow the pinned `anchor` through `later` (its successors, in order)
    and return the latest release, which must be unexpired on `today`.
    `manifests` are the signed manifests the API lists. Raises
    ReleaseInvalid naming the first release that breaks a rule."""
    current = parse_release(anchor)
    following = [parse_release(release) for release in later]
    up_to = max(r["manifest"]["version"] for r in [current, *following])
    trusted = release_manifests(current, manifests, up_to)
    current = verify_release(current, trusted[current["manifest"]["version"]])
    for candidate in following:
        authority = trusted.get(candidate["manifest"]["version"])
        if authority is None:
            raise ReleaseInvalid(f"release {candidate['version']}: names manifest version "
                                 f"{candidate['manifest']['version']}, not in the chain from "
                                 "the anchor's")
        current = verify_next_release(current, candidate, authority)
    try:
        mf.check_unexpired(current, today)
    except mf.ManifestInvalid as exc:
        raise ReleaseInvalid(f"release {exc.reason}") from None
    return current
