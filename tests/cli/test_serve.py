"""``candor serve`` itself: static files with their headers, no path escape,
throttling of the API as a whole, and the local object-storage URLs."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.serve import make_server
from chalicelib.config import Settings
from chalicelib.store.local import LocalCaseStore


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, LocalCaseStore]]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>x</title>")
    (site / "headers.json").write_text(json.dumps({"Content-Security-Policy": "default-src 'none'",
                                                   "Referrer-Policy": "no-referrer"}))
    (tmp_path / "secret.txt").write_text("outside the site")
    store = LocalCaseStore(tmp_path / "data")
    server = make_server(Settings(), store, site, "127.0.0.1", 0, rate=0.001, burst=3)
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


def test_the_api_is_throttled_as_a_whole(served: tuple[str, LocalCaseStore]) -> None:
    base, _ = served
    answers = [_get(base + "/v1/manifest") for _ in range(5)]
    assert _get(base + "/v1/team/cases")[0] == 401  # team calls have a bucket of their own
    assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
    assert json.loads(answers[-1][2])["error"]["code"] == "throttled"


def test_upload_urls_are_checked(served: tuple[str, LocalCaseStore]) -> None:
    base, store = served
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
