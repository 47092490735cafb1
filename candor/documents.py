"""Reports, messages, notes and the case state: build, sign, seal, open
(protocol §2.2-2.4, §3.2).

Sealing pads the document (protocol §2.2) and age-encrypts it to recipients of
one type. Opening decrypts, then parses strictly. Readers never trust a
message because it decrypted: `check_message` verifies its signature, its
case and its route, and a failure is shown as forged, not as content.
"""

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from candor.age import api
from candor.age.keys import parse_identity, parse_recipient, recipient_type
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from candor.padding import DocumentInvalid, pad_attachment, pad_document, unpad_attachment
from candor.padding import unpad_document as _unpad_document
from candor.receipt import Receipt
from candor.roster import member_public_keys
from chalicelib import signing
from chalicelib.age.errors import AgeError
from chalicelib.age.format import parse_header
from chalicelib.age.recipient_types import MLKEM768X25519, X25519
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.jcs import canonicalize
from chalicelib.manifest import is_member_id

__all__ = [
    "DocumentInvalid",
    "DocumentUnreadable",
    "Verdict",
    "attachment_entry",
    "author_keys",
    "blob_hash",
    "case_hash",
    "check_message",
    "check_own_report",
    "check_report",
    "new_blob_id",
    "new_case_state",
    "new_message",
    "new_reply_identity",
    "open_attachment",
    "open_case_state",
    "open_document",
    "seal_attachment",
    "seal_case_state",
    "seal_document",
    "seal_report",
    "sealing_recipients",
    "with_header",
]

