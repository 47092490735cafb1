"""Client puzzles in the Lambda handler (protocol §4.1).

``candor serve`` checks puzzles in its HTTP layer, before the app; in the
cloud the app checks them itself, around the reporter routes, when its
settings carry a puzzle secret (``chalicelib.config.Puzzles``). The load
signal is this execution environment's own anonymous bucket: no storage
per call, nothing that identifies a client (protocol §4.1 says why a
bucket per environment is sound). What must hold cloud-wide, that a proof
buys one call, is recorded in the shared store: each admitted proof's digest,
by a conditional put that expires with the proof's seed, as signature
nonces are (protocol §4.3).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from chalice.app import Response

from chalicelib import errors, puzzle
from chalicelib.config import Puzzles
from chalicelib.domain.cases import Context
from chalicelib.http import respond, runtime
from chalicelib.load import PuzzleGate, TokenBucket
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed

# A proof's seed is valid for at most two minutes; its record outlives it.
PROOF_SECONDS = 3 * puzzle.WINDOW


def recorder(ctx: Context) -> Callable[[bytes], bool]:
    """Records an admitted proof's digest in the shared store; False if it
    was recorded before (the proof was spent in another environment)."""

    def record(digest: bytes) -> bool:
        put = keys.puzzle_proof(digest).put(
            {}, expect=ABSENT, expires=ctx.epoch() + PROOF_SECONDS, name="proof")
        try:
            ctx.store.transact([put])
        except ConditionFailed:
            return False
        return True

    return record


class AppGate:
    """One execution environment's gate: its buckets, its difficulty, the
    proofs it admitted; the spent proofs of all environments in the store."""

    def __init__(self, ctx: Context, settings: Puzzles) -> None:
        # Seeds follow the context's clock, as every expiry in the store does;
        # buckets and steps the wall clock, which runs on while Lambda
        # freezes the environment (chalicelib.load.TokenBucket).
        bucket = TokenBucket(settings.rate, settings.burst, timer=time.time)
        self.gate = PuzzleGate(bucket, secret=settings.secret, record=recorder(ctx),
                               clock=ctx.epoch)

    def refusal(self, request: Any, path: str) -> Response | None:
        """None when the call may go on; else the 429 to answer (protocol §4.1)."""
        gate = self.gate
        proof = request.headers.get(puzzle.PROOF_HEADER)
        body: bytes = request.raw_body or b""
        if proof is not None and gate.admit(proof, request.method, path, body):
            return None
        if gate.needed():
            return _refuse(errors.PuzzleRequired(), {
                "Retry-After": str(gate.retry_after()),
                puzzle.CHALLENGE_HEADER: gate.challenge().header()})
        if not gate.anonymous.take():
            return _refuse(errors.Throttled(), {"Retry-After": str(gate.anonymous.retry_after())})
        return None


def _refuse(error: errors.CandorError, headers: Mapping[str, str]) -> Response:
    """Protocol §4.1's error with its headers. No ``Connection: close``: that
    is hop-by-hop, and API Gateway and CloudFront keep their own connections."""
    return respond({"error": {"code": error.code, "message": error.message}},
                   errors.status_of(error), dict(headers))


_lock = threading.Lock()
_gates: dict[tuple[int, Puzzles], AppGate] = {}


def current() -> AppGate | None:
    """This environment's gate, made on first use; None when the app does
    not check puzzles (no secret: ``candor serve``, which checks them itself)."""
    settings = runtime.settings.puzzles
    if not settings.on:
        return None
    ctx = runtime.ctx
    key = (id(ctx), settings)  # the gate holds ctx, so its id stays its own
    with _lock:  # one per process, made anew when tests configure another
        gate = _gates.get(key)
        if gate is None:
            _gates.clear()
            gate = _gates[key] = AppGate(ctx, settings)
    return gate


def gated(request_of: Callable[[], Any]) -> Callable[[Callable[..., Response]],
                                                      Callable[..., Response]]:
    """A reporter route that answers 429 with a challenge under load, before
    anything else is checked (as throttling comes first)."""

    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Response:
            gate = current()
            if gate is not None:
                request = request_of()
                base = runtime.settings.public_base_url
                path = _base_path(base) + _called_path(request)
                refused = gate.refusal(request, path)
                if refused is not None:
                    return refused
            return view(*args, **kwargs)

        return run

    return wrap


def _called_path(request: Any) -> str:
    """The route's path with its parameters filled in, as the client called
    it and bound its proof to (``/v1/attachments/a_…/parts``)."""
    path = str(request.context.get("resourcePath", ""))
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def _base_path(base_url: str) -> str:
    """The path part of the public base URL: what the client's path starts
    with before the route (protocol §4.3)."""
    return urlsplit(base_url).path.rstrip("/")
