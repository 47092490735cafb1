"""The team key file, `*.candor-key` (protocol §5).

An age file sealed with an scrypt passphrase (work factor 2^18..2^20) whose
plaintext is
`{"v": 1, "member", "identities": [current, …older], "signing_seed", "api"}`.
Any age tool opens it with the passphrase: that is the recovery path.

A passkey wrap (protocol §5) is one more way to open the same plaintext: an
age file sealed to an X25519 identity derived from a passkey's WebAuthn PRF
output. The console keeps wraps in its IndexedDB; this module is their twin
(frontend/src/lib/passkey.ts) for the test vectors and for any tool that
reads one.
"""

import hashlib
import hmac
import io
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from candor.age import api
from candor.age.armor import ArmorReader
from candor.age.keys import parse_identity
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from candor.age.x25519 import X25519Identity, X25519Recipient
from candor.roster import build_member_entry
from chalicelib import signing
from chalicelib.age.errors import AgeError
from chalicelib.age.format import INTRO, ByteReader, read_header
from chalicelib.age.recipient_types import MLKEM768X25519, SCRYPT, X25519
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.jcs import canonicalize
from chalicelib.manifest import MemberEntry, is_member_id

__all__ = [
    "MAX_WORK_FACTOR",
    "MIN_WORK_FACTOR",
    "PASSKEY_PRF_INPUT",
    "KeyFile",
    "KeyFileError",
    "KeyFileInvalid",
    "KeyFileLocked",
    "change_passphrase",
    "create_keyfile",
    "open_keyfile",
    "open_passkey_wrap",
    "passkey_identity",
    "passkey_record_tag",
    "public_card",
    "rotate_keys",
    "seal_passkey_wrap",
    "write_keyfile",
]

MIN_WORK_FACTOR = 18
MAX_WORK_FACTOR = 20
FILE_MODE = 0o600


class KeyFileError(Exception):
    """Base class of key file errors."""


class KeyFileLocked(KeyFileError):
    """The passphrase does not open the file, or the file is damaged.
    Deliberately says no more."""


class KeyFileInvalid(KeyFileError, ValueError):
    """The file opened but is not a v1 key file, or its work factor is
    outside 2^18..2^20."""


def _new_identity(kind: str) -> str:
    if kind == MLKEM768X25519:
        return MlkemX25519Identity.generate().encode()
    if kind == X25519:
        return X25519Identity.generate().encode()
    raise ValueError(f"unknown recipient type {kind!r}")


def _identity_type(identity: str) -> str:
    return X25519 if identity.startswith("AGE-SECRET-KEY-1") else MLKEM768X25519


def identity_recipient(identity: str) -> str:
    """The recipient string of an X25519 or post-quantum identity string.
    Raises ValueError for anything else."""
    if _identity_type(identity) == X25519:
        return X25519Identity.parse(identity).recipient().encode()
    return MlkemX25519Identity.parse(identity).recipient().encode()


@dataclass(frozen=True)
class KeyFile:
    """A member's secrets. The repr shows no key material.

    Raises KeyFileInvalid (a ValueError) for a bad field.
    """

    member: str
    identities: tuple[str, ...] = field(repr=False)
    signing_seed: bytes = field(repr=False)
    api: str

    def __post_init__(self) -> None:
        if not is_member_id(self.member):
            raise KeyFileInvalid("member is not m_ + b64u(15 bytes)")
        if not isinstance(self.identities, tuple) or not self.identities:
            raise KeyFileInvalid("a key file holds at least one identity")
        for identity in self.identities:
            try:
                parse_identity(identity)
            except (TypeError, ValueError, AttributeError):
                raise KeyFileInvalid("an identity is not an age identity") from None
        if len({_identity_type(i) for i in self.identities}) != 1:
            raise KeyFileInvalid("identities are of more than one type")
        if not isinstance(self.signing_seed, bytes) or len(self.signing_seed) != 32:
            raise KeyFileInvalid("signing_seed is not 32 bytes")
        if not isinstance(self.api, str):
            raise KeyFileInvalid("api is not a string")

    @property
    def recipient(self) -> str:
        """The recipient of the current identity."""
        return identity_recipient(self.identities[0])

    @property
    def signing_key(self) -> bytes:
        """The Ed25519 public key of `signing_seed`."""
        return signing.public_key_from_seed(self.signing_seed)


def create_keyfile(api: str, kind: str = MLKEM768X25519) -> KeyFile:
    """A new member: random id, new identity of `kind`, new signing seed."""
    member = "m_" + b64u_encode(os.urandom(15))
    return KeyFile(member, (_new_identity(kind),), os.urandom(signing.SEED_SIZE), api)


