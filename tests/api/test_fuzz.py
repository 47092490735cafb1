"""No request yields a 5xx, and every 4xx has the protocol §4.1 error shape.

In-process on the local backend (fast): bodies generated from the request
schemas of docs/openapi.yaml, then broken on purpose (wrong types, huge
strings, bad base64url, unknown fields, duplicate keys, deep nesting,
non-JSON, wrong content types, oversized bodies, bad cursors, unknown ids,
signed-but-garbage team bodies, garbage signature headers). Every answer
must also be one the document allows for that route. Refused submissions
leave nothing behind in the store. A small schemathesis pass runs over HTTP
against ``candor serve`` when schemathesis is installed.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.client import ApiClient
from candor.reporter import Submission, follow_up, submit
from chalicelib import errors
from chalicelib.b64 import b64u_encode
from chalicelib.config import Limits
from chalicelib.domain.cases import Context
from chalicelib.domain.grants import GRANT_BODY_LIMIT
from chalicelib.domain.inbox_index import INDEX_LIMIT
from chalicelib.http import runtime
from chalicelib.httpsig import sign_request
from chalicelib.store.base import ConditionFailed
from chalicelib.store.local import LocalCaseStore
from tests.api.test_openapi import DOC_PATH, check_answer, load_doc, resolve
from tests.backends import FakeClock
from tests.support.team import Api, Member, Team, make_api

FORM = {"category": "fraud", "summary": "Invoices", "details": "Paid twice."}
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
OPERATIONS = sorted((method, path) for path, item in load_doc()["paths"].items()
                    for method in ("get", "post", "put", "patch", "delete") if method in item)
BODY_OPERATIONS = [(m, p) for m, p in OPERATIONS if "requestBody" in load_doc()["paths"][p][m]]
UNKNOWN = {"case_id": "c_" + "A" * 22, "blob_id": "b_" + "A" * 22, "member_id": "m_" + "A" * 20,
           "notice_id": "n_" + "A" * 22, "attachment_id": "a_" + "A" * 22}
PATH_IDS = tuple(UNKNOWN)
# A body over every route's limit: the largest is a grant's or an inbox index's.
HUGE = Limits().body_limit(max(Limits().report, GRANT_BODY_LIMIT, INDEX_LIMIT)) + 1


# -- the app in-process, and what every answer must look like -----------------------
@dataclass
class Env:
    api: Api
    ctx: Context
    settings: Any
    admin: Member
    reviewer: Member
    sub: Submission
    auth: str
    visit: str
    case_id: str
    blob_ids: list[str]

    def send(self, method: str, target: str, body: bytes = b"", *,
             headers: dict[str, str] | None = None, signer: Member | None = None,
             content_type: str | None = "application/json") -> tuple[int, dict[str, str], bytes]:
        """One request through the gateway; the answer is checked before it is returned."""
        runtime.configure(self.ctx, self.settings)  # other tests may have configured another
        sent = {"Content-Type": content_type} if content_type and body else {}
        if signer is not None:
            path, _, query = target.partition("?")
            sent.update(sign_request(method.upper(), path, dict(parse_qsl(query)), body,
                                     member_id=signer.id, seed=signer.key.signing_seed))
        sent.update(headers or {})
        answer = self.api.transport._gateway.handle_request(method.upper(), target, sent, body)
        payload = answer.get("body") or b""
        payload = payload.encode() if isinstance(payload, str) else payload
        status, got = int(answer["statusCode"]), dict(answer["headers"])
        check_shape(method, target, status, got, payload)
        return status, got, payload


def check_shape(method: str, target: str, status: int, headers: dict[str, str],
                body: bytes) -> None:
    assert status < 500, f"{method} {target} answered {status}: {body[:300]!r}"
    if status >= 400:
        answer = json.loads(body)
        assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}, body
        code, message = answer["error"]["code"], answer["error"]["message"]
        assert errors.STATUS.get(code) == status, (method, target, status, code)
        assert isinstance(message, str) and message
    check_answer(method, target, status, headers, body)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, team: Team) -> Env:
    clock = FakeClock()
    store = LocalCaseStore(tmp_path_factory.mktemp("fuzz") / "data", clock=clock)
    api = make_api(store, team, clock)
    ctx, conf = runtime.ctx, runtime.settings
    sub = submit(api.anonymous, team.manifest, FORM)
    visit = follow_up(api.anonymous, sub.receipt, team.manifest)
    visit.send("A detail.")
    thread = visit.thread()
    blob_ids = [thread["report"]["id"], *(m["id"] for m in thread["messages"])]
    case_id = api.as_member(team.admin).call("GET", "/v1/team/cases")["cases"][0]["id"]
    return Env(api, ctx, conf, team.admin, team.by_name("Grace"), sub, visit.receipt.auth_b64,
               b64u_encode(visit.visit), case_id, blob_ids)


# -- values from the document's schemas -------------------------------------------------
def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for the subset of JSON Schema docs/openapi.yaml uses."""
    if "$ref" in schema:
        return from_schema({**resolve({"$ref": schema["$ref"]}),
                            **{k: v for k, v in schema.items() if k != "$ref"}})
    if "allOf" in schema:
        [only] = schema["allOf"]
        return from_schema({**resolve(only), **{k: v for k, v in schema.items()
                                                if k != "allOf"}})
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([from_schema(s) for s in schema["oneOf"]])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in props.items() if k in required},
            optional={k: from_schema(v) for k, v in props.items() if k not in required})
    if kind == "array":
        return st.lists(from_schema(schema["items"]), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4),
                        unique=schema.get("uniqueItems", False))
    if kind == "string":
        most = min(schema.get("maxLength", 200), 200)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= schema.get("maxLength", len(s)))
        return st.text(max_size=most)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"schema not covered by the fuzzer: {schema}")


