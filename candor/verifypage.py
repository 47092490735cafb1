"""``candor verify-page``: are the live pages the ones the admins signed? (protocol §4.8)

From a pinned release (the first, or one compared out of band), follow the
release chain the site publishes (`releases/N.json`, `release.json`),
checking each release against the manifest chain the API lists
(`GET /v1/manifest`), then fetch every file of the latest release, and the
directory URLs readers actually open, and compare their bytes and the
headers they are served with (the release's `headers`, changed for some
paths by its `paths`). The first difference stops the check, named.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from candor import release as rel
from candor.prompt import CliError

MAX_FILE_BYTES = 32 * 1024 * 1024
TIMEOUT_SECONDS = 30
MAX_RELEASES = 1000  # a head far ahead would make us fetch without end
# What a reader types or follows: the directory, not its index.html.
DIRECTORY_URLS = {"index.html": "", "console/index.html": "console/"}
DIRECTORY_PATHS = {url: path for path, url in DIRECTORY_URLS.items()}

Fetch = Callable[[str], tuple[bytes, Mapping[str, str]]]


class PageDiffers(CliError):
    """The live site is not what the release chain signs; the message names the file."""


@dataclass(frozen=True)
class Verified:
    release: rel.Release
    files: int


def http_fetcher(base_url: str) -> Fetch:
    """GET base_url + path: the body and headers; any answer but 200 is a difference."""
    if not base_url.startswith(("https://", "http://")):
        raise CliError(f"{base_url}: give the site's http(s) URL")
    base = base_url.rstrip("/") + "/"

    def fetch(path: str) -> tuple[bytes, Mapping[str, str]]:
        # S310: the scheme is checked to be http(s) above.
        # Origin as the offline verifier's browser sends it from file://: a
        # CDN answers CORS (Access-Control-Allow-Origin) only to a request
        # that has one, and the release signs that header too.
        request = urllib.request.Request(  # noqa: S310
            base + path, headers={"Cache-Control": "no-cache", "Origin": "null"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                body = answer.read(MAX_FILE_BYTES + 1)
                headers = {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as exc:
            raise PageDiffers(f"{path or '/'}: not served ({exc.code})") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CliError(f"cannot fetch {base + path}: {exc}") from None
        if len(body) > MAX_FILE_BYTES:
            raise PageDiffers(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        return body, headers

    return fetch


def _json(fetch: Fetch, path: str) -> Any:
    try:
        return json.loads(fetch(path)[0])
    except ValueError:
        raise PageDiffers(f"{path}: not JSON") from None


def _release(fetch: Fetch, path: str) -> rel.Release:
    try:
        return rel.parse_release(_json(fetch, path))
    except rel.ReleaseInvalid as exc:
        raise PageDiffers(f"{path}: {exc}") from None


def _chain(fetch: Fetch, anchor: rel.Release) -> tuple[rel.Release, list[rel.Release]]:
    """The served head and the releases after the anchor, as the site lists them."""
    head = _release(fetch, rel.HEAD_FILE)
    if head["version"] < anchor["version"]:
        raise PageDiffers(f"{rel.HEAD_FILE}: release {head['version']} is older than the "
                          f"anchor's release {anchor['version']}: the site was rolled back")
    if head["version"] - anchor["version"] > MAX_RELEASES:
        raise PageDiffers(f"{rel.HEAD_FILE}: release {head['version']} is more than "
                          f"{MAX_RELEASES} releases after the anchor: pin a newer one")
    served_anchor = _release(fetch, rel.chain_file(anchor["version"]))
    if rel.fingerprint(served_anchor) != rel.fingerprint(anchor):
        raise PageDiffers(f"{rel.chain_file(anchor['version'])}: differs from the anchor")
    later = [_release(fetch, rel.chain_file(n))
             for n in range(anchor["version"] + 1, head["version"] + 1)]
    if head != (later[-1] if later else served_anchor):
        raise PageDiffers(f"{rel.HEAD_FILE}: differs from {rel.chain_file(head['version'])}")
    return head, later


def _compare(fetch: Fetch, path: str, release: rel.Release) -> None:
    body, headers = fetch(path)
    expected = rel.headers_for(release["headers"], release.get("paths", {}), path)
    for name, value in expected.items():
        if headers.get(name.lower()) != value:
            raise PageDiffers(f"{path or '/'}: header {name} differs from release "
                              f"{release['version']}")
    if rel.asset_hash(body) != release["assets"][DIRECTORY_PATHS.get(path, path)]:
        raise PageDiffers(f"{path or '/'}: differs from release {release['version']}")


def verify_site(url: str, anchor: object, *, today: date, fetch: Fetch | None = None) -> Verified:
    """Check the site at `url` against the release chain from `anchor`.

    Raises PageDiffers naming the first file, header or release that
    differs, and CliError when the site cannot be reached.
    """
    fetch = fetch or http_fetcher(url)
    try:
        pinned = rel.parse_release(anchor)
    except rel.ReleaseInvalid as exc:
        raise CliError(f"the anchor is not a release: {exc}") from None
    head, later = _chain(fetch, pinned)
    listed = _json(fetch, "v1/manifest")
    manifests = listed.get("manifests") if isinstance(listed, dict) else None
    if not isinstance(manifests, list):
        raise PageDiffers("v1/manifest: not a list of manifests")
    try:
        rel.verify_release_chain(pinned, later, manifests, today=today)
    except rel.ReleaseInvalid as exc:
        raise PageDiffers(f"release chain: {exc}") from None
    paths = sorted(head["assets"])
    for path in paths:
        _compare(fetch, path, head)
        if path in DIRECTORY_URLS:
            _compare(fetch, DIRECTORY_URLS[path], head)
    return Verified(head, len(paths))
