"""docs/openapi.yaml stays in step with the API (protocol §4).

- every (method, path) of the Chalice app is documented, and nothing else;
- the error codes documented are exactly ``chalicelib.errors.STATUS``'s, each
  under its own status;
- real answers of a scripted flow (reporter and team, every route) validate
  against the documented responses: status, body schema, headers.

The helpers at the top are shared with ``test_fuzz.py``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")
referencing = pytest.importorskip("referencing")
from referencing.jsonschema import DRAFT202012  # noqa: E402

from candor import documents, grants, roster, teamops  # noqa: E402
from candor import keyfile as kf  # noqa: E402
from candor import notice as notice_doc  # noqa: E402
from candor.client import ApiClient, ApiError  # noqa: E402
from candor.reporter import Evidence, follow_up, submit  # noqa: E402
from chalicelib import errors  # noqa: E402
from chalicelib.b64 import b64u_encode  # noqa: E402
from tests.support.team import BASE_URL, Api  # noqa: E402

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
DOC_URI = "urn:candor:openapi"
METHODS = ("get", "post", "put", "patch", "delete")
STANDARD_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer",
                    "x-content-type-options": "nosniff"}
FORM = {"category": "confidential-leak", "summary": "Roadmap on a forum",
        "details": "Posted yesterday at 21:00 by an account I recognise."}


# -- the document -----------------------------------------------------------------
@functools.cache
def load_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(DOC_PATH.read_text())
    return doc


@functools.cache
def _registry() -> Any:
    return referencing.Registry().with_resource(DOC_URI, DRAFT202012.create_resource(load_doc()))


def resolve(node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` to a components object (responses, parameters)."""
    while "$ref" in node and len(node) == 1:
        target: Any = load_doc()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return dict(node)


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def documented_routes() -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, item in load_doc()["paths"].items()
            for m in METHODS if m in item}


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for path in load_doc()["paths"]:
        regex = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path))
        out.append((re.compile(regex + r"\Z"), path))
    return out


def path_of(target: str) -> str:
    """The documented path template that ``target`` (path and query) matches."""
    path = target.split("?", 1)[0]
    for regex, template in _path_patterns():
        if regex.match(path):
            return template
    raise AssertionError(f"{target} matches no documented path")


def error_responses() -> Iterator[tuple[str, str, int, list[str]]]:
    """(method, path, status, codes) of every documented error response."""
    for path, item in load_doc()["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            for status, response in item[method]["responses"].items():
                if int(status) < 400:
                    continue
                schema = resolve(response)["content"]["application/json"]["schema"]
                assert schema["$ref"] == "#/components/schemas/Error", (method, path, status)
                codes = schema["properties"]["error"]["properties"]["code"]["enum"]
                yield method.upper(), path, int(status), list(codes)


def check_answer(method: str, target: str, status: int, headers: Mapping[str, str],
                 body: bytes) -> None:
    """Assert that an answer is one the document allows for this route."""
    path = path_of(target)
    operation = load_doc()["paths"][path][method.lower()]
    assert str(status) in operation["responses"], \
        f"{method} {path}: status {status} not documented: {body[:300]!r}"
    response = resolve(operation["responses"][str(status)])
    lower = {k.lower(): v for k, v in headers.items()}
    assert "set-cookie" not in lower
    for name, value in STANDARD_HEADERS.items():
        assert lower.get(name) == value, (method, path, status, name)
    if "content" not in response:
        assert not body, f"{method} {path}: {status} must have no body"
        return
    assert lower.get("content-type", "").startswith("application/json")
    if status == 401 and b'"clock_skew"' in body:
        assert "date" in lower
    location = _response_location(path, method.lower(), str(status))
    validator = jsonschema.Draft202012Validator(
        {"$ref": DOC_URI + "#" + location}, registry=_registry())
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(json.loads(body))]
    assert not problems, f"{method} {target} {status}: {problems[:5]} in {body[:300]!r}"


def _response_location(path: str, method: str, status: str) -> str:
    response = load_doc()["paths"][path][method]["responses"][status]
    if "$ref" in response:
        base = response["$ref"].removeprefix("#")
        return base + _pointer("content", "application/json", "schema")
    return _pointer("paths", path, method, "responses", status, "content", "application/json",
                    "schema")


