"""The client-side ledger of a load run (``bench/load_reconcile.py``
reconciles it with what the server stored).

The ledger is built from the requests the server acknowledged (2xx), in the
order each worker sent them: a report's token, its rotations, messages,
uploads, and the signed team requests the audit chain must record
(protocol §4.6). Requests whose fate is unknown (no answer, or a 5xx) may or
may not have been applied, so what they would write is allowed, never
required.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from load_traffic import ReporterCase, Sent, route_of

from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain.audit import derive
from chalicelib.httpsig import RequestView, SignatureRefused, parse_signature_input

_ATTACHMENT_ID = re.compile(r"a_[A-Za-z0-9_-]{22}$")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def token_of(auth_b64: str) -> str:
    """The token id a receipt's ``auth`` proves (protocol §3.3)."""
    return b64u_encode(hashlib.sha256(b64u_decode(auth_b64)).digest())


@dataclass
class CaseLedger:
    """One report as its reporter saw it acknowledged."""

    tokens: list[str]  # the submission's, then each acknowledged rotation's
    report_sha: str
    sealed_identity: str
    attachments: list[str]
    messages: dict[str, str] = field(default_factory=dict)  # entry id -> sha256 of sealed
    maybe_token: str | None = None  # a rotation whose answer never came
    maybe_identity: str | None = None
    keeper: ReporterCase | None = None  # the reporter's receipt and visit secret


@dataclass
class Audited:
    nonce: str
    action: str
    case: str | None


@dataclass
class Ledger:
    cases: list[CaseLedger] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # attachment id -> sha256
    team_messages: dict[tuple[str, str], str] = field(default_factory=dict)
    audited: list[Audited] = field(default_factory=list)
    maybe_tokens: set[str] = field(default_factory=set)  # submissions of unknown fate
    maybe_reports: set[str] = field(default_factory=set)  # their reports' sha256
    maybe_entries: set[str] = field(default_factory=set)  # messages of unknown fate
    unmatched: list[str] = field(default_factory=list)  # acknowledged, yet impossible

    def entry_ids(self) -> set[str]:
        """Every message id a stored entry may have: acknowledged or unknown."""
        return ({i for c in self.cases for i in c.messages}
                | {i for _, i in self.team_messages} | self.maybe_entries)

    def writes(self) -> int:
        return (len(self.cases) + sum(len(c.tokens) - 1 + len(c.messages) for c in self.cases)
                + len(self.uploads) + len(self.team_messages))


def _json(sent: Sent) -> dict[str, Any]:
    try:
        body = json.loads(sent.body) if sent.body else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def build_ledger(acked: Sequence[Sent], uncertain: Sequence[Sent],
                 kept: Iterable[ReporterCase]) -> Ledger:
    ledger, by_token = Ledger(), dict[str, CaseLedger]()
    for sent in acked:
        body, route = _json(sent), route_of(sent.method, sent.target)
        if route == "POST /v1/reports":
            case = CaseLedger([body["token_id"]], _sha(b64u_decode(body["report"])),
                              body["sealed_identity"], list(body["attachments"]))
            ledger.cases.append(case)
            by_token[body["token_id"]] = case
        elif route in ("POST /v1/followup/rotate", "POST /v1/followup/messages") \
                and token_of(body["auth"]) not in by_token:
            ledger.unmatched.append(f"{route} acknowledged for a receipt that no "
                                    "acknowledged submission or rotation issued")
        elif route == "POST /v1/followup/rotate":
            case = by_token[token_of(body["auth"])]
            case.tokens.append(body["token_id"])
            case.sealed_identity = body["sealed_identity"]
            by_token[body["token_id"]] = case
        elif route == "POST /v1/followup/messages":
            by_token[token_of(body["auth"])].messages[body["id"]] = _sha(
                b64u_decode(body["message"]))
        elif route.endswith("/messages") and route.startswith("POST /v1/team/cases/"):
            case_id = sent.target.split("/")[4]
            ledger.team_messages[(case_id, body["id"])] = _sha(b64u_decode(body["message"]))
        elif sent.method == "PUT" and (m := _ATTACHMENT_ID.search(urlsplit(sent.target).path)):
            ledger.uploads[m.group(0)] = _sha(sent.body)
        audited = _audited(sent)
        if audited is not None:
            ledger.audited.append(audited)
    _add_uncertain(ledger, by_token, uncertain)
    for keeper in kept:
        if keeper.receipt.token_id in by_token:
            by_token[keeper.receipt.token_id].keeper = keeper
    return ledger


def _add_uncertain(ledger: Ledger, by_token: Mapping[str, CaseLedger],
                   uncertain: Sequence[Sent]) -> None:
    for sent in uncertain:
        body, route = _json(sent), route_of(sent.method, sent.target)
        if route == "POST /v1/reports":
            ledger.maybe_tokens.add(body.get("token_id", ""))
            if isinstance(body.get("report"), str):
                ledger.maybe_reports.add(_sha(b64u_decode(body["report"])))
        elif route == "POST /v1/followup/rotate" and token_of(body["auth"]) in by_token:
            case = by_token[token_of(body["auth"])]
            case.maybe_token, case.maybe_identity = body["token_id"], body["sealed_identity"]
        elif route.endswith("/messages") and "id" in body:
            ledger.maybe_entries.add(body["id"])


def _audited(sent: Sent) -> Audited | None:
    """The audit entry an acknowledged signed request must have (protocol §4.6)."""
    if "Signature-Input" not in sent.headers:
        return None
    try:
        params = parse_signature_input(RequestView(sent.method, "", {}, dict(sent.headers)))
    except SignatureRefused:
        return None
    parts = urlsplit(sent.target)
    derived = derive({"@method": sent.method, "@path": parts.path, "@query": "?" + parts.query},
                     params.keyid)
    return None if derived is None else Audited(params.nonce, *derived)