def rotate_keys(keyfile: KeyFile) -> tuple[KeyFile, bytes]:
    """New identity (first; older ones kept to read older cases) and new
    signing seed. Returns the new key file and the old seed, which signs
    the member entry's `rotation` (protocol §4.5)."""
    identity = _new_identity(_identity_type(keyfile.identities[0]))
    rotated = replace(
        keyfile,
        identities=(identity, *keyfile.identities),
        signing_seed=os.urandom(signing.SEED_SIZE),
    )
    return rotated, keyfile.signing_seed


def public_card(
    keyfile: KeyFile,
    name: str,
    function: str,
    role: str,
    previous_entry: Mapping[str, Any] | None = None,
    previous_seed: bytes | None = None,
) -> MemberEntry:
    """The member entry an admin lists (protocol §4.5), certified by this key file.

    After `rotate_keys`, pass the entry of the current manifest and the old
    seed to sign `rotation`. Raises ValueError (ManifestInvalid) for bad fields.
    """
    return build_member_entry(
        keyfile.member, name, function, role, keyfile.recipient, keyfile.signing_seed,
        previous_entry, previous_seed,
    )  # fmt: skip


# --- on disk -------------------------------------------------------------------


def _plaintext(keyfile: KeyFile) -> bytes:
    return canonicalize({
        "v": 1, "member": keyfile.member, "identities": list(keyfile.identities),
        "signing_seed": b64u_encode(keyfile.signing_seed), "api": keyfile.api,
    })  # fmt: skip


