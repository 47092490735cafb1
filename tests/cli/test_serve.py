"""``candor serve`` itself: static files with their headers, no path escape,
throttling of the API as a whole, and the local object-storage URLs."""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from candor.client import ApiClient, ApiError, HttpTransport
from candor.serve import make_server
from chalicelib.config import Settings
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.support import contract
from tests.support.team import Team


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, LocalCaseStore]]:
    yield from _serve(tmp_path, rate=0.001, burst=3)


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[tuple[str, LocalCaseStore]]:
    """A server whose buckets do not run dry during a route walk."""
    yield from _serve(tmp_path, rate=1000.0, burst=10_000)


def _serve(tmp_path: Path, **throttle: Any) -> Iterator[tuple[str, LocalCaseStore]]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>x</title>")
    (site / "headers.json").write_text(json.dumps({"Content-Security-Policy": "default-src 'none'",
                                                   "Referrer-Policy": "no-referrer"}))
    (tmp_path / "secret.txt").write_text("outside the site")
    store = LocalCaseStore(tmp_path / "data")
    server = make_server(Settings(), store, site, "127.0.0.1", 0, **throttle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str, method: str = "GET", data: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(  # noqa: S310 -- local test server
        url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:  # noqa: S310 -- local test server
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_static_pages_carry_the_site_headers(served: tuple[str, LocalCaseStore]) -> None:
    base, _ = served
    status, headers, body = _get(base + "/")
    assert status == 200 and body.startswith(b"<!doctype html>")
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert headers["Referrer-Policy"] == "no-referrer"
    for escape in ("/../secret.txt", "/%2e%2e/secret.txt", "/headers.json", "/nope.html"):
        status, _, body = _get(base + escape)
        assert status == 404 and b"outside" not in body


def test_paths_change_the_headers_of_the_files_they_match(tmp_path: Path) -> None:
    """headers.json's `paths`: the longest matching pattern changes the
    headers it names, for the file, its directory URL and a 404 below it,
    as CloudFront's behaviours do (infra/candor_infra/edge.py)."""
    site = tmp_path / "site"
    (site / "console").mkdir(parents=True)
    (site / "assets").mkdir()
    for name in ("index.html", "console/index.html", "assets/clean-1a.js", "assets/report-1a.js"):
        (site / name).write_text("x")
    (site / "headers.json").write_text(json.dumps({
        "Content-Security-Policy": "default-src 'none'", "Permissions-Policy": "usb=()",
        "Access-Control-Allow-Origin": "*",
        "paths": {"console/*": {"Permissions-Policy": "usb=(self)"},
                  "assets/*": {"X-Robots-Tag": "noindex"},
                  "assets/clean-*.js": {
                      "content-security-policy": "script-src 'wasm-unsafe-eval'"}},
    }))
    server = make_server(Settings(), LocalCaseStore(tmp_path / "data"), site, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        def headers(path: str) -> dict[str, str]:
            return {k.lower(): v for k, v in _get(base + path)[1].items()}

        for path in ("/console/", "/console/index.html", "/console/absent.js"):
            assert headers(path)["permissions-policy"] == "usb=(self)", path
            assert headers(path)["content-security-policy"] == "default-src 'none'"
        for path in ("/", "/index.html", "/consoles"):
            assert headers(path)["permissions-policy"] == "usb=()", path
        clean, report = headers("/assets/clean-1a.js"), headers("/assets/report-1a.js")
        assert clean["content-security-policy"] == "script-src 'wasm-unsafe-eval'"
        assert "x-robots-tag" not in clean  # the longest pattern alone applies
        assert report["content-security-policy"] == "default-src 'none'"
        assert report["x-robots-tag"] == "noindex"
        assert all(headers(p)["access-control-allow-origin"] == "*" for p in ("/", "/console/"))
        assert "paths" not in headers("/")
        # A dot segment hidden from the pattern by %2F would serve another
        # file under this path's headers (the reporter page with WebAuthn
        # allowed, a script with 'wasm-unsafe-eval'): S3's keys are literal,
        # so such a path is no file there, and none here.
        for sly in ("/console/..%2Findex.html", "/assets/clean-%2F..%2Freport-1a.js",
                    "/console/.%2Findex.html", "/console//index.html", "/console\\..\\index.html"):
            assert _get(base + sly)[0] == 404, sly
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_manifest_list_answers_any_origin(roomy: tuple[str, LocalCaseStore]) -> None:
    """The offline verifier reads the signed manifests from a file:// page;
    no other API answer may be read by another origin."""
    base, _ = roomy
    status, headers, _ = _get(base + "/v1/manifest", headers={"Origin": "null"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = _get(base + "/v1/manifest?since=1", headers={"Origin": "null"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    for path in ("/v1/team/cases", "/v1/cases/x", "/v1/nothing"):
        status, headers, _ = _get(base + path, headers={"Origin": "null"})
        assert "Access-Control-Allow-Origin" not in headers, path


def test_the_api_is_throttled_as_a_whole(served: tuple[str, LocalCaseStore]) -> None:
    base, _ = served
    answers = [_get(base + "/v1/manifest") for _ in range(5)]
    assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
    assert json.loads(answers[-1][2])["error"]["code"] == "throttled"


def test_an_anonymous_flood_leaves_the_team_its_bucket(
    served: tuple[str, LocalCaseStore], team: Team,
) -> None:
    """Unsigned or forged calls to team routes pay from the anonymous bucket:
    only a signature that verifies draws on the team's (issue 13 finding 8)."""
    base, store = served
    team_roster.bootstrap(Context(store), team.manifest)
    for _ in range(3):
        _get(base + "/v1/manifest")
    assert _get(base + "/v1/manifest")[0] == 429
    # Unsigned, or signed by a member id with a key that is not the member's.
    assert _get(base + "/v1/team/cases")[0] == 429
    impostor = dataclasses.replace(team.admin.key, signing_seed=bytes(32))
    with pytest.raises(ApiError) as exc:
        ApiClient(HttpTransport(base), impostor).call("GET", "/v1/team/cases")
    assert exc.value.status == 429
    member = ApiClient(HttpTransport(base), team.admin.key)
    for _ in range(10):
        assert member.call("GET", "/v1/team/cases")["cases"] == []


def test_uploads_and_downloads_have_a_bucket_of_their_own(
    served: tuple[str, LocalCaseStore],
) -> None:
    base, store = served
    statuses = []
    for n in range(3):
        upload = store.upload_url(f"a_{n:022d}", 4, 900)
        statuses.append(_get(base + upload.url, "PUT", b"data", dict(upload.headers))[0])
    download = store.download_url("a_" + "0" * 22, 60)
    statuses.append(_get(base + download)[0])
    assert statuses == [200, 200, 200, 429]
    assert _get(base + "/v1/manifest")[0] == 200  # the anonymous bucket is untouched


def test_upload_urls_are_checked(roomy: tuple[str, LocalCaseStore]) -> None:
    base, store = roomy
    upload = store.upload_url("a_" + "A" * 22, 4, 900)
    status, _, _ = _get(base + upload.url.replace("sig=", "sig=0"), "PUT", b"data")
    assert status == 403
    status, _, _ = _get(base + upload.url, "PUT", b"toolong")
    assert status == 403
    status, _, _ = _get(base + upload.url, "PUT", b"data", dict(upload.headers))
    assert status == 200
    status, _, _ = _get(base + upload.url, "PUT", b"data", dict(upload.headers))
    assert status == 403  # once
    status, headers, body = _get(base + store.download_url("a_" + "A" * 22, 60))
    assert (status, body) == (200, b"data")
    assert headers["Content-Type"] == "application/octet-stream"


def test_odd_paths_answer_404_and_log_no_address(
    served: tuple[str, LocalCaseStore], capfd: pytest.CaptureFixture[str]
) -> None:
    base, _ = served
    for path in ("/%00", "/" + "a" * 300, "/a/" * 100 + "x"):
        status, _, _ = _get(base + path)
        assert status == 404
    captured = capfd.readouterr()
    assert "127.0.0.1" not in captured.out + captured.err


def _raw(base: str, method: str, path: str, body: bytes | None,
         headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Any method, even ones urllib will not send, on a fresh connection."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_every_route_and_method_answers_in_the_contract(
    roomy: tuple[str, LocalCaseStore],
) -> None:
    """HEAD, OPTIONS, TRACE and unknown methods included, on API routes, the
    local upload and download paths and unknown paths (protocol §4.1)."""
    from app import app

    base, _ = roomy
    paths = [path for _, path in contract.route_paths(app.routes)]
    paths += ["/v1/uploads/a_x?size=1", "/v1/downloads/a_x", "/v1/nope", "/nope.html"]
    seen = set()
    for path in paths:
        for method in contract.METHODS:
            for ctype in ("application/json", "text/plain"):
                body = b"{}" if method in ("POST", "PUT", "PATCH") else None
                status, headers, payload = _raw(base, method, path, body,
                                                {"Content-Type": ctype})
                contract.check(f"{method} {path} {ctype}", status, headers, payload,
                               head=method == "HEAD")
                seen.add(status)
    assert {400, 401, 403, 404, 415} <= seen
    status, headers, _ = _raw(base, "GET", "/", None, {})
    assert status == 200
    status, headers, payload = _raw(base, "HEAD", "/", None, {})
    assert (status, payload) == (200, b"")
