"""The cloud backend: sealed blobs in S3, the index in one DynamoDB table.

Table layout (protocol §4.2, §4.7): hash key ``pk`` (S), range key ``sk`` (S);
an item's document is the JSON string ``data`` (no DynamoDB numbers, so no
``Decimal``), its version ``v`` (N) and its expiry ``ttl`` (N, epoch seconds,
the table's TTL attribute). DynamoDB deletes expired items up to days late,
so every read and every condition also treats ``ttl <= now`` as absent.

Objects live under ``blobs/<key>`` in a versioned bucket and never carry user
metadata. Attachments arrive by presigned PUT tagged
``candor-state=unclaimed``; the bucket's lifecycle rule expires that tag
after a day and :meth:`AwsCaseStore.claim_blob` retags the object
``candor-state=claimed`` to keep it.

boto3 clients are created on first use: a client made before a test starts
moto would talk to the real endpoint, and Lambda pays for it only when a
route needs storage. ``AWS_ENDPOINT_URL`` is honoured by boto3 itself.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.store.base import (
    ABSENT,
    ANY,
    BlobMissing,
    Clock,
    ConditionFailed,
    Delete,
    Item,
    Op,
    Put,
    StorageUnavailable,
    Upload,
    check_ops,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_s3 import S3Client

BLOB_PREFIX = "blobs/"
STATE_TAG = "candor-state"
UNCLAIMED = "unclaimed"
CLAIMED = "claimed"
# Headers the uploader must send with a presigned PUT. All are signed, so a
# client that drops or changes one is refused: If-None-Match makes the URL
# single-use, the tag starts the one-day lifecycle clock, and a fixed
# Content-Type keeps anyone from storing, say, text/html that a download URL
# would then serve as a page. Content-Length is signed as well but not listed:
# browsers refuse to set it themselves (a forbidden header name) and always
# send the body's true length, which must then equal ``size``.
OCTETS = "application/octet-stream"
_UPLOAD_HEADERS = {
    "Content-Type": OCTETS,
    "If-None-Match": "*",
    "x-amz-tagging": f"{STATE_TAG}={UNCLAIMED}",
}

# DynamoDB cancels a transaction that touches an item another transaction is
# writing; nothing was applied, so it is safe to try again.
_RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
_TRANSACT_ATTEMPTS = 6
_NAMES = {"#data": "data", "#v": "v", "#ttl": "ttl"}
_LIVE = "(attribute_not_exists(#ttl) OR #ttl > :now)"
_GONE = "(attribute_not_exists(pk) OR #ttl <= :now)"


def _unavailable(exc: Exception) -> StorageUnavailable:
    code = exc.response["Error"].get("Code", "") if isinstance(exc, ClientError) else ""
    return StorageUnavailable(code or type(exc).__name__)


def _cancellation_codes(exc: ClientError) -> list[str]:
    # One reason per operation, in order; "None" for those that were fine.
    response = cast("dict[str, Any]", exc.response)
    return [r.get("Code", "None") for r in response.get("CancellationReasons", [])]


def _not_found(exc: ClientError) -> bool:
    error = exc.response["Error"]
    return error.get("Code") in {"NoSuchKey", "404", "NotFound"}


class AwsCaseStore:
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

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    @staticmethod
    def _item(raw: dict[str, Any]) -> Item:
        ttl = raw.get("ttl")
        return Item(
            raw["pk"]["S"],
            raw["sk"]["S"],
            json.loads(raw["data"]["S"]),
            int(raw["v"]["N"]),
            None if ttl is None else int(ttl["N"]),
        )

    @staticmethod
    def _live(raw: dict[str, Any] | None, now: int) -> bool:
        return raw is not None and ("ttl" not in raw or int(raw["ttl"]["N"]) > now)

    # -- index ---------------------------------------------------------------
    def get(self, pk: str, sk: str) -> Item | None:
        try:
            raw = self._ddb.get_item(
                TableName=self.table, Key=self._key(pk, sk), ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return self._item(raw) if raw is not None and self._live(raw, self._now()) else None

    def query(
        self, pk: str, *, prefix: str = "", after: str | None = None, limit: int | None = None
    ) -> list[Item]:
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
                out += [self._item(raw) for raw in page if self._live(raw, now)]
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
            args["ExclusiveStartKey"] = self._key(pk, after)
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
            items = [self._transact_item(op, now) for op in ops]
            try:
                self._ddb.transact_write_items(
                    TransactItems=cast("list[TransactWriteItemTypeDef]", items)
                )
                return
            except ClientError as exc:
                if exc.response["Error"].get("Code") != "TransactionCanceledException":
                    raise _unavailable(exc) from exc
                reasons = _cancellation_codes(exc)
                if "ConditionalCheckFailed" in reasons:
                    raise ConditionFailed(reasons.index("ConditionalCheckFailed")) from None
                if not set(reasons) & _RETRYABLE_REASONS:
                    raise _unavailable(exc) from exc
            except BotoCoreError as exc:
                raise _unavailable(exc) from exc
            # Jittered backoff: up to ~1.3 s in all before giving up.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - not crypto
        raise StorageUnavailable("TransactionConflict")

    def _transact_item(self, op: Op, now: int) -> dict[str, Any]:
        base: dict[str, Any] = {"TableName": self.table}
        values: dict[str, Any] = {":now": {"N": str(now)}}
        if op.expect == ABSENT:
            condition = _GONE
        elif op.expect == ANY:
            condition = ""
        else:
            condition = f"#v = :expect AND {_LIVE}"
            values[":expect"] = {"N": str(op.expect)}
        if isinstance(op, Put) and op.expect == ANY:
            return {"Update": {**base, **self._update_any(op)}}
        if condition:
            base["ConditionExpression"] = condition
            base["ExpressionAttributeValues"] = values
            base["ExpressionAttributeNames"] = {
                k: v for k, v in _NAMES.items() if k in condition
            }
        if isinstance(op, Put):
            raw = {
                **self._key(op.pk, op.sk),
                "data": {"S": json.dumps(op.data, separators=(",", ":"))},
                "v": {"N": str(1 if op.expect == ABSENT else op.expect + 1)},
            }
            if op.expires is not None:
                raw["ttl"] = {"N": str(op.expires)}
            return {"Put": {**base, "Item": raw}}
        if isinstance(op, Delete):
            return {"Delete": {**base, "Key": self._key(op.pk, op.sk)}}
        if not condition:  # a Check with ANY holds for every item
            base["ConditionExpression"] = "attribute_exists(pk) OR attribute_not_exists(pk)"
        return {"ConditionCheck": {**base, "Key": self._key(op.pk, op.sk)}}

    def _update_any(self, op: Put) -> dict[str, Any]:
        # An unconditional put must still bump the version atomically, which a
        # Put cannot do; an expired item still physically present keeps
        # counting up (see Put in base.py).
        expr = "SET #data = :data, #v = if_not_exists(#v, :zero) + :one"
        values = {
            ":data": {"S": json.dumps(op.data, separators=(",", ":"))},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
        }
        if op.expires is None:
            expr += " REMOVE #ttl"
        else:
            expr += ", #ttl = :ttl"
            values[":ttl"] = {"N": str(op.expires)}
        return {
            "Key": self._key(op.pk, op.sk),
            "UpdateExpression": expr,
            "ExpressionAttributeNames": dict(_NAMES),
            "ExpressionAttributeValues": values,
        }

    # -- blobs ---------------------------------------------------------------
    def put_blob(self, key: str, data: bytes) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=BLOB_PREFIX + key,
                Body=data,
                ContentType=OCTETS,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"].get("Code") == "PreconditionFailed":
                raise ConditionFailed(0) from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def get_blob(self, key: str) -> bytes:
        return self._get(key, None)

    def read_blob_head(self, key: str, length: int) -> bytes:
        if length <= 0:
            if self.blob_size(key) is None:
                raise BlobMissing(key)
            return b""
        return self._get(key, f"bytes=0-{length - 1}")

    def _get(self, key: str, byte_range: str | None) -> bytes:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": BLOB_PREFIX + key}
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
            head = self._s3.head_object(Bucket=self.bucket, Key=BLOB_PREFIX + key)
        except ClientError as exc:
            if _not_found(exc):
                return None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return head["ContentLength"]

    def delete_blob(self, key: str) -> None:
        """Delete every version and delete marker (protocol §4.7 purge)."""
        name = BLOB_PREFIX + key
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
                    "Key": BLOB_PREFIX + key,
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
                Key=BLOB_PREFIX + key,
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
                Params={"Bucket": self.bucket, "Key": BLOB_PREFIX + key},
                ExpiresIn=expires_in,
            )
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def sweep(self, now: int) -> int:
        # DynamoDB TTL removes expired items and the bucket's lifecycle rule
        # removes unclaimed uploads; reads already hide what they have not
        # reached yet.
        return 0