def _body_schema(method: str, path: str) -> dict[str, Any]:
    body = load_doc()["paths"][path][method]["requestBody"]
    return dict(body["content"]["application/json"]["schema"])


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20), st.just("A" * 70_000), st.just("AA="), st.just("A"),
    st.just("AB"), st.just("a+b/"), st.just("\ud800"), st.just("\x00"),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.none(),
                                                         max_size=2),
)


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """``body`` unchanged, or broken in one way."""
    if not isinstance(body, dict):
        return body
    how = draw(st.sampled_from(["none", "drop", "extra", "retype", "retype"]))
    keys = sorted(body)
    if how == "drop" and keys:
        return {k: v for k, v in body.items() if k != draw(st.sampled_from(keys))}
    if how == "extra":
        return {**body, draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in body)):
                draw(JUNK)}
    if how == "retype" and keys:
        return {**body, draw(st.sampled_from(keys)): draw(JUNK)}
    return body


def _real(env: Env, method: str, path: str, body: Any, draw: st.DrawFn) -> Any:
    """Swap generated values for live ones, so that requests reach the domain.
    Never the receipt of ``env`` into rotate, nor live ids into DELETE."""
    if not isinstance(body, dict) or not draw(st.booleans()):
        return body
    live: dict[str, Any] = {"visit": env.visit, "id": draw(st.sampled_from(env.blob_ids)),
                            "access": [env.admin.id, env.reviewer.id]}
    if path != "/v1/followup/rotate":
        live["auth"] = env.auth
    return {k: live.get(k, v) if draw(st.booleans()) else v for k, v in body.items()}


def _target(env: Env, method: str, path: str, draw: st.DrawFn) -> str:
    op = load_doc()["paths"][path]
    params = [resolve(p) for p in [*op.get("parameters", []), *op[method].get("parameters", [])]]
    target, query = path, {}
    for p in params:
        if p["in"] == "path":
            choices = [draw(from_schema(p["schema"])), UNKNOWN[p["name"]]]
            if method != "delete":
                choices += {"case_id": [env.case_id], "blob_id": env.blob_ids,
                            "member_id": [env.admin.id, env.reviewer.id],
                            "notice_id": [], "attachment_id": []}[p["name"]]
            value = draw(st.sampled_from(choices))
            target = target.replace("{" + p["name"] + "}", quote(value, safe=""))
        elif p["in"] == "query" and draw(st.booleans()):
            query[p["name"]] = draw(st.one_of(from_schema(p["schema"]), st.text(max_size=30)))
    pairs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items() if v)
    return target + ("?" + pairs if pairs else "")


