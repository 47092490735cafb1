"""Helpers for the resumable upload tests (tests/browser/test_resumable_upload*.py):
a large file made in a temp directory (never in the page), a report sent
with it from the reporter page, the part PUTs the page made, and the team's
download of an attachment, decrypted and hashed."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import mimetypes
import os
import re
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from candor.age.api import decrypt_bytes
from candor.age.keys import parse_identity
from candor.keyfile import KeyFile
from candor.serve import Site
from chalicelib.b64 import b64u_decode
from tests.browser.report_site import t
from tests.support.live import LiveServer, start_live_server
from tests.support.team import Team

MIB = 1024 * 1024
# The part PUT of `candor serve` (/v1/uploads/<id>/parts/<n>) and of S3 (?partNumber=<n>).
PART = re.compile(r"/parts/(\d+)\?|[?&]partNumber=(\d+)")


def large_file(directory: Path, size: int, name: str = "video.bin") -> tuple[Path, str]:
    """`size` bytes that no cleaner takes (sent as they are), written in 8 MiB
    pieces; the file and its SHA-256."""
    path, digest = directory / name, hashlib.sha256()
    piece = os.urandom(8 * MIB)
    with path.open("wb") as out:
        for offset in range(0, size, len(piece)):
            # A distinct piece each time, so a part sent twice or out of order shows.
            chunk = (offset.to_bytes(8, "big") + piece[8:])[: size - offset]
            out.write(chunk)
            digest.update(chunk)
    return path, digest.hexdigest()


@dataclass
class PartLog:
    """The part PUTs a page made: every try, and those the server took (2xx)."""

    tried: list[int] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)

    def follow(self, context: Any) -> None:
        def on_request(request: Any) -> None:
            number = part_number(request)
            if number is not None:
                self.tried.append(number)

        def on_response(response: Any) -> None:
            number = part_number(response.request)
            if number is not None and 200 <= response.status < 300:
                self.taken.append(number)

        context.on("request", on_request)
        context.on("response", on_response)

    def repeated(self) -> dict[int, int]:
        """Parts tried more than once, and how often."""
        return {n: c for n, c in Counter(self.tried).items() if c > 1}


def part_number(request: Any) -> int | None:
    if request.method != "PUT":
        return None
    found = PART.search(request.url)
    return None if found is None else int(found.group(1) or found.group(2))


def fill_report(page: Any, files: list[Path]) -> None:
    """The questionnaire filled in, `files` attached, up to the review step."""
    page.click("#start")
    page.select_option("#q-category-input", "account_compromised")
    page.fill("#q-summary-input", "The company's account posted a scam video.")
    page.fill("#q-details-input", "The video attached is the one that was posted at 09:10.")
    page.fill("#q-where-input", "https://social.example/company/status/1")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "immediate")
    page.set_input_files("#files", [str(f) for f in files])
    page.wait_for_selector(f"#file-list li:nth-child({len(files)}) .small.warn-text")
    page.click("#report-form button[type=submit]")


def wait_until(page: Any, done: Callable[[], bool], timeout_ms: int = 600_000) -> None:
    """Let the page run (events keep flowing) until `done()`."""
    waited = 0
    while not done():
        if waited > timeout_ms:
            raise AssertionError("the page did not get there")
        page.wait_for_timeout(100)
        waited += 100


def decrypt(key: KeyFile, sealed: bytes) -> bytes:
    return decrypt_bytes([parse_identity(i) for i in key.identities], sealed)


def received_attachments(
    team_get: Callable[[str], Any], key: KeyFile, base: str
) -> list[tuple[dict[str, Any], bytes]]:
    """The only case's report's attachments: each entry, and the sealed bytes downloaded."""
    (summary,) = team_get("/v1/team/cases")["cases"]
    case = team_get(f"/v1/team/cases/{summary['id']}")
    blobs = f"/v1/team/cases/{case['id']}/blobs"
    sealed = b64u_decode(team_get(f"{blobs}/{case['report']['id']}")["sealed"])
    report = decrypt(key, sealed)
    out = []
    for entry in json.loads(report.rstrip(b" "))["attachments"]:
        url = team_get(f"{blobs}/{entry['id']}")["url"]
        with urllib.request.urlopen(url if url.startswith("http") else base + url) as answer:  # noqa: S310 -- local test servers
            out.append((entry, bytes(answer.read())))
    return out


def plain_sha256(key: KeyFile, entry: dict[str, Any], sealed: bytes) -> str:
    """The decrypted attachment's SHA-256, after checking the sealed hash the report lists."""
    assert hashlib.sha256(sealed).hexdigest() == entry["sha256"]
    plain = decrypt(key, sealed)
    assert not any(plain[entry["size"] :]), "padding is not all zero"
    return hashlib.sha256(memoryview(plain)[: entry["size"]]).hexdigest()


