"""Client puzzles for anonymous calls under load (protocol §4.1).

When anonymous capacity runs low, the server answers an anonymous call
with 429 ``puzzle_required`` and a challenge (a seed and a number of bits);
the client retries with a proof of work bound to that very request:

    digest = H(LABEL || seed || method || 0x00 || path || 0x00 || H(body) || nonce)

which must start with ``bits`` zero bits. The seed is an HMAC of the
current minute under a server secret, so no client is identified, the
server keeps no state per client, and proofs cannot be computed before the
minute they are for. This module is the rule both sides share; solvers are
client code (``candor/puzzle.py``, ``frontend/src/lib/puzzle.ts``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib import b64

LABEL = b"candor/puzzle/v1\x00"
SEED_BYTES = 16
NONCE_BYTES = 8
WINDOW = 60  # seconds a seed is issued for; the one before stays valid too
MIN_BITS, MAX_BITS = 12, 30
CHALLENGE_HEADER = "Candor-Puzzle"
PROOF_HEADER = "Candor-Proof"
_B64U = r"[A-Za-z0-9_-]+"
_CHALLENGE = re.compile(rf"seed=({_B64U}), bits=(\d{{1,2}})")
_PROOF = re.compile(rf"seed=({_B64U}), bits=(\d{{1,2}}), nonce=({_B64U})")


@dataclass(frozen=True)
class Challenge:
    seed: bytes
    bits: int

    def header(self) -> str:
        return f"seed={b64.b64u_encode(self.seed)}, bits={self.bits}"


@dataclass(frozen=True)
class Proof:
    seed: bytes
    bits: int
    nonce: bytes

    def header(self) -> str:
        return (f"seed={b64.b64u_encode(self.seed)}, bits={self.bits}, "
                f"nonce={b64.b64u_encode(self.nonce)}")


def _decode(value: str, size: int) -> bytes:
    data = b64.b64u_decode(value)
    if len(data) != size:
        raise ValueError("wrong size")
    return data


def parse_challenge(header: str) -> Challenge:
    """Raises ValueError for anything but ``seed=<b64u 16 bytes>, bits=<n>``."""
    match = _CHALLENGE.fullmatch(header.strip())
    if not match or not MIN_BITS <= int(match[2]) <= MAX_BITS:
        raise ValueError("not a puzzle challenge")
    return Challenge(_decode(match[1], SEED_BYTES), int(match[2]))


def parse_proof(header: str) -> Proof:
    """Raises ValueError for anything but ``seed=…, bits=<n>, nonce=<b64u 8 bytes>``."""
    match = _PROOF.fullmatch(header.strip())
    if not match or not MIN_BITS <= int(match[2]) <= MAX_BITS:
        raise ValueError("not a puzzle proof")
    return Proof(_decode(match[1], SEED_BYTES), int(match[2]), _decode(match[3], NONCE_BYTES))


def prefix(seed: bytes, method: str, path: str, body: bytes) -> bytes:
    """What the nonce is appended to: the seed and the request it binds."""
    return (LABEL + seed + method.encode("ascii") + b"\x00" + path.encode("utf-8") + b"\x00"
            + hashlib.sha256(body).digest())


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def proof_digest(proof: Proof, method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(prefix(proof.seed, method, path, body) + proof.nonce).digest()


def seed_for(secret: bytes, window: int) -> bytes:
    """The seed of minute ``window`` (epoch seconds // WINDOW)."""
    return hmac.new(secret, LABEL + window.to_bytes(8, "big"), hashlib.sha256).digest()[:SEED_BYTES]


def fresh(secret: bytes, seed: bytes, now: float) -> bool:
    """Whether ``seed`` is this minute's or the last one's."""
    window = int(now) // WINDOW
    return any(hmac.compare_digest(seed, seed_for(secret, w)) for w in (window, window - 1))
