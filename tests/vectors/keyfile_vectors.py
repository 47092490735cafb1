"""keyfile.json: team key files (protocol §5); ids.json: ids (protocol §2.2, §4.4).

Imported by generate_vectors.py. age's randomness (file key, nonce, scrypt
salt) is drawn from a fixed hash chain while sealing, so the files are
reproducible. Only six cases pay for an scrypt derivation (2^18).
"""

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import generate_vectors as gv

from candor import keyfile as kf
from candor.age import api
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptRecipient
from candor.age.x25519 import X25519Identity
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.jcs import canonicalize
from chalicelib.wire import identifier

PASSPHRASE = "correct horse battery staple"
API = "https://candor.example/"
# Where the protocol, not Python, decides a verdict (none since Python became
# as strict as the protocol): name -> verdict; the case then also records
# python_verdict.
PROTOCOL_PLAINTEXT: dict[str, str] = {}


@contextmanager
def fixed_randomness(label: str) -> Iterator[None]:
    counter = iter(range(1 << 30))

    def urandom(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{label} {next(counter)}".encode()).digest()
        return out[:n]

    real = os.urandom
    os.urandom = urandom
    try:
        yield
    finally:
        os.urandom = real


def _identity(person: str, generation: int) -> str:
    return MlkemX25519Identity.from_seed(gv._kem_seed(person, generation)).encode()


def _fields(**changes: Any) -> dict[str, Any]:
    return {"v": 1, "member": gv._member_id("bob"),
            "identities": [_identity("bob", 2), _identity("bob", 1)],
            "signing_seed": b64u_encode(gv._seed("bob", 2)), "api": API} | changes  # fmt: skip


def _seal(plaintext: bytes, label: str, work_factor: int = 18, armor: bool = False) -> bytes:
    with fixed_randomness(label):
        return api.encrypt_bytes([ScryptRecipient(PASSPHRASE, work_factor)], plaintext,
                                 armor=armor)  # fmt: skip


def _with_factor(sealed: bytes, factor: bytes) -> bytes:
    """The same file with the scrypt stanza's work factor replaced."""
    intro, stanza, rest = sealed.split(b"\n", 2)
    return b"\n".join([intro, stanza.rsplit(b" ", 1)[0] + b" " + factor, rest])


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def open_verdict(sealed: bytes, passphrase: str) -> str:
    try:
        kf.open_keyfile(sealed, passphrase)
    except kf.KeyFileLocked:
        return "locked"
    except kf.KeyFileInvalid:
        return "invalid"
    return "open"


def _files() -> list[dict[str, Any]]:
    good = _seal(canonicalize(_fields()), "good")
    header_end = good.index(b"\n---") + 4
    x25519 = X25519Identity(gv._h("keyfile x25519")).recipient().encode()
    intro, _stanza, body, rest = good.split(b"\n", 3)
    foreign = b"\n".join([intro, b"-> X25519 " + x25519[4:47].encode(), body, rest])
    two = b"\n".join([intro, _stanza, body, b"-> X25519 " + b"A" * 43, body, rest])

    def case(name: str, why: str, sealed: bytes, passphrase: str = PASSPHRASE) -> Any:
        return {"name": name, "why": why, "sealed_b64u": b64u_encode(sealed),
                "passphrase": passphrase}  # fmt: skip

    return [
        case("opens", "binary age file, work factor 18", good),
        case("armored", "ASCII-armored age file",
             _seal(canonicalize(_fields()), "armored", armor=True)),
        case("wrong passphrase", "the passphrase does not unwrap the file key", good,
             "correct horse battery stapler"),
        case("payload tampered", "the payload is authenticated", _flip(good, len(good) - 5)),
        case("header MAC tampered", "the header is authenticated", _flip(good, header_end + 3)),
        case("plaintext v 2", "only v1 key files",
             _seal(canonicalize(_fields(v=2)), "v2")),
        case("work factor 17", "2^18..2^20", _with_factor(good, b"17")),
        case("work factor 21", "2^18..2^20", _with_factor(good, b"21")),
        case("work factor 018", "no leading zero", _with_factor(good, b"018")),
        case("work factor in Arabic-Indic digits", "ASCII digits only",
             _with_factor(good, "\u0661\u0668".encode())),
        case("work factor in full-width digits", "ASCII digits only",
             _with_factor(good, "\uff11\uff18".encode())),
        case("not passphrase-sealed", "one scrypt stanza", foreign),
        case("scrypt and another stanza", "scrypt is the only stanza", two),
        case("not an age file", "age-encryption.org/v1",
             good.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1)),
    ]  # fmt: skip


def plaintext_verdict(plaintext: bytes) -> str:
    try:
        kf._from_plaintext(plaintext)
    except kf.KeyFileInvalid:
        return "invalid"
    return "valid"


