"""The team key file (protocol §5)."""

import hashlib
import hmac
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from candor import keyfile as k
from candor.age import api
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from candor.age.x25519 import X25519Identity
from chalicelib import manifest as mf
from chalicelib.b64 import b64u_decode, b64u_encode

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


# --- passkey wraps (protocol §5) ---------------------------------------------------

PASSKEY = json.loads((Path(__file__).parent / "vectors" / "passkey.json").read_text("utf-8"))


@pytest.mark.parametrize("case", PASSKEY["derivations"], ids=lambda c: c["name"])
def test_passkey_identity_vector(case: dict[str, Any]) -> None:
    prf = bytes.fromhex(case["prf_hex"])
    if "error" in case:
        with pytest.raises(ValueError, match="32 bytes"):
            k.passkey_identity(prf)
        return
    assert k.passkey_identity(prf) == case["identity"]
    assert k.identity_recipient(case["identity"]) == case["recipient"]


def test_passkey_identity_is_hkdf_sha256_of_the_prf_output() -> None:
    # RFC 5869 written out with hmac, against cryptography's HKDF in keyfile.py.
    prf = bytes(range(32))
    prk = hmac.new(PASSKEY["prf_salt"].encode(), prf, hashlib.sha256).digest()
    scalar = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    assert k.passkey_identity(prf) == X25519Identity(scalar).encode()
    assert PASSKEY["prf_input"].encode() == k.PASSKEY_PRF_INPUT


@pytest.mark.parametrize("case", PASSKEY["wraps"], ids=lambda c: c["name"])
def test_passkey_wrap_vector(case: dict[str, Any]) -> None:
    wrap, prf = b64u_decode(case["wrap_b64u"]), bytes.fromhex(case["prf_hex"])
    if case["verdict"] == "open":
        key = k.open_passkey_wrap(wrap, prf)
        fields = case["key"]
        assert (key.member, list(key.identities), key.api) == (
            fields["member"], fields["identities"], fields["api"])  # fmt: skip
        assert b64u_encode(key.signing_seed) == fields["signing_seed"]
        return
    error = k.KeyFileLocked if case["verdict"] == "locked" else k.KeyFileInvalid
    with pytest.raises(error):
        k.open_passkey_wrap(wrap, prf)


@pytest.mark.parametrize("case", PASSKEY["record_tags"], ids=lambda c: c["name"])
def test_passkey_record_tag_vector(case: dict[str, Any]) -> None:
    # HMAC-SHA-256 under HKDF(signing seed) written out with hmac, as for the identity.
    [opened] = [c for c in PASSKEY["wraps"] if c["verdict"] == "open"]
    key = k.open_passkey_wrap(b64u_decode(opened["wrap_b64u"]), bytes.fromhex(opened["prf_hex"]))
    prk = hmac.new(PASSKEY["record_salt"].encode(), key.signing_seed, hashlib.sha256).digest()
    mac_key = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    body = json.dumps(case["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    mac = hmac.new(mac_key, body.encode(), hashlib.sha256).digest()
    assert k.passkey_record_tag(key, case["record"]) == b64u_encode(mac) == case["tag"]


def test_passkey_wrap_round_trip_and_reseal_without_the_passkey(keyfile: k.KeyFile) -> None:
    prf = os.urandom(32)
    recipient = k.identity_recipient(k.passkey_identity(prf))
    assert k.open_passkey_wrap(k.seal_passkey_wrap(keyfile, recipient), prf) == keyfile
    # After a rotation the console reseals to the kept recipient, no prompt.
    rotated, _ = k.rotate_keys(keyfile)
    assert k.open_passkey_wrap(k.seal_passkey_wrap(rotated, recipient), prf) == rotated
    with pytest.raises(k.KeyFileLocked):
        k.open_passkey_wrap(k.seal_passkey_wrap(keyfile, recipient), os.urandom(32))


def test_debians_age_opens_a_wrap_with_the_derived_identity(
    keyfile: k.KeyFile, tmp_path: Path
) -> None:
    # An independent age: the wrap is a plain X25519 age file.
    assert shutil.which("age"), "Debian's age is a test tool: run `.ci/tools`"
    prf = os.urandom(32)
    identity = k.passkey_identity(prf)
    (tmp_path / "wrap.age").write_bytes(
        k.seal_passkey_wrap(keyfile, k.identity_recipient(identity)))  # fmt: skip
    (tmp_path / "id.txt").write_text(identity + "\n")
    out = subprocess.run(
        ["age", "-d", "-i", str(tmp_path / "id.txt"), str(tmp_path / "wrap.age")],
        capture_output=True, check=True,
    )  # fmt: skip
    assert json.loads(out.stdout)["member"] == keyfile.member
