"""puzzle.json: client puzzles (protocol §4.1) for chalicelib/puzzle.py, the
CLI's solver and frontend/src/lib/puzzle.ts. Regenerate with
``.venv/bin/python tests/vectors/puzzle_vectors.py``; both test suites read it."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chalicelib import puzzle  # noqa: E402 -- after the path setup
from chalicelib.b64 import b64u_encode  # noqa: E402

SECRET = bytes(range(32))
REQUESTS = [
    ("POST", "/v1/reports", b'{"report":"x"}'),
    ("POST", "/v1/followup/messages", "{\"message\":\"Grüße\"}".encode()),
    ("POST", "/base/v1/attachments", b""),
]


def _first_nonce(seed: bytes, method: str, path: str, body: bytes, bits: int) -> bytes:
    """The smallest counter nonce that solves: a fixed answer to pin."""
    base = puzzle.prefix(seed, method, path, body)
    for n in itertools.count():
        nonce = n.to_bytes(puzzle.NONCE_BYTES, "big")
        if puzzle.leading_zero_bits(hashlib.sha256(base + nonce).digest()) >= bits:
            return nonce
    raise AssertionError("unreachable")


def cases() -> dict[str, Any]:
    seeds = [{"secret": SECRET.hex(), "window": w, "seed": b64u_encode(puzzle.seed_for(SECRET, w))}
             for w in (0, 29_412_345, 2**40)]
    proofs = []
    for i, (method, path, body) in enumerate(REQUESTS):
        seed = puzzle.seed_for(SECRET, 29_412_345 + i)
        bits = puzzle.MIN_BITS + i
        nonce = _first_nonce(seed, method, path, body, bits)
        proof = puzzle.Proof(seed, bits, nonce)
        digest = puzzle.proof_digest(proof, method, path, body)
        proofs.append({"method": method, "path": path, "body": b64u_encode(body),
                       "prefix_sha256": hashlib.sha256(
                           puzzle.prefix(seed, method, path, body)).hexdigest(),
                       "challenge": puzzle.Challenge(seed, bits).header(),
                       "proof": proof.header(), "digest": digest.hex(),
                       "leading_zero_bits": puzzle.leading_zero_bits(digest)})
    bad_headers = ["", "seed=AAAAAAAAAAAAAAAAAAAAAA, bits=11, nonce=AAAAAAAAAAA",
                   "seed=AAAAAAAAAAAAAAAAAAAAAA, bits=31, nonce=AAAAAAAAAAA",
                   "seed=AAAAAAAAAAAAAAAAAAAAAA, bits=12, nonce=AAAAAAAAAA",
                   "seed=AAAAAAAAAAAAAAAAAAAA, bits=12, nonce=AAAAAAAAAAA",
                   "seed=AAAAAAAAAAAAAAAAAAAAAB, bits=12, nonce=AAAAAAAAAAA",
                   "bits=12, seed=AAAAAAAAAAAAAAAAAAAAAA, nonce=AAAAAAAAAAA",
                   "seed=AAAAAAAAAAAAAAAAAAAAAA, bits=012, nonce=AAAAAAAAAAA"]
    return {"label": puzzle.LABEL.decode(), "min_bits": puzzle.MIN_BITS,
            "max_bits": puzzle.MAX_BITS, "seeds": seeds, "proofs": proofs,
            "bad_proof_headers": bad_headers}


def generate() -> None:
    out = Path(__file__).with_name("puzzle.json")
    out.write_text(json.dumps(cases(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    generate()
