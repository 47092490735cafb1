"""Reports the team files (protocol §4.4, "Filing").

A member enters a walk-in's or a phone caller's report, the intake member's
key turns a monitoring alert into a case, an admin starts a drill. Each is
sealed by the client exactly as the reporter page seals a report, and the
server checks it exactly as ``POST /v1/reports`` does: only the plaintext
``source`` and ``drill`` flag are added, and the filing is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib import wire
from chalicelib.domain import audit, reporter
from chalicelib.domain.answers import Received
from chalicelib.domain.cases import Context
from chalicelib.domain.team_roster import Caller
from chalicelib.errors import Forbidden, Malformed
from chalicelib.store.base import Op

SOURCES = ("phone", "walk-in", "monitoring", "drill")


def file_report(ctx: Context, caller: Caller, body: dict[str, Any], raw: bytes) -> Received:
    """``POST /v1/team/reports``: any member, intake included, files; only
    an admin files a drill. Raises Malformed, Forbidden, and what
    ``reporter.submit_report`` raises."""
    wire.fields(body, [*reporter.REPORT_FIELDS, "source"], ["drill"])
    source, drill = body["source"], body.get("drill", False)
    if source not in SOURCES:
        raise Malformed(f"'source' must be one of {', '.join(SOURCES)}.")
    if not isinstance(drill, bool) or (source == "drill" and not drill):
        raise Malformed("'drill' must be true or false, and true for the source 'drill'.")
    if drill and not caller.is_admin:
        raise Forbidden("Only admins start a drill.")
    report = {k: v for k, v in body.items() if k in reporter.REPORT_FIELDS}

    def with_audit(ops: Sequence[Op]) -> None:  # the case and its audit entry, together
        audit.commit(ctx, ops, member=caller.id, action="report.file", case=None,
                     request=caller.request)

    return reporter.submit_report(ctx, report, raw, commit=with_audit,
                                  filed={"source": source, "drill": drill})
