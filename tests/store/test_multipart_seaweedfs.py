"""Uploads in parts against a real S3-compatible server (protocol §4.2).

moto accepts part URLs that are expired, tampered with or sent a body of
another length; SeaweedFS (``weed mini``, see test_seaweedfs.py) checks the
SigV4 signature of presigned UploadPart URLs, their expiry and the signed
Content-Length. Like S3 it refuses to complete parts under 5 MiB but the
last, and unlike S3 it lists every copy of a part sent again.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from chalicelib.store.aws import AwsCaseStore
from chalicelib.store.base import PartsMissing, Upload
from chalicelib.store.factory import create_aws_resources
from tests.backends import fake_aws_env, http, moto_server_url, object_tags
from tests.support.seaweed import seaweedfs as start_seaweedfs

MiB = 1024 * 1024
LENGTHS = [5 * MiB, 5 * MiB, 100]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsCaseStore]:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"), "testing", "testing") as s3:
        name = "candor-weed-" + secrets.token_hex(4)
        env = {"AWS_ENDPOINT_URL_S3": s3, "AWS_ENDPOINT_URL_DYNAMODB": moto_server_url()}
        with fake_aws_env(**env):
            create_aws_resources(name, name)
            s = AwsCaseStore(name, name)
            s.blob_size("warm-up")  # make both clients while the endpoints are set
            s.get("warm", "up")
        yield s


def _put(up: Upload, body: bytes, url: str | None = None) -> int:
    status, _ = http("PUT", url or up.url, body, dict(up.headers))
    return status


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**dict(parse_qsl(parts.query)),
                                                      **changes})))


def _start(store: AwsCaseStore) -> tuple[str, str, bytes]:
    key = "a_" + secrets.token_urlsafe(16)
    return key, store.start_parts(key), secrets.token_bytes(sum(LENGTHS))


def _send(store: AwsCaseStore, key: str, upload_id: str, data: bytes, numbers: list[int]) -> None:
    for n in numbers:
        start = sum(LENGTHS[:n - 1])
        up = store.part_url(key, upload_id, n, LENGTHS[n - 1], 900)
        assert _put(up, data[start:start + LENGTHS[n - 1]]) == 200


def test_parts_round_trip(store: AwsCaseStore) -> None:
    key, upload_id, data = _start(store)
    up = store.part_url(key, upload_id, 1, LENGTHS[0], 900)
    assert "X-Amz-Signature=" in up.url
    signed = dict(parse_qsl(urlsplit(up.url).query))["X-Amz-SignedHeaders"].split(";")
    assert "content-length" in signed
    _send(store, key, upload_id, data, [3, 1, 2, 1])  # out of order; part 1 again
    store.complete_parts(key, upload_id, LENGTHS)
    store.complete_parts(key, upload_id, LENGTHS)  # a retry whose answer was lost
    assert store.get_blob(key) == data
    assert object_tags(store, key) == {"candor-state": "unclaimed"}
    assert _put(up, data[:LENGTHS[0]]) >= 400  # no part after completion
    assert store.get_blob(key) == data


def test_part_urls_refuse_other_lengths_tampering_and_expiry(store: AwsCaseStore) -> None:
    key, upload_id, data = _start(store)
    up = store.part_url(key, upload_id, 1, LENGTHS[0], 900)
    body = data[:LENGTHS[0]]
    assert _put(up, body + b"!") == 403
    assert _put(up, body[:-1]) == 403
    sig = dict(parse_qsl(urlsplit(up.url).query))["X-Amz-Signature"]
    for url in (_with_query(up.url, partNumber="2"), _with_query(up.url, **{
            "X-Amz-Expires": "604800"}), _with_query(up.url, **{
            "X-Amz-Signature": ("0" if sig[0] != "0" else "1") + sig[1:]})):
        assert _put(up, body, url) == 403, url
    short = store.part_url(key, upload_id, 1, LENGTHS[0], 1)
    time.sleep(2.2)
    assert _put(short, body) == 403
    with pytest.raises(PartsMissing):
        store.complete_parts(key, upload_id, LENGTHS)
    assert store.blob_size(key) is None


def test_completion_refuses_missing_and_short_parts(store: AwsCaseStore) -> None:
    key, upload_id, data = _start(store)
    _send(store, key, upload_id, data, [1, 3])
    with pytest.raises(PartsMissing):
        store.complete_parts(key, upload_id, LENGTHS)
    short = store.part_url(key, upload_id, 2, LENGTHS[1] - 1, 900)
    assert _put(short, data[LENGTHS[0]:sum(LENGTHS[:2]) - 1]) == 200
    with pytest.raises(PartsMissing):
        store.complete_parts(key, upload_id, LENGTHS)
    assert store.blob_size(key) is None
    _send(store, key, upload_id, data, [2])
    store.complete_parts(key, upload_id, LENGTHS)
    assert store.get_blob(key) == data


def test_a_concurrent_completion_counts_as_done(store: AwsCaseStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.store import aws_parts

    key, upload_id, data = _start(store)
    _send(store, key, upload_id, data, [1, 2, 3])
    listed = aws_parts._list_parts

    def racing(*args: Any) -> list[Any]:
        parts = listed(*args)
        monkeypatch.setattr(aws_parts, "_list_parts", listed)
        store.complete_parts(key, upload_id, LENGTHS)  # another request completes first
        return parts

    monkeypatch.setattr(aws_parts, "_list_parts", racing)
    store.complete_parts(key, upload_id, LENGTHS)
    assert store.get_blob(key) == data
