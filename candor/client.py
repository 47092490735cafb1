"""A client of the Candor API for the CLI and the tests.

Team requests are signed with the member's key file (protocol §4.3); reporter
requests are anonymous. Two transports: HTTP (``--api URL``) and in-process
against a local data directory (``--data-dir DIR``), which runs the same
Chalice app through Chalice's local gateway.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from candor.keyfile import KeyFile
from candor.puzzle import solve
from chalicelib import puzzle
from chalicelib.httpsig import canonical_query, sign_request

TIMEOUT = 60


class ApiError(Exception):
    """The API answered with an error (protocol §4.1)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _web_url(url: str) -> str:
    """Refuse anything but http(s): an API or storage URL comes from a key
    file or the server, and urllib would also open ``file:`` URLs."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url[:60]}")
    return url


class Transport(Protocol):
    base_url: str

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]: ...


# Retries of a refused call (protocol §4.1): at most this many tries, each
# after what Retry-After says (or a doubling backoff without it) plus up to
# a quarter more of jitter. A server that asks for more than RETRY_CAP
# seconds gets no retry: the caller hears 429 at once.
RETRY_ATTEMPTS = 6
PARTS_PER_CALL = 16  # part URLs asked at a time (protocol §4.2)
RETRY_CAP = 20.0
PUZZLE_ROUNDS = 3


def retry_wait(retry_after: str | None, attempt: int, rand: Callable[[], float]) -> float | None:
    """Seconds to wait before try ``attempt + 1``, or None to stop."""
    try:
        wait = float(int(retry_after or ""))
    except ValueError:  # absent, or an HTTP date, which servers of this protocol never send
        wait = min(RETRY_CAP, 0.5 * 2 ** attempt)
    if not 0 <= wait <= RETRY_CAP:
        return None
    return wait * (1 + rand() / 4)


@dataclass
class HttpTransport:
    """HTTP with polite retries: a 429 waits for its Retry-After, bounded; a
    429 ``puzzle_required`` is answered with a proof of work at once; a 503
    on an unsigned call backs off. A signed call is not retried on 503: the
    server may have recorded its nonce (protocol §4.3)."""

    base_url: str
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]:
        url = _web_url(self.base_url.rstrip("/") + target)
        headers, attempt, puzzles = dict(headers), 1, 0
        while True:
            status, answer, payload = _exchange(method, url, headers, body)
            challenge = answer.get(puzzle.CHALLENGE_HEADER)
            if status == 429 and challenge and puzzles < PUZZLE_ROUNDS:
                puzzles += 1  # a few challenges in a row at once, then a wait
                proof = solve(puzzle.parse_challenge(challenge), method, urlsplit(url).path, body)
                headers[puzzle.PROOF_HEADER] = proof.header()
                continue
            unsigned = "Signature" not in headers
            wait = retry_wait(answer.get("Retry-After"), attempt, self.rand)
            if wait is None or attempt == RETRY_ATTEMPTS \
                    or not (status == 429 or (status == 503 and unsigned)):
                return status, payload
            self.sleep(wait)
            attempt, puzzles = attempt + 1, 0


def _exchange(method: str, url: str, headers: Mapping[str, str],
              body: bytes) -> tuple[int, Message[str, str], bytes]:
    """One request; the answer's headers are looked up case-insensitively."""
    req = urllib.request.Request(  # noqa: S310 -- http(s) only, see _web_url
        url, data=body or None, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 -- http(s) only, see _web_url
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class InProcessTransport:
    """The API in-process on a given store (no server needed): the same
    Chalice app, through Chalice's local gateway."""

    def __init__(self, store: Any, base_url: str = "http://127.0.0.1:8000",
                 ctx: Any = None) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway

        from app import app
        from chalicelib.config import Settings
        from chalicelib.domain.cases import Context
        from chalicelib.http import runtime

        self.base_url = base_url
        self.store = store
        settings = Settings(public_base_url=base_url)
        runtime.configure(ctx or Context(store, limits=settings.limits), settings)
        self._gateway = LocalGateway(app, Config(chalice_stage="local"))

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]:
        answer = self._gateway.handle_request(method, target, dict(headers), body)
        payload = answer.get("body") or b""
        return int(answer["statusCode"]), payload.encode() if isinstance(payload, str) else payload


def local_transport(data_dir: str | Path) -> InProcessTransport:
    """The API in-process on a local data directory."""
    from chalicelib.store.local import LocalCaseStore

    return InProcessTransport(LocalCaseStore(data_dir))


