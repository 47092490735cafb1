"""Solving the server's client puzzles (protocol §4.1), for the CLI's HTTP
client; the rule itself is ``chalicelib.puzzle``, shared with the server."""

from __future__ import annotations

import hashlib
import itertools
import secrets

from chalicelib.puzzle import NONCE_BYTES, Challenge, Proof, prefix


def solve(challenge: Challenge, method: str, path: str, body: bytes) -> Proof:
    """The first nonce, counting from a random start, whose digest has
    ``challenge.bits`` leading zero bits (2^bits tries on average)."""
    base = hashlib.sha256(prefix(challenge.seed, method, path, body))
    shift = 256 - challenge.bits
    start = secrets.randbits(8 * NONCE_BYTES - 1)  # two clients never share a search
    for n in itertools.count(start):
        nonce = n.to_bytes(NONCE_BYTES, "big")
        attempt = base.copy()
        attempt.update(nonce)
        if int.from_bytes(attempt.digest(), "big") >> shift == 0:
            return Proof(challenge.seed, challenge.bits, nonce)
    raise AssertionError("unreachable")  # itertools.count never ends
