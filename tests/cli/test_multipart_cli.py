"""The Python client sends large attachments in parts through ``candor serve``
(protocol §4.2), part size configured small, each part retried on its own."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from candor import documents, teamops
from candor.client import ApiClient, ApiError, HttpTransport
from candor.reporter import Evidence, submit
from candor.serve import make_server
from chalicelib.b64 import b64u_decode
from chalicelib.config import KiB, Limits, Settings
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.base import StorageUnavailable
from chalicelib.store.local import ByteSource, LocalCaseStore, UploadRefused
from tests.support.live import start_live_server
from tests.support.team import Team

PART, ABOVE = 64 * KiB, 128 * KiB
FORM = {"summary": "A long video"}


@dataclass
class Recording(HttpTransport):
    """HTTP, with the API calls it made."""

    calls: list[str] = field(default_factory=list)

    def send(self, method: str, target: str, headers: Mapping[str, str],
             body: bytes) -> tuple[int, bytes]:
        self.calls.append(f"{method} {target}")
        return super().send(method, target, headers, body)


def _opened(team: Team, body: Mapping[str, Any], sealed: bytes) -> bytes:
    """The attachment of a submitted report, opened by its admin."""
    identities = team.admin.key.identities
    [entry] = documents.open_document(b64u_decode(body["report"]), identities)["attachments"]
    return documents.open_attachment(sealed, identities, entry)


def test_parts_through_candor_serve(tmp_path: Path, team: Team,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_PART_SIZE", str(PART))
    monkeypatch.setenv("CANDOR_MULTIPART_ABOVE", str(ABOVE))
    server = start_live_server(tmp_path, team, build=False)
    try:
        transport = Recording(server.url)
        data = os.urandom(300 * KiB)
        sub = submit(ApiClient(transport), server.manifest, FORM,
                     files=[Evidence("video.mp4", data)])
        [attachment_id] = sub.body["attachments"]
        assert f"POST /v1/attachments/{attachment_id}/complete" in transport.calls
        member = server.team[0]
        case_id = server.team_get(member, "/v1/team/cases")["cases"][0]["id"]
        session = server.session(member)
        [entry] = teamops.read_case(session, case_id).report["attachments"]
        assert teamops.attachment(session, case_id, entry) == data
    finally:
        server.stop()


class FlakyStore(LocalCaseStore):
    """Fails the first try of part 2, as a dropped connection or a full
    moment of the disk would; records every part it was sent."""

    failure: type[Exception] = StorageUnavailable
    sent: list[int]

    def receive_part(self, key: str, number: int, query: dict[str, str], body: ByteSource,
                     length: int) -> None:
        self.sent.append(number)
        if number == 2 and self.sent.count(2) == 1:
            body.read(length)  # the body arrived; the answer is lost
            raise self.failure("first try of part 2")
        super().receive_part(key, number, query, body, length)


@pytest.fixture
def flaky(tmp_path: Path, team: Team) -> Iterator[tuple[str, FlakyStore]]:
    store = FlakyStore(tmp_path / "data")
    store.sent = []
    team_roster.bootstrap(Context(store), team.manifest)
    settings = Settings(limits=Limits(part_size=PART, multipart_above=ABOVE))
    server = make_server(settings, store, None, "127.0.0.1", 0, rate=1000.0, burst=1000)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("failure", [StorageUnavailable, ConnectionResetError])
def test_a_failed_part_is_sent_again_alone(flaky: tuple[str, FlakyStore], team: Team,
                                           failure: type[Exception]) -> None:
    url, store = flaky
    store.failure = failure  # 503, or the connection dropped without an answer
    waits: list[float] = []
    data = os.urandom(300 * KiB)
    sub = submit(ApiClient(HttpTransport(url, sleep=waits.append)), team.manifest, FORM,
                 files=[Evidence("video.mp4", data)])
    count = max(store.sent)
    assert count >= 5
    assert sorted(store.sent) == sorted([*range(1, count + 1), 2])  # part 2 twice, no other
    assert len(waits) == 1
    [attachment_id] = sub.body["attachments"]
    assert _opened(team, sub.body, store.get_blob(attachment_id)) == data


def test_team_attachments_go_in_parts_too(flaky: tuple[str, FlakyStore], team: Team) -> None:
    url, store = flaky
    submit(ApiClient(HttpTransport(url)), team.manifest, FORM)
    member = team.admin
    api = ApiClient(HttpTransport(url, sleep=lambda _: None), member.key)
    session = teamops.Session(api, member.key, team.manifest)
    case_id = api.call("GET", "/v1/team/cases")["cases"][0]["id"]
    data = os.urandom(300 * KiB)
    teamops.write(session, teamops.read_case(session, case_id), "note", "The video",
                  [("video.mp4", "video/mp4", data)])
    assert store.sent.count(2) == 2 and store.sent.count(1) == 1
    [note] = teamops.read_case(session, case_id).notes
    assert note.doc is not None
    [entry] = note.doc["attachments"]
    assert teamops.attachment(session, case_id, entry) == data


def test_candor_serve_asks_the_part_routes_for_a_puzzle_under_load(tmp_path: Path) -> None:
    """As the other anonymous POSTs (protocol §4.1): a flood does not stop an
    upload in parts that pays with work."""
    server = make_server(Settings(), LocalCaseStore(tmp_path / "data"), None, "127.0.0.1", 0,
                         rate=0.001, burst=1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for _ in range(4):  # reads take no puzzle: they empty the bucket
            with contextlib.suppress(ApiError):
                ApiClient(HttpTransport(base)).call("GET", "/v1/manifest", signed=False)
        path = "/v1/attachments/a_" + "A" * 22 + "/complete"
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
        conn.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        assert answer["error"]["code"] == "puzzle_required"  # not just "throttled"
        # The client pays and gets through to the route's own answer.
        with pytest.raises(ApiError) as exc:
            ApiClient(HttpTransport(base)).call("POST", path, {}, signed=False)
        assert (exc.value.status, exc.value.code) == (404, "not_found")
    finally:
        server.shutdown()
        server.server_close()


def test_an_expired_part_url_is_asked_again(flaky: tuple[str, FlakyStore], team: Team) -> None:
    url, store = flaky
    store.failure = UploadRefused  # 403, as for a URL that expired on a slow line
    transport = Recording(url, sleep=lambda _: None)
    data = os.urandom(300 * KiB)
    sub = submit(ApiClient(transport), team.manifest, FORM, files=[Evidence("video.mp4", data)])
    [attachment_id] = sub.body["attachments"]
    asked = [c for c in transport.calls if c.endswith(f"{attachment_id}/parts")]
    assert len(asked) == 2  # the batch, then part 2 alone
    assert sorted(store.sent) == sorted([*range(1, max(store.sent) + 1), 2])
    assert _opened(team, sub.body, store.get_blob(attachment_id)) == data


@dataclass
class Planned:
    """An API whose announcement and part URLs are scripted, to check what
    the client accepts before it sends a byte (as lib/upload.ts does)."""

    parts: Any
    answer: Any = None  # numbers asked -> numbers answered
    base_url: str = "http://127.0.0.1:9"
    calls: list[str] = field(default_factory=list)

    def sleep(self, _seconds: float) -> None:
        """No waits between tries."""

    def send(self, method: str, target: str, headers: Mapping[str, str],
             body: bytes) -> tuple[int, bytes]:
        self.calls.append(target)
        if target == "/v1/attachments":
            return 201, json.dumps({"id": "a_" + "A" * 22, "parts": self.parts}).encode()
        if target.endswith("/parts"):
            asked = json.loads(body)["numbers"]
            urls = [{"number": n, "method": "PUT", "url": f"{self.base_url}/p/{n}", "headers": {}}
                    for n in (self.answer or (lambda x: x))(asked)]
            return 200, json.dumps({"parts": urls}).encode()
        return 200, b"{}"


@pytest.mark.parametrize(("plan", "answer"), [
    ({"size": 10, "count": 1}, None),  # would send the first 10 bytes alone
    ({"size": 10, "count": 11}, None),  # a part beyond the end
    ({"size": 0, "count": 100}, None),
    ({"size": 10.0, "count": 10}, None),
    ({"size": "10", "count": 10}, None),
    ({"size": 10}, None),
    ({"size": 10, "count": 10}, lambda asked: asked[1:]),  # a part's URL missing
    ({"size": 10, "count": 10}, lambda asked: [n + 1 for n in asked]),  # other parts
], ids=["short", "long", "zero", "float", "text", "no count", "missing", "shifted"])
def test_the_client_refuses_parts_that_do_not_cover_the_attachment(
    plan: Any, answer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    puts: list[str] = []

    def exchange(method: str, url: str, headers: Any, body: bytes) -> Any:
        puts.append(url)
        return 200, {}, b""

    monkeypatch.setattr("candor.client._exchange", exchange)
    api = ApiClient(Planned(plan, answer))
    with pytest.raises(ApiError, match="unexpected"):
        api.send_attachment(os.urandom(100))
    assert puts == []
    # The same plan, covering the bytes, goes up part by part.
    assert ApiClient(Planned({"size": 10, "count": 10})).send_attachment(os.urandom(100))
    assert len(puts) == 10
