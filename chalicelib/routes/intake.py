"""Filing a report as the team (protocol §4.4, "Filing"): signed like every
team route (protocol §4.3) and audited; the one route an intake member may
call (protocol §4.5, Roles)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain import intake
from chalicelib.http import endpoint, respond, runtime
from chalicelib.routes.team import ANY_TYPE, _call

bp = Blueprint(__name__)


@bp.route("/v1/team/reports", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.reports.file")
def file_report() -> Response:
    caller, body, raw = _call(runtime.settings.limits.report, filing=True)
    return respond(intake.file_report(runtime.ctx, caller, body, raw), 201)
