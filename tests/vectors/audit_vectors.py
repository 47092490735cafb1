"""audit.json: audit chains, valid and forged (protocol §4.6, §4.3).

Imported by generate_vectors.py. Requests are signed with fixed seeds,
`created` and nonces; each case records the problems candor/audit.py's
verify_entries reports, as {seq, problem} with problem one of
candor.audit.PROBLEMS' kinds or head. The forged cases of the security review
(issue 13, finding 1) also state the kinds they must show, and generating
checks Python against them.
"""

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import generate_vectors as gv

from candor.audit import PROBLEMS, parse_head, verify_entries
from chalicelib.b64 import b64u_encode
from chalicelib.httpsig import canonical_query, sign_request
from chalicelib.jcs import canonicalize

GENESIS = b64u_encode(bytes(32))
CASE = "c_" + b64u_encode(gv._h("audit case")[:16])
CASE_B = "c_" + b64u_encode(gv._h("audit case B")[:16])
BLOB = "b_" + b64u_encode(gv._h("audit blob")[:16])
MALLORY = "m_" + b64u_encode(bytes([9]) * 15)
CREATED = 1772600000  # 2026-03-04, while manifest v2 is current
_PROBLEMS = (
    *((re.compile(rf"entry (\d+): {re.escape(text)}"), kind) for kind, text in PROBLEMS.items()),
    (re.compile(r"the head seen before \(entry (\d+)\) is gone or changed"), "head"),
)


def entry_hash(entry: Any) -> str:
    return b64u_encode(hashlib.sha256(canonicalize(entry)).digest())


def parse_problem(text: str) -> dict[str, Any]:
    """verify_audit's message as {seq, problem}."""
    for pattern, problem in _PROBLEMS:
        match = pattern.fullmatch(text)
        if match:
            return {"seq": int(match.group(1)), "problem": problem}
    raise ValueError(f"unknown audit problem {text!r}")


def python_problems(manifest: Any, entries: Any, remembered: Any) -> list[dict[str, Any]]:
    """candor/audit.py's verdict on `entries`."""
    head = None if remembered is None else (remembered["seq"], remembered["hash"])
    result = verify_entries(entries, manifest, head)
    return [parse_problem(p) for p in result.problems]


def _request(method: str, path: str, query: dict[str, str], body: bytes, keyid: str,
             seed: bytes, n: int, nonce: str | None = None) -> dict[str, Any]:  # fmt: skip
    headers = sign_request(method, path, query, body, member_id=keyid, seed=seed,
                           created=CREATED + n,
                           nonce=nonce or b64u_encode(gv._h(f"nonce {n}")[:16]))  # fmt: skip
    return {"@method": method, "@path": path, "@query": canonical_query(query),
            "Content-Digest": headers.get("Content-Digest"),
            "Signature-Input": headers["Signature-Input"],
            "Signature": headers["Signature"]}  # fmt: skip


def _link(entries: list[Any]) -> list[Any]:
    """Renumber and rehash `entries` into a chain that links."""
    out, prev = [], GENESIS
    for seq, entry in enumerate(entries, start=1):
        linked = {**entry, "seq": seq, "prev": prev}
        out.append(linked)
        prev = entry_hash(linked)
    return out


def _day_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(n: int, member: str | None, action: str, request: Any, case: str | None = CASE) -> Any:
    """Recorded the second its request was signed (created = CREATED + n)."""
    return {"seq": n, "prev": "", "day_time": _day_time(CREATED + n), "member": member,
            "action": action, "case": case, "request": request}  # fmt: skip


def _member_entry(n: int, person: str, generation: int, action: str, method: str = "GET",
                  keyid: str | None = None, **options: Any) -> Any:  # fmt: skip
    member = gv._member_id(person)
    path = options.pop("path", f"/v1/team/cases/{CASE}")
    case = options.pop("case", CASE)
    body = b'{"status":"acknowledged"}' if method != "GET" else b""
    request = _request(method, path, options.pop("query", {}), body, keyid or member,
                       gv._seed(person, generation), n, **options)  # fmt: skip
    return _entry(n, member, action, request, case=case)


