"""The whole C2SP CCTV age corpus (npm ``cctv-age``), one test per vector.

The corpus is read through the package's own module: node imports
``cctv-age`` (one ``Uint8Array`` export per test file) and prints it as JSON,
once per test session.

Every ``success`` vector decrypts to its payload hash; every other vector
fails with AgeError, after releasing exactly the plaintext the corpus says a
streaming reader releases. Headers, armor and STREAM also round-trip.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from candor.age import api, armor, keys, primitives, stream
from candor.age.scrypt import ScryptIdentity
from candor.age.x25519 import X25519Identity
from chalicelib.age import format
from chalicelib.age.errors import AgeError

ROOT = Path(__file__).resolve().parents[2]
# Every export of the package, name -> base64 of the test file.
_EXPORTS = """
const corpus = await import("cctv-age");
const out = {};
for (const [name, bytes] of Object.entries(corpus)) {
  if (!(bytes instanceof Uint8Array)) throw new Error(`cctv-age export ${name} is not bytes`);
  out[name] = Buffer.from(bytes).toString("base64");
}
process.stdout.write(JSON.stringify(out));
"""


@dataclass
class Vector:
    name: str
    expect: str
    file: bytes
    payload: str | None = None
    file_key: bytes | None = None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False


def _parse(name: str, raw: bytes) -> Vector:
    text, _, body = raw.partition(b"\n\n")
    v = Vector(name, "", body)
    for line in text.decode().split("\n"):
        key, value = line.split(": ", 1)
        if key == "expect":
            v.expect = value
        elif key == "payload":
            v.payload = value
        elif key == "file key":
            v.file_key = bytes.fromhex(value)
        elif key == "identity":
            v.identities.append(value)
        elif key == "passphrase":
            v.passphrases.append(value)
        elif key == "armored":
            v.armored = value == "yes"
        elif key == "compressed":
            assert value == "zlib"
            v.file = zlib.decompress(body)
    return v


@functools.cache
def load_vectors() -> list[Vector]:
    """The corpus as the package exports it (node resolves ``cctv-age`` from
    the repository's node_modules)."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", _EXPORTS],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    exports: dict[str, str] = json.loads(done.stdout)
    return [_parse(name, base64.b64decode(data)) for name, data in sorted(exports.items())]


VECTORS = load_vectors()
IDS = [v.name for v in VECTORS]


def test_corpus_is_complete() -> None:
    assert len(VECTORS) >= 143
    kinds = {v.expect for v in VECTORS}
    assert kinds == {
        "success",
        "no match",
        "HMAC failure",
        "header failure",
        "payload failure",
        "armor failure",
    }


def _identities(v: Vector) -> list[api.Identity]:
    ids: list[api.Identity] = [keys.parse_identity(s) for s in v.identities]
    ids += [ScryptIdentity(p) for p in v.passphrases]
    return ids or [X25519Identity.generate()]  # a vector without keys must still fail


def _binary(v: Vector) -> bytes:
    """The binary age file inside an armored vector."""
    if not v.armored:
        return v.file
    return armor.ArmorReader(io.BytesIO(v.file)).read()


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_decrypt(v: Vector) -> None:
    released = io.BytesIO()
    if v.expect == "success":
        api.decrypt(_identities(v), io.BytesIO(v.file), released)
    else:
        with pytest.raises(AgeError):
            api.decrypt(_identities(v), io.BytesIO(v.file), released)
        with pytest.raises(AgeError):
            api.decrypt_bytes(_identities(v), v.file)
    if v.payload is not None:
        assert hashlib.sha256(released.getvalue()).hexdigest() == v.payload
    else:
        assert released.getvalue() == b""


HEADER_OK = [v for v in VECTORS if v.expect not in ("header failure", "armor failure")]


@pytest.mark.parametrize("v", HEADER_OK, ids=[v.name for v in HEADER_OK])
def test_header_round_trip(v: Vector) -> None:
    data = _binary(v)
    header = format.parse_header(data)
    assert format.encode_header(header.stanzas, header.mac) == data[: header.size]
    assert format.encode_header_without_mac(header.stanzas) == header.mac_input


ARMORED = [v for v in VECTORS if v.armored and v.expect != "armor failure"]


@pytest.mark.parametrize("v", ARMORED, ids=[v.name for v in ARMORED])
def test_armor_round_trip(v: Vector) -> None:
    out = io.BytesIO()
    writer = armor.ArmorWriter(out)
    writer.write(_binary(v))
    writer.close()
    canonical = v.file.strip(b" \t\r\n").replace(b"\r\n", b"\n") + b"\n"
    assert out.getvalue() == canonical


STREAMS = [v for v in VECTORS if v.expect == "success" and v.file_key is not None]


@pytest.mark.parametrize("v", STREAMS, ids=[v.name for v in STREAMS])
def test_stream_round_trip(v: Vector) -> None:
    assert v.file_key is not None
    data = _binary(v)
    header = format.parse_header(data)
    nonce = data[header.size : header.size + primitives.PAYLOAD_NONCE_SIZE]
    payload = data[header.size + primitives.PAYLOAD_NONCE_SIZE :]
    key = primitives.stream_key(v.file_key, nonce)
    plain = b"".join(
        bytes(c) for c in stream.decrypt_chunks(key, stream.Source(io.BytesIO(payload)))
    )
    resealed = b"".join(
        bytes(c) for c in stream.encrypt_chunks(key, stream.Source(io.BytesIO(plain)))
    )
    assert resealed == payload
    primitives.check_header_mac(v.file_key, header.mac_input, header.mac)
