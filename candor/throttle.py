"""``candor serve``'s throttling (protocol §4.1): three token buckets, none
keyed by anything that identifies a client.

- ``anonymous``: every anonymous API call, and any call to a team route whose
  signature does not verify (unsigned traffic to ``/v1/team/…`` must not
  drain the team's bucket);
- ``team``: team calls whose signature verifies under a current member's key;
- ``transfers``: the local upload and download URLs (the object-storage role
  S3 plays in the cloud), so large bodies cannot be streamed without limit.

An anonymous flood then empties only its own bucket and is answered 429
cheaply, while the team keeps its capacity (``bench/team_flood.py``
measures it). When the anonymous bucket runs low, the reporter routes take
client puzzles instead (``PuzzleGate``, protocol §4.1), so that a flood
cannot lock every reporter out (``bench/flood.py`` measures it).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib import puzzle, wire
from chalicelib.domain.cases import Context
from chalicelib.errors import Malformed
from chalicelib.httpsig import RequestView, SignatureRefused, parse_signature_input, verify_request
from chalicelib.store import keys


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._at = float(burst), time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def _refill(self) -> float:
        now = time.monotonic()
        return min(self.burst, self._tokens + (now - self._at) * self.rate)

    def level(self) -> float:
        """The tokens saved up now, as a share of ``burst`` (0 to 1)."""
        with self._lock:
            return self._refill() / self.burst

    def retry_after(self, tokens: float = 1.0) -> int:
        """Whole seconds until ``tokens`` are saved up (at least 1): the
        ``Retry-After`` of a refusal (protocol §4.1)."""
        with self._lock:
            missing = min(tokens, self.burst) - self._refill()
        return max(1, math.ceil(missing / self.rate))


KEY_SECONDS = 10.0
_KEYS_KEPT = 256


class MemberKeys:
    """Members' signing keys for picking a bucket, read at most every
    ``KEY_SECONDS``: a flood of calls naming real member ids then costs no
    storage read each. The app still authenticates every call in full, so a
    key changed or a member removed meanwhile only picks the bucket late."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()

    def get(self, ctx: Context, member_id: str) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(member_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        member: Any = ctx.store.get(keys.member(member_id))
        key = (None if member is None or member.data["removed"]
               else wire.b64u_decode(member.data["signing_key"]))
        with self._lock:
            if len(self._keys) >= _KEYS_KEPT:  # ids of no member cannot grow it without bound
                self._keys.clear()
            self._keys[member_id] = (now + KEY_SECONDS, key)
        return key


def claims_member(ctx: Context, view: RequestView, known: MemberKeys) -> bytes | None:
    """The signing key of the current member a team request claims to be
    signed by, or None: the cheap checks, before its body is read."""
    try:
        return known.get(ctx, parse_signature_input(view).keyid)
    except (SignatureRefused, Malformed, KeyError, TypeError):
        return None


def verifies(ctx: Context, view: RequestView, key: bytes, base_url: str) -> bool:
    """Whether the signature verifies (protocol §4.3), nonce not recorded:
    this only picks the bucket; the app then checks the request in full."""
    try:
        verify_request(view, parse_signature_input(view), key, now=ctx.epoch(),
                       base_url=base_url)
    except SignatureRefused:
        return False
    return True


def query_of(query: Mapping[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in query.items() if values}


# Reporter routes (protocol §4.2) that take a proof instead of a token under
# load: every anonymous POST, reads included, since a follow-up cannot
# reach its writes without ``open`` and ``thread``.
PUZZLE_PATHS = frozenset({
    "/v1/attachments", "/v1/reports", "/v1/followup/open", "/v1/followup/rotate",
    "/v1/followup/thread", "/v1/followup/fetch", "/v1/followup/messages"})
LOW_WATER = 0.25  # puzzles start when the anonymous bucket is below this share
PERIOD = 2.0  # seconds between difficulty steps


class PuzzleGate:
    """Admits proofs of work (protocol §4.1) when the anonymous bucket is low.

    Proven calls pay from a bucket of their own, of the anonymous size. Every
    ``PERIOD`` the difficulty steps up a bit while that bucket is below half
    (provers are using it up) and down while it is nearly full, so provers
    together get about the anonymous rate, whatever their hashing power,
    and a reporter finds it rarely empty. State is global: the seed's
    secret, the difficulty, and the digests of proofs admitted in the last
    two minutes (each proof admits one call).
    """

    def __init__(self, anonymous: TokenBucket, *, secret: bytes | None = None,
                 clock: Any = time.time) -> None:
        self.anonymous = anonymous
        self.proven = TokenBucket(anonymous.rate, anonymous.burst)
        self.bits = puzzle.MIN_BITS
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock
        self._step_at = time.monotonic() + PERIOD
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
            if digest in self._used:
                return False
            if window != self._pruned:  # proofs on seeds of two minutes ago are dead anyway
                self._used = {d: w for d, w in self._used.items() if w >= window - 1}
                self._pruned = window
            if not self.proven.take():
                return False
            self._used[digest] = window
        return True

    def _step(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._step_at:
                return
            self._step_at = now + PERIOD
            level = self.proven.level()
            if level < 0.5:
                self.bits = min(puzzle.MAX_BITS, self.bits + 1)
            elif level > 0.9:
                self.bits = max(puzzle.MIN_BITS, self.bits - 1)


@dataclass(frozen=True)
class Buckets:
    anonymous: TokenBucket
    team: TokenBucket
    transfers: TokenBucket
    member_keys: MemberKeys
    puzzles: PuzzleGate | None

    @classmethod
    def sized(cls, rate: float, burst: int, *, puzzles: bool = True) -> Buckets:
        """``rate`` and ``burst`` size the anonymous bucket (``candor serve
        --rate --burst``); the team gets ten times that, transfers the same,
        and proven reporter calls under load the same again."""
        anonymous = TokenBucket(rate, burst)
        return cls(anonymous, TokenBucket(rate * 10, burst * 10), TokenBucket(rate, burst),
                   MemberKeys(), PuzzleGate(anonymous) if puzzles else None)
