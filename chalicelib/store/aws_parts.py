"""Attachments sent in parts to S3 (protocol §4.2): multipart uploads.

The upload is created tagged ``candor-state=unclaimed`` like a single
presigned PUT, so the completed object falls under the same lifecycle rule;
parts never completed go by the bucket's AbortIncompleteMultipartUpload rule
(a day). Part URLs are presigned UploadPart requests with Content-Length
signed. The server lists the parts itself at completion (ListParts), so a
browser never needs the ETag header, which the bucket's CORS does not expose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.store.base import (
    BlobMissing,
    ConditionFailed,
    PartsMissing,
    StorageUnavailable,
    Upload,
)
from chalicelib.store.keys import s3_object

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STATE_TAG = "candor-state"
UNCLAIMED = "unclaimed"
OCTETS = "application/octet-stream"
_NO_UPLOAD = {"NoSuchUpload", "NoSuchKey", "404", "NotFound"}


def unavailable(exc: Exception) -> StorageUnavailable:
    code = exc.response["Error"].get("Code", "") if isinstance(exc, ClientError) else ""
    return StorageUnavailable(code or type(exc).__name__)


def not_found(exc: ClientError) -> bool:
    error = exc.response["Error"]
    return error.get("Code") in {"NoSuchKey", "404", "NotFound"}


def _code(exc: ClientError) -> str:
    return str(exc.response["Error"].get("Code", ""))


class _S3Store(Protocol):
    bucket: str

    @property
    def _s3(self) -> S3Client: ...

    def blob_size(self, key: str) -> int | None: ...


class S3Parts:
    """The part methods of :class:`~chalicelib.store.aws.AwsCaseStore`."""

    def start_parts(self: _S3Store, key: str) -> str:
        try:
            answer = self._s3.create_multipart_upload(
                Bucket=self.bucket, Key=s3_object(key), ContentType=OCTETS,
                Tagging=f"{STATE_TAG}={UNCLAIMED}",
            )
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        return answer["UploadId"]

    def part_url(self: _S3Store, key: str, upload_id: str, number: int, length: int,
                 expires_in: int) -> Upload:
        try:
            url = self._s3.generate_presigned_url(
                "upload_part",
                Params={"Bucket": self.bucket, "Key": s3_object(key), "UploadId": upload_id,
                        "PartNumber": number, "ContentLength": length},
                ExpiresIn=expires_in,
            )
        except BotoCoreError as exc:
            raise unavailable(exc) from exc
        # Not signed (UploadPart has no content type) but sent: without it
        # some clients (urllib) send a form type, which moto parses as the query.
        return Upload("PUT", url, {"Content-Type": OCTETS})

    def complete_parts(self: _S3Store, key: str, upload_id: str,
                       lengths: Sequence[int]) -> None:
        try:
            parts = _list_parts(self._s3, self.bucket, key, upload_id, lengths)
        except ClientError as exc:
            if _code(exc) in _NO_UPLOAD and self.blob_size(key) == sum(lengths):
                return  # completed before: S3 forgets the upload once completed
            if _code(exc) in _NO_UPLOAD:
                raise BlobMissing(key) from None
            raise unavailable(exc) from exc
        except BotoCoreError as exc:
            raise unavailable(exc) from exc
        if [(p["PartNumber"], p["Size"]) for p in parts] != list(enumerate(lengths, 1)):
            raise PartsMissing(key)
        try:
            self._s3.complete_multipart_upload(
                Bucket=self.bucket, Key=s3_object(key), UploadId=upload_id, IfNoneMatch="*",
                MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]}
                                           for p in parts]},
            )
        except ClientError as exc:
            done = _code(exc) in {*_NO_UPLOAD, "PreconditionFailed"}
            if done and self.blob_size(key) == sum(lengths):
                return  # a concurrent completion won (the name is random: it was this one)
            if _code(exc) == "PreconditionFailed":
                raise ConditionFailed(0) from None
            raise unavailable(exc) from exc
        except BotoCoreError as exc:
            raise unavailable(exc) from exc


def _list_parts(s3: S3Client, bucket: str, key: str, upload_id: str,
                lengths: Sequence[int]) -> list[Any]:
    """One copy of each part of the upload, by number (ListParts pages 1,000
    at a time). S3 lists one per number, the last sent; SeaweedFS lists every
    copy of a part sent again (a retry), with times in whole seconds: the
    newest is taken, and of copies sent within one second one of the right
    length (a retry sends the same bytes again)."""
    pages = s3.get_paginator("list_parts").paginate(
        Bucket=bucket, Key=s3_object(key), UploadId=upload_id)
    best: dict[int, Any] = {}

    def rank(part: Any) -> tuple[Any, bool]:
        n = part["PartNumber"]
        return part["LastModified"], 0 < n <= len(lengths) and part["Size"] == lengths[n - 1]

    for part in (part for page in pages for part in page.get("Parts", [])):
        seen = best.get(part["PartNumber"])
        if seen is None or rank(part) >= rank(seen):
            best[part["PartNumber"]] = part
    return [best[n] for n in sorted(best)]
