"""Interoperability, both ways, with implementations nobody here wrote:
npm ``age-encryption`` (typage) in node, Debian's ``age`` command (Go), and
``pyrage`` (Rust). The age CLI reads passphrases only from a terminal, so
those tests drive it through a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from candor.age import api, keys
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from candor.age.stream import CHUNK_SIZE
from candor.age.x25519 import X25519Identity

ROOT = Path(__file__).resolve().parents[2]
TYPAGE = Path(__file__).with_name("typage_cli.mjs")
DATA = random.Random(3).randbytes(2 * CHUNK_SIZE + 17)
PASSPHRASE = "interop passphrase 🔑"

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "age-encryption").exists(),
    reason="node or age-encryption missing",
)
needs_age = pytest.mark.skipif(shutil.which("age") is None, reason="age CLI missing")


def typage(*args: str, stdin: bytes = b"") -> bytes:
    result = subprocess.run(
        ["node", str(TYPAGE), *args], input=stdin, capture_output=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


# --- typage ---------------------------------------------------------------


@needs_node
@pytest.mark.parametrize("kind", ["x25519", "hybrid"])
@pytest.mark.parametrize("armor", [False, True])
def test_typage_to_python(kind: str, armor: bool) -> None:
    identity, recipient = typage("keygen", kind).decode().split()
    ours = keys.parse_identity(identity)
    assert ours.recipient().encode() == recipient  # same key derivation
    sealed = typage("encrypt", *(["--armor"] if armor else []), recipient, stdin=DATA)
    assert api.decrypt_bytes([ours], sealed) == DATA


@needs_node
@pytest.mark.parametrize("kind", ["x25519", "hybrid"])
@pytest.mark.parametrize("armor", [False, True])
def test_python_to_typage(kind: str, armor: bool) -> None:
    identity = MlkemX25519Identity.generate() if kind == "hybrid" else X25519Identity.generate()
    assert typage("recipient", identity.encode()).decode().strip() == identity.recipient().encode()
    sealed = api.encrypt_bytes([identity.recipient()], DATA, armor=armor)
    assert typage("decrypt", identity.encode(), stdin=sealed) == DATA


@needs_node
def test_typage_multiple_hybrid_recipients() -> None:
    ids = [MlkemX25519Identity.generate() for _ in range(3)]
    sealed = typage("encrypt", *(i.recipient().encode() for i in ids), stdin=b"to all")
    assert all(api.decrypt_bytes([i], sealed) == b"to all" for i in ids)
    ours = api.encrypt_bytes([i.recipient() for i in ids], b"back")
    assert all(typage("decrypt", i.encode(), stdin=ours) == b"back" for i in ids)


@needs_node
def test_typage_scrypt_both_ways() -> None:
    sealed = typage("encrypt", "--passphrase", PASSPHRASE, "--work-factor", "12", stdin=DATA)
    assert api.decrypt_bytes([ScryptIdentity(PASSPHRASE)], sealed) == DATA
    ours = api.encrypt_bytes([ScryptRecipient(PASSPHRASE, work_factor=12)], DATA)
    assert typage("decrypt", "--passphrase", PASSPHRASE, stdin=ours) == DATA


@needs_node
def test_spec_receipt_recipient_matches_typage() -> None:
    kek_identity = MlkemX25519Identity.from_seed(bytes(range(32)))
    assert typage("recipient", kek_identity.encode()).decode().strip() == (
        kek_identity.recipient().encode()
    )


# --- Debian age (Go) ------------------------------------------------------


def _age_with_terminal(args: list[str], passphrase: str) -> None:
    """Run ``age`` with a pseudo-terminal and answer every prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # child: age reads the passphrase from /dev/tty, this pty
        os.execvp("age", ["age", *args])  # noqa: S606 -- argument list, no shell
    transcript = b""
    try:
        while True:
            try:
                out = os.read(fd, 1024)
            except OSError:  # EIO: the child closed the terminal
                break
            if not out:
                break
            transcript += out
            if transcript.rstrip().endswith(b":"):
                os.write(fd, passphrase.encode() + b"\n")
                transcript = b""
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript.decode(errors="replace")


@needs_age
def test_age_cli_x25519_both_ways(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    subprocess.run(["age-keygen", "-o", str(key_file)], check=True, capture_output=True)
    identities = keys.parse_identities_file(key_file.read_text())
    recipient = identities[0].recipient().encode()  # type: ignore[attr-defined]
    sealed = subprocess.run(
        ["age", "-r", recipient], input=DATA, capture_output=True, check=True
    ).stdout
    assert api.decrypt_bytes(identities, sealed) == DATA
    armored = subprocess.run(
        ["age", "-a", "-r", recipient], input=DATA, capture_output=True, check=True
    ).stdout
    assert api.decrypt_bytes(identities, armored) == DATA
    for armor in (False, True):
        ours = api.encrypt_bytes([identities[0].recipient()], DATA, armor=armor)  # type: ignore[attr-defined]
        plain = subprocess.run(
            ["age", "-d", "-i", str(key_file)], input=ours, capture_output=True, check=True
        ).stdout
        assert plain == DATA


@needs_age
@pytest.mark.slow  # scrypt at a real work factor
def test_age_cli_scrypt_both_ways(tmp_path: Path) -> None:
    plain, sealed, back = tmp_path / "plain", tmp_path / "sealed.age", tmp_path / "back"
    plain.write_bytes(DATA)
    _age_with_terminal(["-p", "-o", str(sealed), str(plain)], PASSPHRASE)
    assert api.decrypt_bytes([ScryptIdentity(PASSPHRASE)], sealed.read_bytes()) == DATA
    ours = tmp_path / "ours.age"
    ours.write_bytes(api.encrypt_bytes([ScryptRecipient(PASSPHRASE, work_factor=12)], DATA))
    _age_with_terminal(["-d", "-o", str(back), str(ours)], PASSPHRASE)
    assert back.read_bytes() == DATA


# --- pyrage (Rust) --------------------------------------------------------


def test_pyrage_x25519_both_ways() -> None:
    pyrage = pytest.importorskip("pyrage")
    theirs = pyrage.x25519.Identity.generate()
    ours = keys.parse_identity(str(theirs))
    assert ours.recipient().encode() == str(theirs.to_public())  # type: ignore[attr-defined]
    sealed = pyrage.encrypt(DATA, [theirs.to_public()])
    assert api.decrypt_bytes([ours], sealed) == DATA
    back = api.encrypt_bytes([ours.recipient()], DATA)  # type: ignore[attr-defined]
    assert pyrage.decrypt(back, [theirs]) == DATA


@pytest.mark.slow  # scrypt at a real work factor
def test_pyrage_scrypt_both_ways() -> None:
    pyrage = pytest.importorskip("pyrage")
    sealed = pyrage.passphrase.encrypt(DATA, PASSPHRASE)
    assert api.decrypt_bytes([ScryptIdentity(PASSPHRASE)], sealed) == DATA
    ours = api.encrypt_bytes([ScryptRecipient(PASSPHRASE, work_factor=12)], DATA)
    assert pyrage.passphrase.decrypt(ours, PASSPHRASE) == DATA
