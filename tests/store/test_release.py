"""``release_blob`` undoes a claim whose transaction failed: the upload goes
the way of every unclaimed upload (every backend)."""

from __future__ import annotations

from typing import Any

from tests.backends import FakeClock, object_tags


def _uploaded(store: Any, key: str) -> None:
    if hasattr(store, "receive_upload"):
        import io
        from urllib.parse import parse_qs, urlsplit

        upload = store.upload_url(key, 5, 900)
        q = {k: v[0] for k, v in parse_qs(urlsplit(upload.url).query).items()}
        store.receive_upload(key, 5, int(q["expires"]), q["sig"], io.BytesIO(b"bytes"), 5)
    else:
        store._s3.put_object(Bucket=store.bucket, Key="blobs/" + key, Body=b"bytes",
                             Tagging="candor-state=unclaimed")


def test_released_uploads_are_unclaimed_again(any_store: Any, clock: FakeClock) -> None:
    key = "a_" + "R" * 22
    _uploaded(any_store, key)
    any_store.claim_blob(key)
    any_store.release_blob(key)
    assert any_store.get_blob(key) == b"bytes"  # still there for a retry
    any_store.release_blob("a_" + "N" * 22)  # absent is fine
    if hasattr(any_store, "receive_upload"):
        clock.advance(24 * 3600 + 1)
        any_store.sweep(int(clock.time()))
        assert any_store.blob_size(key) is None
    else:
        assert object_tags(any_store, key) == {"candor-state": "unclaimed"}
