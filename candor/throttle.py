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
measures it).
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


@dataclass(frozen=True)
class Buckets:
    anonymous: TokenBucket
    team: TokenBucket
    transfers: TokenBucket

    @classmethod
    def sized(cls, rate: float, burst: int) -> Buckets:
        """The team gets ten times the anonymous capacity; transfers the same."""
        return cls(TokenBucket(rate, burst), TokenBucket(rate * 10, burst * 10),
                   TokenBucket(rate, burst))


def claims_member(ctx: Context, view: RequestView) -> bytes | None:
    """The signing key of the current member a team request claims to be
    signed by, or None: the cheap checks, before its body is read."""
    try:
        sig_input = parse_signature_input(view)
        member: Any = ctx.store.get(keys.member(sig_input.keyid))
        if member is None or member.data["removed"]:
            return None
        return wire.b64u_decode(member.data["signing_key"])
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