def _valid_entries() -> list[Any]:
    return _link([
        _entry(1, None, "manifest.publish", None, case=None),
        _member_entry(2, "alice", 1, "case.read"),
        _member_entry(3, "bob", 1, "case.update", method="PATCH"),
        _member_entry(4, "bob", 2, "case.read"),
        _member_entry(5, "carol", 1, "case.read"),
        _member_entry(6, "dave", 1, "reports.read", path="/v1/team/reports",
                      query={"cases": CASE}, case=None),
        *_every_route(7),
    ])  # fmt: skip


def _every_route(n: int) -> list[Any]:
    """One entry of each other route of chalicelib/audit_actions.json, a base
    path, a retention purge, a second read of one case, and a re-anchor."""
    cases, bob = f"/v1/team/cases/{CASE}", gv._member_id("bob")
    return [
        _member_entry(n, "alice", 1, "blob.read", path=f"{cases}/blobs/{BLOB}"),
        _member_entry(n + 1, "dave", 1, "message.add", "POST", path=f"{cases}/messages"),
        _member_entry(n + 2, "alice", 1, "note.add", "POST", path=f"{cases}/notes"),
        _member_entry(n + 3, "bob", 1, "member.rotate", "PUT", path=f"/v1/team/members/{bob}",
                      case=None),
        _member_entry(n + 4, "alice", 1, "member.add", "POST", path="/v1/team/members",
                      case=None),
        _member_entry(n + 5, "alice", 1, "member.remove", "DELETE",
                      path=f"/v1/team/members/{gv._member_id('carol')}", case=None),
        _member_entry(n + 6, "alice", 1, "manifest.publish", "PUT", path="/v1/team/manifest",
                      case=None),
        _member_entry(n + 7, "alice", 1, "case.purge", "DELETE",
                      path=f"/api/prod/v1/team/cases/{CASE_B}", case=CASE_B),
        _entry(n + 8, None, "case.purge", None, case=CASE),
        _member_entry(n + 9, "dave", 1, "reports.read", path="/v1/team/reports",
                      query={"cases": f"{CASE_B},{CASE}"}, case=None),
        _member_entry(n + 10, "alice", 1, "case.read", path=f"/v1/team/cases/{CASE}",
                      nonce=b64u_encode(gv._h("another nonce")[:16])),
        _entry(n + 11, None, "manifest.reanchor", None, case=None),
    ]  # fmt: skip


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def _forged(valid: list[Any]) -> list[dict[str, Any]]:
    def case(name: str, why: str, entries: list[Any], remembered: Any = None) -> Any:
        return {"name": name, "why": why, "entries": entries, "remembered": remembered}

    def replaced(seq: int, entry: Any, relink: bool = True) -> list[Any]:
        entries = [*valid[: seq - 1], entry, *valid[seq:]]
        return _link(entries) if relink else entries

    third = valid[2]
    request = third["request"]
    head6 = {"seq": 6, "hash": entry_hash(valid[5])}
    return [
        case("content changed", "prev links each entry to the previous one's hash",
             replaced(3, {**third, "action": "case.purge"}, relink=False)),
        case("reordered", "seq counts from 1 and prev links",
             [valid[0], valid[1], valid[3], valid[2], *valid[4:]]),
        case("entry missing", "seq has no gaps", [*valid[:2], *valid[3:]]),
        case("first entry not linked to genesis", "the first prev is 32 zero bytes",
             [{**valid[0], "prev": entry_hash(valid[0])}, *valid[1:]]),
        case("signature changed", "the recorded request's signature must verify",
             replaced(3, {**third, "request": {**request,
                                               "Signature": _flip(request["Signature"], 12)}})),
        case("body digest changed", "content-digest is covered by the signature",
             replaced(3, {**third, "request": {**request, "Content-Digest":
                                               "sha-256=:" + "A" * 43 + "=:"}})),
        case("query changed", "@query is covered by the signature",
             replaced(6, {**valid[5], "request": {**valid[5]["request"], "@query": "?cases=x"}})),
        case("entry names another member", "keyid is the entry's member",
             replaced(2, {**valid[1], "member": gv._member_id("dave")})),
        case("signed with another member's key", "the member's own keys verify",
             replaced(2, _member_entry(2, "bob", 2, "case.read",
                                       keyid=gv._member_id("alice")))),
        case("member not in the manifest", "keys come from the manifest",
             replaced(2, _member_entry(2, "alice", 1, "case.read", keyid=MALLORY) | {
                 "member": MALLORY})),
        case("request without a member", "only system actions have member null",
             replaced(2, {**valid[1], "member": None})),
        case("member without a request", "a member action records its request",
             replaced(2, {**valid[1], "request": None})),
        case("nonce of 20 characters", "protocol §4.3: the nonce is b64u of 16 bytes",
             replaced(2, _member_entry(2, "alice", 1, "case.read",
                                       nonce=b64u_encode(bytes(15))))),
        case("truncated below the remembered head", "a head seen before must still be there",
             valid[:4], head6),
        case("history rewritten before the remembered head",
             "the remembered entry must hash the same",
             replaced(2, {**valid[1], "action": "blob.read"}), head6),
    ]  # fmt: skip