# -- the passes -------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@FUZZ
@given(data=st.data())
def test_generated_requests(env: Env, method: str, path: str, data: st.DataObject) -> None:
    """Schema-valid bodies, then one-field breakages, signed by a real member."""
    target = _target(env, method, path, data.draw)
    body = b""
    if "requestBody" in load_doc()["paths"][path][method]:
        value = data.draw(from_schema(_body_schema(method, path)))
        value = _real(env, method, path, value, data.draw)
        value = data.draw(mutated(value))
        body = json.dumps(value).encode()
    signer = None
    if path.startswith("/v1/team/"):
        signer = data.draw(st.sampled_from([env.admin, env.reviewer]))
    env.send(method, target, body, signer=signer)


RAW_BODIES = [
    b"", b"{", b"null", b"[]", b"1", b'"x"', b"\xff\xfe", b"\xef\xbb\xbf{}",
    b'{"a":1,"a":2}', b'{"size":NaN}', b'{"size":Infinity}', b'{"size":-Infinity}',
    b"[" * 9 + b"]" * 9, b'{"a":' * 9 + b"1" + b"}" * 9, b"[" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b'{"unknown":1}', b"\x00", b"{} {}",
    b'{"a":1}\x00', json.dumps({"x": "A" * 70_000}).encode(),
]
# Valid JSON the routes may still refuse in their own ways (or accept: {} is a
# no-op PATCH): only the answer's shape is checked.
ODD_BODIES = [b"{}", b'{"auth":"\\ud800","id":"\\udfff"}', b'{"size":1.0}', b'{"size":1e400}',
              b'{"size":-0}', b" {} ", b'{"\\u0000":1}']


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_broken_bodies(env: Env, method: str, path: str) -> None:
    """Non-JSON, duplicate keys, depth, NaN, BOM, unknown fields: 400s, signed or not."""
    target = path.replace("{case_id}", env.case_id).replace("{member_id}", env.admin.id)
    signer = env.admin if path.startswith("/v1/team/") else None
    for raw in RAW_BODIES:
        status, _, _ = env.send(method, target, raw, signer=signer,
                                headers={"Content-Type": "application/json"})
        assert status in (400, 413), (raw[:40], status)
    for raw in ODD_BODIES:
        env.send(method, target, raw, signer=signer, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_content_types_and_sizes(env: Env, method: str, path: str) -> None:
    """Wrong or missing content type 415; over the protocol §0 body limit 413."""
    target = path.replace("{case_id}", env.case_id).replace("{member_id}", env.admin.id)
    signer = env.admin if path.startswith("/v1/team/") else None
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/json5",
                  "application/json; charset=latin-1", None):
        status, _, _ = env.send(method, target, b"{}", signer=signer, content_type=ctype)
        assert status == 415, (ctype, status)
    status, _, _ = env.send(method, target, b'{"a":"' + b"A" * HUGE + b'"}', signer=signer)
    assert status == 413


@pytest.mark.parametrize("query", [
    "cursor=%25%25", "cursor=" + "A" * 300, "cursor=" + b64u_encode(b"[" * 5000),
    "cursor=" + b64u_encode(b'["2026-01-01"]'), "cursor=" + b64u_encode(b"{}"),
    "cursor=" + b64u_encode(b'[1, 2]'), "cursor=" + b64u_encode(b"\xff"), "cursor=LTU",
    "cursor=" + "9" * 5000, "cursor=%C3%A9", "cursor=AA%3D%3D", "status=nope", "status=",
    "status=received&cursor=" + b64u_encode(b'["9999-99-99", "c_"]'),
])
def test_bad_cursors_and_filters(env: Env, query: str) -> None:
    for path in ("/v1/team/cases", "/v1/team/audit"):
        env.send("get", f"{path}?{query}", signer=env.admin)


