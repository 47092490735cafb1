"""How the aws backend maps AWS failures onto the store's errors (protocol §4.1:
storage failure is the only 5xx, 503 ``unavailable``).

moto never throttles or reports transaction conflicts, so these use
botocore's Stubber and a closed loopback port.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.store.aws import AwsCaseStore
from chalicelib.store.base import ABSENT, BlobMissing, ConditionFailed, Put, StorageUnavailable
from tests.backends import FakeClock, fake_aws_env

NO_RETRY = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1)


@pytest.fixture(autouse=True)
def _no_real_aws() -> Iterator[None]:
    with fake_aws_env():  # no endpoint, profile or credentials of the caller
        yield


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[AwsCaseStore, Stubber, Stubber]]:
    session = _session()
    ddb = session.client("dynamodb", config=NO_RETRY)
    s3 = session.client("s3", config=NO_RETRY)
    with Stubber(ddb) as ddb_stub, Stubber(s3) as s3_stub:
        store = AwsCaseStore(
            "bucket", "table", s3_client=s3, dynamodb_client=ddb, clock=FakeClock(1000.0)
        )
        yield store, ddb_stub, s3_stub
        ddb_stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()


def _cancel(stub: Stubber, *codes: str) -> None:
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": c} for c in codes]},
    )


OPS = [Put("p", "a", {}, expect=ABSENT), Put("p", "b", {}, expect=3)]


def test_condition_failure_names_the_operation(stubbed: Any) -> None:
    store, ddb, _ = stubbed
    _cancel(ddb, "None", "ConditionalCheckFailed")
    with pytest.raises(ConditionFailed) as failed:
        store.transact(OPS)
    assert failed.value.index == 1


def test_transaction_conflicts_are_retried(stubbed: Any) -> None:
    store, ddb, _ = stubbed
    _cancel(ddb, "TransactionConflict", "None")
    _cancel(ddb, "None", "TransactionConflict")
    ddb.add_response("transact_write_items", {})
    store.transact(OPS)


def test_a_conflict_then_a_failed_condition(stubbed: Any) -> None:
    store, ddb, _ = stubbed
    _cancel(ddb, "TransactionConflict", "None")
    _cancel(ddb, "ConditionalCheckFailed", "None")
    with pytest.raises(ConditionFailed) as failed:
        store.transact(OPS)
    assert failed.value.index == 0


def test_endless_conflicts_are_unavailable(stubbed: Any, monkeypatch: Any) -> None:
    store, ddb, _ = stubbed
    monkeypatch.setattr("chalicelib.store.aws.time.sleep", lambda _: None)
    for _ in range(6):
        _cancel(ddb, "TransactionConflict", "None")
    with pytest.raises(StorageUnavailable):
        store.transact(OPS)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException",
             "InternalServerError", "ValidationException"],
)
def test_other_dynamodb_errors_are_unavailable(stubbed: Any, code: str) -> None:
    store, ddb, _ = stubbed
    ddb.add_client_error("transact_write_items", service_error_code=code)
    with pytest.raises(StorageUnavailable):
        store.transact(OPS)
    ddb.add_client_error("get_item", service_error_code=code)
    with pytest.raises(StorageUnavailable):
        store.get("p", "a")
    ddb.add_client_error("query", service_error_code=code)
    with pytest.raises(StorageUnavailable):
        store.query("p")


def test_s3_errors(stubbed: Any) -> None:
    store, _, s3 = stubbed
    s3.add_client_error("put_object", service_error_code="PreconditionFailed",
                        http_status_code=412)
    s3.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"y"), 1)})
    with pytest.raises(ConditionFailed):
        store.put_blob("k", b"x")
    s3.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
    with pytest.raises(StorageUnavailable):
        store.put_blob("k", b"x")
    s3.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with pytest.raises(BlobMissing):
        store.get_blob("k")
    s3.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(StorageUnavailable):
        store.get_blob("k")
    s3.add_client_error("head_object", service_error_code="404", http_status_code=404)
    assert store.blob_size("k") is None
    s3.add_client_error("put_object_tagging", service_error_code="NoSuchKey",
                        http_status_code=404)
    with pytest.raises(BlobMissing):
        store.claim_blob("k")


def test_a_put_retried_after_its_answer_was_lost_succeeds(stubbed: Any) -> None:
    # botocore retried a PUT whose first attempt was stored: If-None-Match
    # then refuses the retry, but the object is ours (no orphan, no 409).
    store, _, s3 = stubbed
    for stored in (b"mine", b"another"):
        s3.add_client_error("put_object", service_error_code="PreconditionFailed",
                            http_status_code=412)
        s3.add_response("get_object", {"Body": StreamingBody(io.BytesIO(stored), len(stored))})
    store.put_blob("k", b"mine")
    with pytest.raises(ConditionFailed):
        store.put_blob("k", b"mine")


def test_expired_items_are_filtered_on_read(stubbed: Any) -> None:
    # DynamoDB deletes expired items days late; reads must not show them.
    store, ddb, _ = stubbed
    row = {"pk": {"S": "p"}, "sk": {"S": "a"}, "data": {"S": "{}"}, "v": {"N": "1"},
           "ttl": {"N": "1000"}}  # the clock says 1000: expired
    ddb.add_response("get_item", {"Item": row})
    assert store.get("p", "a") is None
    live = {**row, "sk": {"S": "b"}, "ttl": {"N": "1001"}}
    ddb.add_response("query", {"Items": [row, live]})
    assert [i.sk for i in store.query("p")] == ["b"]


def test_unreachable_endpoint_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # closed once the block ends
    session = _session()
    store = AwsCaseStore(
        "bucket", "table",
        s3_client=session.client("s3", endpoint_url=url, config=NO_RETRY),
        dynamodb_client=session.client("dynamodb", endpoint_url=url, config=NO_RETRY),
    )
    with pytest.raises(StorageUnavailable):
        store.get("p", "a")
    with pytest.raises(StorageUnavailable):
        store.transact(OPS)
    with pytest.raises(StorageUnavailable):
        store.put_blob("k", b"x")
    with pytest.raises(StorageUnavailable):
        store.blob_size("k")


def test_clients_are_made_lazily(monkeypatch: Any) -> None:
    made: list[str] = []
    session = _session()
    real = session.client

    def client(name: str, **kwargs: Any) -> Any:
        made.append(name)
        return real(name, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(session, "client", client)
    store = AwsCaseStore("bucket", "table", session=session)
    assert made == []
    store.upload_url("k", 1, 60)
    assert made == ["s3"]


def test_presigned_urls_on_aws() -> None:
    # The origin the pages' CSP `connect-src` and the bucket's CORS rule name.
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-central-1"
    )
    store = AwsCaseStore("candor-blobs", "t", session=session)
    up = store.upload_url("a_x", 123, 900)
    assert up.url.startswith("https://candor-blobs.s3.eu-central-1.amazonaws.com/blobs/a_x?")
    assert "X-Amz-Expires=900" in up.url
    assert "content-length%3Bcontent-type%3Bhost%3Bif-none-match%3Bx-amz-tagging" in up.url
    assert dict(up.headers) == {
        "Content-Type": "application/octet-stream",
        "If-None-Match": "*",
        "x-amz-tagging": "candor-state=unclaimed",
    }
    assert store.download_url("a_x", 300).startswith(
        "https://candor-blobs.s3.eu-central-1.amazonaws.com/blobs/a_x?"
    )
