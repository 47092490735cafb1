"""Storage backends for tests, as a pytest plugin.

``tests/conftest.py`` loads it with ``pytest_plugins = ["tests.backends"]``.

- ``any_store``: a fresh, empty store for each of ``local`` (a tmp dir),
  ``aws`` (moto in-process, ``mock_aws``) and ``aws-server`` (moto's
  ThreadedMotoServer on a loopback port, over real HTTP, started once).
- ``clock``: the :class:`FakeClock` ``any_store`` reads; advance it to expire
  items.
- ``make_store(kind, tmp_path)``: the same as a context manager, for tests
  that need several stores.

Fake AWS credentials and region are set only while a store is open, never at
import time, and any ``AWS_ENDPOINT_URL`` of the caller is hidden so that
moto, not a real endpoint, answers.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from chalicelib.store.base import CaseStore, Clock

ALL_KINDS = ("local", "aws", "aws-server")
# `make check` runs the local backend only (the fast loop); `make test` runs all.
KINDS = tuple(os.environ.get("CANDOR_TEST_BACKENDS", ",".join(ALL_KINDS)).split(","))
if not set(KINDS) <= set(ALL_KINDS):
    raise ValueError(f"CANDOR_TEST_BACKENDS names an unknown backend: {KINDS}")
AWS_REGION = "us-east-1"
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": AWS_REGION,
    "AWS_REGION": AWS_REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass
class FakeClock:
    """A settable clock (``chalicelib.store.base.Clock``)."""

    now: float = field(default_factory=lambda: float(int(time.time())))

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- environment --------------------------------------------------------------
@contextlib.contextmanager
def fake_aws_env(**extra: str) -> Iterator[None]:
    """Fake credentials and region; no profile, session token or endpoint."""
    hidden = [k for k in os.environ if k.startswith("AWS_") and k not in FAKE_AWS_ENV]
    with mock.patch.dict(os.environ, {**FAKE_AWS_ENV, **extra}):
        for k in hidden:
            del os.environ[k]
        yield


# -- moto ---------------------------------------------------------------------
_server_lock = threading.Lock()
_server: Any = None


def moto_server_url() -> str:
    """The endpoint of this process's ThreadedMotoServer, started on first use
    and stopped at the end of the test session (``pytest_sessionfinish``)."""
    global _server
    with _server_lock:
        if _server is None:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            _server = server
        host, port = _server.get_host_and_port()
        return f"http://{host}:{port}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


_moto_write_lock = threading.RLock()
_SERIALIZED = ("transact_write_items", "put_item", "update_item", "delete_item",
               "get_item", "query", "scan")


@contextlib.contextmanager
def serialized_moto_dynamodb() -> Iterator[None]:
    """Make moto's DynamoDB calls atomic with respect to each other.

    moto checks a condition and then writes without a lock, and rolls a
    cancelled transaction back by restoring a deep copy of the whole table,
    which can undo another thread's committed write (and break a reader
    iterating the table meanwhile). DynamoDB serializes
    conflicting writes, and the race tests are about our conditions, not
    about moto, so the tests give moto that property.
    """
    from moto.dynamodb.models import DynamoDBBackend

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            with _moto_write_lock:
                return method(*args, **kwargs)

        return call

    with contextlib.ExitStack() as stack:
        for name in _SERIALIZED:
            original = getattr(DynamoDBBackend, name)
            if not getattr(original, "_candor_locked", False):
                wrapper = locked(original)
                wrapper._candor_locked = True  # type: ignore[attr-defined]
                stack.enter_context(mock.patch.object(DynamoDBBackend, name, wrapper))
        yield


@functools.cache
def _session() -> Any:
    # One session for all tests: each new one parses the service models again.
    import boto3

    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=AWS_REGION
    )


def _aws_store(endpoint_url: str | None, clock: Clock) -> Any:
    from chalicelib.store.aws import AwsCaseStore
    from chalicelib.store.factory import create_aws_resources

    name = "candor-test-" + secrets.token_hex(6)
    session = _session()
    create_aws_resources(name, name, session=session, endpoint_url=endpoint_url)
    return AwsCaseStore(name, name, session=session, endpoint_url=endpoint_url, clock=clock)


@contextlib.contextmanager
def make_store(
    kind: str, tmp_path: Path, *, clock: Clock = time
) -> Iterator[CaseStore]:
    """A fresh, empty store of ``kind`` (one of KINDS) for the ``with`` block."""
    if kind == "local":
        from chalicelib.store.local import LocalCaseStore

        path = tmp_path / f"store-{secrets.token_hex(4)}"
        yield LocalCaseStore(path, clock=clock)
        return
    if kind not in ALL_KINDS:
        raise ValueError(f"unknown store kind {kind!r}")
    with fake_aws_env(), serialized_moto_dynamodb():
        if kind == "aws":
            from moto import mock_aws

            with mock_aws():
                yield _aws_store(None, clock)
        else:
            yield _aws_store(moto_server_url(), clock)


# -- talking to the object store ----------------------------------------------
def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request; (status, body), also for error statuses."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("tests only talk to loopback servers")
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - checked above
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def object_versions(store: Any, key: str) -> list[str]:
    """Every version id and delete marker of blob ``key`` (aws kinds)."""
    listing = store._s3.list_object_versions(Bucket=store.bucket, Prefix="blobs/" + key)
    return [
        v["VersionId"]
        for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
        if v["Key"] == "blobs/" + key
    ]


def object_tags(store: Any, key: str) -> dict[str, str]:
    tags = store._s3.get_object_tagging(Bucket=store.bucket, Key="blobs/" + key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tags}



# -- fixtures -----------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) tests pinned to a backend outside CANDOR_TEST_BACKENDS."""
    if KINDS == ALL_KINDS:
        return
    keep, drop = [], []
    for item in items:
        kind = getattr(item, "callspec", None) and item.callspec.params.get("store_kind")
        (drop if kind and kind not in KINDS else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def any_store(store_kind: str, tmp_path: Path, clock: FakeClock) -> Iterator[CaseStore]:
    """A fresh, empty store of each kind, reading ``clock``."""
    with make_store(store_kind, tmp_path, clock=clock) as store:
        yield store