@pytest.mark.parametrize("since", ["", "-1", "1.5", "0x1", "9" * 10, "²", "\u0661", "%00", "1e3",
                                   "+1", " 1", "99999999"])
def test_bad_manifest_versions(env: Env, since: str) -> None:
    status, _, _ = env.send("get", "/v1/manifest?since=" + quote(since, safe="%"))
    assert status in (200, 400)


@pytest.mark.parametrize("value", ["c_x", "%2e%2e", "%00", "c_" + "A" * 23, "C_" + "A" * 22,
                                   "b_" + "A" * 22, "m_" + "A" * 20, "%F0%9F%92%A9" * 10])
def test_unknown_and_malformed_ids(env: Env, value: str) -> None:
    for method, path in OPERATIONS:
        if "{" not in path:
            continue
        target = path
        for name in PATH_IDS:
            target = target.replace("{" + name + "}", value)
        body = b"{}" if "requestBody" in load_doc()["paths"][path][method] else b""
        env.send(method, target, body, signer=env.admin)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(signature_input=st.one_of(st.text(max_size=300), st.just(
    'candor=("@method" "@path" "@query");created=1;nonce="x";keyid="m_x";alg="ed25519";'
    'tag="candor/v1"')), signature=st.text(max_size=200), digest=st.text(max_size=80),
       method_path=st.sampled_from([o for o in OPERATIONS if o[1].startswith("/v1/team/")]))
def test_garbage_signatures(env: Env, signature_input: str, signature: str, digest: str,
                            method_path: tuple[str, str]) -> None:
    method, path = method_path
    target = path.replace("{case_id}", env.case_id).replace("{blob_id}", env.blob_ids[0]) \
        .replace("{member_id}", env.admin.id).replace("{notice_id}", UNKNOWN["notice_id"])
    headers = {"Signature-Input": signature_input, "Signature": signature,
               "Content-Digest": digest}
    headers = {k: v for k, v in headers.items() if v.isprintable() and v.isascii()}
    body = b"{}" if "requestBody" in load_doc()["paths"][path][method] else b""
    status, _, _ = env.send(method, target, body, headers=headers)
    assert status == 401


# -- nothing half-written -----------------------------------------------------------------
def _stored(store: LocalCaseStore) -> tuple[int, int, list[str]]:
    """Cases, receipts and blob files in the local store."""
    with sqlite3.connect(store.layout.index) as db:
        cases = db.execute("SELECT count(*) FROM items WHERE pk = 'cases'").fetchone()[0]
        receipts = db.execute("SELECT count(*) FROM items WHERE pk LIKE 'receipt#%'").fetchone()[0]
    return cases, receipts, sorted(p.name for p in store.blobs.iterdir())


