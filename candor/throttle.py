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
cannot lock every reporter out (``bench/flood.py`` measures it). The bucket
and the gate live in ``chalicelib.load``, as the Lambda handler runs them too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib import wire
from chalicelib.domain.cases import Context
from chalicelib.errors import Malformed
from chalicelib.httpsig import RequestView, SignatureRefused, parse_signature_input, verify_request
from chalicelib.load import PUZZLE_PATHS, PuzzleGate, TokenBucket
from chalicelib.store import keys

__all__ = ["PUZZLE_PATHS", "Buckets", "MemberKeys", "PuzzleGate", "TokenBucket",
           "claims_member", "query_of", "verifies"]

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
