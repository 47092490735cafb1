"""Client puzzles (protocol §4.1): the shared rule against its vectors, the
CLI's solver, and the gate's admission and difficulty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from candor import puzzle as solver
from candor.throttle import PuzzleGate, TokenBucket
from chalicelib import puzzle
from chalicelib.b64 import b64u_decode

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "puzzle.json").read_text())
BODY = b'{"size": 1000}'


@pytest.mark.parametrize("case", VECTORS["seeds"], ids=lambda c: str(c["window"]))
def test_seeds_follow_the_vectors(case: dict[str, Any]) -> None:
    assert puzzle.seed_for(bytes.fromhex(case["secret"]), case["window"]) == \
        b64u_decode(case["seed"])


@pytest.mark.parametrize("case", VECTORS["proofs"], ids=lambda c: c["path"])
def test_proofs_follow_the_vectors(case: dict[str, Any]) -> None:
    body = b64u_decode(case["body"])
    proof = puzzle.parse_proof(case["proof"])
    challenge = puzzle.parse_challenge(case["challenge"])
    assert (proof.seed, proof.bits) == (challenge.seed, challenge.bits)
    assert proof.header() == case["proof"] and challenge.header() == case["challenge"]
    digest = puzzle.proof_digest(proof, case["method"], case["path"], body)
    assert digest.hex() == case["digest"]
    assert puzzle.leading_zero_bits(digest) == case["leading_zero_bits"] >= proof.bits
    # Bound to the request: another body or path no longer solves it (at
    # these sizes a wrong answer passes by chance once in 2^12 or more).
    for method, path, other in ((case["method"], case["path"], body + b" "),
                                (case["method"], case["path"] + "x", body)):
        assert puzzle.leading_zero_bits(puzzle.proof_digest(proof, method, path, other)) \
            < proof.bits


@pytest.mark.parametrize("header", VECTORS["bad_proof_headers"])
def test_bad_proof_headers_are_refused(header: str) -> None:
    with pytest.raises(ValueError, match=r"wrong size|not a puzzle|b64u"):
        puzzle.parse_proof(header)


def test_the_solver_meets_the_bits() -> None:
    challenge = puzzle.Challenge(bytes(16), 14)
    proof = solver.solve(challenge, "POST", "/v1/attachments", BODY)
    digest = puzzle.proof_digest(proof, "POST", "/v1/attachments", BODY)
    assert puzzle.leading_zero_bits(digest) >= 14


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _gate(burst: int = 8) -> tuple[PuzzleGate, Clock]:
    clock = Clock(1_764_000_000.0)
    return PuzzleGate(TokenBucket(0.001, burst), secret=b"k" * 32, clock=clock), clock


def _proof(gate: PuzzleGate, body: bytes = BODY) -> str:
    return solver.solve(gate.challenge(), "POST", "/v1/attachments", body).header()


def test_needed_only_when_the_anonymous_bucket_is_low() -> None:
    gate, _ = _gate()
    assert not gate.needed()
    for _ in range(7):
        gate.anonymous.take()
    assert gate.needed()


def _proof_for_it_alone(gate: PuzzleGate, others: list[tuple[str, bytes]]) -> str:
    """A proof for POST /v1/attachments with BODY whose digest for each of
    ``others`` (path, body) falls short: one proof in 2^bits also solves a
    given other request by chance, which the test must not take for the
    gate ignoring the request (a gate that did would make none such)."""
    for _ in range(100):
        proof = solver.solve(gate.challenge(), "POST", "/v1/attachments", BODY)
        if all(puzzle.leading_zero_bits(puzzle.proof_digest(proof, "POST", path, body))
               < proof.bits for path, body in others):
            return proof.header()
    raise AssertionError("every proof also solved another request: the digest ignores it")


def test_a_proof_admits_its_own_request_once() -> None:
    gate, _ = _gate()
    others = [("/v1/reports", BODY), ("/v1/attachments", b'{"size": 1001}')]
    header = _proof_for_it_alone(gate, others)
    assert not gate.admit(header, "POST", "/v1/reports", BODY)  # another route
    assert not gate.admit(header, "POST", "/v1/attachments", b'{"size": 1001}')  # another body
    assert gate.admit(header, "POST", "/v1/attachments", BODY)
    assert not gate.admit(header, "POST", "/v1/attachments", BODY)  # replayed


def test_seeds_last_two_minutes_and_cannot_be_made_ahead() -> None:
    gate, clock = _gate()
    header = _proof(gate)
    clock.now += puzzle.WINDOW
    later = _proof(gate)
    clock.now += puzzle.WINDOW
    assert not gate.admit(header, "POST", "/v1/attachments", BODY)  # two windows old
    assert gate.admit(later, "POST", "/v1/attachments", BODY)
    other = PuzzleGate(TokenBucket(1, 1), secret=b"j" * 32, clock=clock)
    assert not gate.admit(_proof(other), "POST", "/v1/attachments", BODY)  # not our secret


def test_difficulty_follows_the_proven_load() -> None:
    gate, _ = _gate(burst=8)
    start = gate.bits
    for n in range(6):  # provers use up most of the proven bucket
        assert gate.admit(_proof(gate, b"%d" % n), "POST", "/v1/attachments", b"%d" % n)
    for step in (1, 2):
        gate._step_at = 0.0  # the period is over
        assert gate.challenge().bits == start + step
    seed = gate.challenge().seed
    for bits, admitted in ((start, False), (start + 1, True)):  # one step of slack
        proof = solver.solve(puzzle.Challenge(seed, bits), "POST", "/v1/attachments", b"x")
        assert gate.admit(proof.header(), "POST", "/v1/attachments", b"x") is admitted
    gate.proven = TokenBucket(1000.0, 8)  # refilled: the load is gone
    gate._step_at = 0.0
    assert gate.challenge().bits == start + 1
    for _ in range(3):
        gate._step_at = 0.0
        gate.challenge()
    assert gate.challenge().bits == puzzle.MIN_BITS  # never below


def test_an_empty_proven_bucket_refuses_even_good_proofs() -> None:
    gate, _ = _gate(burst=2)
    assert gate.admit(_proof(gate, b"1"), "POST", "/v1/attachments", b"1")
    assert gate.admit(_proof(gate, b"2"), "POST", "/v1/attachments", b"2")
    assert not gate.admit(_proof(gate, b"3"), "POST", "/v1/attachments", b"3")
