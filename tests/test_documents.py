"""Reports, messages, notes and the case state (protocol §2.2-2.4, §3.2)."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from candor import documents as d
from candor import roster
from candor.age import api
from candor.age.keys import parse_identity, parse_recipient
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from candor.padding import DocumentInvalid, padded_length
from candor.receipt import Receipt
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.signing import public_key_from_seed

VECTORS = Path(__file__).parent / "vectors"
SIGNING = json.loads((VECTORS / "signing.json").read_text("utf-8"))
MANIFEST = json.loads((VECTORS / "manifest.json").read_text("utf-8"))
V2 = MANIFEST["manifests"]["v2"]
PEOPLE = MANIFEST["members"]
ALICE, BOB = PEOPLE["alice"]["id"], PEOPLE["bob"]["id"]
ALICE_IDENTITY = MlkemX25519Identity.from_seed(bytes.fromhex(PEOPLE["alice"]["kem_seeds_hex"][0]))
ALICE_SEED = bytes.fromhex(PEOPLE["alice"]["signing_seeds_hex"][0])
REPLY = MlkemX25519Identity.from_seed(b"\x05" * 32)
REPLY_TO = REPLY.recipient().encode()
REPORTER_SEED = b"\x06" * 32
MESSAGE_ID = "b_" + b64u_encode(bytes(16))


def _sealed_report(**changes: Any) -> bytes:
    args: dict[str, Any] = {
        "form": {"category": "fraud", "summary": "s", "details": "d"}, "reply_to": REPLY_TO,
        "reporter_seed": REPORTER_SEED, "access": [ALICE], "manifest_version": 2,
        "attachments": [], "recipients": roster.access_recipients(V2, [ALICE]),
    } | changes  # fmt: skip
    return d.seal_report(**args)


def _message(frm: str = "team", kind: str = "message", **changes: Any) -> dict[str, Any]:
    member = ALICE if frm == "team" else None
    seed = ALICE_SEED if frm == "team" else REPORTER_SEED
    doc = d._new_message_from_parts(
        kind, REPLY_TO, frm, member, None, "hello", [], seed, MESSAGE_ID
    )
    return doc | changes


def _reporter_key() -> str:
    return b64u_encode(public_key_from_seed(REPORTER_SEED))


# --- sealing -----------------------------------------------------------------------


def test_report_round_trip_for_member_and_reporter() -> None:
    sealed = _sealed_report()
    for identity in (ALICE_IDENTITY.encode(), REPLY):
        report = d.open_document(sealed, [identity])
        assert report["type"] == "report"
        assert report["reporter_key"] == _reporter_key()
        assert d.check_report(report, REPLY_TO) == d.OK


def test_sealed_size_is_padded() -> None:
    small = _sealed_report(form={"summary": "x"})
    larger = _sealed_report(form={"summary": "x" * 1000})
    assert len(small) == len(larger)
    plaintext = api.decrypt_bytes([REPLY], small)
    assert len(plaintext) == padded_length(0)


def test_note_is_not_sealed_to_the_reporter() -> None:
    recipients = d.sealing_recipients("note", roster.access_recipients(V2, [ALICE]), REPLY_TO)
    sealed = d.seal_document(_message(kind="note"), recipients)
    assert d.open_document(sealed, [ALICE_IDENTITY])["type"] == "note"
    with pytest.raises(d.DocumentUnreadable):
        d.open_document(sealed, [REPLY])


def test_refuses_mixed_recipient_types() -> None:
    x25519 = X25519Identity.generate().recipient().encode()
    with pytest.raises(ValueError, match="one type"):
        d.seal_document({"v": 1}, [REPLY_TO, x25519])
    with pytest.raises(ValueError, match="one type"):
        _sealed_report(reply_to=x25519)


def test_refuses_no_recipients_and_bad_ones() -> None:
    with pytest.raises(ValueError, match="at least one"):
        d.seal_document({"v": 1}, [])
    with pytest.raises(ValueError):  # noqa: PT011  (the age module's message)
        d.seal_document({"v": 1}, ["age1nonsense"])


def test_tampered_blob_is_unreadable() -> None:
    sealed = bytearray(_sealed_report())
    sealed[-1] ^= 1
    with pytest.raises(d.DocumentUnreadable):
        d.open_document(bytes(sealed), [REPLY])


def test_decrypted_garbage_is_document_invalid() -> None:
    sealed = api.encrypt_bytes([parse_recipient(REPLY_TO)], b'{"a":1}\n')
    with pytest.raises(DocumentInvalid):
        d.open_document(sealed, [REPLY])


@pytest.mark.parametrize(
    "changes",
    [{"form": {"summary": 1}}, {"access": []}, {"access": ["alice"]}, {"manifest_version": 0},
     {"attachments": [{"id": "a_x"}]}, {"reply_to": "age1pq1nonsense"}, {"lang": None}],
)  # fmt: skip
def test_seal_report_refuses_bad_fields(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (the reason varies)
        _sealed_report(**changes)


# --- attachments -----------------------------------------------------------------------


def test_attachment_round_trip() -> None:
    recipients = d.sealing_recipients("message", roster.access_recipients(V2, [ALICE]), REPLY_TO)
    sealed = d.seal_attachment(b"\x89PNG...", recipients)
    entry = d.attachment_entry("a_" + b64u_encode(bytes(16)), "x.png", "image/png", 7, sealed)
    assert entry["sha256"] == hashlib.sha256(sealed).hexdigest()
    assert d.open_attachment(sealed, [REPLY], entry) == b"\x89PNG..."
    with pytest.raises(DocumentInvalid, match="hash"):
        d.open_attachment(sealed + b"x", [REPLY], entry)
    with pytest.raises(DocumentInvalid, match="entry"):
        d.open_attachment(sealed, [REPLY], {**entry, "size": -1})


# --- messages ----------------------------------------------------------------------


def test_the_signing_vector_is_a_valid_message() -> None:
    doc = SIGNING["signed_document"]
    keys = [b64u_decode(SIGNING["public_key"])]
    verdict = d.check_message(doc, "message", "team", SIGNING["reply_to"], keys, doc["id"])
    assert verdict == d.OK


def test_new_message_has_a_fresh_blob_id() -> None:
    first = d.new_message("message", REPLY_TO, "team", ALICE, None, "hi", [], ALICE_SEED)
    second = d.new_message("message", REPLY_TO, "team", ALICE, None, "hi", [], ALICE_SEED)
    assert first["id"] != second["id"]
    assert first["id"].startswith("b_")
    assert len(b64u_decode(first["id"][2:])) == 16


def test_message_round_trip_and_author_keys() -> None:
    doc = _message(prev=None)
    sealed = d.seal_document(doc, [REPLY_TO])
    opened = d.open_document(sealed, [REPLY])
    keys = d.author_keys(opened, V2, _reporter_key())
    assert d.check_message(opened, "message", "team", REPLY_TO, keys, MESSAGE_ID) == d.OK
    reporter = _message("reporter", prev=d.blob_hash(sealed))
    reporter = d._new_message_from_parts(  # re-signed with prev set
        "message", REPLY_TO, "reporter", None, d.blob_hash(sealed), "hi", [], REPORTER_SEED,
        MESSAGE_ID,
    )  # fmt: skip
    keys = d.author_keys(reporter, V2, _reporter_key())
    assert d.check_message(reporter, "message", "reporter", REPLY_TO, keys) == d.OK


def test_rotated_member_history_still_verifies() -> None:
    bob_old_seed = bytes.fromhex(PEOPLE["bob"]["signing_seeds_hex"][0])
    doc = d._new_message_from_parts(
        "note", REPLY_TO, "team", BOB, None, "old", [], bob_old_seed, MESSAGE_ID
    )
    keys = d.author_keys(doc, V2, _reporter_key())
    assert d.check_message(doc, "note", "team", REPLY_TO, keys) == d.OK


FORGERIES = [
    ("text changed after signing", {"text": "pay me"}, "message", "team", "signature"),
    ("note on the message route", {}, "message", "team", "route"),
    ("team message as the reporter's", {}, "message", "reporter", "route"),
    ("another case", {"case": b64u_encode(bytes(32))}, "message", "team", "another case"),
    ("reporter writing notes", {"from": "reporter", "member": None}, "note", "reporter",
     "reporter writes only"),
    ("team message without member", {"member": None}, "message", "team", "names its member"),
    ("bad prev", {"prev": "abc"}, "message", "team", "prev"),
    ("bad id", {"id": "x"}, "message", "team", "id"),
    ("v2", {"v": 2}, "message", "team", "v1"),
    ("text not a string", {"text": 5}, "message", "team", "text"),
    ("bad attachments", {"attachments": [{}]}, "message", "team", "attachments"),
    ("signature missing", {"sig": None}, "message", "team", "signature"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "changes", "route", "expected_from", "reason"),
    FORGERIES,
    ids=[f[0] for f in FORGERIES],
)
def test_forgeries(
    name: str, changes: dict[str, Any], route: str, expected_from: str, reason: str
) -> None:
    kind = "note" if name in {"note on the message route", "reporter writing notes"} else "message"
    doc = _message(kind=kind, **changes)
    keys = d.author_keys(doc, V2, _reporter_key()) or [public_key_from_seed(ALICE_SEED)]
    verdict = d.check_message(doc, route, expected_from, REPLY_TO, keys)
    assert not verdict.ok
    assert verdict.reason is not None
    assert reason in verdict.reason


def test_wrong_member_key_and_wrong_id() -> None:
    doc = _message(member=BOB)  # claims Bob, signed by Alice
    keys = d.author_keys(doc, V2, _reporter_key())
    assert d.check_message(doc, "message", "team", REPLY_TO, keys).reason == (
        "the signature does not verify"
    )
    keys = d.author_keys(_message(), V2, _reporter_key())
    other_id = "b_" + b64u_encode(b"\x01" * 16)
    verdict = d.check_message(_message(), "message", "team", REPLY_TO, keys, other_id)
    assert not verdict.ok


@pytest.mark.parametrize("doc", [None, [], "x", {"from": "team", "member": 3}])
def test_check_message_never_raises(doc: Any) -> None:
    assert not d.check_message(doc, "message", "team", REPLY_TO, []).ok
    assert d.author_keys(doc if isinstance(doc, dict) else {}, V2, "!") == []


def test_new_message_refuses_bad_fields() -> None:
    with pytest.raises(ValueError, match="reporter writes only"):
        d.new_message("note", REPLY_TO, "reporter", None, None, "x", [], REPORTER_SEED)
    with pytest.raises(ValueError, match="names its member"):
        d.new_message("message", REPLY_TO, "team", None, None, "x", [], ALICE_SEED)


# --- the case state ------------------------------------------------------------------


def test_case_state_round_trip_and_own_report() -> None:
    receipt = Receipt.generate()
    sealed_report = _sealed_report()
    state = d.new_case_state(REPLY.encode(), REPORTER_SEED, [ALICE], 2, sealed_report)
    sealed = d.seal_case_state(state, receipt)
    assert d.open_case_state(sealed, receipt) == state
    with pytest.raises(d.DocumentUnreadable):
        d.open_case_state(sealed, Receipt.generate())
    report = d.open_document(sealed_report, [parse_identity(state["identity"])])
    assert d.check_own_report(state, sealed_report, report) == d.OK
    other = _sealed_report(reporter_seed=b"\x07" * 32)
    assert not d.check_own_report(state, other, report).ok
    assert not d.check_own_report(state, sealed_report, {**report, "reporter_key": "x"}).ok


def test_case_state_sealed_only_to_the_receipt() -> None:
    receipt = Receipt.generate()
    state = d.new_case_state(REPLY.encode(), REPORTER_SEED, [ALICE], 2, b"r")
    sealed = d.seal_case_state(state, receipt)
    assert api.decrypt_bytes([parse_identity(receipt.kek_identity)], sealed)
    with pytest.raises(d.DocumentUnreadable):
        d.open_document(sealed, [ALICE_IDENTITY])


def test_open_case_state_refuses_bad_state() -> None:
    receipt = Receipt.generate()
    bad = api.encrypt_bytes([parse_recipient(receipt.kek_recipient)], b'{"v":1,"identity":"x"}')
    with pytest.raises(DocumentInvalid, match="identity"):
        d.open_case_state(bad, receipt)


def test_new_reply_identity() -> None:
    assert d.new_reply_identity().startswith("AGE-SECRET-KEY-PQ-1")
    assert d.new_reply_identity("X25519").startswith("AGE-SECRET-KEY-1")
    with pytest.raises(ValueError, match="unknown"):
        d.new_reply_identity("scrypt")
