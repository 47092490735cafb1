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
from datetime import date
from pathlib import Path

from candor import grants, roster
from candor import keyfile as kf
from candor.age import api
from candor.age.keys import parse_identity, parse_recipient
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from chalicelib.age.format import parse_header
from chalicelib.age.recipient_types import X25519
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
    doc = {"access": _access_cases(),
           "description": "protocol §4.4 Grants: assembled = header + sealed[len(sealed's own "
                          "header):], whose SHA-256 is assembled_sha256; valid cases decrypt "
                          "with identity to a plaintext whose SHA-256 is plaintext_sha256, "
                          "the other fails (the opaque error). Blobs and headers are b64u. "
                          "access: each case's stored access list against the report and "
                          "the listed grants under chain; problems are the members it names "
                          "that the report and the grants do not prove, or that the reporter "
                          "excluded (clients write nothing to such a case).",
           "cases": cases}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


def _access_cases() -> dict[str, object]:
    """Whom the stored ``access`` may name (protocol §4.4, §4.5): the report
    names A and B under version 1 (A, B, C: C excluded); D and E join in
    version 2."""
    names = "ABCDE"
    keys = {n: kf.create_keyfile("", X25519) for n in names}
    cards = {n: kf.public_card(keys[n], n, "", "admin" if n == "A" else "reviewer")
             for n in names}
    day = date(2026, 11, 30)
    v1 = roster.sign_manifest(roster.unsigned_manifest(1, day, [cards[n] for n in "ABC"], 1),
                              keys["A"].member, keys["A"].signing_seed)
    v2 = roster.sign_manifest(roster.next_manifest(v1, list(cards.values()), day),
                              keys["A"].member, keys["A"].signing_seed)
    reply_to = kf.identity_recipient(kf.create_keyfile("", X25519).identities[0])
    ids = {n: keys[n].member for n in names}

    Row = dict[str, object]

    def grant(by: str, to: str, signer: str | None = None, other: bool = False) -> Row:
        doc = grants.new_grant(reply_to + ("x" if other else ""), ids[to], ids[by],
                               keys[signer or by].signing_seed)
        return {"member": ids[to], "by": ids[by], "day": "2026-11-30", "grant": doc}

    def case(name: str, access: str, listed: list[Row], bad: str) -> Row:
        return {"name": name, "access": [ids[n] for n in access], "grants": listed,
                "problems": sorted(ids[n] for n in bad)}

    return {
        "chain": [v1, v2], "reply_to": reply_to,
        "report": {"access": [ids["A"], ids["B"]], "manifest": 1},
        "cases": [
            case("as the report sealed it", "AB", [], ""),
            case("granted by a member on the case", "ABD", [grant("A", "D")], ""),
            case("granted onward by a granted member", "ABDE",
                 [grant("D", "E"), grant("A", "D")], ""),
            case("granted by a member not proven on the case", "ABE", [grant("D", "E")], "E"),
            case("a grant signed by another member", "ABD", [grant("A", "D", signer="B")], "D"),
            case("a grant of another case", "ABD", [grant("A", "D", other=True)], "D"),
            case("the server adds a member by itself", "ABD", [], "D"),
            case("a member the reporter excluded", "ABC", [grant("A", "C")], "C"),
            case("a member taken off", "A", [grant("A", "D")], ""),
        ],
    }


if __name__ == "__main__":
    main()
