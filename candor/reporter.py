"""The reporter's side in Python: what the reporter page does, for tests,
benchmarks and scripted drills (protocol §3).

It follows the page's rules: it seals to the access recipients of a
manifest it was given, holds the next receipt before rotating, and checks
the case state and every message it shows.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from candor import documents, roster
from candor.client import ApiClient, ApiError
from candor.keyfile import identity_recipient
from candor.receipt import Receipt
from chalicelib.age.recipient_types import recipient_type
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.manifest import route_readers


@dataclass
class Evidence:
    name: str
    data: bytes
    type: str = "application/octet-stream"


@dataclass
class Submission:
    """What the reporter holds after submitting: the receipt and the state."""

    receipt: Receipt
    state: dict[str, Any]
    body: dict[str, Any] = field(repr=False)
    answer: dict[str, Any] = field(default_factory=dict)


def seal_evidence(
    api: ApiClient, files: Sequence[Evidence], recipients: Sequence[str]
) -> list[dict[str, Any]]:
    """Pad, seal and upload each file; the entries for the document's list."""
    entries = []
    for f in files:
        sealed = documents.seal_attachment(f.data, recipients)
        attachment_id = api.send_attachment(sealed)
        entries.append({"id": attachment_id, "name": f.name, "type": f.type,
                        "size": len(f.data), "sha256": hashlib.sha256(sealed).hexdigest()})
    return entries


def _today() -> date:
    return datetime.now(UTC).date()


def submit(
    api: ApiClient, manifest: Mapping[str, Any], form: Mapping[str, str], *,
    exclude: Sequence[str] = (), files: Sequence[Evidence] = (), lang: str = "en",
    today: date | None = None, filed: Mapping[str, Any] | None = None,
) -> Submission:
    """Seal and submit a report to the readers of its category but
    ``exclude``: every current member without routes; with routes, the
    category's route and every admin (protocol §4.5, Routes), as the page
    does, since the server refuses an ``access`` that fits no route.

    With ``filed`` (``source``, and ``drill`` if any), the member of ``api``
    files it for a caller instead (protocol §4.4, "Filing").

    Raises ManifestExpired (nothing sealed, nothing sent) when ``manifest``
    expired before ``today``."""
    roster.require_unexpired(manifest, today or _today())
    access = [m for m in route_readers(manifest, form.get("category")) if m not in exclude]
    recipients = roster.access_recipients(manifest, access)
    kind = recipient_type(recipients[0])
    identity = documents.new_reply_identity(kind)
    reply_to = identity_recipient(identity)
    seed = os.urandom(32)
    attachments = seal_evidence(api, files, [*recipients, reply_to])
    report = documents.seal_report(form, reply_to, seed, access, manifest["version"],
                                   attachments, recipients, lang)
    state = documents.new_case_state(identity, seed, access, manifest["version"], report)
    receipt = Receipt.generate()
    body = {
        "report": b64u_encode(report), "token_id": receipt.token_id,
        "sealed_identity": b64u_encode(documents.seal_case_state(state, receipt)),
        "reply_to": reply_to, "access": access, "attachments": [a["id"] for a in attachments],
    }
    if filed is not None:  # the team files it, signed (protocol §4.4, "Filing")
        body.update(filed)
        return Submission(receipt, state, body, api.call("POST", "/v1/team/reports", body))
    answer = api.call("POST", "/v1/reports", body, signed=False)
    return Submission(receipt, state, body, answer)


@dataclass
class Visit:
    """One follow-up visit: opened with ``old``, rotated to ``receipt``."""

    api: ApiClient
    receipt: Receipt
    visit: bytes
    status: dict[str, Any]
    state: dict[str, Any]

    def _auth(self) -> dict[str, str]:
        return {"auth": self.receipt.auth_b64, "visit": b64u_encode(self.visit)}

    def thread(self) -> dict[str, Any]:
        return dict(self.api.call("POST", "/v1/followup/thread", self._auth(), signed=False))

    def fetch(self, blob_id: str) -> dict[str, Any]:
        body = {**self._auth(), "id": blob_id}
        return dict(self.api.call("POST", "/v1/followup/fetch", body, signed=False))

    def read_messages(self, manifest: Mapping[str, Any]) -> list[tuple[dict[str, Any], bool]]:
        """Every message decrypted and checked: (document, verified)."""
        identities = [self.state["identity"]]
        report = self.read_report()
        out = []
        for meta in self.thread()["messages"]:
            sealed = b64u_decode(self.fetch(meta["id"])["sealed"])
            doc = documents.open_document(sealed, identities)
            keys = documents.author_keys(doc, manifest, report["reporter_key"])
            verdict = documents.check_message(doc, "message", doc.get("from", ""),
                                              report["reply_to"], keys, meta["id"])
            out.append((doc, verdict.ok))
        return out

    def read_report(self) -> dict[str, Any]:
        report_id = self.thread()["report"]["id"]
        sealed = b64u_decode(self.fetch(report_id)["sealed"])
        return documents.open_document(sealed, [self.state["identity"]])

    def send(self, text: str, prev: str | None = None,
             today: date | None = None) -> dict[str, Any]:
        """Seal a message to the case's members who are still members (the
        answer's ``dropped`` names the removed ones) and the reply key.
        Raises ManifestExpired when the manifest expired."""
        roster.require_unexpired(self.manifest, today or _today())
        report = self.read_report()
        seed = b64u_decode(self.state["sign"])
        doc = documents.new_message("message", report["reply_to"], "reporter", None, prev,
                                    text, [], seed)
        access, dropped = roster.recipients_for_access(self.manifest, self.state["access"])
        sealed = documents.seal_document(doc, [*access, report["reply_to"]])
        body = {**self._auth(), "id": doc["id"], "message": b64u_encode(sealed),
                "attachments": []}
        answer = self.api.call("POST", "/v1/followup/messages", body, signed=False)
        return {**answer, "dropped": dropped}

    manifest: Mapping[str, Any] = field(default_factory=dict)


def follow_up(api: ApiClient, old: Receipt, manifest: Mapping[str, Any]) -> Visit:
    """Open with ``old``, make and "save" the next receipt, rotate (protocol §3.3).

    Raises ApiError (404 ``receipt_unknown`` when ``old`` is not current).
    """
    status = api.call("POST", "/v1/followup/open", {"auth": old.auth_b64}, signed=False)
    state = documents.open_case_state(b64u_decode(status["sealed_identity"]), old)
    new = Receipt.generate()
    visit = os.urandom(32)
    sealed = documents.seal_case_state(state, new)
    if documents.open_case_state(sealed, new) != state:
        raise ValueError("the new case state does not match")
    api.call("POST", "/v1/followup/rotate", {
        "auth": old.auth_b64, "token_id": new.token_id,
        "sealed_identity": b64u_encode(sealed),
        "visit": b64u_encode(hashlib.sha256(visit).digest()),
    }, signed=False)
    return Visit(api, new, visit, status, state, manifest)


ManifestExpired = roster.ManifestExpired

__all__ = ["ApiError", "Evidence", "ManifestExpired", "Submission", "Visit", "follow_up", "submit"]
