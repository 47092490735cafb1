"""What a team member does, in Python: the logic behind ``candor`` team
commands and the console's twin (protocol §2.3, §2.4, §4.4-§4.6).

Keys are trusted only through the manifest chain from an anchor (the
built-in ``frontend/manifest.json`` or ``--manifest FILE``). Decryption and
signing happen here, never in the server; every message and note shown has
its signature checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from candor import documents, grants, roster
from candor.client import ApiClient, ApiError
from candor.keyfile import KeyFile
from chalicelib import manifest as mf
from chalicelib import manifest_status
from chalicelib.b64 import b64u_decode, b64u_encode


class TeamError(Exception):
    """Something a member must see and act on (one line)."""


class ManifestExpired(TeamError, roster.ManifestExpired):
    """Writing refused: the team's manifest expired (protocol §4.5)."""


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass
class Session:
    """A member's API client and the verified current manifest, which may
    have expired: reading and verifying go on, writing stops (protocol §4.5)."""

    api: ApiClient
    key: KeyFile
    anchor: Mapping[str, Any]
    today: Callable[[], date] = _today
    manifest: mf.Manifest = field(init=False)

    def __post_init__(self) -> None:
        self.manifest = self.refresh_manifest()

    def refresh_manifest(self) -> mf.Manifest:
        """Follow the chain from the anchor (protocol §4.5). Raises TeamError."""
        later = self.api.call("GET", "/v1/manifest", query={"since": str(self.anchor["version"])},
                              signed=False)["manifests"]
        try:
            return manifest_status.chain_status(self.anchor, later, today=self.today()).manifest
        except mf.ManifestInvalid as exc:
            fix = ": take the new manifest (the new build, or --manifest FILE)" \
                if "re-anchor" in exc.reason else ""
            raise TeamError(f"the server's manifest chain does not verify: {exc.reason}{fix}") \
                from None

    @property
    def expired(self) -> bool:
        return manifest_status.days_left(self.manifest, self.today()) < 0

    @property
    def warning(self) -> str | None:
        """The one line every command shows from 30 days before expiry."""
        return manifest_status.expiry_warning(self.manifest, self.today())

    def require_unexpired(self) -> None:
        """Raise ManifestExpired before anything is encrypted to the team."""
        try:
            roster.require_unexpired(self.manifest, self.today())
        except roster.ManifestExpired as exc:
            raise ManifestExpired(str(exc)) from None

    def get(self, path: str, **query: str) -> Any:
        return self.api.call("GET", path, query=query)


@dataclass
class Shown:
    """A decrypted message or note and whether it may be trusted."""

    meta: dict[str, Any]
    doc: dict[str, Any] | None
    ok: bool
    reason: str | None = None
    hash: str | None = None  # blob_hash of the sealed message, for `prev`


@dataclass
class CaseView:
    case: dict[str, Any]
    report: dict[str, Any]
    report_sealed: bytes = field(repr=False)
    messages: list[Shown]
    notes: list[Shown]
    warnings: list[str]

    @property
    def gaps(self) -> set[int]:
        """Indexes of messages that follow a withheld one (protocol §2.2)."""
        return documents.find_gaps(
            [{"seq": m.meta["seq"], "hash": m.hash, "doc": m.doc} for m in self.messages])


def open_reports(
    s: Session, case_ids: Sequence[str]
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each case's report answer and its decrypted document (None when this
    member cannot read it), with one audited request per 50 cases
    (``GET /v1/team/reports``). Raises ApiError, TeamError."""
    ids = list(case_ids)
    while ids:
        batch, ids = ids[:50], ids[50:]
        answer = s.get("/v1/team/reports", cases=",".join(batch))
        for r in answer["reports"]:
            doc: dict[str, Any] | None
            try:
                doc = documents.open_document(grants.readable(r)[1], s.key.identities)
            except (documents.DocumentUnreadable, documents.DocumentInvalid):
                doc = None
            yield r, doc
        ids = list(answer["more"]) + ids
        if answer["more"] and not answer["reports"]:
            raise TeamError("the server returned no report")


def report_summaries(s: Session, cases: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each case's decrypted one-line summary (or why not)."""
    return {r["case"]: "(cannot be decrypted)" if doc is None
            else str(doc.get("form", {}).get("summary", ""))
            for r, doc in open_reports(s, [c["id"] for c in cases])}


