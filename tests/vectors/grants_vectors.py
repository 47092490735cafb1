"""Writes tests/vectors/grants.json: age files and grant headers (protocol §4.4
"Grants"). Run from the repository root: ``.venv/bin/python -m tests.vectors.grants_vectors``.

Each case holds a stored blob (``sealed``, to someone else), a grant header
for ``identity``, the hash of the file a granted reader assembles (the
header, then the blob's bytes after its own header) and, when ``valid``, the
hash of the plaintext it decrypts to. Invalid cases must fail to decrypt.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from candor import grants
from candor.age import api
from candor.age.keys import parse_identity, parse_recipient
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from chalicelib.age.format import parse_header
from chalicelib.b64 import b64u_encode

OUT = Path(__file__).with_name("grants.json")


Kind = type[X25519Identity] | type[MlkemX25519Identity]


def _case(name: str, kind: Kind, plaintext: bytes, *, forge: bool = False) -> dict[str, object]:
    owner, granted = kind.generate().encode(), kind.generate().encode()
    sealed = api.encrypt_bytes([parse_recipient(_recipient(owner))], plaintext)
    if forge:  # a header under a file key of its own, as a server could make
        other = api.encrypt_bytes([parse_recipient(_recipient(granted))], b"")
        header = other[:parse_header(other).size]
    else:
        header = grants.grant_header(sealed, [owner], _recipient(granted))
    assembled = grants.assemble(header, sealed)
    return {"name": name, "identity": granted, "sealed": b64u_encode(sealed),
            "header": b64u_encode(header), "assembled_sha256": _hex(assembled),
            "valid": not forge, "plaintext_sha256": None if forge else _hex(plaintext)}


def _hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _recipient(identity: str) -> str:
    parsed = parse_identity(identity)
    assert isinstance(parsed, X25519Identity | MlkemX25519Identity)
    return parsed.recipient().encode()


def main() -> None:
    cases = [
        _case("x25519, one chunk", X25519Identity, b"A report the new member reads."),
        _case("x25519, two chunks", X25519Identity, bytes(range(256)) * 257),
        _case("mlkem768x25519, one chunk", MlkemX25519Identity, b'{"v": 1}' + b" " * 4088),
        _case("a header under another file key", X25519Identity, b"never shown", forge=True),
    ]
    doc = {"description": "protocol §4.4 Grants: assembled = header + sealed[len(sealed's own "
                          "header):], whose SHA-256 is assembled_sha256; valid cases decrypt "
                          "with identity to a plaintext whose SHA-256 is plaintext_sha256, "
                          "the other fails (the opaque error). Blobs and headers are b64u.",
           "cases": cases}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