BlobKind = Literal["report", "message", "note"]
Identities = Sequence["str | api.Identity"]
KINDS = ("message", "note")
AUTHORS = ("reporter", "team")
_BLOB_ID = re.compile(r"b_[A-Za-z0-9_-]{22}")  # "b_" + b64u(16 bytes)
_ATTACHMENT_ID = re.compile(r"a_[A-Za-z0-9_-]{22}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
ATTACHMENT_FIELDS = frozenset({"id", "name", "type", "size", "sha256"})


class DocumentUnreadable(Exception):
    """The sealed blob cannot be decrypted with these identities, or was
    tampered with. Deliberately carries no detail (no oracle)."""


@dataclass(frozen=True)
class Verdict:
    """Whether a document may be shown as content; `reason` says why not."""

    ok: bool
    reason: str | None = None


OK = Verdict(True)


def _forged(reason: str) -> Verdict:
    return Verdict(False, reason)


# --- names and hashes --------------------------------------------------------


def new_blob_id() -> str:
    """`b_` + b64u of 16 random bytes: the id an author gives a message or note."""
    return "b_" + b64u_encode(os.urandom(16))


def case_hash(reply_to: str) -> str:
    """`b64u(H(reply_to))`, a message's `case` (protocol §2.2)."""
    return b64u_encode(hashlib.sha256(reply_to.encode("utf-8")).digest())


def blob_hash(sealed: bytes) -> str:
    """`b64u(H(sealed))`, as in `prev` and the case state's `report`."""
    return b64u_encode(hashlib.sha256(sealed).digest())


def _b64u_of_size(value: object, size: int) -> bool:
    try:
        return len(b64u_decode(value)) == size  # type: ignore[arg-type]  # checked by b64u_decode
    except (TypeError, ValueError):
        return False


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_v1(doc: Mapping[str, Any]) -> bool:
    """`v` is the integer 1, not `true` (which Python compares equal to 1)."""
    return _is_int(doc.get("v")) and doc["v"] == 1


# --- sealing -------------------------------------------------------------------


def sealing_recipients(
    kind: BlobKind, access_recipients: Sequence[str], reply_to: str
) -> list[str]:
    """Who a blob is sealed to (protocol §2.4): notes leave out `reply_to`."""
    if kind == "note":
        return list(access_recipients)
    return [*access_recipients, reply_to]


def _parse_recipients(recipients: Iterable[str]) -> list[api.Recipient]:
    unique = list(dict.fromkeys(recipients))
    if not unique:
        raise ValueError("a blob needs at least one recipient")
    if len({recipient_type(r) for r in unique}) != 1:
        # protocol §2.1: all recipients of one blob are of one type.
        raise ValueError("recipients of one blob must be of one type")
    return [parse_recipient(r) for r in unique]


def _decrypt(sealed: bytes, identities: Identities) -> bytes:
    parsed = [parse_identity(i) if isinstance(i, str) else i for i in identities]
    try:
        return api.decrypt_bytes(parsed, sealed)
    except AgeError:
        raise DocumentUnreadable("the blob cannot be decrypted with these keys") from None


def seal_document(doc: Mapping[str, Any], recipients: Iterable[str]) -> bytes:
    """Pad `JCS(doc)` and age-encrypt it.

    Raises ValueError for no recipients, mixed recipient types or a bad
    recipient string, TypeError/ValueError when `doc` is outside JCS's set.
    """
    parsed = _parse_recipients(recipients)
    return api.encrypt_bytes(parsed, pad_document(canonicalize(doc)))


def open_document(sealed: bytes, identities: Identities) -> dict[str, Any]:
    """Decrypt and parse a report, message or note.

    Raises DocumentUnreadable when decryption fails, DocumentInvalid when
    the plaintext is not a padded JSON object (protocol §2.2).
    """
    return _unpad_document(_decrypt(sealed, identities))


def seal_attachment(data: bytes, recipients: Iterable[str]) -> bytes:
    """Pad with zero bytes and age-encrypt. Raises ValueError like seal_document."""
    return api.encrypt_bytes(_parse_recipients(recipients), pad_attachment(data))


def attachment_entry(
    attachment_id: str, name: str, media_type: str, size: int, sealed: bytes
) -> dict[str, Any]:
    """The document's record of an attachment; `sha256` is hex of H(sealed blob)."""
    entry = {"id": attachment_id, "name": name, "type": media_type, "size": size,
             "sha256": hashlib.sha256(sealed).hexdigest()}  # fmt: skip
    if not _attachment_ok(entry):
        raise ValueError("bad attachment entry")
    return entry


def _attachment_ok(entry: object) -> bool:
    if not isinstance(entry, Mapping) or not set(entry) >= ATTACHMENT_FIELDS:
        return False
    return (
        isinstance(entry["id"], str)
        and _ATTACHMENT_ID.fullmatch(entry["id"]) is not None
        and isinstance(entry["name"], str)
        and isinstance(entry["type"], str)
        and _is_int(entry["size"])
        and entry["size"] >= 0
        and isinstance(entry["sha256"], str)
        and _SHA256_HEX.fullmatch(entry["sha256"]) is not None
    )


def open_attachment(
    sealed: bytes, identities: Identities, entry: Mapping[str, Any], *,
    header: bytes | None = None,
) -> bytes:
    """Check the blob against its entry's hash, decrypt, truncate to `size`.
    With a grant `header` (protocol §4.4), the stored blob is checked and
    then read with that header in front of its payload.

    Raises DocumentInvalid for a bad entry, a hash mismatch or bad padding,
    DocumentUnreadable when decryption fails.
    """
    if not _attachment_ok(entry):
        raise DocumentInvalid("bad attachment entry")
    if hashlib.sha256(sealed).hexdigest() != entry["sha256"]:
        raise DocumentInvalid("attachment does not match its hash")
    if header is not None:
        sealed = with_header(header, sealed)
    return unpad_attachment(_decrypt(sealed, identities), entry["size"])


def with_header(header: bytes, sealed: bytes) -> bytes:
    """`header`, then `sealed`'s payload after its own header (the file a
    granted member reads, protocol §4.4)."""
    try:
        return header + sealed[parse_header(sealed).size:]
    except AgeError:
        raise DocumentUnreadable("the blob cannot be decrypted with these keys") from None


# --- reports -------------------------------------------------------------------


def seal_report(
    form: Mapping[str, str],
    reply_to: str,
    reporter_seed: bytes,
    access: Sequence[str],
    manifest_version: int,
    attachments: Sequence[Mapping[str, Any]],
    recipients: Sequence[str],
    lang: str = "en",
) -> bytes:
    """Build and seal a report to `recipients` (the access recipients) + `reply_to`.

    `reporter_key` is the public key of `reporter_seed` (the case state's
    `sign`). Raises ValueError for bad fields or recipients.
    """
    report = {
        "v": 1, "type": "report", "form": dict(form), "reply_to": reply_to,
        "reporter_key": b64u_encode(signing.public_key_from_seed(reporter_seed)),
        "access": list(access), "manifest": manifest_version,
        "attachments": [dict(a) for a in attachments], "lang": lang,
    }  # fmt: skip
    verdict = check_report(report)
    if not verdict.ok:
        raise ValueError(verdict.reason)
    return seal_document(report, sealing_recipients("report", recipients, reply_to))


def _sealed_to_problem(doc: Mapping[str, Any]) -> str | None:
    """`access` and `manifest`: who a report or case state was sealed to."""
    access = doc.get("access")
    if not isinstance(access, list) or not all(map(is_member_id, access)):
        return "access is not a list of member ids"
    if not _is_int(doc.get("manifest")) or doc["manifest"] < 1:
        return "manifest is not a version"
    return None


def _report_problem(doc: Mapping[str, Any]) -> str | None:
    form = doc.get("form")
    if not isinstance(form, Mapping) or not all(isinstance(v, str) for v in form.values()):
        return "form is not an object of strings"
    try:
        recipient_type(doc.get("reply_to"))  # type: ignore[arg-type]  # any bad value raises
    except (TypeError, ValueError, AttributeError):
        return "reply_to is not an age recipient"
    if not _b64u_of_size(doc.get("reporter_key"), signing.PUBLIC_KEY_SIZE):
        return "reporter_key is not an Ed25519 public key"
    if not doc.get("access"):
        return "access is not a list of member ids"
    problem = _sealed_to_problem(doc)
    if problem is not None:
        return problem
    attachments = doc.get("attachments")
    if not isinstance(attachments, list) or not all(map(_attachment_ok, attachments)):
        return "bad attachments"
    if not isinstance(doc.get("lang"), str):
        return "lang is not a string"
    return None


def check_report(doc: Mapping[str, Any], case_reply_to: str | None = None) -> Verdict:
    """Check a report's shape and, when given, that it belongs to the case."""
    if not _is_v1(doc) or doc.get("type") != "report":
        return _forged("not a v1 report")
    problem = _report_problem(doc)
    if problem is not None:
        return _forged(problem)
    if case_reply_to is not None and doc["reply_to"] != case_reply_to:
        return _forged("the report's reply_to is not the case's")
    return OK


# --- messages and notes ----------------------------------------------------------


def new_message(
    kind: str,
    case_reply_to: str,
    frm: str,
    member: str | None,
    prev: str | None,
    text: str,
    attachments: Sequence[Mapping[str, Any]],
    seed: bytes,
) -> dict[str, Any]:
    """A signed message or note with a fresh id (protocol §2.2, §2.3).

    `prev` is `blob_hash` of the last message the author saw, or None.
    Raises ValueError for fields that check_message would refuse.
    """
    return _new_message_from_parts(
        kind, case_reply_to, frm, member, prev, text, attachments, seed, new_blob_id()
    )


def _new_message_from_parts(
    kind: str,
    case_reply_to: str,
    frm: str,
    member: str | None,
    prev: str | None,
    text: str,
    attachments: Sequence[Mapping[str, Any]],
    seed: bytes,
    message_id: str,
) -> dict[str, Any]:
    doc = {
        "v": 1, "type": kind, "id": message_id, "case": case_hash(case_reply_to),
        "from": frm, "member": member, "prev": prev, "text": text,
        "attachments": [dict(a) for a in attachments],
    }  # fmt: skip
    signed = signing.sign_document(doc, seed)
    problem = _message_problem(signed)
    if problem is not None:
        raise ValueError(problem)
    return signed


def _message_problem(doc: Mapping[str, Any]) -> str | None:
    if not _is_v1(doc) or doc.get("type") not in KINDS or doc.get("from") not in AUTHORS:
        return "not a v1 message or note"
    if "member" not in doc or "prev" not in doc:
        return "member and prev are present, null when empty"
    if not isinstance(doc.get("id"), str) or _BLOB_ID.fullmatch(doc["id"]) is None:
        return "id is not b_ + b64u(16 bytes)"
    if doc["from"] == "reporter" and (doc["type"] != "message" or doc.get("member") is not None):
        return "a reporter writes only messages, with member null"
    if doc["from"] == "team" and not is_member_id(doc.get("member")):
        return "a team message names its member"
    if doc.get("prev") is not None and not _b64u_of_size(doc["prev"], 32):
        return "prev is not a blob hash"
    if not isinstance(doc.get("text"), str):
        return "text is not a string"
    attachments = doc.get("attachments")
    if not isinstance(attachments, list) or not all(map(_attachment_ok, attachments)):
        return "bad attachments"
    return None


def check_message(
    doc: Mapping[str, Any],
    route_kind: str,
    expected_from: str,
    case_reply_to: str,
    public_keys: Iterable[bytes],
    expected_id: str | None = None,
) -> Verdict:
    """Decide whether a decrypted message or note may be shown (protocol §2.3).

    Checks the shape, that `type` and `from` match the route the blob came
    from, that `case` is this case's, that `id` is the one the route gave
    (when known) and that `sig` verifies under one of `public_keys` (see
    author_keys). Never raises.
    """
    if not isinstance(doc, Mapping):
        return _forged("not an object")
    problem = _message_problem(doc)
    if problem is not None:
        return _forged(problem)
    if doc["type"] != route_kind or doc["from"] != expected_from:
        return _forged("type or from does not match the route")
    if doc.get("case") != case_hash(case_reply_to):
        return _forged("the message belongs to another case")
    if expected_id is not None and doc["id"] != expected_id:
        return _forged("the id is not the one the server listed")
    if not signing.verify_document(doc, public_keys):
        return _forged("the signature does not verify")
    return OK


def previous_message(thread: Sequence[Mapping[str, Any]]) -> str | None:
    """`prev` for the next message: the blob hash of the last message whose
    verdict is ok, or None (protocol §2.2). `thread` items carry `ok` and
    `hash`; forged and unreadable messages are never linked to."""
    for item in reversed(thread):
        if item["ok"] and item["hash"] is not None:
            return str(item["hash"])
    return None


def find_gaps(thread: Sequence[Mapping[str, Any]]) -> set[int]:
    """Indexes of messages after a withheld one (protocol §2.2): a `seq`
    that does not follow the one before (seq counts messages from 1), or a
    readable message whose `prev` names no blob in the thread. Items carry
    `seq`, `hash` and `doc` (None when it could not be read)."""
    gaps: set[int] = set()
    hashes = {item["hash"] for item in thread}
    for i, item in enumerate(thread):
        expected = 1 if i == 0 else thread[i - 1]["seq"] + 1
        if item["seq"] != expected:
            gaps.add(i)
        prev = (item["doc"] or {}).get("prev")
        if isinstance(prev, str) and prev not in hashes:
            gaps.add(i)
    return gaps


def author_keys(
    doc: Mapping[str, Any], manifest: Mapping[str, Any], reporter_key: str
) -> list[bytes]:
    """The keys a message may be signed with: the report's `reporter_key` for
    the reporter, every current or older key of the member for the team.
    Empty when the author is unknown. Never raises."""
    try:
        if doc.get("from") == "reporter":
            return [b64u_decode(reporter_key)]
        member = doc.get("member")
        if doc.get("from") == "team" and isinstance(member, str):
            return member_public_keys(manifest, member)
    except (TypeError, ValueError, KeyError):
        pass
    return []


# --- the case state (protocol §3.2) ----------------------------------------------------


def new_reply_identity(kind: str = MLKEM768X25519) -> str:
    """A new reply identity `R` of the manifest's recipient type."""
    if kind == MLKEM768X25519:
        return MlkemX25519Identity.generate().encode()
    if kind == X25519:
        return X25519Identity.generate().encode()
    raise ValueError(f"unknown recipient type {kind!r}")


def new_case_state(
    identity: str, sign_seed: bytes, access: Sequence[str], manifest_version: int, report: bytes
) -> dict[str, Any]:
    """The case state; `report` is the sealed report's bytes. Raises ValueError."""
    state = {
        "v": 1, "identity": identity, "sign": b64u_encode(sign_seed),
        "access": list(access), "manifest": manifest_version, "report": blob_hash(report),
    }  # fmt: skip
    problem = _case_state_problem(state)
    if problem is not None:
        raise ValueError(problem)
    return state


def _case_state_problem(state: Mapping[str, Any]) -> str | None:
    if not _is_v1(state):
        return "not a v1 case state"
    try:
        parse_identity(state.get("identity"))  # type: ignore[arg-type]  # any bad value raises
    except (TypeError, ValueError, AttributeError):
        return "identity is not an age identity"
    if not _b64u_of_size(state.get("sign"), signing.SEED_SIZE):
        return "sign is not an Ed25519 seed"
    problem = _sealed_to_problem(state)
    if problem is not None:
        return problem
    if not _b64u_of_size(state.get("report"), 32):
        return "report is not a blob hash"
    return None


def seal_case_state(state: Mapping[str, Any], receipt: Receipt) -> bytes:
    """Seal the state to `recipient(kek)` only (protocol §2.4). Not padded:
    protocol §2.2 pads documents, and the state's size is public anyway."""
    problem = _case_state_problem(state)
    if problem is not None:
        raise ValueError(problem)
    parsed = [parse_recipient(receipt.kek_recipient)]
    return api.encrypt_bytes(parsed, canonicalize(state))


def open_case_state(sealed: bytes, receipt: Receipt) -> dict[str, Any]:
    """Decrypt and check `sealed_identity` with the receipt's `kek`.

    Raises DocumentUnreadable when it does not decrypt, DocumentInvalid when
    the plaintext is not a v1 case state (trailing spaces are accepted).
    """
    state = _unpad_document(_decrypt(sealed, [receipt.kek_identity]))
    problem = _case_state_problem(state)
    if problem is not None:
        raise DocumentInvalid(problem)
    return state


def check_own_report(
    state: Mapping[str, Any], sealed_report: bytes, report: Mapping[str, Any]
) -> Verdict:
    """protocol §3.2: the report shown to its reporter is the one they sent."""
    if blob_hash(sealed_report) != state.get("report"):
        return _forged("the report is not the one this receipt's case was filed with")
    try:
        own_key = signing.public_key_from_seed(b64u_decode(state["sign"]))
    except (KeyError, TypeError, ValueError):
        return _forged("the case state has no signing seed")
    if report.get("reporter_key") != b64u_encode(own_key):
        return _forged("the report's reporter_key is not this case's")
    return OK
