"""Domain errors, one class per protocol §4.1 error code.

Routes never build error responses themselves: ``STATUS`` maps every code to
its HTTP status in one table.
"""

from __future__ import annotations


class CandorError(Exception):
    """Base of every error an API client may see; ``code`` is protocol §4.1's."""

    code = "malformed"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message

class Malformed(CandorError):
    code = "malformed"
    default_message = "The request is malformed."

class BadCursor(CandorError):
    code = "bad_cursor"
    default_message = "The cursor is not valid."

class BadSignature(CandorError):
    code = "bad_signature"
    default_message = "The request signature is not valid."

class ClockSkew(CandorError):
    code = "clock_skew"
    default_message = "The request was signed too far from the server's time."

class NonceReplayed(CandorError):
    code = "nonce_replayed"
    default_message = "This signed request was already used."

class UnknownMember(CandorError):
    code = "unknown_member"
    default_message = "The signing member is unknown or removed."

class Forbidden(CandorError):
    code = "forbidden"
    default_message = "Your role does not allow this."

class NotFound(CandorError):
    code = "not_found"
    default_message = "Not found."

class ReceiptUnknown(CandorError):
    code = "receipt_unknown"
    default_message = "This receipt is not recognised: it may have been used already, or mistyped."

class RotateFirst(CandorError):
    code = "rotate_first"
    default_message = "Rotate the receipt before reading or writing content."

class TokenInUse(CandorError):
    code = "token_in_use"
    default_message = "This receipt is already in use."

class LegalHold(CandorError):
    code = "legal_hold"
    default_message = "The case is under legal hold."

class AttachmentClaimed(CandorError):
    code = "attachment_claimed"
    default_message = "An attachment is already part of another document."

class ThreadFull(CandorError):
    code = "thread_full"
    default_message = "This case has reached its message limit."

class ThreadMoved(CandorError):
    code = "thread_moved"
    default_message = "The case holds newer messages than the writer read."

class Conflict(CandorError):
    code = "conflict"
    default_message = "This conflicts with what is already stored."

class TooLarge(CandorError):
    code = "too_large"
    default_message = "The request is too large."

class UnsupportedMediaType(CandorError):
    code = "unsupported_media_type"
    default_message = "Send application/json."

class InvalidBlob(CandorError):
    code = "invalid_blob"
    default_message = "The sealed blob is not valid."

class InvalidAccess(CandorError):
    code = "invalid_access"
    default_message = "The access list must name current members, at least one of them an admin."


class MemberExcluded(CandorError):
    code = "member_excluded"
    default_message = ("The reporter left this member out of the case: "
                       "nobody can give them access to it.")


class InvalidManifest(CandorError):
    code = "invalid_manifest"
    default_message = "The manifest or member entry is not valid."


class BadTransition(CandorError):
    code = "bad_transition"
    default_message = "That status change is not allowed."

class AttachmentMissing(CandorError):
    code = "attachment_missing"
    default_message = "An attachment is unknown or not fully uploaded."

class Throttled(CandorError):
    code = "throttled"
    default_message = "Too many requests; try again shortly."

class PuzzleRequired(CandorError):
    code = "puzzle_required"
    default_message = "The service is busy: retry with a proof of work (protocol §4.1)."

class Unavailable(CandorError):
    code = "unavailable"
    default_message = "Storage is unavailable; try again."


STATUS: dict[str, int] = {
    "malformed": 400,
    "bad_cursor": 400,
    "bad_signature": 401,
    "clock_skew": 401,
    "nonce_replayed": 401,
    "unknown_member": 401,
    "forbidden": 403,
    "not_found": 404,
    "receipt_unknown": 404,
    "rotate_first": 409,
    "token_in_use": 409,
    "legal_hold": 409,
    "attachment_claimed": 409,
    "thread_full": 409,
    "thread_moved": 409,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "invalid_blob": 422,
    "invalid_access": 422,
    "member_excluded": 422,
    "invalid_manifest": 422,
    "bad_transition": 422,
    "attachment_missing": 422,
    "throttled": 429,
    "puzzle_required": 429,
    "unavailable": 503,
}


def status_of(error: CandorError) -> int:
    """The HTTP status of ``error`` (protocol §4.1)."""
    return STATUS[error.code]
