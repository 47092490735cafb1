"""Team routes (protocol §4.4): every call signed (protocol §4.3) and audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from chalice.app import Blueprint, Response

from chalicelib import wire
from chalicelib.domain import audit, case_export, grants, manifest_proposal, team, team_roster
from chalicelib.domain.team_roster import Caller
from chalicelib.http import endpoint, raw_body, respond, runtime
from chalicelib.httpsig import RequestView

bp = Blueprint(__name__)
ANY_TYPE = ["*/*"]


def _route_path(request: Any) -> str:
    """The route's path with its parameters, never the stage-less event path
    (protocol §4.3); the public base URL is prefixed by the verifier."""
    path = str(request.context.get("resourcePath", ""))
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def _call(
    sealed_limit: int = 0, *, filing: bool = False
) -> tuple[Caller, dict[str, Any], bytes]:
    """Authenticate the current request; then parse its body, if any. Only
    a ``filing`` route admits an intake member (protocol §4.5, Roles)."""
    request = bp.current_request
    raw = raw_body(request, sealed_limit) if request.method in ("POST", "PUT", "PATCH") else b""
    view = RequestView(request.method, _route_path(request), request.query_params or {},
                       dict(request.headers), raw)
    caller = team_roster.authenticate(runtime.ctx, view, runtime.settings.public_base_url,
                                      filing=filing)
    runtime.member = caller.id
    body = wire.parse_body(raw, len(raw)) if raw or (request.method != "GET" and \
        request.method != "DELETE") else {}
    return caller, body, raw


def _query(name: str) -> str | None:
    query: Mapping[str, str] = bp.current_request.query_params or {}
    return query.get(name)


@bp.route("/v1/team/cases", methods=["GET"])
@endpoint("team.cases.list")
def list_cases() -> Response:
    caller, _, _ = _call()
    return respond(team.list_cases(runtime.ctx, caller, _query("status"), _query("cursor")))


@bp.route("/v1/team/cases/{case_id}", methods=["GET"])
@endpoint("team.cases.show")
def show_case(case_id: str) -> Response:
    caller, _, _ = _call()
    return respond(team.show_case(runtime.ctx, caller, case_id))


@bp.route("/v1/team/cases/{case_id}/blobs/{blob_id}", methods=["GET"])
@endpoint("team.cases.blob")
def get_blob(case_id: str, blob_id: str) -> Response:
    caller, _, _ = _call()
    return respond(team.fetch(runtime.ctx, caller, case_id, blob_id))


@bp.route("/v1/team/reports", methods=["GET"])
@endpoint("team.reports")
def read_reports() -> Response:
    caller, _, _ = _call()
    return respond(team.read_reports(runtime.ctx, caller, _query("cases")))


@bp.route("/v1/team/cases/{case_id}/messages", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.cases.message")
def post_message(case_id: str) -> Response:
    caller, body, raw = _call(runtime.settings.limits.message)
    return respond(team.add_entry(runtime.ctx, caller, case_id, "message", body, raw), 201)


@bp.route("/v1/team/cases/{case_id}/notes", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.cases.note")
def post_note(case_id: str) -> Response:
    caller, body, raw = _call(runtime.settings.limits.message)
    return respond(team.add_entry(runtime.ctx, caller, case_id, "note", body, raw), 201)


@bp.route("/v1/team/cases/{case_id}", methods=["PATCH"], content_types=ANY_TYPE)
@endpoint("team.cases.update")
def patch_case(case_id: str) -> Response:
    caller, body, _ = _call(1024)
    return respond(team.patch_case(runtime.ctx, caller, case_id, body))


@bp.route("/v1/team/cases/{case_id}", methods=["DELETE"])
@endpoint("team.cases.delete")
def delete_case(case_id: str) -> Response:
    caller, _, _ = _call()
    team.delete_case(runtime.ctx, caller, case_id)
    return respond(None, 204)


@bp.route("/v1/team/cases/{case_id}/access", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.cases.grant")
def grant_access(case_id: str) -> Response:
    caller, body, _ = _call(grants.GRANT_BODY_LIMIT)
    return respond(grants.grant(runtime.ctx, caller, case_id, body), 201)


@bp.route("/v1/team/cases/{case_id}/access/{member_id}", methods=["DELETE"])
@endpoint("team.cases.revoke")
def revoke_access(case_id: str, member_id: str) -> Response:
    caller, _, _ = _call()
    grants.revoke(runtime.ctx, caller, case_id, member_id)
    return respond(None, 204)


@bp.route("/v1/team/cases/{case_id}/export", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.cases.export")
def export_case(case_id: str) -> Response:
    caller, body, _ = _call(1024)
    return respond(case_export.record(runtime.ctx, caller, case_id, body), 201)


@bp.route("/v1/team/members", methods=["GET"])
@endpoint("team.members.list")
def list_members() -> Response:
    _call()
    return respond({"members": team_roster.members(runtime.ctx)})


@bp.route("/v1/team/members", methods=["POST"], content_types=ANY_TYPE)
@endpoint("team.members.add")
def add_member() -> Response:
    caller, body, _ = _call(64 * 1024)
    return respond(team_roster.add_member(runtime.ctx, caller, body), 201)


@bp.route("/v1/team/members/{member_id}", methods=["PUT"], content_types=ANY_TYPE)
@endpoint("team.members.rotate")
def rotate_member(member_id: str) -> Response:
    caller, body, _ = _call(64 * 1024)
    return respond(team_roster.rotate_member(runtime.ctx, caller, member_id, body))


@bp.route("/v1/team/members/{member_id}", methods=["DELETE"])
@endpoint("team.members.remove")
def remove_member(member_id: str) -> Response:
    caller, _, _ = _call()
    team_roster.remove_member(runtime.ctx, caller, member_id)
    return respond(None, 204)


@bp.route("/v1/team/manifest", methods=["PUT"], content_types=ANY_TYPE)
@endpoint("team.manifest.put")
def put_manifest() -> Response:
    caller, body, _ = _call(1024 * 1024)
    team_roster.put_manifest(runtime.ctx, caller, body)
    return respond({})


@bp.route("/v1/team/manifest/proposal", methods=["PUT"], content_types=ANY_TYPE)
@endpoint("team.manifest.propose")
def propose_manifest() -> Response:
    caller, body, _ = _call(1024 * 1024)
    return respond(manifest_proposal.propose(runtime.ctx, caller, body))


@bp.route("/v1/team/manifest/proposal", methods=["GET"])
@endpoint("team.manifest.proposal")
def manifest_proposal_get() -> Response:
    caller, _, _ = _call()
    return respond(manifest_proposal.pending(runtime.ctx, caller))


@bp.route("/v1/team/audit", methods=["GET"])
@endpoint("team.audit")
def audit_log() -> Response:
    caller, _, _ = _call()
    caller.require_admin()
    return respond(audit.page(runtime.ctx, _query("cursor")))
