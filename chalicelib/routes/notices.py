"""Signed staff notices (protocol §4.9): admins publish and withdraw them
through signed, audited team routes (protocol §4.3, §4.6); anyone lists the
current ones, and verifies each before showing it."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain import notices
from chalicelib.http import endpoint, respond, runtime
from chalicelib.routes.team import ANY_TYPE, _call

bp = Blueprint(__name__)


@bp.route("/v1/notices", methods=["GET"])
@endpoint("notices.list")
def list_notices() -> Response:
    return respond({"notices": notices.current(runtime.ctx)})


@bp.route("/v1/team/notices", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.notices.publish")
def publish_notice() -> Response:
    caller, body, _ = _call()
    return respond(notices.publish(runtime.ctx, caller, body), 201)


@bp.route("/v1/team/notices/{notice_id}", methods=["DELETE"])
@endpoint("team.notices.withdraw")
def withdraw_notice(notice_id: str) -> Response:
    caller, _, _ = _call()
    notices.withdraw(runtime.ctx, caller, notice_id)
    return respond(None, 204)