class Front:
    """The pages' origin in the cloud, on loopback: the built pages with their
    headers (connect-src gains the object storage's origin, as CloudFront's
    policy does, protocol §4) and /v1/ passed to the API (the packaged
    function's gateway). Uploads go from the page straight to the storage."""

    def __init__(self, site_dir: Path, api: str, storage: str) -> None:
        self.site, self.api, self.storage = Site.load(site_dir), urlsplit(api), storage
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _front_handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Front:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def headers_for(self, path: str) -> dict[str, str]:
        headers = self.site.headers_for(path)
        csp = headers.get("Content-Security-Policy", "")
        headers["Content-Security-Policy"] = csp.replace(
            "connect-src 'self'", f"connect-src 'self' {self.storage}"
        )
        return headers

    def to_api(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        connection = http.client.HTTPConnection(self.api.netloc, timeout=120)
        connection.request(method, self.api.path.rstrip("/") + path, body, headers)
        return connection.getresponse()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def _front_handler(front: Front) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def any_method(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/v1/"):
                sent = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                with contextlib.closing(front.to_api(self.command, self.path, sent, body)) as got:
                    kept = {k: v for k, v in got.getheaders() if k.lower() not in HOP_BY_HOP}
                    self.answer(got.status, kept, got.read())
                return
            target = front.site.resolve(self.path.split("?")[0])
            if self.command != "GET" or target is None:
                self.answer(404, {"Content-Type": "text/plain"}, b"not found")
                return
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            type_ = "text/javascript" if target.suffix in (".js", ".mjs") else kind
            headers = {**front.headers_for(self.path.split("?")[0]), "Content-Type": type_}
            self.answer(200, headers, target.read_bytes())

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = any_method

    return Handler


# Part PUTs to `candor serve` and to S3 (presigned UploadPart URLs).
LOCAL_PARTS = re.compile(r"/v1/uploads/[^/]+/parts/")
S3_PARTS = re.compile(r"[?&]partNumber=")
# What Chromium logs for each request the test cut off.
CUT = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_CONNECTION_RESET", "net::ERR_FAILED")


def forget_cut_requests(watch: Any) -> list[str]:
    """The console errors of requests the test itself cut: expected, and taken out."""
    cut = [e for e in watch.console_errors if any(c in e for c in CUT)]
    watch.console_errors[:] = [e for e in watch.console_errors if e not in cut]
    return cut


def open_report(page: Any, origin: str, files: list[Path]) -> PartLog:
    """The reporter page with `files` sent: the part PUTs followed from the start."""
    log = PartLog()
    log.follow(page.context)
    page.goto(origin + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    fill_report(page, files)
    page.click("#send")
    return log


def detail_says(page: Any, key: str, lang: str = "en") -> None:
    page.wait_for_selector(f"#sending-files .upload-detail:has-text({t(lang, key)!r})")


def cut_twice(page: Any, log: PartLog, parts: re.Pattern[str]) -> None:
    """Cut the network under an upload twice: the browser goes offline (the
    page waits and says so), then every part PUT is reset until the page
    says it is trying again."""
    wait_until(page, lambda: len(log.taken) >= 4)
    page.context.set_offline(True)
    detail_says(page, "upload.offline")
    page.context.set_offline(False)
    wait_until(page, lambda: len(set(log.taken)) >= 12)
    page.route(parts, lambda route: route.abort("connectionreset"))
    detail_says(page, "upload.retrying")
    page.unroute(parts)


def assert_resumed(log: PartLog, sealed_size: int, part_size: int = 8 * MIB) -> None:
    """Part 1 went once (the upload never started over) and some part twice
    (it was cut). That every part arrived, the server's completion and the
    byte-exact decryption show: Playwright does not report every request
    made while a route was set."""
    count = -(-sealed_size // part_size)
    assert set(log.tried) <= set(range(1, count + 1))
    assert log.tried.count(1) == 1, "the upload started over"
    assert log.repeated(), "no part was sent again: nothing was cut"


@pytest.fixture
def small_parts(
    tmp_path: Path, team: Team, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """``candor serve`` cutting attachments over 128 KiB into 64 KiB parts."""
    monkeypatch.setenv("CANDOR_PART_SIZE", str(64 * 1024))
    monkeypatch.setenv("CANDOR_MULTIPART_ABOVE", str(128 * 1024))
    server = start_live_server(tmp_path, team)
    try:
        yield server
    finally:
        server.stop()
