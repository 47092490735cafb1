"""Announcing attachments and sending large ones in parts (protocol §4.2).

An attachment up to ``Limits.multipart_above`` sealed bytes goes up in one
PUT; a larger one in parts of ``Limits.part_size`` (the last one shorter),
each sent, and retried, on its own, then completed by the server, which
lists the stored parts itself. The attachment id, random and secret until
claimed, is the only capability: nothing here knows who sends. The
announcement and its pending upload expire together after 24 h (§4.7).
"""

from __future__ import annotations

from typing import Any, TypedDict

from chalicelib import wire
from chalicelib.domain.answers import UploadAnswer
from chalicelib.domain.cases import Context, new_id
from chalicelib.domain.records import AttachmentRecord
from chalicelib.errors import (
    AttachmentClaimed,
    AttachmentMissing,
    Conflict,
    Malformed,
    NotFound,
    TooLarge,
)
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, BlobMissing, ConditionFailed, Item, PartsMissing, Upload

UPLOAD_SECONDS = 15 * 60
UNCLAIMED_SECONDS = 24 * 3600
MAX_PARTS = 10_000  # S3's limit: a larger attachment gets larger parts
PARTS_PER_CALL = 16


class PendingUpload(TypedDict):
    """An attachment sent in parts (``keys.pending_upload``): the backend's
    upload id, the part size, and whether it was completed."""

    upload: str
    part_size: int
    done: bool


class Parts(TypedDict):
    size: int
    count: int


class PartUrl(TypedDict):
    number: int
    method: str
    url: str
    headers: dict[str, str]


def _answer(upload: Upload) -> UploadAnswer:
    return {"method": upload.method, "url": upload.url, "headers": dict(upload.headers)}


def part_size(ctx: Context, size: int) -> int:
    """The part size of an attachment of ``size`` sealed bytes."""
    return max(ctx.limits.part_size, -(-size // MAX_PARTS))


def part_lengths(size: int, part: int) -> list[int]:
    """The length of each part, in order: ``part`` bytes but the last."""
    count = -(-size // part)
    return [part] * (count - 1) + [size - part * (count - 1)]


def announce_attachment(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/attachments``: reserve an id, then a one-shot upload URL,
    or, above the multipart threshold, an upload in parts. Raises
    Malformed, TooLarge."""
    wire.fields(body, ["size"])
    size = body["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise Malformed("'size' must be a positive integer.")
    if size > ctx.limits.attachment:
        raise TooLarge("The attachment is larger than allowed.")
    attachment_id = new_id("a_")
    expires = ctx.epoch() + UNCLAIMED_SECONDS
    record = keys.attachment(attachment_id).put(
        {"size": size, "case": None}, expect=ABSENT, expires=expires, name="attachment")
    if size <= ctx.limits.multipart_above:
        ctx.store.transact([record])
        return {"id": attachment_id,
                "upload": _answer(ctx.store.upload_url(attachment_id, size, UPLOAD_SECONDS))}
    part = part_size(ctx, size)
    # Started first: if the transaction fails, the backend drops the unused
    # upload a day later (lifecycle rule, sweep).
    upload_id = ctx.store.start_parts(attachment_id)
    pending = keys.pending_upload(attachment_id).put(
        {"upload": upload_id, "part_size": part, "done": False}, expect=ABSENT, expires=expires,
        name="upload")
    ctx.store.transact([record, pending])
    return {"id": attachment_id, "parts": Parts(size=part, count=len(part_lengths(size, part)))}


def _load(ctx: Context, attachment_id: str) -> tuple[Item[AttachmentRecord], Item[PendingUpload]]:
    """The attachment and its upload in parts. Raises NotFound (unknown,
    expired, or sent in one PUT), AttachmentClaimed."""
    try:
        wire.identifier(attachment_id, "a")
    except Malformed:
        raise NotFound() from None
    attachment = ctx.store.get(keys.attachment(attachment_id))
    pending = ctx.store.get(keys.pending_upload(attachment_id))
    if attachment is None or pending is None:
        raise NotFound()
    if attachment.data["case"]:
        raise AttachmentClaimed()
    return attachment, pending


def part_urls(ctx: Context, attachment_id: str, body: dict[str, Any]) -> dict[str, list[PartUrl]]:
    """``POST /v1/attachments/{attachment_id}/parts``: upload URLs for some
    parts, asked again as often as needed until completion. Raises
    Malformed, NotFound, AttachmentClaimed, Conflict (completed)."""
    wire.fields(body, ["numbers"])
    attachment, pending = _load(ctx, attachment_id)
    lengths = part_lengths(attachment.data["size"], pending.data["part_size"])
    numbers = body["numbers"]
    if not isinstance(numbers, list) or not 1 <= len(numbers) <= PARTS_PER_CALL \
            or len(set(map(repr, numbers))) != len(numbers) \
            or not all(type(n) is int and 1 <= n <= len(lengths) for n in numbers):
        raise Malformed(f"'numbers' must be 1 to {PARTS_PER_CALL} distinct part numbers "
                        f"from 1 to {len(lengths)}.")
    if pending.data["done"]:
        raise Conflict("This upload is complete.")
    upload_id = pending.data["upload"]
    urls = [ctx.store.part_url(attachment_id, upload_id, n, lengths[n - 1], UPLOAD_SECONDS)
            for n in numbers]
    return {"parts": [{"number": n, **_answer(url)} for n, url in zip(numbers, urls, strict=True)]}


def complete(ctx: Context, attachment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/attachments/{attachment_id}/complete``: join the parts once
    all are there with their lengths. Raises Malformed, NotFound,
    AttachmentClaimed, AttachmentMissing (a part missing or of another
    length)."""
    wire.fields(body, [])
    attachment, pending = _load(ctx, attachment_id)
    if pending.data["done"]:
        return {}  # a retry whose answer was lost
    lengths = part_lengths(attachment.data["size"], pending.data["part_size"])
    try:
        ctx.store.complete_parts(attachment_id, pending.data["upload"], lengths)
    except (PartsMissing, BlobMissing):
        raise AttachmentMissing("Some parts are missing or not of their length.") from None
    try:
        ctx.store.transact([pending.key.put({**pending.data, "done": True},
                                            expect=pending.version, expires=pending.expires,
                                            name="upload")])
    except ConditionFailed:
        if not _load(ctx, attachment_id)[1].data["done"]:
            raise
    return {}
