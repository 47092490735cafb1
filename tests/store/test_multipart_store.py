"""Uploads in parts (chalicelib/store/base.py, protocol §4.2), on every backend.

moto refuses parts under 5 MiB but the last, as S3 does; the tests lower
that floor (``moto.s3.models.S3_UPLOAD_PART_MIN_SIZE``) to keep parts small.
The URL rules moto does not check (signature, expiry, length) run locally
here and against SeaweedFS in test_multipart_seaweedfs.py.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chalicelib.store.base import BlobMissing, CaseStore, PartsMissing, Upload
from chalicelib.store.local import LocalCaseStore, UploadRefused
from tests.backends import FakeClock, http, object_tags

PART = 1024
LENGTHS = [PART, PART, 300]


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)


def send_part(store: Any, kind: str, up: Upload, body: bytes) -> bool:
    """PUT one part as a client would; True if the backend took it."""
    assert up.method == "PUT"
    if kind == "local":
        parts = urlsplit(up.url)
        key, _, number = unquote(parts.path).removeprefix("/v1/uploads/").partition("/parts/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            store.receive_part(key, int(number), query, io.BytesIO(body), len(body))
        except UploadRefused:
            return False
        return True
    if kind == "aws":  # moto in-process intercepts `requests`, not urllib
        import requests

        try:
            return bool(requests.put(up.url, data=body, headers=dict(up.headers), timeout=30).ok)
        except KeyError:  # moto's way to refuse a part of a completed upload (S3: 404)
            return False
    status, _ = http("PUT", up.url, body, dict(up.headers))
    return 200 <= status < 300


def start(store: CaseStore, kind: str, data: bytes, lengths: Sequence[int] = LENGTHS,
          only: Sequence[int] | None = None) -> tuple[str, str]:
    """A new upload in parts with parts ``only`` (default: all) sent."""
    key = "a_" + secrets.token_urlsafe(16)
    upload_id = store.start_parts(key)
    offset = 0
    for n, length in enumerate(lengths, 1):
        if only is None or n in only:
            up = store.part_url(key, upload_id, n, length, 900)
            assert send_part(store, kind, up, data[offset:offset + length])
        offset += length
    return key, upload_id


def test_parts_complete_into_a_claimable_blob(any_store: CaseStore, store_kind: str) -> None:
    data = secrets.token_bytes(sum(LENGTHS))
    key, upload_id = start(any_store, store_kind, b"x" * len(data), only=[3, 1, 2])
    # Sending a part again replaces it (a retry, a resumed upload).
    offset = 0
    for n, length in enumerate(LENGTHS, 1):
        up = any_store.part_url(key, upload_id, n, length, 900)
        assert send_part(any_store, store_kind, up, data[offset:offset + length])
        offset += length
    assert any_store.blob_size(key) is None  # nothing to claim before completion
    any_store.complete_parts(key, upload_id, LENGTHS)
    assert any_store.get_blob(key) == data
    any_store.complete_parts(key, upload_id, LENGTHS)  # a retry whose answer was lost
    if store_kind != "local":
        assert object_tags(any_store, key) == {"candor-state": "unclaimed"}
    any_store.claim_blob(key)
    assert any_store.get_blob(key) == data
    # No part goes in after completion.
    late = any_store.part_url(key, upload_id, 1, PART, 900)
    assert not send_part(any_store, store_kind, late, data[:PART])
    assert any_store.get_blob(key) == data


@pytest.mark.parametrize("only", [[1, 3], [1, 2]])
def test_completion_refuses_missing_parts(any_store: CaseStore, store_kind: str,
                                          only: list[int]) -> None:
    data = secrets.token_bytes(sum(LENGTHS))
    key, upload_id = start(any_store, store_kind, data, only=only)
    with pytest.raises(PartsMissing):
        any_store.complete_parts(key, upload_id, LENGTHS)
    assert any_store.blob_size(key) is None
    # The missing part sent, the same upload completes.
    (missing,) = set(range(1, 4)) - set(only)
    offset = sum(LENGTHS[:missing - 1])
    up = any_store.part_url(key, upload_id, missing, LENGTHS[missing - 1], 900)
    assert send_part(any_store, store_kind, up, data[offset:offset + LENGTHS[missing - 1]])
    any_store.complete_parts(key, upload_id, LENGTHS)
    assert any_store.get_blob(key) == data


def test_completion_refuses_short_parts(any_store: CaseStore, store_kind: str) -> None:
    data = secrets.token_bytes(sum(LENGTHS))
    key, upload_id = start(any_store, store_kind, data, only=[1, 3])
    short = any_store.part_url(key, upload_id, 2, PART - 1, 900)  # a URL for a shorter part
    assert send_part(any_store, store_kind, short, data[PART:2 * PART - 1])
    with pytest.raises(PartsMissing):
        any_store.complete_parts(key, upload_id, LENGTHS)
    # Nor does an extra part pass: exactly parts 1..N.
    key, upload_id = start(any_store, store_kind, data + data[:300], [*LENGTHS, 300])
    with pytest.raises(PartsMissing):
        any_store.complete_parts(key, upload_id, LENGTHS)
    assert any_store.blob_size(key) is None


def test_completing_an_unknown_upload(any_store: CaseStore, store_kind: str) -> None:
    key, upload_id = start(any_store, store_kind, secrets.token_bytes(sum(LENGTHS)))
    unknown = "a_" + secrets.token_urlsafe(16)
    with pytest.raises(BlobMissing):
        any_store.complete_parts(unknown, upload_id.replace(upload_id[:8], "A" * 8), LENGTHS)
    any_store.complete_parts(key, upload_id, LENGTHS)


# -- local URLs and cleanup -------------------------------------------------------


def _local(tmp_path: Path, clock: FakeClock) -> LocalCaseStore:
    return LocalCaseStore(tmp_path / "data", clock=clock)


def test_local_part_refusals(tmp_path: Path, clock: FakeClock) -> None:
    store = _local(tmp_path, clock)
    key, upload_id = start(store, "local", b"", only=[])
    up = store.part_url(key, upload_id, 1, 4, 60)
    for body in (b"12345", b"123"):  # over, under
        assert not send_part(store, "local", up, body)
    # Another length, part number or upload than signed; a changed signature.
    assert not send_part(store, "local", Upload("PUT", up.url.replace("size=4", "size=5")),
                         b"12345")
    assert not send_part(store, "local", Upload("PUT", up.url.replace("/parts/1?", "/parts/2?")),
                         b"1234")
    assert not send_part(store, "local", Upload("PUT", up.url.replace(upload_id, "0" * 16)),
                         b"1234")
    flipped = up.url[:-1] + ("1" if up.url[-1] == "0" else "0")
    assert not send_part(store, "local", Upload("PUT", flipped), b"1234")
    assert not list((store.layout.parts / key).iterdir())
    clock.advance(61)
    assert not send_part(store, "local", up, b"1234")
    assert send_part(store, "local", store.part_url(key, upload_id, 1, 4, 60), b"1234")


def test_local_sweep_removes_incomplete_uploads(tmp_path: Path, clock: FakeClock) -> None:
    store = _local(tmp_path, clock)
    data = secrets.token_bytes(sum(LENGTHS))
    kept_key, kept_id = start(store, "local", data)
    clock.advance(3600)
    key, upload_id = start(store, "local", data, only=[1, 2])
    store.sweep(int(clock.time()) + 24 * 3600 - 3600)
    # The first (a day old) is gone, the second (23 h) still completes.
    assert not (store.layout.parts / kept_key).exists()
    with pytest.raises(BlobMissing):
        store.complete_parts(kept_key, kept_id, LENGTHS)
    assert send_part(store, "local", store.part_url(key, upload_id, 3, 300, 60), data[-300:])
    store.complete_parts(key, upload_id, LENGTHS)
    assert store.get_blob(key) == data
    # Completed but never claimed: gone a day after the start, parts and all.
    store.sweep(int(clock.time()) + 24 * 3600)
    assert store.blob_size(key) is None
    assert not list(store.layout.parts.iterdir())


def test_local_parts_left_by_completion_go_with_the_claim_or_the_sweep(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed between linking the blob and removing its parts, then claimed:
    # the claim deletes the upload row, the only thing the sweep looked at.
    import chalicelib.store.local_parts as local_parts

    store = _local(tmp_path, clock)
    data = secrets.token_bytes(sum(LENGTHS))
    key, upload_id = start(store, "local", data)
    with monkeypatch.context() as m:
        m.setattr(local_parts.shutil, "rmtree", lambda *a, **k: None)
        store.complete_parts(key, upload_id, LENGTHS)
    assert (store.layout.parts / key).exists()
    store.claim_blob(key)
    assert store.get_blob(key) == data
    assert not (store.layout.parts / key).exists()
    # A part that lands while the claim removes the directory: no row names
    # it; the sweep drops a part directory untouched for a day.
    (store.layout.parts / key).mkdir()
    (store.layout.parts / key / "2").write_bytes(data[:PART])
    store.sweep(int(clock.time()) + 3600)
    assert (store.layout.parts / key).exists()
    store.sweep(int(clock.time()) + 25 * 3600)
    assert not list(store.layout.parts.iterdir())
    assert store.get_blob(key) == data
