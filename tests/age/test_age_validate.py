"""The server's header-only validator (protocol §2.1 and §4.1)."""

from __future__ import annotations

import pytest

from candor.age import api
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptRecipient
from candor.age.x25519 import X25519Identity
from chalicelib.age import format
from chalicelib.age.errors import SealedBlobInvalid
from chalicelib.age.validate import BlobInfo, validate_sealed_blob

PQ = [MlkemX25519Identity.generate().recipient() for _ in range(3)]
X = [X25519Identity.generate().recipient() for _ in range(3)]


def _with_stanzas(blob: bytes, stanzas: list[format.Stanza]) -> bytes:
    header = format.parse_header(blob)
    return format.encode_header(stanzas, header.mac) + blob[header.size :]


def test_valid_blobs() -> None:
    blob = api.encrypt_bytes(PQ, b"x" * 100)
    info = validate_sealed_blob(blob)
    assert info == BlobInfo("mlkem768x25519", 3, format.parse_header(blob).size)
    assert validate_sealed_blob(blob[: info.header_size + 16]) == info
    assert validate_sealed_blob(api.encrypt_bytes(X[:1], b"")).recipient_type == "X25519"


def test_refusals() -> None:
    blob = api.encrypt_bytes(PQ, b"hello")
    x_blob = api.encrypt_bytes(X, b"hello")
    pq_stanzas = format.parse_header(blob).stanzas
    x_stanzas = format.parse_header(x_blob).stanzas
    size = format.parse_header(blob).size
    grease = format.Stanza("grease", ("x",), b"")
    cases = {
        "mixed": _with_stanzas(blob, [*pq_stanzas, x_stanzas[0]]),
        "grease only": _with_stanzas(blob, [grease]),
        "grease added": _with_stanzas(blob, [*pq_stanzas, grease]),
        "no stanza": _with_stanzas(blob, []),
        "scrypt": api.encrypt_bytes([ScryptRecipient("pw", work_factor=2)], b"hi"),
        "too many": _with_stanzas(blob, list(pq_stanzas) * 11),
        "bad share": _with_stanzas(
            blob, [format.Stanza("mlkem768x25519", (x_stanzas[0].args[0],), pq_stanzas[0].body)]
        ),
        "long body": _with_stanzas(
            blob, [format.Stanza("mlkem768x25519", pq_stanzas[0].args, bytes(48))]
        ),
        "no nonce": blob[: size + 15],
        "header only": blob[:size],
        "truncated header": blob[: size - 1],
        "armored": api.encrypt_bytes(PQ, b"hi", armor=True),
        "garbage": b"age-encryption.org/v1\n-> X25519\n--- \n",
        "empty": b"",
    }
    for name, data in cases.items():
        try:
            validate_sealed_blob(data)
        except SealedBlobInvalid:
            continue
        pytest.fail(f"{name} accepted")
    assert validate_sealed_blob(_with_stanzas(blob, list(pq_stanzas) * 10)).stanza_count == 30
    with pytest.raises(SealedBlobInvalid):
        validate_sealed_blob(blob, max_stanzas=2)
