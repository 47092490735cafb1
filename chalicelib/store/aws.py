"""The cloud backend: sealed blobs in S3, the index in one DynamoDB table.

Table layout (protocol §4.2, §4.7): hash key ``pk`` (S), range key ``sk``
(S); ``chalicelib.store.dynamo`` encodes items and transactions.

Objects live under ``blobs/<key>`` (``keys.s3_object``) in a versioned bucket and never carry user
metadata. Attachments arrive by presigned PUT tagged
``candor-state=unclaimed``; the bucket's lifecycle rule expires that tag
after a day and :meth:`AwsCaseStore.claim_blob` retags the object
``candor-state=claimed`` to keep it.

boto3 clients are created on first use: a client made before a test starts
moto would talk to the real endpoint, and Lambda pays for it only when a
route needs storage. ``AWS_ENDPOINT_URL`` is honoured by boto3 itself.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.store import dynamo
from chalicelib.store.aws_parts import OCTETS, STATE_TAG, UNCLAIMED, S3Parts
from chalicelib.store.aws_parts import not_found as _not_found
from chalicelib.store.aws_parts import unavailable as _unavailable
from chalicelib.store.base import (
    BlobMissing,
    Clock,
    ConditionFailed,
    Item,
    Key,
    Op,
    Partition,
    StorageUnavailable,
    Upload,
    check_ops,
    raw_key,
    raw_partition,
)
from chalicelib.store.keys import S3_BLOB_PREFIX, dynamodb_key, s3_object

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_s3 import S3Client

CLAIMED = "claimed"
# Headers the uploader must send with a presigned PUT. All are signed, so a
# client that drops or changes one is refused: If-None-Match makes the URL
# single-use, the tag starts the one-day lifecycle clock, and a fixed
# Content-Type keeps anyone from storing, say, text/html that a download URL
# would then serve as a page. Content-Length is signed as well but not listed:
# browsers refuse to set it themselves (a forbidden header name) and always
# send the body's true length, which must then equal ``size``.
_UPLOAD_HEADERS = {
    "Content-Type": OCTETS,
    "If-None-Match": "*",
    "x-amz-tagging": f"{STATE_TAG}={UNCLAIMED}",
}

# DynamoDB cancels a transaction that touches an item another transaction is
# writing; nothing was applied, so it is safe to try again.
_RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
_TRANSACT_ATTEMPTS = 6


class AwsCaseStore(S3Parts):
    """A :class:`~chalicelib.store.base.CaseStore` on S3 and DynamoDB."""

    def __init__(
        self,
        bucket: str,
        table: str,
        *,
        session: boto3.session.Session | None = None,
        s3_client: S3Client | None = None,
        dynamodb_client: DynamoDBClient | None = None,
        endpoint_url: str | None = None,
        clock: Clock = time,
    ) -> None:
        self.bucket = bucket
        self.table = table
        self._session = session
        self._s3_client = s3_client
        self._ddb_client = dynamodb_client
        self._endpoint_url = endpoint_url
        self._clock = clock
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------
    def _now(self) -> int:
        return int(self._clock.time())

    def _config(self, **extra: Any) -> Config:
        return Config(
            # Worst case well inside API Gateway's 29 s integration timeout.
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=5,
            **extra,
        )

    def _boto_session(self) -> boto3.session.Session:
        # Called under self._lock: a boto3 Session is not thread-safe (its
        # clients are).
        if self._session is None:
            self._session = boto3.session.Session()
        return self._session

    @property
    def _s3(self) -> S3Client:
        with self._lock:
            if self._s3_client is None:
                self._s3_client = self._make_s3()
            return self._s3_client

    def _make_s3(self) -> S3Client:
        session = self._boto_session()
        # Presigned URLs must be SigV4: SigV2 signs neither Content-Length nor
        # the tagging header. On AWS they name the regional virtual host,
        # https://<bucket>.s3.<region>.amazonaws.com, the origin the pages'
        # CSP and the bucket's CORS rule must allow.
        s3opts = {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
        config = self._config(signature_version="s3v4", s3=s3opts)
        client = session.client("s3", endpoint_url=self._endpoint_url, config=config)
        if not client.meta.endpoint_url.endswith(".amazonaws.com"):
            # A custom endpoint (SeaweedFS, moto; from endpoint_url or
            # AWS_ENDPOINT_URL) has no per-bucket host names.
            config = config.merge(Config(s3={"addressing_style": "path"}))
            client = session.client("s3", endpoint_url=self._endpoint_url, config=config)
        return client

    @property
    def _ddb(self) -> DynamoDBClient:
        with self._lock:
            if self._ddb_client is None:
                self._ddb_client = self._boto_session().client(
                    "dynamodb", endpoint_url=self._endpoint_url, config=self._config()
                )
            return self._ddb_client

    # -- index ---------------------------------------------------------------
    def get(self, pk: Key[Any] | str, sk: str | None = None, /) -> Item[Any] | None:
        try:
            raw = self._ddb.get_item(
                TableName=self.table, Key=dynamodb_key(*raw_key(pk, sk)), ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return dynamo.decode(raw) if raw is not None and dynamo.live(raw, self._now()) else None

    def query(
        self, partition: Partition[Any] | str, /, *, prefix: str = "", after: str | None = None,
        limit: int | None = None,
    ) -> list[Item[Any]]:
        pk, prefix = raw_partition(partition, prefix)
        if limit is not None and limit <= 0:
            return []
        if after is not None and after >= prefix and not after.startswith(prefix):
            # Every key with the prefix sorts before `after`. DynamoDB would
            # refuse this start key as "outside query boundaries".
            return []
        now = self._now()
        out: list[Item] = []
        try:
            for page in self._query_pages(pk, prefix, after, limit):
                out += [dynamo.decode(raw) for raw in page if dynamo.live(raw, now)]
                if limit is not None and len(out) >= limit:
                    return out[:limit]
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return out

    def _query_pages(
        self, pk: str, prefix: str, after: str | None, limit: int | None
    ) -> Iterator[list[dict[str, Any]]]:
        args: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        if prefix:
            # An empty operand to begins_with is a ValidationException.
            args["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            args["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        if after is not None and after >= prefix:
            # The start key need not exist, only match the key condition;
            # DynamoDB resumes strictly after it.
            args["ExclusiveStartKey"] = dynamodb_key(pk, after)
        if limit is not None:
            # Read no more than needed; expired items are dropped afterwards,
            # so a short page just means one more round.
            args["Limit"] = limit
        while True:
            page = self._ddb.query(**args)
            yield page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def transact(self, ops: Sequence[Op]) -> None:
        check_ops(ops)
        if not ops:
            return
        for attempt in range(_TRANSACT_ATTEMPTS):
            now = self._now()
            items = [dynamo.transact_item(self.table, op, now) for op in ops]
            try:
                self._ddb.transact_write_items(
                    TransactItems=cast("list[TransactWriteItemTypeDef]", items)
                )
                return
            except ClientError as exc:
                if exc.response["Error"].get("Code") != "TransactionCanceledException":
                    raise _unavailable(exc) from exc
                reasons = dynamo.cancellation_codes(cast("dict[str, Any]", exc.response))
                if "ConditionalCheckFailed" in reasons:
                    index = reasons.index("ConditionalCheckFailed")
                    raise ConditionFailed(index, ops[index].name) from None
                if not set(reasons) & _RETRYABLE_REASONS:
                    raise _unavailable(exc) from exc
            except BotoCoreError as exc:
                raise _unavailable(exc) from exc
            # Jittered backoff: up to ~1.3 s in all before giving up.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - not crypto
        raise StorageUnavailable("TransactionConflict")

    # -- blobs ---------------------------------------------------------------
    def put_blob(self, key: str, data: bytes) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=s3_object(key),
                Body=data,
                ContentType=OCTETS,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"].get("Code") != "PreconditionFailed":
                raise _unavailable(exc) from exc
            # botocore retries a PUT whose answer was lost (a timeout, a
            # 5xx after the write); the retry then finds our own first
            # attempt. Refusing it would leave that object unreferenced.
            if not self._holds(key, data):
                raise ConditionFailed(0) from None
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def _holds(self, key: str, data: bytes) -> bool:
        """Whether blob ``key`` exists with exactly ``data``. Raises StorageUnavailable."""
        try:
            return self.get_blob(key) == data
        except BlobMissing:
            return False

    def get_blob(self, key: str) -> bytes:
        return self._get(key, None)

    def read_blob_head(self, key: str, length: int) -> bytes:
        if length <= 0:
            if self.blob_size(key) is None:
                raise BlobMissing(key)
            return b""
        return self._get(key, f"bytes=0-{length - 1}")

    def _get(self, key: str, byte_range: str | None) -> bytes:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": s3_object(key)}
        if byte_range:
            args["Range"] = byte_range
        try:
            body = self._s3.get_object(**args)["Body"]
            try:
                return body.read()
            finally:
                body.close()
        except ClientError as exc:
            if _not_found(exc):
                raise BlobMissing(key) from None
            if byte_range and exc.response["Error"].get("Code") == "InvalidRange":
                return b""  # an empty blob has no byte 0
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def blob_size(self, key: str) -> int | None:
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=s3_object(key))
        except ClientError as exc:
            if _not_found(exc):
                return None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return head["ContentLength"]

    def delete_blob(self, key: str) -> None:
        """Delete every version and delete marker (protocol §4.7 purge)."""
        name = s3_object(key)
        try:
            pages = self._s3.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=name
            )
            for page in pages:
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
                    if v["Key"] == name  # the prefix also matches longer keys
                ]
                if doomed:
                    self._delete_versions(doomed)
        except ClientError as exc:
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def _delete_versions(self, doomed: list[dict[str, str]]) -> None:
        answer = self._s3.delete_objects(
            Bucket=self.bucket, Delete={"Objects": doomed, "Quiet": True}  # type: ignore[typeddict-item]
        )
        if answer.get("Errors"):
            raise StorageUnavailable(answer["Errors"][0].get("Code", "DeleteFailed"))

    def upload_url(self, key: str, size: int, expires_in: int) -> Upload:
        try:
            url = self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": s3_object(key),
                    "ContentLength": size,
                    "ContentType": OCTETS,
                    "IfNoneMatch": "*",
                    "Tagging": f"{STATE_TAG}={UNCLAIMED}",
                },
                ExpiresIn=expires_in,
            )
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return Upload("PUT", url, dict(_UPLOAD_HEADERS))

    def claim_blob(self, key: str) -> None:
        if not self._tag_state(key, CLAIMED):
            raise BlobMissing(key)

    def release_blob(self, key: str) -> None:
        # Tagged unclaimed again, the lifecycle rule removes it a day later.
        self._tag_state(key, UNCLAIMED)

    def _tag_state(self, key: str, state: str) -> bool:
        """Set the object's ``candor-state`` tag; False when there is no such
        object. Raises StorageUnavailable."""
        try:
            self._s3.put_object_tagging(
                Bucket=self.bucket,
                Key=s3_object(key),
                Tagging={"TagSet": [{"Key": STATE_TAG, "Value": state}]},
            )
        except ClientError as exc:
            if _not_found(exc):
                return False
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return True

    def download_url(self, key: str, expires_in: int) -> str:
        try:
            return self._s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": s3_object(key)},
                ExpiresIn=expires_in,
            )
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    list_page = 1000  # names per ListObjectsV2 request (S3's most); tests page smaller

    def blob_names(self, before: int) -> Iterator[str]:
        # LastModified is the PUT (put_blob or the presigned upload); retagging
        # at claim_blob does not change it.
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=S3_BLOB_PREFIX,
                PaginationConfig={"PageSize": self.list_page})
            for page in pages:
                for obj in page.get("Contents", []):
                    if obj["LastModified"].timestamp() < before:
                        yield obj["Key"].removeprefix(S3_BLOB_PREFIX)
        except ClientError as exc:
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def sweep(self, now: int) -> int:
        # DynamoDB TTL removes expired items and the bucket's lifecycle rule
        # removes unclaimed uploads; reads already hide what they have not
        # reached yet.
        return 0
