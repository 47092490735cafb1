"""How long the team's manifest stays valid, and what to say about it
(protocol §4.5, "Expiry and renewal").

Clients keep reading and verifying against an expired head; only what
would seal to the team's keys stops. The server's daily digest and every
client warn from `WARN_DAYS` before the head expires. This module holds no
key and no network code, so the server's housekeeping may use it too.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from chalicelib.manifest import Manifest, follow_chain

__all__ = ["WARN_DAYS", "ChainStatus", "chain_status", "days_left", "expired_line",
           "expiry_warning"]

WARN_DAYS = 30


class ChainStatus(NamedTuple):
    """The latest manifest of a verified chain and where it stands on `today`."""

    manifest: Manifest
    expired: bool
    days_left: int  # negative once expired: -1 the day after `expires`


def days_left(manifest: Mapping[str, Any], today: date) -> int:
    """Days until `expires` (0 on the last valid day)."""
    return (date.fromisoformat(manifest["expires"]) - today).days


def chain_status(anchor: object, later: Sequence[object], *, today: date) -> ChainStatus:
    """Follow the chain like `verify_chain`, but return an expired head marked
    expired instead of refusing it. Raises ManifestInvalid for a broken chain."""
    head = follow_chain(anchor, later)
    left = days_left(head, today)
    return ChainStatus(head, left < 0, left)


def expired_line(manifest: Mapping[str, Any]) -> str:
    """One line for anything that would seal to an expired team."""
    return (f"the team manifest (version {manifest['version']}) expired on "
            f"{manifest['expires']}: nothing can be sent to the team until it is "
            "re-anchored (docs/operations.md, \"a lapse\")")


def expiry_warning(manifest: Mapping[str, Any], today: date) -> str | None:
    """The one-line warning every client shows from `WARN_DAYS` before the
    head expires, the expired line after, None before."""
    left = days_left(manifest, today)
    if left < 0:
        return expired_line(manifest)
    if left > WARN_DAYS:
        return None
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    return (f"warning: the team manifest (version {manifest['version']}) expires {when} "
            f"({manifest['expires']}): an admin must renew it (candor manifest renew)")
