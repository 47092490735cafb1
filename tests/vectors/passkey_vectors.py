"""passkey.json: passkey wraps (protocol §5).

    .venv/bin/python tests/vectors/passkey_vectors.py

A passkey's PRF output (32 bytes) -> HKDF-SHA-256 with the salt
"candor/v1/passkey-wrap" -> an age X25519 identity; a wrap is the key file's
plaintext sealed to its recipient. age's randomness is drawn from a fixed
hash chain while sealing, so the file is reproducible.
"""

from typing import Any

import generate_vectors as gv
from keyfile_vectors import _fields, _flip, _seal, fixed_randomness

from candor import keyfile as kf
from candor.age import api
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Recipient
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.jcs import canonicalize

PRF = gv._h("passkey prf a")
OTHER_PRF = gv._h("passkey prf b")


def _derivations() -> list[dict[str, Any]]:
    def case(name: str, prf: bytes) -> dict[str, Any]:
        try:
            identity = kf.passkey_identity(prf)
        except ValueError:
            return {"name": name, "prf_hex": prf.hex(), "error": "length"}
        recipient = kf.identity_recipient(identity)
        return {"name": name, "prf_hex": prf.hex(), "identity": identity, "recipient": recipient}

    return [
        case("all zero", bytes(32)),
        case("all 0xff", b"\xff" * 32),
        case("hash-derived a", PRF),
        case("hash-derived b", OTHER_PRF),
        case("31 bytes", bytes(31)),
        case("33 bytes", bytes(33)),
        case("empty", b""),
    ]


def _wrap(plaintext: bytes, label: str, *recipients: str, armor: bool = False) -> bytes:
    parsed = [X25519Recipient.parse(r) for r in recipients]
    with fixed_randomness(label):
        return api.encrypt_bytes(parsed, plaintext, armor=armor)


def open_verdict(wrap: bytes, prf: bytes) -> str:
    try:
        kf.open_passkey_wrap(wrap, prf)
    except kf.KeyFileLocked:
        return "locked"
    except kf.KeyFileInvalid:
        return "invalid"
    return "open"


def _wraps() -> list[dict[str, Any]]:
    mine = kf.identity_recipient(kf.passkey_identity(PRF))
    other = kf.identity_recipient(kf.passkey_identity(OTHER_PRF))
    plaintext = canonicalize(_fields())
    good = _wrap(plaintext, "passkey good", mine)
    header_end = good.index(b"\n---") + 4
    pq = MlkemX25519Identity.from_seed(gv._kem_seed("passkey", 1)).recipient()
    with fixed_randomness("passkey pq"):
        hybrid = api.encrypt_bytes([pq], plaintext)

    def case(name: str, why: str, wrap: bytes, prf: bytes = PRF) -> dict[str, Any]:
        return {"name": name, "why": why, "wrap_b64u": b64u_encode(wrap), "prf_hex": prf.hex()}

    return [
        case("opens", "one X25519 stanza to the PRF output's recipient", good),
        case("another passkey", "another PRF output does not open it", good, OTHER_PRF),
        case("payload tampered", "the payload is authenticated", _flip(good, len(good) - 5)),
        case("header MAC tampered", "the header is authenticated", _flip(good, header_end + 3)),
        case("two X25519 stanzas", "exactly one stanza",
             _wrap(plaintext, "passkey two", mine, other)),
        case("armored", "a wrap is a binary age file",
             _wrap(plaintext, "passkey armored", mine, armor=True)),
        case("passphrase-sealed key file", "not an X25519 stanza",
             _seal(plaintext, "passkey scrypt")),
        case("post-quantum stanza", "not an X25519 stanza", hybrid),
        case("truncated header", "a whole header", good[: header_end - 20]),
        case("not an age file", "age-encryption.org/v1",
             good.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1)),
        case("plaintext v 2", "the plaintext is a v1 key file (protocol §5)",
             _wrap(canonicalize(_fields(v=2)), "passkey v2", mine)),
        case("plaintext not JSON", "the plaintext is a v1 key file",
             _wrap(b"v=1", "passkey not json", mine)),
    ]  # fmt: skip


def _record_tags() -> list[dict[str, Any]]:
    """A record's tag under the vector key (wraps[0]'s key), and how one
    changed field changes it."""
    fields = _fields()
    key = kf.KeyFile(fields["member"], tuple(fields["identities"]),
                     b64u_decode(fields["signing_seed"]), fields["api"])
    record = {"id": b64u_encode(gv._h("passkey credential")[:16]), "member": key.member,
              "label": "Laptop \u00e9 \u202e", "added": "2026-11-30",
              "recipient": kf.identity_recipient(kf.passkey_identity(PRF))}
    other = kf.identity_recipient(kf.passkey_identity(OTHER_PRF))
    cases = [("as added", record), ("another recipient", record | {"recipient": other}),
             ("another label", record | {"label": "Phone"}),
             ("another day", record | {"added": "2026-12-01"})]
    return [{"name": name, "record": r, "tag": kf.passkey_record_tag(key, r)} for name, r in cases]


def generate() -> None:
    wraps = _wraps()
    for case in wraps:
        wrap, prf = b64u_decode(case["wrap_b64u"]), bytes.fromhex(case["prf_hex"])
        case["verdict"] = open_verdict(wrap, prf)
    wraps[0]["key"] = _fields()
    gv._write("passkey.json", {
        "description": "protocol §5 passkey wraps. derivations: a PRF output (hex) gives "
        "the age X25519 identity HKDF-SHA-256(ikm=prf, salt=prf_salt, info='', 32 bytes) "
        "and its recipient; error length unless 32 bytes. wraps: open wrap (b64u of the "
        "file bytes) with the PRF output; verdict open (then key holds the plaintext's "
        "fields) | locked (another PRF output, tampered) | invalid (not a binary age file "
        "with exactly one X25519 stanza, or a bad plaintext). record_tags: a console "
        "record's tag under the key of the wrap that opens: b64u HMAC-SHA-256 keyed by "
        "HKDF-SHA-256(ikm=signing seed, salt=record_salt, info='', 32 bytes) over "
        "JCS({id, member, label, added, recipient}).",
        "prf_input": kf.PASSKEY_PRF_INPUT.decode(), "prf_salt": kf.PASSKEY_WRAP_SALT.decode(),
        "record_salt": kf.PASSKEY_RECORD_SALT.decode(),
        "derivations": _derivations(), "wraps": wraps, "record_tags": _record_tags(),
    })  # fmt: skip


if __name__ == "__main__":
    generate()