class _Hold:
    """A transport that keeps ``POST /v1/reports`` bodies instead of sending them."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.base_url, self.store = inner, inner.base_url, inner.store
        self.held: list[dict[str, Any]] = []

    def send(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        if target == "/v1/reports":
            self.held.append(json.loads(body))
            return 201, b'{"received":"2026-01-01","status":"received"}'
        return self.inner.send(method, target, headers, body)  # type: ignore[no-any-return]


def _refusals(api: Api, good: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    team = api.team
    from candor.age.keys import parse_identity
    from candor.keyfile import create_keyfile

    other = create_keyfile("http://x", "X25519")
    other_recipient = parse_identity(other.identities[0]).recipient().encode()
    announced = api.anonymous.call("POST", "/v1/attachments", {"size": 500}, signed=False)["id"]
    new_token = b64u_encode(os.urandom(32))
    fresh = {**good, "token_id": new_token}
    return [
        ({**fresh, "access": [team.by_name("Grace").id]}, 422),
        ({**fresh, "access": [team.admin.id, "m_" + "A" * 20]}, 422),
        ({**fresh, "access": []}, 422),
        ({**fresh, "report": b64u_encode(os.urandom(300))}, 422),
        ({**fresh, "sealed_identity": good["report"]}, 422),
        ({**fresh, "sealed_identity": b64u_encode(b"age-encryption.org/v1\n")}, 422),
        ({**fresh, "attachments": ["a_" + "A" * 22]}, 422),
        ({**fresh, "attachments": [announced]}, 422),
        ({**fresh, "reply_to": "not a recipient"}, 422),
        ({**fresh, "reply_to": other_recipient}, 422),
        ({**fresh, "token_id": new_token[:-1]}, 400),
        ({**fresh, "extra": 1}, 400),
        ({**fresh, "access": "m_x"}, 400),
        ({**fresh, "report": "A" * (-(-Limits().report * 4 // 3) + 4)}, 413),
    ]


def test_refused_submissions_write_nothing(local_api: Api) -> None:
    store: LocalCaseStore = local_api.store
    hold = _Hold(local_api.transport)
    submit(ApiClient(hold), local_api.team.manifest, FORM)
    [good] = hold.held
    send = local_api.transport.send
    for body, status in _refusals(local_api, good):
        answer, payload = send("POST", "/v1/reports", {"Content-Type": "application/json"},
                               json.dumps(body).encode())
        assert answer == status, (answer, payload, sorted(body))
    assert _stored(store) == (0, 0, [])

    raw = json.dumps(good).encode()
    assert send("POST", "/v1/reports", {"Content-Type": "application/json"}, raw)[0] == 201
    after = _stored(store)
    assert after[:2] == (1, 1) and len(after[2]) == 1
    retry = json.dumps({**good, "access": good["access"][:1]}).encode()
    assert send("POST", "/v1/reports", {"Content-Type": "application/json"}, retry)[0] == 409
    assert _stored(store) == after


@pytest.mark.parametrize(("index", "status"), [(0, 409), (1, 409), (2, 409), (-1, 409)])
def test_a_lost_race_removes_the_report_blob(local_api: Api, monkeypatch: pytest.MonkeyPatch,
                                              index: int, status: int) -> None:
    """The case write loses a race (its condition fails): the report blob
    written before it is deleted again."""
    store: LocalCaseStore = local_api.store
    hold = _Hold(local_api.transport)
    submit(ApiClient(hold), local_api.team.manifest, FORM)
    [good] = hold.held
    real: Callable[..., Any] = store.transact

    def losing(ops: Any) -> None:
        if any(getattr(op, "pk", None) == "cases" for op in ops):
            raise ConditionFailed(index)
        real(ops)

    monkeypatch.setattr(store, "transact", losing)
    answer, payload = local_api.transport.send(
        "POST", "/v1/reports", {"Content-Type": "application/json"}, json.dumps(good).encode())
    assert answer == status, payload
    assert _stored(store) == (0, 0, [])


# -- schemathesis over HTTP against candor serve ------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, team: Team) -> Iterator[Any]:
    from tests.support.live import start_live_server

    server = start_live_server(tmp_path_factory.mktemp("served"), team)
    try:
        yield server
    finally:
        server.stop()


def test_schemathesis_over_http(served: Any) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_path(str(DOC_PATH))
    schema.config.update(base_url=served.url)
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(operation.as_strategy(mode) for mode in GenerationMode))
        def run(case: Any) -> None:
            response = case.call(base_url=served.url, timeout=30)
            statuses.append(response.status_code)
            case.validate_response(response, checks=[
                not_a_server_error, status_code_conformance, content_type_conformance,
                response_headers_conformance, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # collect all operations' failures, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= 2 * len(OPERATIONS), statuses


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/v1/manifest"),
                                              ("GET", "/v1/reports"),
                                              ("PUT", "/v1/team/audit")])
def test_served_undocumented_methods_answer_in_the_spec_shape(served: Any, method: str,
                                                              path: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(served.url + path, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            status, headers, body = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, dict(exc.headers), exc.read()
    assert 400 <= status < 500
    assert headers.get("Cache-Control") == "no-store"
    error = json.loads(body)["error"]
    assert errors.STATUS[error["code"]] == status