def _forged_by_the_server(valid: list[Any]) -> list[dict[str, Any]]:
    """What a compromised server can do without a member's key: reuse signed
    requests, write unsigned entries, move day_time, relink in another order
    (issue 13, finding 1). Each states the problems it must show."""
    def case(name: str, why: str, entries: list[Any], *expect: tuple[int, str]) -> Any:
        return {"name": name, "why": why, "entries": _link(entries), "remembered": None,
                "expect": [{"seq": seq, "problem": kind} for seq, kind in expect]}

    def at(seq: int, entry: Any) -> list[Any]:
        return [*valid[: seq - 1], entry, *valid[seq:]]

    def inserted(seq: int, entry: Any) -> list[Any]:
        return [*valid[: seq - 1], entry, *valid[seq - 1:]]

    read = valid[1]  # alice, GET /v1/team/cases/CASE
    alice, bob = gv._member_id("alice"), gv._member_id("bob")
    last = len(valid)

    def signed(action: str, case: str | None, method: str, path: str, **options: Any) -> Any:
        return _member_entry(2, "alice", 1, action, method, path=path, case=case, **options)

    def timed(entry: Any, shift: int) -> Any:
        return {**entry, "day_time": _day_time(CREATED + entry["seq"] + shift)}

    return [
        case("a read reused as a purge of another case", "action and case follow from the "
             "signed @method and @path", at(2, {**read, "action": "case.purge", "case": CASE_B}),
             (2, "action")),
        case("a read recorded for another case", "case is the signed path's",
             at(2, {**read, "case": CASE_B}), (2, "action")),
        case("an update recorded as a read", "PATCH is case.update",
             at(3, {**valid[2], "action": "case.read"}), (3, "action")),
        case("reports.read naming a case", "reports.read has case null",
             at(6, {**valid[5], "case": CASE}), (6, "action")),
        case("a query with another parameter", "the signed @query holds only the route's",
             at(6, _member_entry(6, "dave", 1, "reports.read", path="/v1/team/reports",
                                 query={"cases": CASE, "status": "open"}, case=None)),
             (6, "action")),
        case("a listing recorded as a read", "GET /v1/team/cases is not audited",
             at(2, signed("case.read", CASE, "GET", "/v1/team/cases")), (2, "action")),
        case("a base path hiding a route", "a base path has no v1 segment",
             at(2, signed("case.read", CASE, "GET", f"/v1/team/cases/{CASE_B}/v1/team/cases/"
                          f"{CASE}")), (2, "action")),
        case("a rotation of another member", "only the member itself rotates its keys",
             at(2, signed("member.rotate", None, "PUT", f"/v1/team/members/{bob}")),
             (2, "action")),
        case("an unsigned member.add", "only retention purges and version 1 are unsigned",
             inserted(2, _entry(2, None, "member.add", None, case=None)), (2, "system")),
        case("an unsigned purge without a case", "a retention purge names its case",
             inserted(2, _entry(2, None, "case.purge", None, case=None)), (2, "system")),
        case("an unsigned purge of a member id", "the case is a case id",
             inserted(2, _entry(2, None, "case.purge", None, case=alice)), (2, "system")),
        case("an unsigned manifest.publish after the first entry", "only version 1 is "
             "stored without a request, as entry 1",
             inserted(2, _entry(2, None, "manifest.publish", None, case=None)), (2, "system")),
        case("a signed request recorded twice", "each signed request is one entry",
             inserted(3, read), (3, "replay")),
        case("a signed request recorded again at the end", "each signed request is one "
             "entry, and day_time never goes back",
             [*valid, {**read, "seq": last + 1}], (last + 1, "replay"), (last + 1, "time")),
        case("day_time an hour before created", "day_time is within the skew of created",
             at(2, timed(read, -3600)), (2, "time")),
        case("day_time an hour after created", "day_time is within the skew of created",
             at(last - 1, timed(valid[-2], 3600)), (last - 1, "time"), (last, "time")),
        case("day_time not a time", "YYYY-MM-DDTHH:MM:SSZ",
             at(2, {**read, "day_time": "2026-03-04 04:53:22"}), (2, "time")),
        case("two entries swapped and relinked", "day_time never goes back",
             [*valid[:3], valid[4], valid[3], *valid[5:]], (5, "time")),
        case("an entry with another field", "the entry's fields are exactly the seven",
             at(2, {**read, "why": "routine"}), (2, "shape")),
        case("a request with another field", "the request's fields are exactly the six",
             at(2, {**read, "request": {**read["request"], "Date": "now"}}), (2, "shape")),
    ]  # fmt: skip


