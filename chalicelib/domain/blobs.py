"""Sealed-blob rules the server can check without any key (protocol §2.1, §4.1).

The server only ever reads age *headers*: it counts stanzas and checks that
all recipients are of one type. It never imports identity parsing or
decryption (a test keeps it so).
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.age.errors import SealedBlobInvalid
from chalicelib.age.validate import BlobInfo, validate_sealed_blob
from chalicelib.domain.cases import Context
from chalicelib.domain.records import AttachmentRecord, AttachmentRef
from chalicelib.errors import AttachmentClaimed, AttachmentMissing, InvalidBlob
from chalicelib.store import keys
from chalicelib.store.base import Item, Op

# Enough for 32 post-quantum stanzas (about 1.6 KB each) and the header MAC.
HEADER_READ = 128 * 1024
ATTACHMENT_PREFIX = "a_"
CLAIM = "attachment"
"""The name of every claiming operation in a transaction."""


def check_blob(data: bytes, ctx: Context, *, recipient_type: str | None = None) -> BlobInfo:
    """Validate a sealed blob's header. Raises InvalidBlob (422)."""
    try:
        info = validate_sealed_blob(data, max_stanzas=ctx.limits.stanzas)
    except SealedBlobInvalid as exc:
        raise InvalidBlob(f"The sealed blob is not valid: {exc}.") from None
    if recipient_type is not None and info.recipient_type != recipient_type:
        raise InvalidBlob("The blob's recipients are not of the case's type.")
    return info


def load_attachments(
    ctx: Context, ids: Sequence[str], recipient_type: str
) -> list[Item[AttachmentRecord]]:
    """The unclaimed, fully uploaded attachments ``ids``, headers checked.

    Raises AttachmentMissing, AttachmentClaimed, InvalidBlob.
    """
    items = []
    for attachment_id in ids:
        item = ctx.store.get(keys.attachment(attachment_id))
        if item is None:
            raise AttachmentMissing()
        if item.data["case"]:
            raise AttachmentClaimed()
        if ctx.store.blob_size(attachment_id) != item.data["size"]:
            raise AttachmentMissing()
        head = ctx.store.read_blob_head(attachment_id, HEADER_READ)
        check_blob(head, ctx, recipient_type=recipient_type)
        items.append(item)
    return items


def claim_ops(items: Sequence[Item[AttachmentRecord]], case_id: str) -> list[Op]:
    """Conditional writes that claim ``items`` for a case, with no expiry."""
    return [
        item.key.put({"size": item.data["size"], "case": case_id}, expect=item.version,
                     name=CLAIM)
        for item in items
    ]


def keep_uploads(ctx: Context, items: Sequence[Item[AttachmentRecord]]) -> None:
    """Tell object storage to keep the claimed uploads for good.

    Runs *before* the claiming transaction: a crash in between leaves an
    orphan blob (a leak), never a claimed attachment that storage deletes.
    """
    for item in items:
        ctx.store.claim_blob(keys.attachment_id(item.key))


def release_uploads(ctx: Context, items: Sequence[Item[AttachmentRecord]]) -> None:
    """After a claiming transaction failed: let storage remove the uploads
    nobody claimed, as if they had never been kept (best effort)."""
    for item in items:
        current = ctx.store.get(item.key)
        if current is None or not current.data["case"]:
            ctx.store.release_blob(keys.attachment_id(item.key))


def attachment_refs(items: Sequence[Item[AttachmentRecord]]) -> list[AttachmentRef]:
    return [{"id": keys.attachment_id(i.key), "size": i.data["size"]} for i in items]