def _plaintexts() -> list[dict[str, Any]]:
    def case(name: str, why: str, data: Any) -> Any:
        raw = data if isinstance(data, bytes) else canonicalize(data)
        return {"name": name, "why": why, "plaintext_hex": raw.hex()}

    x25519 = X25519Identity(gv._h("keyfile x25519")).encode()
    ok = _fields()
    older = ok["identities"][1]
    broken = older[:-1] + ("Q" if older[-1] != "Q" else "P")
    dup = canonicalize(ok)[:-1] + b',"v":1}'
    return [
        case("valid", "protocol §5", ok),
        case("valid, spaced, keys unsorted", "any JSON object",
             json.dumps(dict(reversed(list(ok.items()))), indent=1).encode()),
        case("one identity", "older identities are optional", _fields(identities=[older])),
        case("X25519 identity", "either recipient type", _fields(identities=[x25519])),
        case("extra field", "unknown fields are ignored", _fields(note="x")),
        case("v is 2", "v1 only", _fields(v=2)),
        case("v is true", "v is the integer 1", _fields(v=True)),
        case("v missing", "v is required", {k: v for k, v in ok.items() if k != "v"}),
        case("member bad", "m_ + b64u(15 bytes)", _fields(member="m_short")),
        case("identities empty", "at least one identity", _fields(identities=[])),
        case("identities a string", "a list", _fields(identities=older)),
        case("identity garbage", "age identities", _fields(identities=["AGE-SECRET-KEY-1X"])),
        case("older identity checksum broken", "every identity is an age identity",
             _fields(identities=[ok["identities"][0], broken])),
        case("identities of two types", "one recipient type",
             _fields(identities=[ok["identities"][0], x25519])),
        case("signing_seed 31 bytes", "an Ed25519 seed",
             _fields(signing_seed=b64u_encode(bytes(31)))),
        case("signing_seed padded", "b64u has no =",
             _fields(signing_seed=ok["signing_seed"] + "=")),
        case("api missing", "api is required", {k: v for k, v in ok.items() if k != "api"}),
        case("api a number", "api is a string", _fields(api=1)),
        case("duplicate key", "protocol §0: no duplicate keys", dup),
        case("not JSON", "a JSON object", b"v=1"),
        case("not UTF-8", "UTF-8", b'{"v":1,"api":"\xff"}'),
        case("a list", "a JSON object", b"[1]"),
    ]  # fmt: skip


def _ids() -> list[dict[str, Any]]:
    b16 = b64u_encode(bytes(range(16)))
    m15 = b64u_encode(bytes(range(1, 16)))
    values = {
        "m": ["m_" + m15, "m_" + "-" * 20, "m_" + m15[:-1], "m_" + m15 + "A", "M_" + m15,
              "m-" + m15, "m_" + m15[:-1] + "=", "m_" + m15[:-1] + "+", "m_" + m15 + "\n",
              " m_" + m15, "m_" + m15[:-1] + "\u00e9", ""],
        "b": ["b_" + b16, "b_" + b16[:-1], "b_" + b16 + "A", "a_" + b16, "c_" + b16,
              "b_" + b16[:-1] + "/", "b_" + b16 + "\n", "B_" + b16],
        "a": ["a_" + b16, "a_" + b16[:-1], "b_" + b16, "a_" + b16[:-1] + "="],
        "c": ["c_" + b16, "c_" + b16[:-1], "b_" + b16, "c_" + b16 + "\n", "c_../" + b16[3:]],
    }  # fmt: skip
    out = []
    for kind, items in values.items():
        for value in items:
            try:
                identifier(value, kind)
                valid = True
            except Exception:  # chalicelib.errors.Malformed
                valid = False
            out.append({"kind": kind, "value": value, "valid": valid})
    return out


def generate(check: Callable[[bytes, str], str] = open_verdict) -> None:
    files = _files()
    for case in files:
        case["verdict"] = check(b64u_decode(case["sealed_b64u"]), case["passphrase"])
    files[0]["key"] = files[1]["key"] = _fields()
    plaintexts = _plaintexts()
    for case in plaintexts:
        python = plaintext_verdict(bytes.fromhex(case["plaintext_hex"]))
        case["verdict"] = PROTOCOL_PLAINTEXT.get(case["name"], python)
        if case["verdict"] != python:
            case["python_verdict"] = python
    gv._write("keyfile.json", {
        "description": "protocol §5 key files. files: open sealed (b64u of the file "
        "bytes) with passphrase; verdict open (then key holds the plaintext's fields) | "
        "locked (wrong passphrase, damaged, not age) | invalid (not one scrypt stanza, "
        "work factor not 18..20 in ASCII digits, or a bad plaintext). The work factor "
        "is checked before any derivation. plaintexts: the decrypted JSON (hex), "
        "verdict valid | invalid (python_verdict: what candor/keyfile.py said where it "
        "differs from the protocol).",
        "passphrase": PASSPHRASE, "files": files, "plaintexts": plaintexts,
    })  # fmt: skip
    gv._write("ids.json", {
        "description": "protocol §2.2 ids of blobs (b_) and attachments (a_), §4.4 member "
        "ids (m_) and case ids (c_): the prefix and b64u of 16 bytes (15 for m_), nothing "
        "before or after. valid: whether a checker of that kind accepts value.",
        "ids": _ids(),
    })  # fmt: skip
