"""``candor serve``'s local upload and download URLs answer a storage failure
(a full disk, say) as the API does: 503 ``unavailable`` and a warning, never
an "unexpected" error (protocol §4.1)."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor.serve import make_server
from chalicelib.config import Settings
from chalicelib.store.base import StorageUnavailable
from chalicelib.store.local import LocalCaseStore


class _Broken(LocalCaseStore):
    def receive_upload(self, *args: Any, **kwargs: Any) -> None:
        raise StorageUnavailable("ENOSPC")

    def open_download(self, *args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("EIO")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    server = make_server(Settings(), _Broken(tmp_path / "data"), None, "127.0.0.1", 0,
                         puzzles=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/v1/uploads/a_x?size=1&expires=1&sig=x"),
    ("GET", "/v1/downloads/a_x?expires=1&sig=x"),
])
def test_a_storage_failure_is_503_and_a_warning(url: str, method: str, path: str) -> None:
    lines = _Lines()
    logging.getLogger("candor.serve").addHandler(lines)
    try:
        req = urllib.request.Request(url + path, method=method,  # noqa: S310 -- local
                                     data=b"x" if method == "PUT" else None)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(req, timeout=10)  # noqa: S310 -- local test server
    finally:
        logging.getLogger("candor.serve").removeHandler(lines)
    assert answer.value.code == 503
    assert json.loads(answer.value.read())["error"]["code"] == "unavailable"
    assert lines.lines == [(logging.WARNING, "storage failure: StorageUnavailable")]