class ApiClient:
    """JSON calls; signed when a key file is given."""

    def __init__(self, transport: Transport, keyfile: KeyFile | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.transport = transport
        self.keyfile = keyfile
        self.clock = clock
        self.base_path = urlsplit(transport.base_url).path.rstrip("/")

    def call(
        self, method: str, path: str, body: Any = None, *,
        query: Mapping[str, str] | None = None, signed: bool = True,
    ) -> Any:
        """Send one request. Raises ApiError."""
        query = {k: v for k, v in (query or {}).items() if v not in ("", None)}
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if signed:
            if self.keyfile is None:
                raise ValueError("a key file is needed for team calls")
            headers.update(sign_request(
                method, self.base_path + path, query, raw,
                member_id=self.keyfile.member, seed=self.keyfile.signing_seed,
                created=int(self.clock()),
            ))
        qs = canonical_query(query)
        status, payload = self.transport.send(method, path + (qs if qs != "?" else ""),
                                              headers, raw)
        answer = json.loads(payload) if payload else None
        if status >= 400:
            err = (answer or {}).get("error", {}) if isinstance(answer, dict) else {}
            raise ApiError(status, err.get("code", "http_error"), err.get("message", ""))
        return answer

    def upload(self, upload: Mapping[str, Any], data: bytes) -> None:
        """PUT sealed bytes to an upload URL (same origin locally, S3 in the cloud)."""
        self._raw(upload["method"], upload["url"], dict(upload.get("headers") or {}), data)

    def send_attachment(self, sealed: bytes) -> str:
        """Announce and upload a sealed attachment, in one PUT or in parts as
        the server says (protocol §4.2); its id. Raises ApiError."""
        announced = self.call("POST", "/v1/attachments", {"size": len(sealed)}, signed=False)
        if "upload" in announced:
            self.upload(announced["upload"], sealed)
        else:
            self._send_parts(f"/v1/attachments/{announced['id']}", announced["parts"], sealed)
        return str(announced["id"])

    def _send_parts(self, base: str, parts: Mapping[str, int], sealed: bytes) -> None:
        """Each part on its own, each retried on its own (``_raw``), then the
        completion."""
        size, count = parts.get("size"), parts.get("count")
        # As lib/upload.ts: parts that cover the sealed bytes exactly, or a
        # server's mistake would send a truncated attachment, or loop.
        if type(size) is not int or type(count) is not int or size < 1 or count < 1 \
                or not size * (count - 1) < len(sealed) <= size * count:
            raise ApiError(201, "unexpected", "the parts do not cover the attachment")
        for first in range(1, count + 1, PARTS_PER_CALL):
            numbers = list(range(first, min(first + PARTS_PER_CALL, count + 1)))
            answer = self.call("POST", base + "/parts", {"numbers": numbers}, signed=False)
            given = {part.get("number"): part for part in answer["parts"]}
            if sorted(given, key=str) != sorted(numbers, key=str):
                raise ApiError(200, "unexpected", "the part URLs are not of the parts asked")
            for n in numbers:
                self._send_part(base, given[n], sealed[(n - 1) * size:n * size])
        self.call("POST", base + "/complete", {}, signed=False)

    def _send_part(self, base: str, part: Mapping[str, Any], data: bytes) -> None:
        try:
            self.upload(part, data)
        except ApiError as exc:
            if exc.status != 403:
                raise
            # The URL expired while earlier parts went up (a slow line): a
            # fresh one, once.
            fresh = self.call("POST", base + "/parts", {"numbers": [part["number"]]},
                              signed=False)["parts"][0]
            self.upload(fresh, data)

    def download(self, url: str) -> bytes:
        return self._raw("GET", url, {}, b"")

    def _raw(self, method: str, url: str, headers: dict[str, str], data: bytes) -> bytes:
        if url.startswith("/"):
            url = urljoin(self.transport.base_url, url)
        store = getattr(self.transport, "store", None)
        if store is not None and hasattr(store, "receive_upload"):
            return _local_blob(store, method, url, data)
        sleep = getattr(self.transport, "sleep", time.sleep)
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                status, answer, payload = _exchange(method, _web_url(url), headers, data)
            except OSError:  # a dropped connection: try again, as after a 503
                if attempt == RETRY_ATTEMPTS:
                    raise
                sleep(retry_wait(None, attempt, random.random) or 0)
                continue
            if status < 400:
                return bytes(payload)
            wait = retry_wait(answer.get("Retry-After"), attempt, random.random)
            if status not in (429, 503) or attempt == RETRY_ATTEMPTS or wait is None:
                break
            sleep(wait)
        raise ApiError(status, "storage_refused", "object storage refused")


def _local_blob(store: Any, method: str, url: str, data: bytes) -> bytes:
    """Uploads and downloads against the local store without a server."""
    import io
    from urllib.parse import parse_qs

    from chalicelib.store.local import UploadRefused

    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    key, _, part = parts.path.removeprefix("/v1/uploads/").partition("/parts/")
    key = key.rsplit("/", 1)[-1]
    try:
        if method == "PUT" and part:
            store.receive_part(key, int(part), q, io.BytesIO(data), len(data))
            return b""
        if method == "PUT":
            store.receive_upload(key, int(q["size"]), int(q["expires"]), q["sig"],
                                           io.BytesIO(data), len(data))
            return b""
        with store.open_download(key, int(q["expires"]), q["sig"]) as f:
            return bytes(f.read())
    except (UploadRefused, KeyError, ValueError):
        raise ApiError(403, "storage_refused", "object storage refused") from None
