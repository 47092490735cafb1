"""``candor serve`` with its data directory on a full filesystem (protocol
§4.1: storage failure is 503 ``unavailable``).

The test mounts a small tmpfs as the data directory (it runs as root, here
and in CI) and fills it to the last byte. Reporters and the team then get
503 for whatever needs space and nothing else; reporters still read (a
team call records its nonce, so it needs space too), and what was
acknowledged before is whole. Once space is freed the same actions
succeed, the index passes SQLite's integrity check, and no partial file is
left behind.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from candor import teamops
from candor.client import ApiClient, ApiError, HttpTransport
from candor.reporter import Evidence, follow_up, submit
from chalicelib.store.local import LocalCaseStore
from tests.faults import ledger as lg
from tests.support.live import LiveServer, start_live_server
from tests.support.team import Team

pytestmark = pytest.mark.slow

SIZE = "24m"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of SIZE as ``tmp_path/data``, unmounted afterwards."""
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs",
                    str(data)], check=True)
    try:
        yield data
    finally:
        subprocess.run(["umount", "--lazy", str(data)], check=True)


@pytest.fixture
def server(small_fs: Path, team: Team) -> Iterator[LiveServer]:
    live = start_live_server(small_fs.parent, team, build=False)
    try:
        yield live
    finally:
        live.stop()


def fill(directory: Path) -> Path:
    """Write one file until the filesystem is full; returns it."""
    filler = directory / "filler"
    block = b"\0" * (1 << 16)
    errors = []
    with open(filler, "wb", buffering=0) as f:
        for size in (len(block), 4096, 512, 1):
            try:
                while True:
                    f.write(block[:size])
            except OSError as exc:
                errors.append(exc.errno)
    assert set(errors) == {errno.ENOSPC}
    assert os.statvfs(directory).f_bavail == 0
    return filler


def attempt(action: Callable[[], object]) -> str:
    try:
        action()
        return "ok"
    except ApiError as exc:
        return str(exc.status)


def test_full_disk_answers_503_and_recovers(server: LiveServer) -> None:
    # The client retries a 503 by itself; without its waits here.
    anon = ApiClient(HttpTransport(server.url, sleep=lambda _: None))
    admin: teamops.Session = server.session(server.team[0])
    book = lg.Ledger()

    def report(summary: str, files: list[Evidence]) -> None:
        sub = submit(anon, server.manifest, {"summary": summary}, files=files)
        book.summaries.add(summary)
        book.receipts.append(sub.receipt)

    report("before", [Evidence("photo.jpg", os.urandom(20_000))])
    (case_id,) = lg.case_ids(admin)
    visit = follow_up(anon, book.receipts[0], server.manifest)

    def reply() -> None:
        teamops.write(admin, teamops.read_case(admin, case_id), "message", "team reply")
        book.messages.add("team reply")

    def message() -> None:
        visit.send("reporter message")
        book.messages.add("reporter message")

    actions: dict[str, Callable[[], None]] = {
        "submit with attachment": lambda: report("with", [Evidence("a.pdf", os.urandom(9000))]),
        "submit": lambda: report("plain", []),
        "team reply": reply,
        "reporter message": message,
    }
    filler = fill(server.data_dir)
    while_full = {name: attempt(act) for name, act in actions.items()}
    assert set(while_full.values()) <= {"ok", "503"}, while_full
    assert "503" in while_full.values(), while_full
    # A reporter still reads; a team call records its nonce, so it needs space.
    assert all(ok for _, ok in visit.read_messages(server.manifest))
    assert attempt(lambda: lg.case_ids(admin)) in ("ok", "503")

    filler.unlink()
    after = {name: attempt(act) for name, act in actions.items() if while_full[name] != "ok"}
    assert set(after.values()) == {"ok"}, after
    lg.check(admin, book, stale=lg.case_ids(admin))
    assert len(book.summaries) == 3
    # A write the full disk cut short leaves no partial file taking space.
    assert list((server.data_dir / "tmp").iterdir()) == []
    store = LocalCaseStore(server.data_dir)
    store.sweep(int(store._clock.time()) + 25 * 3600)
    assert lg.local_unswept(server.data_dir) == []


def test_an_upload_to_a_full_disk_answers_503(server: LiveServer) -> None:
    anon = ApiClient(HttpTransport(server.url, sleep=lambda _: None))
    sealed = os.urandom(300_000)
    announced = anon.call("POST", "/v1/attachments", {"size": len(sealed)}, signed=False)
    filler = fill(server.data_dir)
    with pytest.raises(ApiError) as refused:
        anon.upload(announced["upload"], sealed)
    assert refused.value.status == 503
    assert list((server.data_dir / "tmp").iterdir()) == []  # the partial upload is gone
    filler.unlink()
    anon.upload(announced["upload"], sealed)
    assert LocalCaseStore(server.data_dir).get_blob(announced["id"]) == sealed
