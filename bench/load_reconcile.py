"""A load run's ledger (``bench/load_ledger.py``) reconciled with what the
server stored: read from storage directly and read back through the API.

Every problem is one line: ``missing: …`` (an acknowledged write is not
there), ``half-written: …`` (something incomplete, or that no acknowledged
write made, is visible), ``audit: …`` or ``ledger: …``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from load_ledger import CaseLedger, Ledger

from candor.audit import verify_audit, verify_entries
from candor.client import ApiError
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain.audit import entry_hash, signed_params
from chalicelib.store import keys


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- reconciliation with storage -----------------------------------------------------
@dataclass
class Reconciliation:
    source: str
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n


def check_storage(store: Any, ledger: Ledger, manifest: Mapping[str, Any],
                  blob_names: set[str], leftovers: Sequence[str]) -> Reconciliation:
    """Read ``store`` directly: every acknowledged write is there, whole, and
    nothing stored is half-written; the audit chain verifies and records
    every acknowledged audited request. ``blob_names``: every stored blob;
    ``leftovers``: temporary files a writer left behind."""
    out = Reconciliation("storage")
    out.problems += [f"ledger: {u}" for u in ledger.unmatched]
    found: dict[str, str] = {}  # case id -> how the ledger knows it
    for case in ledger.cases:
        case_id = _check_case(store, case, ledger, out)
        if case_id is not None:
            found[case_id] = "ledger"
    referenced = _check_whole_store(store, ledger, found, out)
    for name in sorted(blob_names - referenced):
        pending = store.get(keys.attachment(name)) if name.startswith("a_") else None
        if pending is None or pending.data["case"] is not None:
            # An upload not claimed yet is no half-write: it is kept apart
            # (local uploads/, an S3 tag) and retention sweeps it.
            out.problems.append(f"half-written: blob {name} belongs to no record")
    out.problems += [f"half-written: temporary file {name} left behind" for name in leftovers]
    entries = [item.data for item in store.query(keys.AUDIT)]
    head = store.get(keys.AUDIT_HEAD)
    if entries and (head is None or head.data != {"seq": len(entries),
                                                  "hash": entry_hash(entries[-1])}):
        out.problems.append("audit: the stored head is not the last entry")
    _check_audit(entries, manifest, ledger, out)
    return out


def _check_case(store: Any, case: CaseLedger, ledger: Ledger,
                out: Reconciliation) -> str | None:
    """The stored case of one ledger report, checked against it; its id."""
    label = f"report {case.report_sha[:10]}"
    candidates = [t for t in (case.maybe_token, case.tokens[-1]) if t]
    receipts = [(t, store.get(keys.receipt(t))) for t in candidates]
    current = [(t, r.data["case"]) for t, r in receipts if r is not None and r.data["case"]]
    if not current:
        out.problems.append(f"missing: {label} has no current receipt")
        return None
    token, case_id = current[0]
    for old in case.tokens[:-1]:
        retired = store.get(keys.receipt(old))
        if retired is not None and retired.data["case"] is not None:
            out.problems.append(f"half-written: {label}: a rotated-away receipt still opens it")
    record, state = store.get(keys.case(case_id)), store.get(keys.case_state(case_id))
    if record is None or state is None:
        out.problems.append(f"missing: {label}: case or receipt state")
        return None
    out.count("cases")
    out.count("rotations", len(case.tokens) - 1)
    if state.data["token_id"] != token or state.data["sealed_identity"] not in (
            case.sealed_identity, case.maybe_identity):
        out.problems.append(f"missing: {label}: the last acknowledged rotation")
    report = record.data["report"]
    if _blob_sha(store, report["id"]) != case.report_sha:
        out.problems.append(f"missing: {label}: the sealed report")
    if [a["id"] for a in report["attachments"]] != case.attachments:
        out.problems.append(f"missing: {label}: its attachment list")
    for attachment_id in case.attachments:
        out.count("attachments")
        if _blob_sha(store, attachment_id) != ledger.uploads.get(attachment_id):
            out.problems.append(f"missing: {label}: attachment {attachment_id}")
    _check_messages(store, str(case_id), case, ledger, out)
    return str(case_id)


def _check_messages(store: Any, case_id: str, case: CaseLedger, ledger: Ledger,
                    out: Reconciliation) -> None:
    """Every acknowledged message of a case, by either side, stored whole."""
    stored = {e.data["id"]: e.data for e in store.query(keys.entries(case_id))}
    wanted = [(i, h, "reporter") for i, h in case.messages.items()]
    wanted += [(i, h, "team") for (c, i), h in ledger.team_messages.items() if c == case_id]
    for entry_id, sha, author in wanted:
        out.count("messages")
        entry = stored.get(entry_id)
        if entry is None or entry["from"] != author or _blob_sha(store, entry["blob"]) != sha:
            out.problems.append(f"missing: report {case.report_sha[:10]}: {author} message "
                                f"{entry_id}")


def _blob_sha(store: Any, name: str) -> str | None:
    try:
        return _sha(store.get_blob(name))
    except Exception:  # BlobMissing, or a name the store refuses: either way not there
        return None


def _check_whole_store(store: Any, ledger: Ledger, found: Mapping[str, str],
                       out: Reconciliation) -> set[str]:
    """Every stored case is whole; the blob names its records reference."""
    referenced: set[str] = set()
    allowed = ledger.entry_ids()
    for item in store.query(keys.CASES):
        case, case_id = item.data, item.data["id"]
        state = store.get(keys.case_state(case_id))
        if case_id not in found and (state is None or state.data["token_id"]
                                     not in ledger.maybe_tokens):
            out.problems.append(f"half-written: case {case_id} is in no acknowledged write")
        receipt = store.get(keys.receipt(state.data["token_id"])) if state else None
        if receipt is None or receipt.data["case"] != case_id:
            out.problems.append(f"half-written: case {case_id} has no receipt that opens it")
        report = case["report"]
        referenced.add(report["id"])
        if store.blob_size(report["id"]) != report["size"]:
            out.problems.append(f"half-written: case {case_id}: report blob")
        refs = list(report["attachments"])
        entries = [e.data for e in store.query(keys.entries(case_id))]
        for kind in ("message", "note"):
            seqs = sorted(e["seq"] for e in entries if e["kind"] == kind)
            if seqs != list(range(1, case[f"{kind}s"] + 1)):
                out.problems.append(f"half-written: case {case_id}: {kind} numbering {seqs}")
        for e in entries:
            referenced.add(e["blob"])
            refs += e["attachments"]
            if store.blob_size(e["blob"]) != e["size"]:
                out.problems.append(f"half-written: case {case_id}: entry {e['id']} blob")
            if e["id"] not in allowed:
                out.problems.append(f"half-written: case {case_id}: entry {e['id']} "
                                    "is in no acknowledged write")
        for ref in refs:
            referenced.add(ref["id"])
            claim = store.get(keys.attachment(ref["id"]))
            if claim is None or claim.data["case"] != case_id \
                    or store.blob_size(ref["id"]) != ref["size"]:
                out.problems.append(f"half-written: case {case_id}: attachment {ref['id']}")
    return referenced


def _check_audit(entries: Sequence[Mapping[str, Any]], manifest: Mapping[str, Any],
                 ledger: Ledger, out: Reconciliation) -> None:
    result = verify_entries(entries, manifest)
    out.problems += [f"audit: {p}" for p in result.problems]
    recorded: dict[str, list[tuple[str, str | None]]] = {}
    for entry in entries:
        params = signed_params(entry["request"]) if entry.get("request") else None
        if params is not None:
            recorded.setdefault(params.nonce, []).append((entry["action"], entry["case"]))
    for want in ledger.audited:
        out.count("audited requests")
        if recorded.get(want.nonce) != [(want.action, want.case)]:
            out.problems.append(f"missing: audit entry of {want.action} {want.case or ''} "
                                f"(nonce {want.nonce})")
    out.count("audit entries", len(entries))


# -- reconciliation through the API ----------------------------------------------------
def check_api(session: Any, ledger: Ledger) -> Reconciliation:
    """Read back through the API: as the team (every report, every message,
    the audit chain) and as each reporter (the receipt still opens, the
    thread holds every message). ``session`` is a member's teamops.Session."""
    out = Reconciliation("API")
    cases = _team_listing(session)
    by_report = _team_reports(session, list(cases))
    known = {c.report_sha for c in ledger.cases} | ledger.maybe_reports
    out.problems += [f"half-written: case {case_id} is in no acknowledged write"
                     for sha, case_id in sorted(by_report.items()) if sha not in known]
    out.problems += [f"half-written: case {case_id} is listed without its report"
                     for case_id in sorted(set(cases) - set(by_report.values()))]
    allowed = ledger.entry_ids()
    for case in ledger.cases:
        case_id = by_report.get(case.report_sha)
        if case_id is None:
            out.problems.append(f"missing: report {case.report_sha[:10]} is not listed")
            continue
        out.count("cases")
        view = session.get(f"/v1/team/cases/{case_id}")
        listed = {m["id"] for m in view["messages"]}
        wanted = dict(case.messages)
        wanted.update({i: h for (c, i), h in ledger.team_messages.items() if c == case_id})
        out.problems += [f"half-written: case {case_id}: message {i} is in no acknowledged write"
                         for i in sorted(listed - allowed)]
        for entry_id, sha in wanted.items():
            out.count("messages")
            blob = (session.get(f"/v1/team/cases/{case_id}/blobs/{entry_id}")
                    if entry_id in listed else None)
            if blob is None or _sha(b64u_decode(blob["sealed"])) != sha:
                out.problems.append(f"missing: case {case_id}: message {entry_id}")
        _check_reporter_view(session.api, case, set(wanted), out)
    audit = verify_audit(session)
    out.problems += [f"audit: {p}" for p in audit.problems]
    out.count("audit entries", audit.entries)
    return out