def _sealed(s: Session, case_id: str, blob_id: str) -> tuple[bytes, bytes]:
    """A blob as stored, and as this member decrypts it (``grants.readable``)."""
    return grants.readable(s.get(f"/v1/team/cases/{case_id}/blobs/{blob_id}"))


def read_case(s: Session, case_id: str) -> CaseView:
    """Decrypt a case; check the report against the stored case and every
    message and note's signature. Raises TeamError when it cannot decrypt."""
    case = s.get(f"/v1/team/cases/{case_id}")
    sealed, mine = _sealed(s, case_id, case["report"]["id"])
    try:
        report = documents.open_document(mine, s.key.identities)
    except (documents.DocumentUnreadable, documents.DocumentInvalid) as exc:
        raise TeamError(f"cannot open the report: {type(exc).__name__}") from None
    warnings = consistency_warnings(s, case, report)
    shown = {kind: [_show(s, case, report, kind, meta) for meta in case[f"{kind}s"]]
             for kind in ("message", "note")}
    return CaseView(case, report, sealed, shown["message"], shown["note"], warnings)


def consistency_warnings(
    s: Session, case: Mapping[str, Any], report: Mapping[str, Any]
) -> list[str]:
    """What the stored case says that the sealed report does not (protocol §4.5)."""
    warnings = []
    verdict = documents.check_report(report, case["reply_to"])
    if not verdict.ok:
        warnings.append(f"report: {verdict.reason}")
    chain = s.api.call("GET", "/v1/manifest", signed=False)["manifests"]
    # Grants and revocations change the stored list (protocol §4.4): it must
    # name only members the report or a verified grant puts on the case.
    left_out = grants.excluded(report, chain) or set()
    warnings += [f"{ACCESS_PROBLEM}: {problem}"
                 for problem in grants.access_problems(case, report, s.manifest, left_out)]
    changed = _rotated_since(s, chain, report.get("manifest"), case["access"])
    warnings += [f"{name} changed keys since this report was sealed" for name in changed]
    return warnings


ACCESS_PROBLEM = "the stored access list"


def _rotated_since(
    s: Session, chain: Sequence[Mapping[str, Any]], version: object, access: Sequence[str]
) -> list[str]:
    if not isinstance(version, int) or version == s.manifest["version"]:
        return []
    then = next((m for m in chain if m["version"] == version), None)
    if then is None:
        return []
    old = {m["id"]: m for m in then["members"]}
    return [m["name"] for m in s.manifest["members"] if m["id"] in access and m["id"] in old
            and (m["recipient"], m["signing_key"]) !=
            (old[m["id"]]["recipient"], old[m["id"]]["signing_key"])]


def _show(s: Session, case: Mapping[str, Any], report: Mapping[str, Any], kind: str,
          meta: dict[str, Any]) -> Shown:
    sealed, mine = _sealed(s, case["id"], meta["id"])
    digest = documents.blob_hash(sealed)
    try:
        doc = documents.open_document(mine, s.key.identities)
    except (documents.DocumentUnreadable, documents.DocumentInvalid):
        return Shown(meta, None, False, "cannot be decrypted", digest)
    keys = documents.author_keys(doc, s.manifest, report.get("reporter_key", ""))
    verdict = documents.check_message(doc, kind, meta["from"], case["reply_to"], keys, meta["id"])
    return Shown(meta, doc, verdict.ok, verdict.reason, digest)


def _recipients(s: Session, view: CaseView, kind: str) -> roster.Recipients:
    try:
        access = roster.recipients_for_access(s.manifest, view.case["access"])
    except ValueError as exc:
        raise TeamError(str(exc)) from None
    if kind != "message":
        return access
    return roster.Recipients([*access.recipients, view.case["reply_to"]], access.dropped)


