"""The team key file (protocol §5)."""

import os
import stat
from pathlib import Path

import pytest

from candor import keyfile as k
from candor.age import api
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from chalicelib import manifest as mf

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def keyfile() -> k.KeyFile:
    return k.create_keyfile("https://candor.example/")


def test_write_and_open(keyfile: k.KeyFile, tmp_path: Path) -> None:
    path = tmp_path / "alice.candor-key"
    k.write_keyfile(keyfile, path, PASSPHRASE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert k.open_keyfile(path, PASSPHRASE) == keyfile
    assert k.open_keyfile(path.read_bytes(), PASSPHRASE) == keyfile
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left


def test_any_age_tool_opens_it(keyfile: k.KeyFile, tmp_path: Path) -> None:
    path = tmp_path / "alice.candor-key"
    k.write_keyfile(keyfile, path, PASSPHRASE)
    plaintext = api.decrypt_bytes([ScryptIdentity(PASSPHRASE)], path.read_bytes())
    assert plaintext.startswith(b"{")
    assert keyfile.member.encode() in plaintext


def test_refuses_to_overwrite(keyfile: k.KeyFile, tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        k.write_keyfile(keyfile, path, PASSPHRASE)
    assert path.read_bytes() == b"precious"


def test_wrong_passphrase_and_damage_are_locked(keyfile: k.KeyFile, tmp_path: Path) -> None:
    path = tmp_path / "k"
    k.write_keyfile(keyfile, path, PASSPHRASE)
    with pytest.raises(k.KeyFileLocked):
        k.open_keyfile(path, "wrong")
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 1
    with pytest.raises(k.KeyFileLocked):
        k.open_keyfile(bytes(damaged), PASSPHRASE)
    with pytest.raises(k.KeyFileLocked):
        k.open_keyfile(b"not an age file", PASSPHRASE)


@pytest.mark.parametrize("work_factor", [17, 21])
def test_refuses_work_factors_outside_18_to_20(keyfile: k.KeyFile, work_factor: int) -> None:
    with pytest.raises(ValueError, match="work factor"):
        k.write_keyfile(keyfile, "/nonexistent/k", PASSPHRASE, work_factor)
    # Made by another tool: refused before any scrypt derivation (so the
    # header MAC, broken by the edit, is never reached).
    sealed = api.encrypt_bytes([ScryptRecipient(PASSPHRASE, 18)], b"{}")
    intro, stanza, rest = sealed.split(b"\n", 2)
    stanza = stanza.removesuffix(b" 18") + b" %d" % work_factor
    sealed = b"\n".join([intro, stanza, rest])
    with pytest.raises(k.KeyFileInvalid, match="work factor"):
        k.open_keyfile(sealed, PASSPHRASE)


@pytest.mark.parametrize(
    "plaintext",
    [b"[]", b"not json", b'{"v":2}', b'{"v":1,"member":"m_x","identities":[],'
     b'"signing_seed":"AA","api":""}'],
)  # fmt: skip
def test_refuses_bad_plaintext(plaintext: bytes) -> None:
    sealed = api.encrypt_bytes([ScryptRecipient(PASSPHRASE, 18)], plaintext)
    with pytest.raises(k.KeyFileInvalid):
        k.open_keyfile(sealed, PASSPHRASE)


def test_change_passphrase(keyfile: k.KeyFile, tmp_path: Path) -> None:
    path = tmp_path / "k"
    k.write_keyfile(keyfile, path, PASSPHRASE)
    k.change_passphrase(path, PASSPHRASE, "new passphrase")
    assert k.open_keyfile(path, "new passphrase") == keyfile
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(k.KeyFileLocked):
        k.open_keyfile(path, PASSPHRASE)


def test_rotate_keys_and_public_card(keyfile: k.KeyFile) -> None:
    card = k.public_card(keyfile, "Alice", "Legal", "admin")
    mf.verify_member_entry(card, None)
    assert card["recipient"] == keyfile.recipient
    rotated, old_seed = k.rotate_keys(keyfile)
    assert old_seed == keyfile.signing_seed
    assert rotated.member == keyfile.member
    assert rotated.identities[1:] == keyfile.identities
    assert rotated.signing_seed != keyfile.signing_seed
    new_card = k.public_card(rotated, "Alice", "Legal", "admin", card, old_seed)
    mf.verify_member_entry(new_card, card)
    assert new_card["old_signing_keys"] == [card["signing_key"]]


def test_x25519_team_rotates_within_its_type() -> None:
    keyfile = k.create_keyfile("https://x", kind="X25519")
    rotated, _ = k.rotate_keys(keyfile)
    assert all(i.startswith("AGE-SECRET-KEY-1") for i in rotated.identities)


def test_repr_hides_secrets(keyfile: k.KeyFile) -> None:
    text = repr(keyfile)
    assert keyfile.member in text
    assert "SECRET" not in text
    assert keyfile.signing_seed.hex() not in text
    assert str(keyfile.signing_seed) not in text


def test_create_keyfile_makes_a_member_id(keyfile: k.KeyFile) -> None:
    assert mf.is_member_id(keyfile.member)
    assert len(keyfile.identities) == 1
    assert keyfile.identities[0].startswith("AGE-SECRET-KEY-PQ-1")
    assert k.create_keyfile("x").member != keyfile.member


def test_keyfile_refuses_bad_fields(keyfile: k.KeyFile) -> None:
    with pytest.raises(k.KeyFileInvalid):
        k.KeyFile("m_x", keyfile.identities, keyfile.signing_seed, "a")
    with pytest.raises(k.KeyFileInvalid):
        k.KeyFile(keyfile.member, (), keyfile.signing_seed, "a")
    with pytest.raises(k.KeyFileInvalid):
        k.KeyFile(keyfile.member, ("AGE-SECRET-KEY-PQ-1x",), keyfile.signing_seed, "a")
    with pytest.raises(k.KeyFileInvalid):
        k.KeyFile(keyfile.member, keyfile.identities, os.urandom(31), "a")
