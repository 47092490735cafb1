"""Regenerate the JSON test vectors in this directory.

    .venv/bin/python tests/vectors/generate_vectors.py

Every input is fixed (keys derive from labelled hashes), so the output is
reproducible. The Python and browser test suites both read the JSON files;
regenerate only when docs/protocol.md changes, and review the diff.
documents.json, audit.json, keyfile.json + ids.json and manifest-chain.json
come from the modules beside this one (documents_vectors.py, …), which reuse
its people and manifests.
"""

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from candor import roster
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from candor.documents import _new_message_from_parts
from candor.padding import padded_length, padme
from candor.receipt import Receipt, ReceiptMalformed, ReceiptTypo
from chalicelib import manifest as mf
from chalicelib import signing
from chalicelib.b64 import b64u_encode
from chalicelib.jcs import canonicalize

HERE = Path(__file__).parent


def _h(label: str) -> bytes:
    return hashlib.sha256(b"candor test vector " + label.encode()).digest()


def _write(name: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")


# --- receipts -------------------------------------------------------------------


def _receipt_case(name: str, secret: bytes) -> dict[str, Any]:
    r = Receipt.from_bytes(secret)
    recipient = r.kek_recipient
    return {
        "name": name, "T": secret.hex(), "text": r.text, "auth": r.auth_b64,
        "token_id": r.token_id, "kek": r.kek.hex(), "kek_identity": r.kek_identity,
        "kek_recipient_length": len(recipient), "kek_recipient_prefix": recipient[:25],
        "kek_recipient_sha256": hashlib.sha256(recipient.encode()).hexdigest(),
    }  # fmt: skip


def _parse_case(name: str, text: str) -> dict[str, Any]:
    try:
        return {"name": name, "input": text, "T": Receipt.parse(text).to_bytes().hex()}
    except ReceiptTypo:
        return {"name": name, "input": text, "error": "typo"}
    except ReceiptMalformed:
        return {"name": name, "input": text, "error": "malformed"}


def receipts() -> None:
    spec = bytes(range(15))
    cases = [
        _receipt_case("protocol §8", spec),
        _receipt_case("all zero", bytes(15)),
        _receipt_case("all 0xff", b"\xff" * 15),
        _receipt_case("top bit only", b"\x80" + bytes(14)),
        _receipt_case("lowest bit only", bytes(14) + b"\x01"),
        _receipt_case("hash-derived 1", _h("receipt 1")[:15]),
        _receipt_case("hash-derived 2", _h("receipt 2")[:15]),
    ]
    text = cases[0]["text"]
    plain = text.replace("-", "")
    typo = plain[:5] + ("1" if plain[5] != "1" else "2") + plain[6:]
    swapped = plain[:8] + plain[9] + plain[8] + plain[10:]
    check_typo = plain[:-1] + ("0" if plain[-1] != "0" else "1")
    parse = [
        _parse_case("canonical text", text),
        _parse_case("no separators", plain),
        _parse_case("lower case", text.lower()),
        _parse_case("spaces instead of hyphens", text.replace("-", " ")),
        _parse_case("surrounding and doubled whitespace", "  " + text.replace("-", " \t ") + "\n"),
        _parse_case("O read as 0, I and L read as 1", text.replace("0", "O").replace("1", "I")),
        _parse_case("lower-case o, i and l", text.replace("0", "o").replace("1", "l")),
        _parse_case("mixed separators: dot and en dash",
                    text.replace("-", ".", 2).replace("-", "\u2013")),
        _parse_case("groups of other sizes", plain[:3] + "-" + plain[3:10] + " " + plain[10:]),
        _parse_case("all-zero receipt", cases[1]["text"]),
        _parse_case("all-0xff receipt lower case", cases[2]["text"].lower()),
        _parse_case("one symbol changed", typo),
        _parse_case("two symbols swapped", swapped),
        _parse_case("check symbol changed", check_typo),
        _parse_case("U is not a symbol", "U" + plain[1:]),
        _parse_case("too short", plain[:-1]),
        _parse_case("too long", plain + "0"),
        _parse_case("empty", ""),
        _parse_case("only separators", "- - -"),
        _parse_case("stray punctuation", plain[:10] + "!" + plain[10:]),
        _parse_case("dotless i is not I", plain[:4] + "\u0131" + plain[5:]),
        _parse_case("full-width digit", "\uff10" + plain[1:]),
        _parse_case("24 data symbols without check", plain[:24]),
    ]  # fmt: skip
    assert [p["error"] for p in parse if "error" in p] == [
        "typo", "typo", "typo", "malformed", "malformed", "malformed", "malformed",
        "malformed", "malformed", "malformed", "malformed", "malformed",
    ], parse  # fmt: skip
    _write("receipt.json", {
        "description": "protocol §3.1 receipts. T, kek: hex; auth, token_id: b64u. "
        "The kek recipient is given by length, first 25 characters and SHA-256 of its "
        "string. parse: input text -> T (hex) or error 'malformed' | 'typo'. Separators "
        "dropped: any whitespace and - _ . , : ; / | U+2010-U+2015 U+2212 U+30FC.",
        "alphabet": "0123456789ABCDEFGHJKMNPQRSTVWXYZ",
        "receipts": cases, "parse": parse,
    })  # fmt: skip


# --- padding --------------------------------------------------------------------


def _doc_case(name: str, head: bytes, tail: bytes, count: int, document: Any) -> dict[str, Any]:
    case: dict[str, Any] = {"name": name, "head_hex": head.hex(), "tail_byte_hex": tail.hex()}
    case["tail_count"] = count
    case["valid"] = document is not None
    if document is not None:
        case["document"] = document
    return case


def padding() -> None:
    lengths = [1, 2, 3, 4, 5, 7, 8, 9, 100, 4095, 4096, 4097, 5000, 8191, 8192, 8193,
               65536, 70000, 1000000, 1048576, 1073741824]  # fmt: skip
    padme_cases = [{"L": n, "padme": padme(n)} for n in lengths]
    padded = [{"n": n, "padded": padded_length(n)} for n in [0, *lengths]]
    ok = b'{"v":1,"text":"h\xc3\xa9"}'
    deep8 = b'{"a":' * 7 + b"[1]" + b"}" * 7
    deep9 = b'{"a":' * 8 + b"[1]" + b"}" * 8
    nested8: Any = [1]
    for _ in range(7):
        nested8 = {"a": nested8}
    documents = [
        _doc_case("padded to 4096", ok, b" ", 4096 - len(ok), {"v": 1, "text": "h\u00e9"}),
        _doc_case("no padding at all", ok, b" ", 0, {"v": 1, "text": "h\u00e9"}),
        _doc_case("JSON whitespace inside", b'{ "v" : 1 }', b" ", 10, {"v": 1}),
        _doc_case("depth 8", deep8, b" ", 5, nested8),
        _doc_case("depth 9", deep9, b" ", 5, None),
        _doc_case("newline after the object", ok + b"\n", b" ", 5, None),
        _doc_case("zero bytes as padding", ok, b"\x00", 5, None),
        _doc_case("tab as padding", ok, b"\t", 5, None),
        _doc_case("leading space", b" " + ok, b" ", 5, None),
        _doc_case("UTF-8 BOM", b"\xef\xbb\xbf" + ok, b" ", 5, None),
        _doc_case("duplicate key", b'{"a":1,"a":2}', b" ", 5, None),
        _doc_case("duplicate key nested", b'{"a":{"b":1,"b":1}}', b" ", 5, None),
        _doc_case("top-level array", b"[1]", b" ", 5, None),
        _doc_case("two objects", b"{}{}", b" ", 5, None),
        _doc_case("float", b'{"a":1.5}', b" ", 5, None),
        _doc_case("exponent", b'{"a":1e3}', b" ", 5, None),
        _doc_case("NaN", b'{"a":NaN}', b" ", 5, None),
        _doc_case("integer above 2^53-1", b'{"a":9007199254740992}', b" ", 5, None),
        _doc_case("integer 2^53-1", b'{"a":9007199254740991}', b" ", 5, {"a": 2**53 - 1}),
        _doc_case("invalid UTF-8", b'{"a":"\xff"}', b" ", 5, None),
        _doc_case("lone surrogate escape", b'{"a":"\\ud800"}', b" ", 5, None),
        _doc_case("surrogate pair escape", b'{"a":"\\ud83d\\ude00"}', b" ", 5,
                  {"a": "\U0001f600"}),
        _doc_case("truncated", b'{"a":1', b" ", 5, None),
        _doc_case("empty plaintext", b"", b" ", 0, None),
        _doc_case("only spaces", b"", b" ", 4096, None),
    ]  # fmt: skip
    attachments = [
        {"name": "empty file", "head_hex": "", "zero_count": 4096, "size": 0, "output_hex": ""},
        {"name": "three bytes", "head_hex": "010203", "zero_count": 4093, "size": 3,
         "output_hex": "010203"},
        {"name": "trailing zeros belong to the file", "head_hex": "0100", "zero_count": 4094,
         "size": 3, "output_hex": "010000"},
        {"name": "not padded", "head_hex": "0102", "zero_count": 0, "size": 2,
         "output_hex": "0102"},
        {"name": "size beyond the plaintext", "head_hex": "0102", "zero_count": 0, "size": 3,
         "output_hex": None},
        {"name": "non-zero padding", "head_hex": "010203", "zero_count": 4093, "size": 2,
         "output_hex": None},
        {"name": "negative size", "head_hex": "01", "zero_count": 4095, "size": -1,
         "output_hex": None},
    ]  # fmt: skip
    _write("padding.json", {
        "description": "protocol §2.2. padme(L) for L >= 1; padded = padme(max(n, 4096)). "
        "documents: plaintext = bytes(head_hex) + tail_count copies of tail_byte_hex; "
        "valid ones parse to document. attachments: plaintext = bytes(head_hex) + "
        "zero_count zero bytes; readers truncate to size and refuse (output_hex null) a "
        "size beyond the plaintext or non-zero bytes after it.",
        "padme": padme_cases, "padded_length": padded, "documents": documents,
        "attachments": attachments,
    })  # fmt: skip


# --- JCS ------------------------------------------------------------------------


def _jcs_case(name: str, value: Any) -> dict[str, Any]:
    out = canonicalize(value)
    return {"name": name, "input": value, "output": out.decode(), "output_hex": out.hex()}


def jcs() -> None:
    valid = [
        _jcs_case("scalars", [None, True, False, 0, -1, 9007199254740991, -9007199254740991]),
        _jcs_case("empty containers", {"a": [], "b": {}, "c": ""}),
        _jcs_case("key order ASCII", {"b": 1, "a": 2, "B": 3, "_": 4, "aa": 5, "": 6}),
        _jcs_case("key order by UTF-16 code units, not code points",
                  {"\ue000": 1, "\U0001f600": 2, "\uffff": 3, "\u00e9": 4, "z": 5}),
        _jcs_case("nested objects sorted at every level",
                  {"z": {"y": [{"b": 1, "a": 2}], "x": None}, "a": {"d": 1, "c": 2}}),
        _jcs_case("string escapes", "\"\\/\b\f\n\r\t\u0000\u001f\u007f"),
        _jcs_case("non-ASCII stays literal", "h\u00e9llo \u20ac \U0001f600 \u2028\u2029"),
        _jcs_case("unicode not normalised", ["\u00e9", "e\u0301"]),
        _jcs_case("document", {"v": 1, "type": "message", "member": None, "text": "Hi!\n",
                               "attachments": [{"size": 3, "name": "a.txt"}]}),
    ]  # fmt: skip
    invalid = [
        {"name": "float", "input_json": '{"a":1.5}'},
        {"name": "exponent", "input_json": "[1e3]"},
        {"name": "negative fraction", "input_json": "-0.5"},
        {"name": "integer 2^53", "input_json": "9007199254740992"},
        {"name": "integer -2^53", "input_json": "[-9007199254740992]"},
        {"name": "lone high surrogate", "input_json": '"\\ud800"'},
        {"name": "lone low surrogate in a key", "input_json": '{"\\udc00":1}'},
    ]
    _write("jcs.json", {
        "description": "RFC 8785 for protocol §0's value set. output is the UTF-8 text "
        "(also as hex). Keys sort by UTF-16 code units (what JS's default sort does; "
        "Python must not use sort_keys). invalid: parse input_json with a plain JSON "
        "parser, canonicalisation must refuse it (non-integers, integers beyond "
        "+-(2^53-1), lone surrogates).",
        "valid": valid, "invalid": invalid,
    })  # fmt: skip


# --- signing --------------------------------------------------------------------


def signing_vectors() -> None:
    seed = _h("signing seed")
    other = _h("other seed")
    pk = b64u_encode(signing.public_key_from_seed(seed))
    pk_other = b64u_encode(signing.public_key_from_seed(other))
    reply_to = MlkemX25519Identity.from_seed(_h("reply")).recipient().encode()
    member = "m_" + b64u_encode(bytes(range(1, 16)))
    doc = _new_message_from_parts(
        "message", reply_to, "team", member, None, "Thank you, we are looking into it.",
        [], seed, "b_" + b64u_encode(bytes(range(16))),
    )  # fmt: skip
    unsigned = {k: v for k, v in doc.items() if k != "sig"}
    sig = doc["sig"]
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    verify = [
        {"name": "valid", "document": doc, "public_keys": [pk], "valid": True},
        {"name": "valid, second key", "document": doc, "public_keys": [pk_other, pk],
         "valid": True},
        {"name": "wrong key", "document": doc, "public_keys": [pk_other], "valid": False},
        {"name": "no keys", "document": doc, "public_keys": [], "valid": False},
        {"name": "text changed", "document": {**doc, "text": "Thank you."},
         "public_keys": [pk], "valid": False},
        {"name": "field added", "document": {**doc, "extra": 1}, "public_keys": [pk],
         "valid": False},
        {"name": "signature changed", "document": {**doc, "sig": flipped},
         "public_keys": [pk], "valid": False},
        {"name": "signature missing", "document": unsigned, "public_keys": [pk], "valid": False},
        {"name": "signature not b64u", "document": {**doc, "sig": sig + "="},
         "public_keys": [pk], "valid": False},
        {"name": "signature not a string", "document": {**doc, "sig": 1},
         "public_keys": [pk], "valid": False},
        {"name": "signature truncated", "document": {**doc, "sig": sig[:-2]},
         "public_keys": [pk], "valid": False},
    ]  # fmt: skip
    _write("signing.json", {
        "description": "protocol §2.3. Ed25519 (RFC 8032) with seed_hex; sig is b64u of "
        "the signature over JCS(document without sig) = signed_bytes. The document is a "
        "team message of case reply_to.",
        "seed_hex": seed.hex(), "public_key": pk, "reply_to": reply_to,
        "document": unsigned, "signed_bytes": canonicalize(unsigned).decode(),
        "sig": sig, "signed_document": doc, "verify": verify,
    })  # fmt: skip


# --- manifests ------------------------------------------------------------------

PEOPLE = {
    "alice": (1, "Alice Martin", "Legal", "admin"),
    "bob": (2, "Bob Chen", "HR", "admin"),
    "carol": (3, "Carol D\u00edaz", "Compliance", "reviewer"),
    "dave": (4, "Dave Okafor", "Security", "reviewer"),
}
TODAY = "2026-03-15"


def _seed(person: str, generation: int = 1) -> bytes:
    return _h(f"{person} signing {generation}")


def _kem_seed(person: str, generation: int = 1) -> bytes:
    return _h(f"{person} kem {generation}")


def _member_id(person: str) -> str:
    return "m_" + b64u_encode(bytes([PEOPLE[person][0]]) * 15)


def _recipient(person: str, generation: int = 1) -> str:
    return MlkemX25519Identity.from_seed(_kem_seed(person, generation)).recipient().encode()


def _x25519(person: str) -> str:
    return X25519Identity(_h(f"{person} x25519")).recipient().encode()


def _entry(person: str, generation: int = 1, previous: Any = None, **changes: Any) -> Any:
    _, name, function, role = PEOPLE[person]
    fields = {"name": name, "function": function, "role": role,
              "recipient": _recipient(person, generation)} | changes  # fmt: skip
    previous_seed = _seed(person, generation - 1) if generation > 1 else None
    return roster.build_member_entry(
        _member_id(person), fields["name"], fields["function"], fields["role"],
        fields["recipient"], _seed(person, generation), previous, previous_seed,
    )  # fmt: skip


def _raw_entry(person: str, **fields: Any) -> dict[str, Any]:
    """An entry certified by the person's key without any shape check."""
    _, name, function, role = PEOPLE[person]
    entry = {"id": _member_id(person), "name": name, "function": function, "role": role,
             "recipient": _recipient(person), "old_signing_keys": [], "removed": False,
             "signing_key": b64u_encode(signing.public_key_from_seed(_seed(person))),
             "cert": None, "rotation": None} | fields  # fmt: skip
    certified = signing.signed_bytes({**entry, "removed": False}, "cert", "rotation")
    entry["cert"] = b64u_encode(signing.sign_bytes(certified, _seed(person)))
    return entry


def _signed(unsigned: Any, *signers: tuple[str, int]) -> Any:
    manifest = {**unsigned, "sigs": []}
    for person, generation in signers:
        manifest = roster.sign_manifest(manifest, _member_id(person), _seed(person, generation))
    return manifest


def _manifest(version: int, issued: str, members: list[Any], threshold: int, **extra: Any) -> Any:
    body = {"v": 1, "version": version, "issued": issued, "expires": None,
            "threshold": threshold, "members": members, "sigs": []}  # fmt: skip
    body["expires"] = date.fromordinal(date.fromisoformat(issued).toordinal() + 90).isoformat()
    return body | extra


def _reason(check: Any) -> str | None:
    try:
        check()
    except mf.ManifestInvalid as exc:
        return exc.reason
    return None


def _valid_chain() -> dict[str, Any]:
    alice, bob, carol = _entry("alice"), _entry("bob"), _entry("carol")
    v1 = _signed(_manifest(1, "2026-01-05", [alice, bob, carol], 1), ("alice", 1))
    bob2 = _entry("bob", 2, bob)
    v2_members = [alice, bob2, mf.remove_member_entry(carol), _entry("dave")]
    v2 = _signed(_manifest(2, "2026-03-01", v2_members, 2), ("alice", 1), ("bob", 1))
    dave_admin = _entry("dave", 1, v2_members[3], role="admin")
    v3_members = [alice, {**bob2, "rotation": None}, v2_members[2], dave_admin]
    v3 = _signed(_manifest(3, "2026-05-15", v3_members, 2), ("alice", 1), ("bob", 2))
    return {"v1": v1, "v2": v2, "v3": v3}


def _next_invalid(chain: dict[str, Any]) -> list[dict[str, Any]]:
    v1, v2 = chain["v1"], chain["v2"]
    alice = v1["members"][0]
    bob2, carol_removed, dave = v2["members"][1:]
    members = v2["members"]

    def variant(
        name: str,
        why: str,
        members: list[Any] = members,
        threshold: int = 2,
        signers: tuple[tuple[str, int], ...] = (("alice", 1),),
        **extra: Any,
    ) -> Any:
        unsigned = _manifest(2, "2026-03-01", members, threshold) | extra
        return {"name": name, "why": why, "candidate": _signed(unsigned, *signers)}

    carol_forged = _entry("alice", 1, None)  # keys the admin controls, under Carol's id
    carol_forged = _raw_entry("carol", signing_key=carol_forged["signing_key"])
    carol_forged["cert"] = b64u_encode(signing.sign_bytes(
        signing.signed_bytes({**carol_forged, "removed": False}, "cert", "rotation"),
        _seed("alice")))  # fmt: skip
    stranger = b64u_encode(signing.public_key_from_seed(_seed("mallory")))
    bob_laundered = _raw_entry(
        "bob",
        signing_key=bob2["signing_key"],
        recipient=bob2["recipient"],
        old_signing_keys=[stranger],
    )
    certified = signing.signed_bytes({**bob_laundered, "removed": False}, "cert", "rotation")
    bob_laundered["cert"] = b64u_encode(signing.sign_bytes(certified, _seed("bob", 2)))
    bob_laundered["rotation"] = b64u_encode(signing.sign_bytes(certified, _seed("mallory")))
    carol_renamed = {**_entry("carol", name="Carol Smith"), "removed": True}
    x_members = [_entry(p, 1, None, recipient=_x25519(p)) for p in ("alice", "bob", "dave")]
    x_carol = {**_entry("carol", recipient=_x25519("carol")), "removed": True}
    tampered = variant("tampered after signing", "threshold changed after Alice signed")
    tampered["candidate"] = {**tampered["candidate"], "threshold": 1}
    return [
        variant("version skips", "version must be current + 1", version=3),
        variant("v is 2", "only v1 manifests exist", v=2),
        variant("unknown field", "manifests carry exactly the protocol fields", note="hi"),
        variant("lifetime over 90 days", "expires at most 90 days after issued",
                expires="2026-05-31"),
        variant("expires before issued", "issued <= expires", expires="2026-02-28"),
        variant("issued goes back", "issued is not before the current version's",
                issued="2026-01-04", expires="2026-04-04"),
        variant("bad day", "days are YYYY-MM-DD", issued="2026-3-01"),
        variant("threshold 0", "threshold >= 1", threshold=0),
        variant("threshold above admins", "threshold cannot exceed the live admins",
                threshold=3),
        variant("no signatures", "threshold of v1's admins must sign", signers=()),
        variant("signed by a reviewer", "only v1's admins sign", signers=(("carol", 1),)),
        variant("an admin's signature and a reviewer's", "every signature must be an admin's",
                signers=(("alice", 1), ("carol", 1))),
        variant("signed by an admin new in this version", "only v1's admins sign",
                members=[*members[:3], _entry("dave", role="admin")],
                signers=(("dave", 1),)),
        variant("signed with a key its rotation does not link", "v1's key, or the key "
                "v2's rotation links to it, signs v2", signers=(("bob", 3),)),
        tampered,
        variant("mixed recipient types", "all recipients of one type",
                members=[*members[:3], _entry("dave", recipient=_x25519("dave"))]),
        variant("recipient type changed", "a manifest never changes recipient type",
                members=[x_members[0], x_members[1], x_carol, x_members[2]]),
        variant("member dropped", "every member of v1 stays listed",
                members=[alice, bob2, dave]),
        variant("duplicate member", "ids are unique", members=[*members, dave]),
        variant("cert does not verify", "name changed after the member certified",
                members=[*members[:3], {**dave, "name": "Eve"}]),
        variant("admin invents keys for a member", "Carol's new key has no rotation",
                members=[alice, bob2, carol_forged, dave]),
        variant("rotation missing", "a changed signing_key needs rotation",
                members=[alice, {**bob2, "rotation": None}, carol_removed, dave]),
        variant("rotation signed by the wrong key", "rotation is by the previous key",
                members=[alice, {**bob2, "rotation": dave["cert"]}, carol_removed, dave]),
        variant("rotation by an unrelated old key", "old_signing_keys gains v1's key",
                members=[alice, bob_laundered, carol_removed, dave]),
        variant("removal combined with a rename", "a removed entry is v1's entry + removed",
                members=[alice, bob2, carol_renamed, dave]),
        variant("bad member id", "m_ + b64u(15 bytes)",
                members=[*members[:3], _raw_entry("dave", id="m_short")]),
        variant("control character in a name", "names cannot carry terminal escapes",
                members=[*members[:3], _raw_entry("dave", name="Dave\u001b[2J")]),
        variant("bidi override in a name", "names cannot reorder text",
                members=[*members[:3], _raw_entry("dave", name="Dave \u202eevE")]),
        variant("bad role", "admin or reviewer",
                members=[*members[:3], _raw_entry("dave", role="owner")]),
        variant("bad recipient", "an age recipient",
                members=[*members[:3], _raw_entry("dave", recipient="age1pq1xyz")]),
        variant("entry field missing", "entries carry exactly the protocol fields",
                members=[*members[:3], {k: v for k, v in dave.items() if k != "rotation"}]),
    ]  # fmt: skip


def _first_invalid(chain: dict[str, Any]) -> list[dict[str, Any]]:
    v1, v2 = chain["v1"], chain["v2"]
    unsigned = {**v1, "sigs": []}
    return [
        {"name": "not signed", "manifest": unsigned},
        {"name": "signed by a reviewer only", "manifest": _signed(unsigned, ("carol", 1))},
        {"name": "threshold 2, one signature",
         "manifest": _signed({**unsigned, "threshold": 2}, ("alice", 1))},
        {"name": "a member signed twice",
         "manifest": {**v1, "sigs": [*v1["sigs"], v1["sigs"][0]]}},
        {"name": "rotation without an old signing key",
         "manifest": _signed({**unsigned, "members": [
             v1["members"][0], {**v1["members"][1], "rotation": v1["members"][1]["cert"]},
             v1["members"][2]]}, ("alice", 1))},
        {"name": "version 2 anchor, rotation does not verify",
         "manifest": {**v2, "members": [
             v2["members"][0], {**v2["members"][1], "rotation": v2["members"][1]["cert"]},
             *v2["members"][2:]]}},
        {"name": "version 2 anchor, cert does not verify",
         "manifest": {**v2, "members": [{**v2["members"][0], "name": "Eve"},
                                        *v2["members"][1:]]}},
    ]  # fmt: skip


def _chains(chain: dict[str, Any]) -> list[dict[str, Any]]:
    v2, v3 = chain["v2"], chain["v3"]
    restored = [*v3["members"][:2], {**v3["members"][2], "removed": False}, v3["members"][3]]
    v3_restore = _signed({**v3, "members": restored, "sigs": []}, ("alice", 1), ("bob", 2))
    v3_old_key = _signed({**v3, "sigs": []}, ("alice", 1), ("bob", 1))
    return [
        {"name": "anchor alone", "later": [], "today": TODAY, "latest": 1},
        {"name": "anchor's last day", "later": [], "today": "2026-04-05", "latest": 1},
        {"name": "anchor alone, expired", "later": [], "today": "2026-04-06", "latest": None},
        {"name": "one step", "later": [v2], "today": TODAY, "latest": 2},
        {"name": "one step, anchor expired", "later": [v2], "today": "2026-05-01", "latest": 2},
        {"name": "latest expired", "later": [v2], "today": "2026-05-31", "latest": None},
        {"name": "two steps, rotated admin signs v3 with its new key", "later": [v2, v3],
         "today": "2026-06-01", "latest": 3},
        {"name": "skipping a version", "later": [v3], "today": "2026-06-01", "latest": None},
        {"name": "out of order", "later": [v3, v2], "today": "2026-06-01", "latest": None},
        {"name": "repeating the anchor", "later": [chain["v1"], v2], "today": TODAY,
         "latest": None},
        {"name": "removed member restored", "later": [v2, v3_restore], "today": "2026-06-01",
         "latest": None},
        {"name": "v3 signed with bob's key from before v2", "later": [v2, v3_old_key],
         "today": "2026-06-01", "latest": None},
    ]  # fmt: skip


def manifests() -> None:
    chain = _valid_chain()
    today = date.fromisoformat(TODAY)
    nxt = _next_invalid(chain)
    for case in nxt:
        reason = _reason(lambda c=case: mf.verify_next_manifest(chain["v1"], c["candidate"], today))
        assert reason is not None, case["name"]
        case["python_reason"] = reason
    first = _first_invalid(chain)
    for case in first:
        reason = _reason(lambda c=case: mf.verify_first_manifest(c["manifest"], today))
        assert reason is not None, case["name"]
        case["python_reason"] = reason
    anchors = [{"name": name, "today": day} for name, day in
               (("v1", TODAY), ("v2", TODAY), ("v3", "2026-06-01"))]  # fmt: skip
    for case in anchors:
        mf.verify_first_manifest(chain[case["name"]], date.fromisoformat(case["today"]))
    chains = _chains(chain)
    for case in chains:
        day = date.fromisoformat(case["today"])
        reason = _reason(lambda c=case, d=day: mf.verify_chain(chain["v1"], c["later"], today=d))
        assert (reason is None) == (case["latest"] is not None), (case["name"], reason)
        if reason is not None:
            case["python_reason"] = reason
    members = {
        person: {"id": _member_id(person),
                 "signing_seeds_hex": [_seed(person, g).hex() for g in (1, 2)],
                 "kem_seeds_hex": [_kem_seed(person, g).hex() for g in (1, 2)]}
        for person in PEOPLE
    }  # fmt: skip
    _write("manifest.json", {
        "description": "protocol §4.5. manifests v1 -> v2 -> v3 form a valid chain "
        "(v2: Bob rotates keys, Carol is removed, Dave joins, threshold 2; v3: Dave "
        "becomes admin, signed by Alice and by Bob's new key). A removed member's cert "
        "verifies over the entry with removed=false. next_invalid: each candidate must "
        "fail verify_next_manifest(v1, candidate, today); valid_anchors / first_invalid: "
        "must pass / fail verify_first_manifest (an anchor of version > 1 is trusted "
        "without its signatures, made by keys it does not list); chains: anchor v1 then "
        "later, expected latest version or null. "
        "python_reason is informative only. Days are UTC.",
        "today": TODAY, "members": members, "manifests": chain,
        "fingerprints": {name: mf.fingerprint(m) for name, m in chain.items()},
        "valid_anchors": anchors, "next_invalid": nxt, "first_invalid": first,
        "chains": chains,
    })  # fmt: skip


if __name__ == "__main__":
    import audit_vectors
    import chain_vectors
    import documents_vectors
    import ed25519_vectors
    import grants_vectors
    import keyfile_vectors
    import labels_vectors
    import notice_vectors
    import passkey_vectors
    import puzzle_vectors
    import release_vectors
    import rotation_vectors
    import routes_vectors

    receipts()
    padding()
    jcs()
    signing_vectors()
    manifests()
    documents_vectors.generate()
    chain_vectors.generate()
    audit_vectors.generate()
    keyfile_vectors.generate()
    rotation_vectors.generate()
    routes_vectors.generate()
    labels_vectors.generate()
    ed25519_vectors.main()
    grants_vectors.main()
    notice_vectors.main()
    passkey_vectors.generate()
    puzzle_vectors.generate()
    release_vectors.main()
