"""Flip a bit in every region of a file, cut it, extend it: decryption
fails with AgeError and nothing is written to an output file."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from candor.age import api
from candor.age.mlkem import MlkemX25519Identity
from candor.age.stream import CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE
from candor.age.x25519 import X25519Identity
from chalicelib.age import format
from chalicelib.age.errors import AgeError

IDENTITIES = {"x25519": X25519Identity.generate(), "pq": MlkemX25519Identity.generate()}
DATA = random.Random(7).randbytes(2 * CHUNK_SIZE + 1000)  # two full chunks and a short one


def _sealed(kind: str) -> bytes:
    return api.encrypt_bytes([IDENTITIES[kind].recipient()], DATA)


def _regions(sealed: bytes) -> dict[str, int]:
    """An offset inside every region of the file."""
    header = format.parse_header(sealed)
    stanza_line_end = sealed.index(b"\n", len(format.INTRO))
    mac_at = header.size - 10
    payload = header.size + 16
    return {
        "intro": 3,
        "stanza type": len(format.INTRO) + 4,
        "stanza share": stanza_line_end - 5,
        "stanza body": stanza_line_end + 5,
        "mac": mac_at,
        "nonce": header.size + 3,
        "chunk 0": payload + 100,
        "chunk 0 tag": payload + ENCRYPTED_CHUNK_SIZE - 1,
        "chunk 1": payload + ENCRYPTED_CHUNK_SIZE + 5,
        "chunk 2 (last)": payload + 2 * ENCRYPTED_CHUNK_SIZE + 5,
        "last byte": len(sealed) - 1,
    }


def _assert_refused(kind: str, data: bytes, tmp_path: Path) -> None:
    with pytest.raises(AgeError):
        api.decrypt_bytes([IDENTITIES[kind]], data)
    target = tmp_path / "plain.out"
    with pytest.raises(AgeError):
        api.decrypt_file([IDENTITIES[kind]], io.BytesIO(data), target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_bit_flips(kind: str, tmp_path: Path) -> None:
    sealed = _sealed(kind)
    for region, offset in _regions(sealed).items():
        for bit in (0, 5):
            bad = bytearray(sealed)
            bad[offset] ^= 1 << bit
            try:
                _assert_refused(kind, bytes(bad), tmp_path)
            except BaseException:
                pytest.fail(f"flip in {region} accepted")


@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_truncation_extension_and_reordering(kind: str, tmp_path: Path) -> None:
    sealed = _sealed(kind)
    header = format.parse_header(sealed)
    payload = header.size + 16
    chunk0 = sealed[payload : payload + ENCRYPTED_CHUNK_SIZE]
    chunk1 = sealed[payload + ENCRYPTED_CHUNK_SIZE : payload + 2 * ENCRYPTED_CHUNK_SIZE]
    variants = {
        "header cut": sealed[: header.size - 1],
        "nonce cut": sealed[: header.size + 8],
        "no chunks": sealed[:payload],
        "last chunk dropped": sealed[: payload + 2 * ENCRYPTED_CHUNK_SIZE],
        "last byte dropped": sealed[:-1],
        "tag only": sealed[: payload + 2 * ENCRYPTED_CHUNK_SIZE + 16],
        "byte appended": sealed + b"\x00",
        "chunk appended": sealed + chunk0,
        "chunks swapped": sealed[:payload]
        + chunk1
        + chunk0
        + sealed[payload + 2 * ENCRYPTED_CHUNK_SIZE :],
        "chunk repeated": sealed[:payload] + chunk0 + sealed[payload:],
        "other header": _sealed(kind)[:payload] + sealed[payload:],
    }
    for name, data in variants.items():
        try:
            _assert_refused(kind, data, tmp_path)
        except BaseException:
            pytest.fail(f"{name} accepted")


def test_wrong_identity_and_armor_damage(tmp_path: Path) -> None:
    sealed = api.encrypt_bytes([IDENTITIES["x25519"].recipient()], DATA, armor=True)
    with pytest.raises(AgeError):
        api.decrypt_bytes([X25519Identity.generate()], sealed)
    lines = sealed.split(b"\n")
    lines[3] = lines[3][:-1] + (b"A" if lines[3][-1:] != b"A" else b"B")
    _assert_refused("x25519", b"\n".join(lines), tmp_path)
    _assert_refused("x25519", sealed.replace(b"\n", b"\n\n", 2), tmp_path)
