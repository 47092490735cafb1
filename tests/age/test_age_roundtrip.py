"""Round trips through our own encrypt and decrypt, sizes around the 64 KiB
chunk boundaries, armor, and the rules on mixing recipient types."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.age import api
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from candor.age.stream import CHUNK_SIZE, TAG_SIZE
from candor.age.x25519 import X25519Identity
from chalicelib.age import format
from chalicelib.age.errors import AgeError

X = X25519Identity.generate()
PQ = MlkemX25519Identity.generate()
BOUNDARY_SIZES = [0, 1, 65535, 65536, 65537, 2 * 65536 - 1, 2 * 65536, 2 * 65536 + 1]


def _payload_size(plain: int) -> int:
    chunks = max(1, -(-plain // CHUNK_SIZE))
    return plain + chunks * TAG_SIZE


@settings(max_examples=40, deadline=None)
@given(
    size=st.sampled_from(BOUNDARY_SIZES) | st.integers(0, 3 * CHUNK_SIZE),
    seed=st.integers(0, 2**32),
    armor=st.booleans(),
    pq=st.booleans(),
)
def test_round_trip(size: int, seed: int, armor: bool, pq: bool) -> None:
    data = random.Random(seed).randbytes(size)
    identity = PQ if pq else X
    sealed = api.encrypt_bytes([identity.recipient()], data, armor=armor)
    assert api.decrypt_bytes([X25519Identity.generate(), identity], sealed) == data
    if not armor:
        header = format.parse_header(sealed)
        assert len(sealed) == header.size + 16 + _payload_size(size)


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_streams_from_files_in_small_reads(size: int) -> None:
    class Trickle(io.RawIOBase):
        """Returns at most 1000 bytes a read, like a pipe."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
            chunk = self._data.read(min(len(b), 1000))
            b[: len(chunk)] = chunk
            return len(chunk)

    data = random.Random(size).randbytes(size)
    sealed = io.BytesIO()
    api.encrypt([X.recipient()], Trickle(data), sealed)  # type: ignore[arg-type]
    out = io.BytesIO()
    api.decrypt([X], Trickle(sealed.getvalue()), out)  # type: ignore[arg-type]
    assert out.getvalue() == data


def test_multiple_recipients_of_one_type() -> None:
    others = [MlkemX25519Identity.generate() for _ in range(3)]
    sealed = api.encrypt_bytes([i.recipient() for i in others], b"shared")
    for identity in others:
        assert api.decrypt_bytes([identity], sealed) == b"shared"
    with pytest.raises(AgeError):
        api.decrypt_bytes([PQ, X], sealed)


def test_encrypt_refuses_mixing() -> None:
    scrypt = ScryptRecipient("correct horse", work_factor=2)
    for recipients in (
        [X.recipient(), PQ.recipient()],
        [scrypt, X.recipient()],
        [scrypt, ScryptRecipient("other", work_factor=2)],
        [],
    ):
        with pytest.raises(ValueError, match=r"recipient|passphrase"):
            api.encrypt_bytes(recipients, b"data")


def test_scrypt_round_trip_and_limits() -> None:
    sealed = api.encrypt_bytes([ScryptRecipient("correct horse", work_factor=10)], b"secret")
    assert api.decrypt_bytes([ScryptIdentity("correct horse")], sealed) == b"secret"
    for identity in (ScryptIdentity("wrong"), ScryptIdentity("correct horse", max_work_factor=9)):
        with pytest.raises(AgeError):
            api.decrypt_bytes([identity], sealed)
    with pytest.raises(AgeError):
        api.decrypt_bytes([X], sealed)  # an identity that ignores scrypt: no match


def test_decrypt_file_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    data = random.Random(1).randbytes(3 * CHUNK_SIZE)
    sealed = api.encrypt_bytes([X.recipient()], data)
    api.decrypt_file([X], io.BytesIO(sealed), target)
    assert target.read_bytes() == data
    assert target.stat().st_mode & 0o777 == 0o600
    bad = bytearray(sealed)
    bad[-1] ^= 1
    target.write_bytes(b"previous")
    with pytest.raises(AgeError):
        api.decrypt_file([X], io.BytesIO(bytes(bad)), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_special_files_are_never_replaced(tmp_path: Path) -> None:
    from candor.age.api import _is_special

    # Renaming a temporary file over /dev/null would replace the device.
    assert _is_special(Path(os.devnull))
    assert not _is_special(tmp_path / "missing")
    regular = tmp_path / "regular"
    regular.write_bytes(b"")
    assert not _is_special(regular)


def test_decrypt_file_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(real)
    sealed = api.encrypt_bytes([X.recipient()], b"new")
    api.decrypt_file([X], io.BytesIO(sealed), link)
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