def _head_files(valid: list[Any]) -> list[dict[str, Any]]:
    """The file a client keeps the last head seen in; the expectations are
    written out, and candor/audit.py's parse_head must agree."""
    head = {"seq": 6, "hash": entry_hash(valid[5])}
    good = {"v": 1, "type": "candor/audit-head", **head, "day_time": "2026-03-04T09:06:00Z"}

    def case(name: str, data: Any, expected: Any) -> Any:
        return {"name": name, "data": data, "head": expected}

    return [
        case("valid", good, head),
        case("day_time null", {**good, "day_time": None}, head),
        case("a [seq, hash] list", [6, head["hash"]], None),
        case("v 2", {**good, "v": 2}, None),
        case("another type", {**good, "type": "candor/head"}, None),
        case("seq 0", {**good, "seq": 0}, None),
        case("seq a string", {**good, "seq": "6"}, None),
        case("hash 31 bytes", {**good, "hash": b64u_encode(bytes(31))}, None),
        case("hash not b64u", {**good, "hash": head["hash"][:-1] + "="}, None),
    ]


def generate() -> None:
    chain = gv._valid_chain()
    valid = _valid_entries()
    cases = [
        {"name": "valid", "why": "system, old-key, new-key and removed-member entries, every "
         "audited route of chalicelib/audit_actions.json, a base path, a retention purge, "
         "a re-anchor",
         "entries": valid, "remembered": None},
        {"name": "valid, remembered head", "why": "the head seen before is still there",
         "entries": valid, "remembered": {"seq": 3, "hash": entry_hash(valid[2])}},
        {"name": "remembered head is the last", "why": "seq == count",
         "entries": valid, "remembered": {"seq": len(valid), "hash": entry_hash(valid[-1])}},
        {"name": "empty", "why": "no entries yet", "entries": [], "remembered": None},
        *_forged(valid),
        *_forged_by_the_server(valid),
    ]  # fmt: skip
    heads = _head_files(valid)
    for head in heads:
        try:
            python: Any = list(parse_head(head["data"]))
        except ValueError:
            python = None
        expected = head["head"] and [head["head"]["seq"], head["head"]["hash"]]
        assert python == expected, head["name"]
    for case in cases:
        case["problems"] = python_problems(chain["v2"], case["entries"], case["remembered"])
        expected = case.pop("expect", None)
        assert expected is None or case["problems"] == expected, (case["name"], case["problems"])
        case["head"] = {"seq": len(case["entries"]),
                        "hash": entry_hash(case["entries"][-1]) if case["entries"] else GENESIS}
    gv._write("audit.json", {
        "description": "protocol §4.6 audit chains (requests signed per protocol §4.3). "
        "Verify entries (all, in order) with each member's keys from the chain (manifests "
        "v1 -> v2) and the remembered head {seq, hash} or null. problems: [{seq, problem}] "
        "in order, problem chain (seq or prev wrong at that entry) | signature (the "
        "request does not verify for the entry's member) | head (the remembered head is "
        "gone or changed); head: the verifier's {seq, hash} of the last entry. "
        "head_files: the JSON a client remembers the last head in, {v: 1, type: "
        "candor/audit-head, seq >= 1, hash (b64u of 32 bytes), day_time}; head: the "
        "{seq, hash} it holds, or null when it is not a head file.",
        "genesis": GENESIS, "chain": [chain["v1"], chain["v2"]], "cases": cases,
        "head_files": heads,
    })  # fmt: skip
