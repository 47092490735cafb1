"""The member's inbox index (protocol §4.4, "Inbox index"): signed team
routes like the others (protocol §4.3), not audited (the index is the
member's own housekeeping; chalicelib/domain/inbox_index.py says why)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain import inbox_index
from chalicelib.http import endpoint, respond, runtime
from chalicelib.routes.team import ANY_TYPE, _call, _query

bp = Blueprint(__name__)


@bp.route("/v1/team/index", methods=["GET"])
@endpoint("team.index.get")
def get_index() -> Response:
    caller, _, _ = _call()
    return respond(inbox_index.read(runtime.ctx, caller, _query("cursor")))


@bp.route("/v1/team/index", methods=["PUT"], content_types=ANY_TYPE)
@endpoint("team.index.put")
def put_index() -> Response:
    caller, body, _ = _call(inbox_index.INDEX_LIMIT)
    return respond(inbox_index.write(runtime.ctx, caller, body))
