"""A throwaway stand-in for `candor serve`: the static site with its
headers.json, and an in-memory version of the reporter routes of SPEC §4.2.
Only for testing the pages before the real server lands; it checks the
request shapes the pages send, not the server's own rules."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_id(auth: str) -> str:
    return b64u(hashlib.sha256(unb64u(auth)).digest())


@dataclass
class Case:
    token_id: str
    sealed_identity: str
    access: list[str]
    report: bytes
    report_id: str
    attachments: list[str]
    visit: str | None = None
    retired: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: str = "received"


@dataclass
class FakeApi:
    site: Path
    manifests: list[dict[str, Any]]
    cases: dict[str, Case] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def case_by_auth(self, auth: Any) -> Case | None:
        if not isinstance(auth, str):
            return None
        tid = token_id(auth)
        return next((c for c in self.cases.values() if c.token_id == tid), None)

    def today(self) -> str:
        return dt.datetime.now(dt.UTC).date().isoformat()

    def add_team_message(self, case: Case, sealed: bytes, msg_id: str) -> None:
        case.messages.append(
            {"id": msg_id, "from": "team", "sealed": sealed, "day": self.today(), "attachments": []}
        )
        case.status = "acknowledged"


def make_handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    headers = json.loads((api.site / "headers.json").read_text())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # no access log, as in production
            pass

        def send(
            self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for k, v in {**headers, **(extra or {})}.items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def json(self, status: int, obj: Any) -> None:
            self.send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

        def error(self, status: int, code: str) -> None:
            self.json(status, {"error": {"code": code, "message": code}})

        def body(self) -> Any:
            n = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(n)

        def do_GET(self) -> None:
            api.requests.append(("GET", self.path))
            path = self.path.split("?")[0]
            if path == "/v1/manifest":
                since = int(self.path.split("since=")[1]) if "since=" in self.path else 0
                self.json(200, {"manifests": [m for m in api.manifests if m["version"] > since]})
                return
            if path.startswith("/v1/downloads/"):
                up = api.uploads.get(path.rsplit("/", 1)[1])
                if not up or up["data"] is None:
                    self.error(404, "not_found")
                else:
                    self.send(200, up["data"], "application/octet-stream")
                return
            if path == "/":
                path = "/index.html"
            file = (api.site / path.lstrip("/")).resolve()
            if api.site.resolve() not in file.parents or not file.is_file():
                self.send(404, b"not found", "text/plain")
                return
            self.send(200, file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))

        def do_PUT(self) -> None:
            api.requests.append(("PUT", self.path))
            data = self.body()
            if api.fail_next.get("upload", 0) > 0:
                api.fail_next["upload"] -= 1
                self.error(503, "unavailable")
                return
            up = api.uploads.get(self.path.rsplit("/", 1)[1])
            if not up or up["data"] is not None or len(data) != up["size"]:
                self.error(403, "forbidden")
                return
            if self.headers.get("Content-Type") != "application/octet-stream":
                self.error(403, "forbidden")
                return
            up["data"] = data
            self.send(200, b"", "text/plain")

        def do_POST(self) -> None:
            api.requests.append(("POST", self.path))
            try:
                req = json.loads(self.body())
            except ValueError:
                self.error(400, "malformed")
                return
            with api.lock:
                self.route(req)

        def route(self, req: dict[str, Any]) -> None:
            p = self.path
            if p == "/v1/attachments":
                aid = "a_" + b64u(secrets.token_bytes(16))
                api.uploads[aid] = {"size": req["size"], "data": None}
                self.json(
                    201,
                    {
                        "id": aid,
                        "upload": {
                            "method": "PUT",
                            "url": f"/v1/uploads/{aid}",
                            "headers": {"Content-Type": "application/octet-stream"},
                        },
                    },
                )
            elif p == "/v1/reports":
                assert set(req) == {
                    "report",
                    "token_id",
                    "sealed_identity",
                    "reply_to",
                    "access",
                    "attachments",
                }
                for aid in req["attachments"]:
                    if api.uploads.get(aid, {}).get("data") is None:
                        self.error(422, "attachment_missing")
                        return
                cid = "c_" + b64u(secrets.token_bytes(16))
                api.cases[cid] = Case(
                    req["token_id"],
                    req["sealed_identity"],
                    req["access"],
                    unb64u(req["report"]),
                    "b_" + b64u(secrets.token_bytes(16)),
                    req["attachments"],
                )
                self.json(201, {"received": api.today(), "status": "received"})
            elif p == "/v1/followup/open":
                case = api.case_by_auth(req.get("auth"))
                if not case:
                    self.error(404, "receipt_unknown")
                    return
                self.json(
                    200,
                    {
                        "status": case.status,
                        "received": api.today(),
                        "updated": api.today(),
                        "acknowledge_by": api.today(),
                        "feedback_by": api.today(),
                        "sealed_identity": case.sealed_identity,
                    },
                )
            elif p == "/v1/followup/rotate":
                case = api.case_by_auth(req.get("auth"))
                if not case:
                    self.error(404, "receipt_unknown")
                    return
                case.retired.append(case.token_id)
                case.token_id, case.sealed_identity, case.visit = (
                    req["token_id"],
                    req["sealed_identity"],
                    req["visit"],
                )
                self.json(200, {})
            else:
                self.visit_route(p, req)

        def visit_route(self, p: str, req: dict[str, Any]) -> None:
            case = api.case_by_auth(req.get("auth"))
            if not case:
                self.error(404, "receipt_unknown")
                return
            if (
                case.visit is None
                or b64u(hashlib.sha256(unb64u(req.get("visit", ""))).digest()) != case.visit
            ):
                self.error(409, "rotate_first")
                return
            if p == "/v1/followup/thread":
                self.json(
                    200,
                    {
                        "report": {"id": case.report_id, "size": len(case.report)},
                        "messages": [
                            {
                                "id": m["id"],
                                "seq": i + 1,
                                "from": m["from"],
                                "day": m["day"],
                                "size": len(m["sealed"]),
                                "attachments": m["attachments"],
                            }
                            for i, m in enumerate(case.messages)
                        ],
                    },
                )
            elif p == "/v1/followup/fetch":
                if req["id"] == case.report_id:
                    self.json(200, {"sealed": b64u(case.report)})
                elif req["id"] in api.uploads:
                    self.json(200, {"url": f"/v1/downloads/{req['id']}"})
                else:
                    m = next((m for m in case.messages if m["id"] == req["id"]), None)
                    if m is None:
                        self.error(404, "not_found")
                    else:
                        self.json(200, {"sealed": b64u(m["sealed"])})
            elif p == "/v1/followup/messages":
                case.messages.append(
                    {
                        "id": req["id"],
                        "from": "reporter",
                        "sealed": unb64u(req["message"]),
                        "day": api.today(),
                        "attachments": [
                            {"id": a, "size": api.uploads[a]["size"]} for a in req["attachments"]
                        ],
                    }
                )
                self.json(201, {"id": req["id"], "seq": len(case.messages), "day": api.today()})
            else:
                self.error(404, "not_found")

    return Handler


def serve(api: FakeApi) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