def _team_listing(session: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cursor = ""
    while True:
        page = session.get("/v1/team/cases", cursor=cursor)
        out.update({c["id"]: c for c in page["cases"]})
        cursor = page["cursor"] or ""
        if not cursor:
            return out


def _team_reports(session: Any, case_ids: list[str]) -> dict[str, str]:
    """sha256 of each sealed report -> its case (``GET /v1/team/reports``)."""
    out: dict[str, str] = {}
    while case_ids:
        batch, case_ids = case_ids[:50], case_ids[50:]
        answer = session.get("/v1/team/reports", cases=",".join(batch))
        out.update({_sha(b64u_decode(r["sealed"])): r["case"] for r in answer["reports"]})
        case_ids = list(answer["more"]) + case_ids
        if answer["more"] and not answer["reports"]:
            raise RuntimeError("the server returned no report")
    return out


def _check_reporter_view(api: Any, case: CaseLedger, wanted: set[str],
                         out: Reconciliation) -> None:
    """The reporter's current receipt opens the case with the last sealed
    identity, and the thread of its last visit lists every message."""
    keeper = case.keeper
    if keeper is None or case.maybe_token is not None:
        return  # the receipt in hand is not known to be current
    label = f"report {case.report_sha[:10]}"
    auth = keeper.receipt.auth_b64
    status = _anonymous(api, "/v1/followup/open", {"auth": auth})
    out.count("receipts opened")
    if status is None or status["sealed_identity"] != case.sealed_identity:
        out.problems.append(f"missing: {label}: its receipt does not open the last state")
        return
    if keeper.visit is None:
        return
    thread = _anonymous(api, "/v1/followup/thread",
                        {"auth": auth, "visit": b64u_encode(keeper.visit)})
    seen = {m["id"] for m in thread["messages"]} if thread else set()
    out.problems += [f"missing: {label}: message {i} not in the reporter's thread"
                     for i in sorted(wanted - seen)]


def _anonymous(api: Any, path: str, body: dict[str, str]) -> dict[str, Any] | None:
    try:
        return dict(api.call("POST", path, body, signed=False))
    except ApiError:
        return None
