"""The member's personal inbox index (protocol §4.4, "Inbox index"): the
twin of frontend/src/lib/inbox-index.ts, for the CLI.

An index lists, per case, what an inbox shows of its report; it is signed
by the member, padded and sealed to the member's own recipient, and stored
through ``GET``/``PUT /v1/team/index``. :func:`summaries` is what
``candor cases list`` needs: each case's summary, from the index where it
verifies and from the report otherwise, and writes the index back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from candor import documents, drill, teamops
from candor import keyfile as kf
from candor.client import ApiError
from chalicelib import signing
from chalicelib.b64 import b64u_decode, b64u_encode

INDEX_TYPE = "inbox-index"
SIDES = ("reporter", "team", None)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_CASE = re.compile(r"^c_[A-Za-z0-9_-]{22}$")
_ENTRY = {"case", "report", "updated", "summary", "category", "urgency", "last"}
# protocol §2.2 "Tags and links": a tag is 1 to 40 characters, no control or
# bidi character, no comma; a case has at most 20 distinct tags.
_TAG = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069,]{1,40}$")
MAX_TAGS = 20


class IndexRejected(Exception):
    """Why an index cannot be used: the caller fails closed to the reports."""


def seal_index(key: kf.KeyFile, cases: Sequence[Mapping[str, Any]], seq: int,
               cursor: str) -> bytes:
    """Sign, pad (protocol §2.2) and seal an index to the member's own recipient."""
    recipient = kf.identity_recipient(key.identities[0])
    doc = {"v": 1, "type": INDEX_TYPE, "member": key.member, "recipient": recipient,
           "seq": seq, "cursor": cursor, "cases": sorted(cases, key=lambda e: e["case"])}
    return documents.seal_document(signing.sign_document(doc, key.signing_seed), [recipient])


def is_tag_list(tags: object) -> bool:
    """A well-formed set of tags (lib/case-meta.ts's isTagList)."""
    return (isinstance(tags, list) and len(tags) <= MAX_TAGS
            and len(set(map(str, tags))) == len(tags)
            and all(isinstance(t, str) and t == t.strip() and _TAG.fullmatch(t) for t in tags))


def _entry_ok(entry: object) -> bool:
    # An entry may carry the case's tags as the console last read them, and
    # the scenario of its report's sealed drill mark.
    if not isinstance(entry, dict) or set(entry) - {"tags", "drill"} != _ENTRY:
        return False
    if "tags" in entry and not is_tag_list(entry["tags"]):
        return False
    if "drill" in entry and not drill.is_scenario_id(entry["drill"]):
        return False
    texts = [entry[k] for k in ("report", "summary", "category", "urgency", "updated")]
    return (isinstance(entry["case"], str) and bool(_CASE.fullmatch(entry["case"]))
            and all(isinstance(t, str) for t in texts) and bool(_DAY.fullmatch(entry["updated"]))
            and entry["last"] in SIDES)


def open_index(sealed: bytes, key: kf.KeyFile, version: int, today: str) -> dict[str, Any]:
    """Open the stored index and check it is this member's current one (as
    openIndex in the browser). Raises IndexRejected."""
    try:
        doc = documents.open_document(sealed, key.identities)
    except (documents.DocumentUnreadable, documents.DocumentInvalid):
        raise IndexRejected("not readable with this member's keys") from None
    if doc.get("v") != 1 or doc.get("type") != INDEX_TYPE or doc.get("member") != key.member:
        raise IndexRejected("not this member's index")
    if doc.get("recipient") != kf.identity_recipient(key.identities[0]):
        raise IndexRejected("sealed before a key rotation")
    if not signing.verify_document(doc, [key.signing_key]):
        raise IndexRejected("not signed by this member's key")
    if doc.get("seq") != version:
        raise IndexRejected("not the stored version")
    cursor = doc.get("cursor")
    if not isinstance(cursor, str) or not _DAY.fullmatch(cursor) or cursor > today:
        raise IndexRejected("bad cursor")
    cases = doc.get("cases")
    if not isinstance(cases, list) or not all(_entry_ok(e) for e in cases):
        raise IndexRejected("malformed entries")
    if len({e["case"] for e in cases}) != len(cases):
        raise IndexRejected("duplicate entries")
    return doc


