"""The load signal and the puzzle gate (protocol §4.1), shared by ``candor
serve`` (in its HTTP layer, ``candor/throttle.py``) and the Lambda handler
(around the reporter routes, ``chalicelib/gate.py``).

No bucket is keyed by anything that identifies a client. In ``candor serve``
the buckets are the server's; in Lambda each execution environment keeps its
own (protocol §4.1 says why that is sound), and only the proofs it admits
are recorded in the shared store, so that a proof buys one call cloud-wide.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib import puzzle

# Reporter routes (protocol §4.2) that take a proof instead of a token under
# load: every anonymous POST, reads included, since a follow-up cannot
# reach its writes without ``open`` and ``thread``.
PUZZLE_PATHS = frozenset({
    "/v1/attachments", "/v1/reports", "/v1/followup/open", "/v1/followup/rotate",
    "/v1/followup/thread", "/v1/followup/fetch", "/v1/followup/messages",
    "/v1/attachments/{attachment_id}/parts", "/v1/attachments/{attachment_id}/complete"})
_PUZZLE_ROUTES = [re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)))
                  for path in sorted(PUZZLE_PATHS)]


def takes_puzzle(path: str) -> bool:
    """Whether the called ``path`` is one of PUZZLE_PATHS (``{name}``: one
    path segment)."""
    return any(route.fullmatch(path) for route in _PUZZLE_ROUTES)
LOW_WATER = 0.25  # puzzles start when the anonymous bucket is below this share
PERIOD = 2.0  # seconds between difficulty steps


Timer = Callable[[], float]


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up. ``timer`` tells
    seconds: the monotonic clock in ``candor serve``; in Lambda the wall
    clock, as the monotonic one may stand still while Lambda freezes an
    environment between calls, and a bucket emptied by a flood would then
    stay empty for the next reporter."""

    def __init__(self, rate: float, burst: int, *, timer: Timer = time.monotonic) -> None:
        self.rate, self.burst, self.timer = rate, burst, timer
        self._tokens, self._at = float(burst), timer()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            self._tokens, self._at = self._refill(), max(self._at, self.timer())
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def _refill(self) -> float:
        elapsed = max(0.0, self.timer() - self._at)  # a wall clock may step back
        return min(self.burst, self._tokens + elapsed * self.rate)

    def level(self) -> float:
        """The tokens saved up now, as a share of ``burst`` (0 to 1)."""
        with self._lock:
            return self._refill() / self.burst

    def has_token(self) -> bool:
        with self._lock:
            return self._refill() >= 1

    def retry_after(self, tokens: float = 1.0) -> int:
        """Whole seconds until ``tokens`` are saved up (at least 1): the
        ``Retry-After`` of a refusal (protocol §4.1)."""
        with self._lock:
            missing = min(tokens, self.burst) - self._refill()
        return max(1, math.ceil(missing / self.rate))


# Records an admitted proof's digest where every server sees it; False when
# it was recorded before (a replay). None: this process is the only server.
Recorder = Callable[[bytes], bool]


class PuzzleGate:
    """Admits proofs of work (protocol §4.1) when the anonymous bucket is low.

    Proven calls pay from a bucket of their own, of the anonymous size. Every
    ``PERIOD`` the difficulty steps up a bit while that bucket is below half
    (provers are using it up) and down while it is nearly full, so provers
    together get about the anonymous rate, whatever their hashing power,
    and a reporter finds it rarely empty. State is global: the seed's
    secret, the difficulty, and the digests of proofs admitted in the last
    two minutes (each proof admits one call); with ``record``, admitted
    digests are also recorded where other servers check them.
    """

    def __init__(self, anonymous: TokenBucket, *, secret: bytes | None = None,
                 clock: Any = time.time, record: Recorder | None = None) -> None:
        self.anonymous = anonymous
        self.proven = TokenBucket(anonymous.rate, anonymous.burst, timer=anonymous.timer)
        self.bits = puzzle.MIN_BITS
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock
        self._record = record
        self._timer = anonymous.timer
        self._stepped = self._timer()
        self._step_at = self._stepped + PERIOD
        self._used: dict[bytes, int] = {}
        self._pruned = 0
        self._lock = threading.Lock()

    def needed(self) -> bool:
        """Whether an unproven reporter call is refused with a challenge."""
        return self.anonymous.level() < LOW_WATER

    def challenge(self) -> puzzle.Challenge:
        self._step()
        window = int(self._clock()) // puzzle.WINDOW
        return puzzle.Challenge(puzzle.seed_for(self._secret, window), self.bits)

    def retry_after(self) -> int:
        """Seconds until an unproven call would pass again."""
        return self.anonymous.retry_after(LOW_WATER * self.anonymous.burst + 1)

    def admit(self, header: str, method: str, path: str, body: bytes) -> bool:
        """Whether ``header`` proves work for this call, at about the current
        difficulty (one step of slack for the load moving while it was
        solved), on a fresh seed, not used before, and capacity is left."""
        try:
            proof = puzzle.parse_proof(header)
        except ValueError:
            return False
        self._step()
        if proof.bits < self.bits - 1 or not puzzle.fresh(self._secret, proof.seed, self._clock()):
            return False
        digest = puzzle.proof_digest(proof, method, path, body)
        if puzzle.leading_zero_bits(digest) < proof.bits:
            return False
        window = int(self._clock()) // puzzle.WINDOW
        with self._lock:
            if window != self._pruned:  # proofs on seeds of two minutes ago are dead anyway
                self._used = {d: w for d, w in self._used.items() if w >= window - 1}
                self._pruned = window
            # A replay here, or no capacity: refused before anything is
            # recorded, so neither costs a write in the shared store.
            if digest in self._used or not self.proven.has_token():
                return False
            self._used[digest] = window
        if self._record is not None and not self._record(digest):
            return False  # admitted by another server; kept in _used, so refused here for free
        return self.proven.take()

    def _step(self) -> None:
        now = self._timer()
        with self._lock:
            if now < self._step_at:
                return
            # Steps happen on calls: after a quiet spell, step down once for
            # every period it lasted, as if calls had come, so that the first
            # reporter after a flood does not pay the flood's difficulty.
            periods = max(1, int((now - self._stepped) // PERIOD))
            self._step_at, self._stepped = now + PERIOD, now
            level = self.proven.level()
            if level < 0.5:
                self.bits = min(puzzle.MAX_BITS, self.bits + 1)
            elif level > 0.9:
                self.bits = max(puzzle.MIN_BITS, self.bits - periods)
