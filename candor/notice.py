"""Signed staff notices on the client side (protocol §4.9): write one, sign
it, and check the ones the server lists.

The document rules live with the server (``chalicelib.domain.notices``),
which checks a notice before storing it; a notice is signed exactly as a
manifest or a release is (``candor.roster.sign_manifest``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from candor import roster
from chalicelib import manifest as mf
from chalicelib.b64 import b64u_encode
from chalicelib.domain.notices import (
    KIND,
    LANGUAGES,
    MAX_TEXT,
    Notice,
    NoticeInvalid,
    parse_notice,
    verify_notice,
)

__all__ = [
    "KIND", "LANGUAGES", "MAX_TEXT", "Checked", "Notice", "NoticeInvalid", "check_listed",
    "new_notice_id", "parse_notice", "sign_notice", "unsigned_notice", "verify_notice",
]  # fmt: skip

DEFAULT_DAYS = 14


def new_notice_id() -> str:
    return "n_" + b64u_encode(secrets.token_bytes(16))


def unsigned_notice(
    manifest: mf.Manifest, text: Mapping[str, str], issued: date, days: int = DEFAULT_DAYS,
    notice_id: str | None = None,
) -> Notice:
    """A notice under `manifest` (the current one), valid `days` from
    `issued`, unsigned. Raises NoticeInvalid."""
    notice = {
        "v": 1, "kind": KIND, "id": notice_id or new_notice_id(),
        "issued": issued.isoformat(), "expires": (issued + timedelta(days=days)).isoformat(),
        "manifest": {"version": manifest["version"], "fingerprint": mf.fingerprint(manifest)},
        "text": dict(text), "sigs": [],
    }  # fmt: skip
    return parse_notice(notice)


def sign_notice(notice: Notice, member_id: str, seed: bytes) -> Notice:
    """`notice` with `member_id`'s signature appended. Raises ValueError when already signed."""
    return cast(Notice, roster.sign_manifest(cast(mf.Manifest, notice), member_id, seed))


@dataclass(frozen=True)
class Checked:
    """One listed notice and what its check found: `problem` None when valid."""

    notice: Mapping[str, Any]
    problem: str | None

    @property
    def id(self) -> str:
        value = self.notice.get("id") if isinstance(self.notice, Mapping) else None
        return value if isinstance(value, str) else "?"


def check_listed(listed: Sequence[object], current: mf.Manifest, today: date) -> list[Checked]:
    """Each notice the server lists, checked against the current manifest
    (trusted): a tampered, unsigned or expired one carries its problem."""
    checked = []
    for notice in listed:
        try:
            verify_notice(notice, current, today=today)
            problem = None
        except NoticeInvalid as exc:
            problem = str(exc)
        checked.append(Checked(notice if isinstance(notice, Mapping) else {}, problem))
    return checked