def plan(index: Mapping[str, Any], listing: Sequence[Mapping[str, Any]]
         ) -> tuple[dict[str, dict[str, Any]], list[Mapping[str, Any]]]:
    """The entries the case list confirms, and the listed cases to decrypt
    (as planUnlock). Entries of cases not listed are dropped. Raises
    IndexRejected when an entry names another report or a later
    ``updated`` than the listing. A case the listing flags as a drill whose
    entry has no drill mark is decrypted again (an index written before
    entries kept the mark, or a flag the sealed report does not back)."""
    by_case = {e["case"]: e for e in index["cases"]}
    known: dict[str, dict[str, Any]] = {}
    todo: list[Mapping[str, Any]] = []
    for case in listing:
        entry = by_case.get(case["id"])
        if entry is None:
            todo.append(case)
            continue
        if entry["report"] != case["report"]["id"]:
            raise IndexRejected("an entry names another report")
        if entry["updated"] > case["updated"]:
            raise IndexRejected("an entry is newer than the case")
        if case.get("drill") is True and "drill" not in entry:
            todo.append(case)
            continue
        last = case["last"] if "last" in case else entry["last"]
        known[case["id"]] = {**entry, "updated": case["updated"], "last": last}
    return known, todo


def _listing(s: teamops.Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first page of ``GET /v1/team/index`` and every case, page by page."""
    first = page = s.get("/v1/team/index")
    cases = list(page["cases"])
    while page["cursor"]:
        page = s.get("/v1/team/index", cursor=page["cursor"])
        cases += page["cases"]
    return first, cases


def _decrypt(s: teamops.Session, cases: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The index entries of ``cases`` from their reports; unreadable ones
    are left out."""
    by_id = {c["id"]: c for c in cases}
    out: dict[str, dict[str, Any]] = {}
    for r, doc in teamops.open_reports(s, list(by_id)):
        if doc is None:
            continue
        form = doc.get("form")
        text = {k: v for k, v in form.items() if isinstance(v, str)} \
            if isinstance(form, dict) else {}
        case = by_id[r["case"]]
        out[r["case"]] = {"case": r["case"], "report": case["report"]["id"],
                          "updated": case["updated"],
                          "summary": text.get("summary", "")[:200],
                          "category": text.get("category", ""),
                          "urgency": text.get("urgency", ""), "last": case.get("last")}
        if scenario := drill.drill_of(text):
            out[r["case"]]["drill"] = scenario
    return out


def summaries(s: teamops.Session, today: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every case the member sees and each readable one's summary: from the
    index where it verifies against the case list, decrypting only the
    reports it lacks (all of them when it does not verify); the index is
    written back when it changed. Raises ApiError, TeamError."""
    first, cases = _listing(s)
    index: dict[str, Any] | None = None
    known: dict[str, dict[str, Any]] = {}
    todo: Sequence[Mapping[str, Any]] = cases
    if first["sealed"]:
        try:
            index = open_index(b64u_decode(first["sealed"]), s.key, first["version"], today)
            known, todo = plan(index, cases)
        except IndexRejected:
            index, known, todo = None, {}, cases
    decrypted = _decrypt(s, todo) if todo else {}
    if index is not None:  # read again for a drill mark (plan): what the index knew stays
        old, listed = {e["case"]: e for e in index["cases"]}, {c["id"]: c for c in cases}
        for case_id, entry in decrypted.items():
            kept = old.get(case_id)
            if kept is None or kept["report"] != entry["report"]:
                continue
            if "last" not in listed[case_id]:
                entry["last"] = kept["last"]
            if "tags" in kept:
                entry["tags"] = kept["tags"]
    known.update(decrypted)
    entries = sorted(known.values(), key=lambda e: e["case"])
    if index is None or entries != index["cases"]:
        try:
            sealed = seal_index(s.key, entries, first["version"] + 1, today)
            s.api.call("PUT", "/v1/team/index",
                       {"sealed": b64u_encode(sealed), "version": first["version"]})
        except ApiError:
            pass  # another console wrote meanwhile: the next listing reads its index
    return cases, {c: e["summary"] for c, e in known.items()}