# -- a transport that records every answer, headers included ----------------------
@dataclass
class Exchange:
    method: str
    target: str
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Wraps an ``InProcessTransport``; keeps what the gateway answered."""

    inner: Any
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.inner.base_url)

    @property
    def store(self) -> Any:
        return self.inner.store

    def send(self, method: str, target: str, headers: Mapping[str, str],
             body: bytes) -> tuple[int, bytes]:
        answer = self.inner._gateway.handle_request(method, target, dict(headers), body)
        payload = answer.get("body") or b""
        payload = payload.encode() if isinstance(payload, str) else payload
        status = int(answer["statusCode"])
        self.exchanges.append(Exchange(method, target, status, dict(answer["headers"]), payload))
        return status, payload


# -- the document matches the app -------------------------------------------------
def test_document_is_valid_openapi_3_1() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(load_doc())
    assert load_doc()["openapi"].startswith("3.1")


def test_every_route_is_documented_and_nothing_else() -> None:
    from app import app

    routes = {(m, path) for path, methods in app.routes.items() for m in methods}
    assert routes == documented_routes()


def test_error_codes_are_exactly_the_status_table() -> None:
    seen: dict[str, set[int]] = {}
    for method, path, status, codes in error_responses():
        for code in codes:
            assert code in errors.STATUS, f"{method} {path}: unknown code {code}"
            assert errors.STATUS[code] == status, f"{method} {path}: {code} under {status}"
            seen.setdefault(code, set()).add(status)
    assert set(seen) == set(errors.STATUS)
    enum = load_doc()["components"]["schemas"]["ErrorCode"]["enum"]
    assert sorted(enum) == sorted(errors.STATUS)


def test_every_operation_documents_its_common_answers() -> None:
    """Every route may fail with 503; body routes with 400, 413 and 415;
    team routes with 401 and declare the signature (protocol §4.1, §4.3)."""
    for path, item in load_doc()["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op, statuses = item[method], set(item[method]["responses"])
            assert "503" in statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415"} <= statuses, (method, path)
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                target = resolve(schema) if "$ref" in schema else schema
                assert target.get("additionalProperties") is False, (method, path)
            if path.startswith("/v1/team/"):
                assert "401" in statuses and op["security"] == [{"candorSignature": []}]
                names = {resolve(p)["name"] for p in op.get("parameters", [])}
                assert "Signature-Input" in names, (method, path)
                if method in ("post", "put", "patch"):
                    assert "Content-Digest" in names, (method, path)
            else:
                assert op["security"] == [] and "429" in statuses, (method, path)


# -- real answers validate ----------------------------------------------------------
def _flow(api: Api, store_kind: str) -> Recorder:
    """Every route answered at least once with success, and common refusals."""
    rec = Recorder(api.transport)
    anon = ApiClient(rec)
    admin, grace = api.team.admin, api.team.by_name("Grace")
    as_admin, as_grace = ApiClient(rec, admin.key), ApiClient(rec, grace.key)
    manifest = api.team.manifest

    anon.call("GET", "/v1/manifest", signed=False)
    anon.call("GET", "/v1/manifest", query={"since": "0"}, signed=False)
    anon.call("POST", "/v1/attachments", {"size": 1000}, signed=False)  # never uploaded
    _parts_flow(anon, store_kind)
    files = [] if store_kind == "aws" else [Evidence("evidence.bin", os.urandom(2000))]
    sub = submit(anon, manifest, FORM, files=files)
    _expect(ApiError, lambda: anon.call("POST", "/v1/followup/thread", {
        "auth": sub.receipt.auth_b64, "visit": b64u_encode(os.urandom(32))}, signed=False))
    visit = follow_up(anon, sub.receipt, manifest)
    report_id = visit.thread()["report"]["id"]
    visit.fetch(report_id)
    if files:
        visit.fetch(sub.body["attachments"][0])
    visit.send("One more detail.")
    _expect(ApiError, lambda: anon.call("POST", "/v1/followup/open",
                                        {"auth": sub.receipt.auth_b64}, signed=False))
    _expect(ApiError, lambda: anon.call("POST", "/v1/reports", {"x": 1}, signed=False))

    case_id = as_grace.call("GET", "/v1/team/cases")["cases"][0]["id"]
    as_grace.call("GET", "/v1/team/cases", query={"status": "received"})
    as_grace.call("GET", "/v1/team/reports", query={"cases": case_id})
    _expect(ApiError, lambda: as_grace.call("GET", "/v1/team/reports", query={"cases": "x"}))
    session = teamops.Session(as_grace, grace.key, manifest)
    view = teamops.read_case(session, case_id)
    teamops.write(session, view, "message", "Thank you, we are looking into it.")
    teamops.write(session, view, "note", "Check the forum logs.")
    shown = as_grace.call("GET", f"/v1/team/cases/{case_id}")
    for entry in shown["messages"] + shown["notes"]:
        as_grace.call("GET", f"/v1/team/cases/{case_id}/blobs/{entry['id']}")
    as_grace.call("PATCH", f"/v1/team/cases/{case_id}",
                  {"status": "investigating", "assignee": grace.id, "legal_hold": True})
    _expect(ApiError, lambda: as_grace.call("PATCH", f"/v1/team/cases/{case_id}",
                                            {"status": "received"}))
    _expect(ApiError, lambda: as_grace.call("PATCH", f"/v1/team/cases/{case_id}",
                                            {"legal_hold": False}))
    _expect(ApiError, lambda: as_admin.call("DELETE", f"/v1/team/cases/{case_id}"))
    as_admin.call("PATCH", f"/v1/team/cases/{case_id}",
                  {"status": "closed", "resolution": "referred", "legal_hold": False})
    as_admin.call("DELETE", f"/v1/team/cases/{case_id}")
    _expect(ApiError, lambda: as_admin.call("GET", f"/v1/team/cases/{case_id}"))

    submit(anon, manifest, FORM, files=files)  # granted to the newcomer below
    # Members: add, rotate keys (signed by the member itself), publish, remove.
    newcomer = kf.create_keyfile(BASE_URL, kf._identity_type(admin.key.identities[0]))
    card = kf.public_card(newcomer, "Edsger Dijkstra", "Audit", "reviewer")
    as_admin.call("POST", "/v1/team/members", card)
    rotated, old_seed = kf.rotate_keys(newcomer)
    entry = kf.public_card(rotated, card["name"], card["function"], card["role"], card, old_seed)
    ApiClient(rec, newcomer).call("PUT", f"/v1/team/members/{newcomer.member}", entry)
    _expect(ApiError, lambda: as_grace.call("PUT", f"/v1/team/members/{admin.id}", entry))
    listed = as_grace.call("GET", "/v1/team/members")["members"]
    unsigned = roster.unsigned_manifest(manifest["version"] + 1, api.ctx.today(), listed,
                                    threshold=manifest["threshold"])
    signed = roster.sign_manifest(unsigned, admin.id, admin.key.signing_seed)
    as_admin.call("PUT", "/v1/team/manifest/proposal", {"manifest": signed})  # protocol §4.5
    as_grace.call("GET", "/v1/team/manifest/proposal")
    as_admin.call("PUT", "/v1/team/manifest", signed)
    _expect(ApiError, lambda: as_admin.call("PUT", "/v1/team/manifest", manifest))
    # The case filed before the newcomer joined: granted, read, taken off (protocol §4.4).
    (later,) = as_admin.call("GET", "/v1/team/cases")["cases"]
    admin_session = teamops.Session(as_admin, admin.key, manifest)
    grants.grant(admin_session, later["id"], newcomer.member)
    ApiClient(rec, rotated).call("GET", f"/v1/team/cases/{later['id']}/blobs/"
                                        f"{later['report']['id']}")
    as_admin.call("POST", f"/v1/team/cases/{later['id']}/export", {})
    grants.revoke(admin_session, later["id"], newcomer.member)
    as_admin.call("DELETE", f"/v1/team/members/{newcomer.member}")
    _expect(ApiError, lambda: ApiClient(rec, rotated).call("GET", "/v1/team/members"))
    anon.call("GET", "/v1/manifest", query={"since": "1"}, signed=False)
    as_admin.call("GET", "/v1/team/audit")
    index = as_grace.call("GET", "/v1/team/index")
    recipient = kf.identity_recipient(grace.key.identities[0])
    sealed = b64u_encode(documents.seal_document({"v": 1}, [recipient]))
    as_grace.call("PUT", "/v1/team/index", {"sealed": sealed, "version": index["version"]})
    notice = notice_doc.unsigned_notice(signed, {"en": "Do not comment publicly."}, api.ctx.today())
    notice = notice_doc.sign_notice(notice, admin.id, admin.key.signing_seed)
    as_admin.call("POST", "/v1/team/notices", notice)  # protocol §4.9
    anon.call("GET", "/v1/notices", signed=False)
    as_admin.call("DELETE", f"/v1/team/notices/{notice['id']}")
    # A report the team files (protocol §4.4, "Filing"); a drill is for admins only.
    submit(as_admin, manifest, FORM, filed={"source": "drill", "drill": True})
    _expect(ApiError, lambda: submit(as_grace, manifest, FORM,
                                     filed={"source": "drill", "drill": True}))
    _expect(ApiError, lambda: as_admin.call("GET", "/v1/team/audit", query={"cursor": "%%"}))
    _expect(ApiError, lambda: as_grace.call("GET", "/v1/team/audit"))
    _expect(ApiError, lambda: anon.call("GET", "/v1/team/cases", signed=False))
    return rec


def _parts_flow(anon: ApiClient, store_kind: str) -> None:
    """An attachment over the multipart threshold, sent in parts, never claimed."""
    big = anon.call("POST", "/v1/attachments", {"size": 16 * 1024 * 1024 + 1}, signed=False)
    base, size = f"/v1/attachments/{big['id']}", big["parts"]["size"]
    _expect(ApiError, lambda: anon.call("POST", base + "/complete", {}, signed=False))
    for part in anon.call("POST", base + "/parts", {"numbers": [1, 2, 3]}, signed=False)["parts"]:
        data = bytes(size if part["number"] < 3 else 1)
        if store_kind == "aws":  # moto in-process intercepts `requests`, not urllib
            import requests

            assert requests.put(part["url"], data=data, headers=part["headers"], timeout=30).ok
        else:
            anon.upload(part, data)
    anon.call("POST", base + "/complete", {}, signed=False)


def _expect(kind: type[Exception], call: Any) -> None:
    with pytest.raises(kind):
        call()


def test_real_answers_match_the_document(api: Api, store_kind: str) -> None:
    rec = _flow(api, store_kind)
    for ex in rec.exchanges:
        check_answer(ex.method, ex.target, ex.status, ex.headers, ex.body)
    succeeded = {(ex.method, path_of(ex.target)) for ex in rec.exchanges if ex.status < 300}
    assert succeeded == documented_routes()
    failed = {ex.status for ex in rec.exchanges if ex.status >= 400}
    assert failed == {400, 401, 403, 404, 409, 422}
