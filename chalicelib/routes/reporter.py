"""Public and reporter routes (protocol §4.2): no identity, no client data kept.

Every anonymous POST is ``gated``: in Lambda it may answer 429 with a client
puzzle under load (protocol §4.1, ``chalicelib/gate.py``); under ``candor
serve`` the server checks puzzles before the app, and the gate is off."""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Blueprint, Response

from chalicelib.domain import reporter, team_roster, uploads
from chalicelib.gate import gated
from chalicelib.http import endpoint, json_body, respond, runtime

bp = Blueprint(__name__)
ANY_TYPE = ["*/*"]  # the content type is checked by json_body, with protocol errors


@bp.route("/v1/manifest", methods=["GET"])
@endpoint("manifest.get")
def get_manifests() -> Response:
    query: Mapping[str, str] = bp.current_request.query_params or {}
    since = team_roster.since_param(query.get("since"))
    return respond({"manifests": team_roster.manifests(runtime.ctx, since)})


@bp.route("/v1/attachments", methods=["POST"], content_types=ANY_TYPE)
@endpoint("attachments.announce")
@gated(lambda: bp.current_request)
def announce_attachment() -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(uploads.announce_attachment(runtime.ctx, body), 201)


@bp.route("/v1/attachments/{attachment_id}/parts", methods=["POST"], content_types=ANY_TYPE)
@endpoint("attachments.parts")
@gated(lambda: bp.current_request)
def part_urls(attachment_id: str) -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(uploads.part_urls(runtime.ctx, attachment_id, body))


@bp.route("/v1/attachments/{attachment_id}/complete", methods=["POST"], content_types=ANY_TYPE)
@endpoint("attachments.complete")
@gated(lambda: bp.current_request)
def complete_upload(attachment_id: str) -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(uploads.complete(runtime.ctx, attachment_id, body))


@bp.route("/v1/reports", methods=["POST"], content_types=ANY_TYPE)
@endpoint("reports.submit")
@gated(lambda: bp.current_request)
def submit_report() -> Response:
    body, raw = json_body(bp.current_request, runtime.settings.limits.report)
    return respond(reporter.submit_report(runtime.ctx, body, raw), 201)


@bp.route("/v1/followup/open", methods=["POST"], content_types=ANY_TYPE)
@endpoint("followup.open")
@gated(lambda: bp.current_request)
def open_case() -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(reporter.open_case(runtime.ctx, body))


@bp.route("/v1/followup/rotate", methods=["POST"], content_types=ANY_TYPE)
@endpoint("followup.rotate")
@gated(lambda: bp.current_request)
def rotate_receipt() -> Response:
    body, _ = json_body(bp.current_request, runtime.settings.limits.sealed_identity)
    return respond(reporter.rotate_receipt(runtime.ctx, body))


@bp.route("/v1/followup/thread", methods=["POST"], content_types=ANY_TYPE)
@endpoint("followup.thread")
@gated(lambda: bp.current_request)
def thread() -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(reporter.thread(runtime.ctx, body))


@bp.route("/v1/followup/fetch", methods=["POST"], content_types=ANY_TYPE)
@endpoint("followup.fetch")
@gated(lambda: bp.current_request)
def fetch() -> Response:
    body, _ = json_body(bp.current_request, 1024)
    return respond(reporter.fetch(runtime.ctx, body))


@bp.route("/v1/followup/messages", methods=["POST"], content_types=ANY_TYPE)
@endpoint("followup.messages")
@gated(lambda: bp.current_request)
def post_message() -> Response:
    body, raw = json_body(bp.current_request, runtime.settings.limits.message)
    return respond(reporter.post_message(runtime.ctx, body, raw), 201)