def write(s: Session, view: CaseView, kind: str, text: str,
          files: Sequence[tuple[str, str, bytes]] = (), *, only_after: bool = False
          ) -> dict[str, Any]:
    """Sign, seal and post a reply (``message``) or a ``note``; the answer's
    ``dropped`` lists the removed members it was not sealed to. With
    ``only_after`` the server stores it only while the case holds no newer
    one of its kind than ``view`` showed (``after``, protocol §4.4; else 409
    ``thread_moved``, nothing stored). Refused when
    the stored case and the sealed report disagree (protocol §4.5), and
    (ManifestExpired) when the team's manifest expired."""
    if any(w.startswith(("report:", ACCESS_PROBLEM)) for w in view.warnings):
        raise TeamError("refusing to write: the stored case does not match the sealed report")
    s.require_unexpired()
    recipients, dropped = _recipients(s, view, kind)
    attachments = [_upload(s, name, ctype, data, recipients) for name, ctype, data in files]
    thread = [{"ok": m.ok, "hash": m.hash} for m in view.messages]
    prev = documents.previous_message(thread) if kind == "message" else None
    doc = documents.new_message(kind, view.case["reply_to"], "team", s.key.member, prev, text,
                                attachments, s.key.signing_seed)
    sealed = documents.seal_document(doc, recipients)
    body = {"id": doc["id"], kind: b64u_encode(sealed),
            "attachments": [a["id"] for a in attachments]}
    if only_after:
        body["after"] = len(view.case[f"{kind}s"])
    answer = s.api.call("POST", f"/v1/team/cases/{view.case['id']}/{kind}s", body)
    return {**answer, "dropped": dropped}


def _upload(s: Session, name: str, ctype: str, data: bytes,
            recipients: Sequence[str]) -> dict[str, Any]:
    sealed = documents.seal_attachment(data, recipients)
    attachment_id = s.api.send_attachment(sealed)  # in parts when large (protocol §4.2)
    return documents.attachment_entry(attachment_id, name, ctype, len(data), sealed)


def attachment(s: Session, case_id: str, entry: Mapping[str, Any]) -> bytes:
    """Download, check against its hash, decrypt. Raises TeamError."""
    answer = s.get(f"/v1/team/cases/{case_id}/blobs/{entry['id']}")
    header = answer.get("header")
    try:
        return documents.open_attachment(
            s.api.download(answer["url"]), s.key.identities, entry,
            header=b64u_decode(header) if isinstance(header, str) else None)
    except (documents.DocumentUnreadable, documents.DocumentInvalid) as exc:
        raise TeamError(f"attachment {entry['id']}: {exc}") from None



# -- proposals: the next manifest while admins sign it (protocol §4.5) ---------------------
def propose(s: Session, unsigned: mf.Manifest, *, replace: bool = False) -> dict[str, Any]:
    """Sign ``unsigned`` (the next version) and store it for the other
    admins (``PUT /v1/team/manifest/proposal``); publish it at once when this
    signature alone reaches the threshold. The answer says who ``signed``,
    how many are ``missing``, and whether it was ``published``."""
    signed = roster.sign_manifest(unsigned, s.key.member, s.key.signing_seed)
    answer = s.api.call("PUT", "/v1/team/manifest/proposal",
                        {"manifest": signed, "replace": replace})
    return _publish_when_complete(s, dict(answer))


def pending_proposal(s: Session) -> dict[str, Any] | None:
    """The proposal waiting for signatures (``manifest``, ``signed``,
    ``missing``), checked as the successor of the current manifest, or None."""
    try:
        answer = dict(s.get("/v1/team/manifest/proposal"))
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    try:
        mf.verify_proposal(s.manifest, answer["manifest"], s.today())
    except mf.ManifestInvalid as exc:
        raise TeamError(f"the waiting proposal does not verify: {exc.reason}") from None
    return answer


def sign_proposal(s: Session) -> dict[str, Any]:
    """Add this admin's signature to the waiting proposal (show
    ``roster.manifest_diff(s.manifest, pending["manifest"])`` first), and
    publish it when the threshold is reached. Raises TeamError."""
    waiting = pending_proposal(s)
    if waiting is None:
        raise TeamError("no proposal is waiting for signatures")
    manifest = waiting["manifest"]
    if s.key.member in waiting["signed"]:
        return _publish_when_complete(s, waiting)
    unsigned = mf.parse_manifest({**manifest, "sigs": []})
    mine = roster.sign_manifest(unsigned, s.key.member, s.key.signing_seed)["sigs"]
    answer = s.api.call("PUT", "/v1/team/manifest/proposal",
                        {"manifest": {**manifest, "sigs": [*manifest["sigs"], *mine]}})
    return _publish_when_complete(s, dict(answer))


def _publish_when_complete(s: Session, answer: dict[str, Any]) -> dict[str, Any]:
    published = answer["missing"] == 0
    if published:
        s.api.call("PUT", "/v1/team/manifest", answer["manifest"])
        s.manifest = s.refresh_manifest()
    return {**answer, "published": published}
