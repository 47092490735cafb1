"""Access after submission, the client side (protocol §4.4 "Grants").

A member on a case gives another member access by wrapping each blob's
file key anew: for every blob of the case (report, messages, notes and every
attachment) a whole new age header with one stanza, for the new member, and
the header MAC under the same file key. The blobs never change; the new
member's client reads a blob as that header followed by the blob's own
payload (the nonce and the STREAM chunks after the original header), which
is a valid age v1 file because the header MAC covers exactly the header's
own stanzas. It costs one header per blob whatever the blob's size: an
attachment's head is read, never the whole of it.

Who is on a case is proven, not taken from the server: the report's
``access``, plus each member a signed grant document names, granted by a
member already proven. A reporter's exclusion holds for good: clients
refuse to grant a member the report's manifest listed and ``access`` left
out, as the server does.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qs, urljoin, urlsplit

from candor import documents
from candor.age.api import Identity
from candor.age.keys import parse_identity, parse_recipient
from candor.age.primitives import check_header_mac, header_mac
from candor.client import TIMEOUT
from candor.roster import member_public_keys
from chalicelib import signing
from chalicelib.age.errors import AgeError
from chalicelib.age.format import (
    Header,
    b64encode,
    encode_header_without_mac,
    parse_header,
    read_header,
)
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain.grants import grant_document_problem
from chalicelib.manifest import INTAKE, reporter_exclusions

if TYPE_CHECKING:
    from candor.teamops import Session

class GrantError(Exception):
    """A grant this client refuses to make; the message says why, in one line."""

CANNOT_UNREAD = ("what they already read stays read: revoking only stops what is "
                 "written from now on")


# -- the header ------------------------------------------------------------------
def _file_key(header: Header, identities: documents.Identities) -> bytes:
    parsed: list[Identity] = [parse_identity(i) if isinstance(i, str) else i
                              for i in identities]
    for identity in parsed:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            check_header_mac(file_key, header.mac_input, header.mac)
            return file_key
    raise AgeError()


def grant_header(head: bytes, identities: documents.Identities, recipient: str) -> bytes:
    """The age header that gives ``recipient`` the blob whose header (as this
    member reads it: the blob's own, or this member's grant header) starts
    ``head``. Raises DocumentUnreadable when this member cannot open it."""
    try:
        file_key = _file_key(parse_header(head), identities)
    except AgeError:
        raise documents.DocumentUnreadable("the blob cannot be decrypted with these keys") \
            from None
    mac_input = encode_header_without_mac(parse_recipient(recipient).wrap(file_key))
    return mac_input + b" " + b64encode(header_mac(file_key, mac_input)) + b"\n"


def assemble(header: bytes, sealed: bytes) -> bytes:
    """The age file a granted member decrypts: ``header``, then ``sealed``'s
    payload after its own header. Raises DocumentUnreadable for a blob
    without a valid header (a bad ``header`` fails when decrypting)."""
    return documents.with_header(header, sealed)


def readable(answer: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """A blob answer's sealed bytes as stored (what hashes and ``prev``
    name) and as this member decrypts them (with its grant header, if the
    answer carries one)."""
    sealed = b64u_decode(answer["sealed"])
    header = answer.get("header")
    return sealed, assemble(b64u_decode(header), sealed) if isinstance(header, str) else sealed


# -- who is on the case ----------------------------------------------------------------
def new_grant(reply_to: str, member: str, by: str, seed: bytes) -> dict[str, Any]:
    """The signed grant document (protocol §4.4): ``by`` gives ``member`` the
    case whose ``reply_to`` it names."""
    doc = {"v": 1, "type": "grant", "case": documents.case_hash(reply_to), "member": member,
           "by": by}
    return signing.sign_document(doc, seed)


def proven_access(
    report: Mapping[str, Any], reply_to: str, grants: Sequence[Mapping[str, Any]],
    manifest: Mapping[str, Any],
) -> set[str]:
    """The report's ``access`` and every member a valid grant names, granted
    by a member proven before it: a server cannot add a reader, as it can
    sign no grant document."""
    proven = {m for m in report.get("access", []) if isinstance(m, str)}
    pending = [g for g in grants if isinstance(g, Mapping)]
    while True:
        found = [g for g in pending if g.get("by") in proven and _valid(g, reply_to, manifest)]
        if not found:
            return proven
        proven.update(g["member"] for g in found)
        pending = [g for g in pending if g not in found]


def _valid(grant: Mapping[str, Any], reply_to: str, manifest: Mapping[str, Any]) -> bool:
    doc = grant.get("grant")
    if grant_document_problem(doc, reply_to, grant.get("member", ""), grant.get("by", "")):
        return False
    keys = member_public_keys(manifest, str(grant["by"]))
    return signing.verify_document(doc, keys)


def excluded(
    report: Mapping[str, Any], manifests: Iterable[Mapping[str, Any]]
) -> set[str] | None:
    """Whom the reporter excluded: the readers of the report's category in
    the manifest version it was sealed with (every current member without
    routes) that its ``access`` left out (protocol §4.5, Routes). A member
    outside the route was never offered the report, so may be granted it:
    escalation beyond the route is a grant. None when that version is
    unknown here."""
    version = report.get("manifest")
    then = next((m for m in manifests if m.get("version") == version), None)
    if then is None:
        return None
    form = report.get("form")
    category = form.get("category") if isinstance(form, Mapping) else None
    return reporter_exclusions(then, report.get("access", []), category)


def access_problems(
    case: Mapping[str, Any], report: Mapping[str, Any], manifest: Mapping[str, Any],
    left_out: set[str],
) -> list[str]:
    """What the stored access list says that the report and the grants do
    not prove (protocol §4.5): a client writes nothing to such a case."""
    proven = proven_access(report, case["reply_to"], case.get("grants", []), manifest)
    problems = [f"{m} is on the case without a grant that verifies"
                for m in case["access"] if m not in proven]
    problems += [f"{m} was excluded by the reporter but is on the case"
                 for m in case["access"] if m in left_out]
    return problems


def check_grantable(
    case: Mapping[str, Any], member: str, manifest: Mapping[str, Any], left_out: set[str]
) -> dict[str, Any]:
    """The member's manifest entry, if this member may be granted the case.
    Raises GrantError with the reason."""
    if member in left_out:
        raise GrantError(f"{member} was excluded by the reporter: nobody can be given "
                         "access they were denied")
    entry = next((m for m in manifest["members"] if m["id"] == member), None)
    if entry is None or entry["removed"]:
        raise GrantError(f"{member} is not a current member in the manifest")
    if entry["role"] == INTAKE:  # files reports, reads none (protocol §4.5, Roles)
        raise GrantError(f"{member} is an intake member, who reads no case")
    granted = {g["member"] for g in case.get("grants", [])}
    if member in case["access"] and member not in granted:
        raise GrantError(f"{member} is on the case already")
    return dict(entry)


# -- the heads of blobs --------------------------------------------------------------
def attachment_head(api: Any, answer: Mapping[str, Any]) -> bytes:
    """The header this member reads an attachment with: its grant header,
    or the stored blob's own, read from the start of the download and no
    further (the download is closed after the header)."""
    if isinstance(answer.get("header"), str):
        return b64u_decode(answer["header"])
    url = answer["url"]
    if url.startswith("/"):
        url = urljoin(api.transport.base_url, url)
    store = getattr(api.transport, "store", None)
    if store is not None and hasattr(store, "open_download"):  # in-process, local store
        parts = urlsplit(url)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with store.open_download(parts.path.rsplit("/", 1)[-1], int(q["expires"]),
                                 q["sig"]) as f:
            return _read_head(f)
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("not an http(s) URL")
    with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:  # noqa: S310 -- http(s) only
        return _read_head(resp)


def _read_head(src: BinaryIO) -> bytes:
    try:
        header, _ = read_header(src)
    except AgeError:
        raise documents.DocumentUnreadable("the attachment has no valid age header") from None
    return header.mac_input + b" " + b64encode(header.mac) + b"\n"


def encode_headers(headers: Mapping[str, bytes]) -> dict[str, str]:
    return {blob_id: b64u_encode(h) for blob_id, h in headers.items()}


# -- the operations (a member's session) -------------------------------------------------
def _session_reads(s: Session, case_id: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """The case, its decrypted report and the report as this member reads it."""
    case = s.get(f"/v1/team/cases/{case_id}")
    _, report_readable = readable(s.get(f"/v1/team/cases/{case_id}/blobs/{case['report']['id']}"))
    try:
        report = documents.open_document(report_readable, s.key.identities)
    except (documents.DocumentUnreadable, documents.DocumentInvalid):
        raise GrantError("cannot open the report: nothing to grant from") from None
    return case, report, report_readable


def _heads(s: Session, case: Mapping[str, Any], report_readable: bytes) -> dict[str, bytes]:
    """The header of every blob of the case, as this member reads it."""
    case_id = case["id"]
    heads = {case["report"]["id"]: report_readable}
    attachments = [a["id"] for a in case["report"]["attachments"]]
    for meta in [*case["messages"], *case["notes"]]:
        heads[meta["id"]] = readable(s.get(f"/v1/team/cases/{case_id}/blobs/{meta['id']}"))[1]
        attachments += [a["id"] for a in meta["attachments"]]
    for attachment_id in attachments:
        answer = s.get(f"/v1/team/cases/{case_id}/blobs/{attachment_id}")
        heads[attachment_id] = attachment_head(s.api, answer)
    return heads


def grant(s: Session, case_id: str, member: str) -> dict[str, Any]:
    """Give ``member`` the case: wrap every blob's file key to them and post
    the headers with a signed grant document. Raises GrantError (the reason
    to show), ManifestExpired, ApiError."""
    s.require_unexpired()
    case, report, report_readable = _session_reads(s, case_id)
    chain = s.api.call("GET", "/v1/manifest", signed=False)["manifests"]
    left_out = excluded(report, chain)
    if left_out is None:
        raise GrantError("the manifest the report was sealed with is unknown here, so whom "
                         "the reporter excluded cannot be told: refusing to grant")
    problems = access_problems(case, report, s.manifest, left_out)
    if problems:
        raise GrantError(f"refusing to grant: {problems[0]}")
    entry = check_grantable(case, member, s.manifest, left_out)
    headers = {blob_id: grant_header(head, s.key.identities, entry["recipient"])
               for blob_id, head in _heads(s, case, report_readable).items()}
    document = new_grant(case["reply_to"], member, s.key.member, s.key.signing_seed)
    answer: dict[str, Any] = s.api.call("POST", f"/v1/team/cases/{case_id}/access", {
        "member": member, "grant": document, "headers": encode_headers(headers)})
    return answer


def revoke(s: Session, case_id: str, member: str) -> None:
    """Take ``member`` off the case (an admin in it). What they already read
    cannot be unread (``CANNOT_UNREAD``). Raises ApiError."""
    s.api.call("DELETE", f"/v1/team/cases/{case_id}/access/{member}")
