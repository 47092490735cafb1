"""Exports of a case for counsel (protocol §4.4, "Exports").

The console builds the export itself, from what it decrypted; the server
never sees its content. It only records, before the console writes the
file, that the member exported the case: one audit entry per export, so
every copy that leaves the team has a signed, chained trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import wire
from chalicelib.domain import audit
from chalicelib.domain.cases import Context, visible_case
from chalicelib.domain.team_roster import Caller


def record(ctx: Context, caller: Caller, case_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /v1/team/cases/{case_id}/export`` with ``{}``: the export's audit
    entry. 404 to a member outside the case's access list, as every case route;
    400 for any field (the body says nothing)."""
    wire.fields(body, [])
    visible_case(ctx, caller.id, case_id)
    entry = audit.commit(ctx, [], member=caller.id, action="case.export", case=case_id,
                         request=caller.request)
    return {"entry": dict(entry)}