def _write_private(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write through a 0600 temporary file in the same directory, renamed into place."""
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_keyfile(
    keyfile: KeyFile,
    path: str | os.PathLike[str],
    passphrase: str,
    work_factor: int = MIN_WORK_FACTOR,
    *,
    overwrite: bool = False,
) -> None:
    """Seal the key file with `passphrase` and write it atomically, mode 0600.

    Raises ValueError for a work factor outside 18..20, FileExistsError when
    `path` exists and not `overwrite`, OSError for the file system.
    """
    if not MIN_WORK_FACTOR <= work_factor <= MAX_WORK_FACTOR:
        raise ValueError(f"work factor must be {MIN_WORK_FACTOR}..{MAX_WORK_FACTOR}")
    sealed = api.encrypt_bytes([ScryptRecipient(passphrase, work_factor)], _plaintext(keyfile))
    _write_private(Path(path), sealed, overwrite=overwrite)


def _work_factor(sealed: bytes) -> int:
    src = io.BytesIO(sealed)
    reader: ByteReader = src if sealed.startswith(INTRO) else ArmorReader(src)
    try:
        header, _ = read_header(reader)
    except AgeError:
        raise KeyFileLocked("the key file cannot be opened") from None
    stanzas = header.stanzas
    if len(stanzas) != 1 or stanzas[0].type != SCRYPT or len(stanzas[0].args) != 2:
        raise KeyFileInvalid("not a passphrase-sealed key file")
    factor = stanzas[0].args[1]
    in_range = factor.isascii() and factor.isdigit() and len(factor) <= 2
    if not in_range or not MIN_WORK_FACTOR <= int(factor) <= MAX_WORK_FACTOR:
        raise KeyFileInvalid(f"work factor must be {MIN_WORK_FACTOR}..{MAX_WORK_FACTOR}")
    return int(factor)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """protocol §0: JSON has no duplicate keys (json.loads would keep the last)."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _from_plaintext(plaintext: bytes) -> KeyFile:
    try:
        data = json.loads(plaintext.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except ValueError:
        raise KeyFileInvalid("not a JSON key file") from None
    v1 = isinstance(data, dict) and type(data.get("v")) is int and data["v"] == 1
    if not v1:
        raise KeyFileInvalid("not a v1 key file")
    identities = data.get("identities")
    try:
        seed = b64u_decode(data.get("signing_seed"))  # b64u_decode checks the type
    except (TypeError, ValueError):
        raise KeyFileInvalid("signing_seed is not b64u") from None
    if not isinstance(identities, list):
        raise KeyFileInvalid("identities is not a list")
    # KeyFile.__post_init__ checks member, identities and api.
    return KeyFile(data.get("member"), tuple(identities), seed, data.get("api"))


def open_keyfile(source: str | os.PathLike[str] | bytes, passphrase: str) -> KeyFile:
    """Open a key file from a path or its bytes.

    Raises KeyFileLocked for a wrong passphrase or damaged file,
    KeyFileInvalid for a work factor outside 18..20 or a bad plaintext,
    OSError when the path cannot be read.
    """
    sealed = source if isinstance(source, bytes) else Path(source).read_bytes()
    _work_factor(sealed)  # before the expensive derivation
    identity = ScryptIdentity(passphrase, max_work_factor=MAX_WORK_FACTOR)
    try:
        plaintext = api.decrypt_bytes([identity], sealed)
    except AgeError:
        raise KeyFileLocked("the passphrase does not open this key file") from None
    return _from_plaintext(plaintext)


def change_passphrase(
    path: str | os.PathLike[str], old: str, new: str, work_factor: int = MIN_WORK_FACTOR
) -> None:
    """Re-seal the key file at `path` with a new passphrase, atomically.

    Raises what open_keyfile and write_keyfile raise.
    """
    keyfile = open_keyfile(path, old)
    write_keyfile(keyfile, path, new, work_factor, overwrite=True)


def key_file_stem(name: str) -> str:
    """A member's name as a file name: lower-case letters and digits in
    words joined by `-` ("Jürgen O'Neil" -> "jürgen-o-neil"); twin of
    keyfile.ts keyFileStem."""
    words = "".join(c.lower() if c.isalnum() else " " for c in name).split()
    return "-".join(words) or "member"


def rotated_key_file_name(name: str, day: date) -> str:
    """``<name>-<date>.candor-key`` for the key file a rotation writes
    (issue 19), so the old file is never overwritten."""
    return f"{key_file_stem(name)}-{day.isoformat()}.candor-key"


# --- passkey wraps (protocol §5) --------------------------------------------------

# What the console asks a passkey's PRF to evaluate (eval.first), and the
# HKDF salt that turns the 32-byte answer into an X25519 identity: fixed
# and domain-separated, so a wrap opens from the passkey alone.
PASSKEY_PRF_INPUT = b"candor/v1/passkey-prf"
PASSKEY_WRAP_SALT = b"candor/v1/passkey-wrap"
PRF_SIZE = 32
# A record's recipient is public (the reseal after a rotation needs it), so
# anyone who can write to the browser profile could name their own: the tag,
# which only the key's holder can make, is what a reseal trusts instead.
PASSKEY_RECORD_SALT = b"candor/v1/passkey-record"
PASSKEY_RECORD_FIELDS = ("id", "member", "label", "added", "recipient")


def passkey_identity(prf: bytes) -> str:
    """The age X25519 identity of a passkey's PRF output:
    HKDF-SHA-256(ikm=prf, salt=PASSKEY_WRAP_SALT, info="", 32 bytes).
    Raises ValueError unless `prf` is 32 bytes."""
    if not isinstance(prf, bytes) or len(prf) != PRF_SIZE:
        raise ValueError("a PRF output is 32 bytes")
    scalar = HKDF(SHA256(), PRF_SIZE, PASSKEY_WRAP_SALT, b"").derive(prf)
    return X25519Identity(scalar).encode()


def passkey_record_tag(keyfile: KeyFile, record: Mapping[str, str]) -> str:
    """The tag of a console's passkey record (protocol §5): b64u of
    HMAC-SHA-256 keyed by HKDF-SHA-256(ikm=signing seed,
    salt=PASSKEY_RECORD_SALT, info="", 32 bytes) over the JCS of the
    record's id, member, label, added and recipient. Raises KeyError when a
    field is missing."""
    key = HKDF(SHA256(), 32, PASSKEY_RECORD_SALT, b"").derive(keyfile.signing_seed)
    fields = {name: record[name] for name in PASSKEY_RECORD_FIELDS}
    return b64u_encode(hmac.new(key, canonicalize(fields), hashlib.sha256).digest())


def seal_passkey_wrap(keyfile: KeyFile, recipient: str) -> bytes:
    """The key file's plaintext sealed to a passkey's recipient
    (`identity_recipient(passkey_identity(prf))`): a binary age file.
    Resealing after a rotation needs only the recipient, not the passkey."""
    return api.encrypt_bytes([X25519Recipient.parse(recipient)], _plaintext(keyfile))


def open_passkey_wrap(wrap: bytes, prf: bytes) -> KeyFile:
    """Open a passkey wrap with the passkey's PRF output.

    Raises KeyFileInvalid unless it is a binary age file whose header holds
    exactly one X25519 stanza, or when the plaintext is no v1 key file;
    KeyFileLocked when this PRF output does not open it (another passkey, a
    tampered wrap).
    """
    identity = X25519Identity.parse(passkey_identity(prf))
    if not wrap.startswith(INTRO):
        raise KeyFileInvalid("a passkey wrap is a binary age file")
    try:
        header, _ = read_header(io.BytesIO(wrap))
    except AgeError:
        raise KeyFileInvalid("a passkey wrap has a whole age header") from None
    stanzas = header.stanzas
    if len(stanzas) != 1 or stanzas[0].type != X25519:
        raise KeyFileInvalid("a passkey wrap has one X25519 stanza")
    try:
        plaintext = api.decrypt_bytes([identity], wrap)
    except AgeError:
        raise KeyFileLocked("this passkey does not open this wrap") from None
    return _from_plaintext(plaintext)
