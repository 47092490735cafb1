"""documents.json: message, note and report verdicts (protocol §2.2, §2.3).

Imported by generate_vectors.py. Every document is built from fixed seeds
and checked here with candor/documents.py, whose verdict each case records.
"""

from typing import Any

import generate_vectors as gv

from candor import documents as docs
from candor.age.mlkem import MlkemX25519Identity
from candor.age.x25519 import X25519Identity
from chalicelib import signing
from chalicelib.b64 import b64u_encode

REPLY_TO = MlkemX25519Identity.from_seed(gv._h("documents reply")).recipient().encode()
OTHER_CASE = MlkemX25519Identity.from_seed(gv._h("documents other case")).recipient().encode()
REPORTER_SEED = gv._h("documents reporter")
REPORTER_KEY = b64u_encode(signing.public_key_from_seed(REPORTER_SEED))
MALLORY = "m_" + b64u_encode(bytes([9]) * 15)
PREV = b64u_encode(gv._h("previous sealed message"))
ATTACHMENT = {"id": "a_" + b64u_encode(bytes(range(32, 48))), "name": "scan.pdf",
              "type": "application/pdf", "size": 1234,
              "sha256": gv._h("sealed scan").hex()}  # fmt: skip

# Where the protocol, not Python, decides a verdict (none since Python became
# as strict as the protocol): name -> verdict; the case then also records
# python_verdict.
PROTOCOL_MESSAGES: dict[str, str] = {}

# Python's reasons (candor/documents.py check_message, check_report) by verdict class.
MESSAGE_CLASSES = {
    "not an object": "malformed",
    "not a v1 message or note": "malformed",
    "member and prev are present, null when empty": "malformed",
    "id is not b_ + b64u(16 bytes)": "malformed",
    "a reporter writes only messages, with member null": "malformed",
    "a team message names its member": "malformed",
    "prev is not a blob hash": "malformed",
    "text is not a string": "malformed",
    "bad attachments": "malformed",
    "type or from does not match the route": "route",
    "the message belongs to another case": "case",
    "the id is not the one the server listed": "listing",
    "the signature does not verify": "signature",
}


def message_class(reason: str | None) -> str:
    return "valid" if reason is None else MESSAGE_CLASSES[reason]


def report_class(reason: str | None) -> str:
    if reason is None:
        return "valid"
    return "case" if reason == "the report's reply_to is not the case's" else "malformed"


def _id(label: str) -> str:
    return "b_" + b64u_encode(gv._h(label)[:16])


def _doc(kind: str = "message", frm: str = "team", member: Any = None, **fields: Any) -> Any:
    member = gv._member_id("alice") if member is None and frm == "team" else member
    return {"v": 1, "type": kind, "id": _id(f"{kind} {frm} {member}"),
            "case": docs.case_hash(REPLY_TO), "from": frm, "member": member, "prev": None,
            "text": "We are looking into it.", "attachments": []} | fields  # fmt: skip


def _signed(doc: Any, seed: bytes) -> Any:
    return signing.sign_document(doc, seed)


def _team(person: str = "alice", generation: int = 1, **fields: Any) -> Any:
    doc = _doc(member=gv._member_id(person), **fields)
    return _signed(doc, gv._seed(person, generation))


def _reporter(**fields: Any) -> Any:
    return _signed(_doc(frm="reporter", **fields), REPORTER_SEED)


def _case(name: str, why: str, document: Any, kind: str = "message", frm: str = "team",
          listed_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    listed = listed_id if listed_id is not None else (
        document.get("id") if isinstance(document, dict) else None)  # fmt: skip
    return {"name": name, "why": why, "route": {"kind": kind, "from": frm, "id": listed},
            "document": document}  # fmt: skip


def _without(doc: Any, *keys: str) -> Any:
    return {k: v for k, v in doc.items() if k not in keys}


def _resigned(doc: Any, seed: bytes, **changes: Any) -> Any:
    return _signed(_without(doc, "sig") | changes, seed)


def _valid_messages() -> list[dict[str, Any]]:
    alice = gv._seed("alice")
    return [
        _case("team message", "signed by the member's current key", _team()),
        _case("team note", "notes come from the team", _resigned(_team(), alice, type="note"),
              kind="note"),
        _case("reporter message", "signed with the report's reporter_key", _reporter(),
              frm="reporter"),
        _case("reporter message with prev and attachment", "prev is a blob hash",
              _reporter(prev=PREV, attachments=[ATTACHMENT]), frm="reporter"),
        _case("rotated member, old key", "a member's older keys still verify (protocol §2.3)",
              _team("bob", 1)),
        _case("rotated member, new key", "the current key verifies", _team("bob", 2)),
        _case("removed member", "removal keeps history verifiable", _team("carol")),
        _case("extra field, signed", "documents may carry fields the reader ignores",
              _resigned(_team(), alice, mood="calm")),
        _case("attachment entry with an extra field", "attachment entries need only the five",
              _resigned(_team(), alice, attachments=[{**ATTACHMENT, "note": "x"}])),
        _case("empty text", "text may be empty", _resigned(_team(), alice, text="")),
    ]  # fmt: skip


def _malformed_messages() -> list[dict[str, Any]]:
    alice, bad = gv._seed("alice"), _team()
    rep = _reporter()

    def team(name: str, why: str, **changes: Any) -> dict[str, Any]:
        return _case(name, why, _resigned(bad, alice, **changes))

    return [
        _case("not an object", "a document is a JSON object", [1, 2]),
        _case("null", "a document is a JSON object", None),
        team("v is 2", "only v1 documents exist", v=2),
        team("v is true", "v is the integer 1, not a boolean", v=True),
        _case("v missing", "v is required", _signed(_without(_doc(), "v"), alice)),
        team("type report", "a message route carries a message or note", type="report"),
        team("from admin", "from is reporter or team", **{"from": "admin"}),
        team("id too short", "b_ + b64u(16 bytes)", id="b_short"),
        team("attachment id as blob id", "b_ ids name blobs", id=ATTACHMENT["id"]),
        team("member null in a team message", "a team message names its member", member=None),
        team("member id too short", "m_ + b64u(15 bytes)", member="m_short"),
        _case("reporter note", "a reporter writes only messages",
              _resigned(rep, REPORTER_SEED, type="note"), kind="note", frm="reporter"),
        _case("reporter names a member", "a reporter's member is null",
              _resigned(rep, REPORTER_SEED, member=gv._member_id("alice")), frm="reporter"),
        _case("prev missing", "prev is required (null for the first message)",
              _signed(_without(_doc(frm="reporter"), "prev"), REPORTER_SEED), frm="reporter"),
        _case("member missing", "member is required (null for the reporter)",
              _signed(_without(_doc(frm="reporter"), "member"), REPORTER_SEED), frm="reporter"),
        team("prev is 16 bytes", "prev is b64u of a 32-byte hash",
             prev=b64u_encode(bytes(16))),
        team("prev with padding", "b64u has no =", prev=PREV + "="),
        team("prev is a number", "prev is a string or null", prev=1),
        team("text is a number", "text is a string", text=7),
        _case("text missing", "text is required", _signed(_without(_doc(), "text"), alice)),
        _case("attachments missing", "attachments is required",
              _signed(_without(_doc(), "attachments"), alice)),
        team("attachments not a list", "attachments is a list", attachments={}),
        team("attachment hash upper case", "sha256 is lower-case hex",
             attachments=[{**ATTACHMENT, "sha256": ATTACHMENT["sha256"].upper()}]),
        team("attachment size negative", "size >= 0",
             attachments=[{**ATTACHMENT, "size": -1}]),
        team("attachment id is a blob id", "attachments are a_ ids",
             attachments=[{**ATTACHMENT, "id": _id("x")}]),
        team("attachment without type", "five fields",
             attachments=[_without(ATTACHMENT, "type")]),
    ]  # fmt: skip


def _refused_messages() -> list[dict[str, Any]]:
    alice, doc = gv._seed("alice"), _team()
    other = {**_without(doc, "sig"), "case": docs.case_hash(OTHER_CASE)}
    sig = doc["sig"]
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    return [
        _case("note on the message route", "type must match the route",
              _resigned(doc, alice, type="note"), kind="message"),
        _case("message on the note route", "type must match the route", doc, kind="note"),
        _case("team message on the reporter's route", "from must match the route", doc,
              frm="reporter"),
        _case("reporter message on the team's route", "from must match the route",
              _reporter(), frm="team"),
        _case("another case", "case = b64u(H(reply_to)) of this case", _signed(other, alice)),
        _case("case missing", "case is required", _signed(_without(doc, "sig", "case"), alice)),
        _case("id not the listed one", "the route's id is the document's",
              doc, listed_id=_id("listed elsewhere")),
        _case("text changed after signing", "sig covers the text", {**doc, "text": "Closed."}),
        _case("signature missing", "sig is required", _without(doc, "sig")),
        _case("signature flipped", "sig must verify", {**doc, "sig": flipped}),
        _case("signature not b64u", "sig is b64u", {**doc, "sig": sig + "="}),
        _case("signed by another member", "member names the signer",
              _resigned(doc, gv._seed("bob", 2))),
        _case("signer not in the manifest", "keys come only from the manifest",
              _signed(_doc(member=MALLORY), gv._seed("mallory"))),
        _case("a key bob never listed", "a key the chain never listed does not verify",
              _team("bob", 3)),
        _case("reporter message signed by a member", "the reporter signs with reporter_key",
              _signed(_doc(frm="reporter"), alice), frm="reporter"),
        _case("team message signed by the reporter", "members sign with manifest keys",
              _signed(_doc(), REPORTER_SEED)),
    ]  # fmt: skip


def _report(**changes: Any) -> Any:
    return {"v": 1, "type": "report", "form": {"category": "fraud", "summary": "Invoices"},
            "reply_to": REPLY_TO, "reporter_key": REPORTER_KEY,
            "access": [gv._member_id("alice"), gv._member_id("bob")], "manifest": 2,
            "attachments": [ATTACHMENT], "lang": "en"} | changes  # fmt: skip


def _reports() -> list[dict[str, Any]]:
    x25519 = X25519Identity(gv._h("documents x25519 reply")).recipient().encode()
    r = _report()

    def case(name: str, why: str, doc: Any, case_reply_to: str | None = REPLY_TO) -> Any:
        return {"name": name, "why": why, "document": doc, "case_reply_to": case_reply_to}

    return [
        case("valid", "protocol §2.2 report", r),
        case("valid, no case given", "shape only", r, None),
        case("X25519 reply_to", "reply_to may be an X25519 recipient",
             _report(reply_to=x25519), x25519),
        case("extra field", "readers ignore unknown fields", _report(mood="calm")),
        case("another case", "reply_to is the case's", r, OTHER_CASE),
        case("v is 2", "only v1", _report(v=2)),
        case("type message", "a report is type report", _report(type="message")),
        case("form is a list", "form is an object of strings", _report(form=["x"])),
        case("form value a number", "form values are strings", _report(form={"a": 1})),
        case("reply_to garbage", "reply_to is an age recipient", _report(reply_to="age1xyz")),
        case("reporter_key 31 bytes", "an Ed25519 public key",
             _report(reporter_key=b64u_encode(bytes(31)))),
        case("access empty", "at least one member", _report(access=[])),
        case("access bad id", "member ids", _report(access=["m_short"])),
        case("manifest 0", "a version >= 1", _report(manifest=0)),
        case("manifest true", "an integer, not a boolean", _report(manifest=True)),
        case("attachment bad", "attachment entries", _report(attachments=[{"id": "a_x"}])),
        case("lang missing", "lang is a string", _without(r, "lang")),
        case("lang a number", "lang is a string", _report(lang=1)),
    ]  # fmt: skip


def _threads() -> list[dict[str, Any]]:
    """Threads as a reader sees them: {seq, hash (null: not fetched), verdict, prev}.
    The expectations are the protocol's, written out (candor/documents.py's
    find_gaps and previous_message must agree): gaps (indices before which something is
    missing: a jump in seq, or a verified message whose prev is no blob of
    the thread) and prev (the hash of the last verified message, or null)."""
    h = [b64u_encode(gv._h(f"thread blob {i}")) for i in range(5)]
    missing = b64u_encode(gv._h("thread blob never listed"))

    def item(seq: int, hash_: str | None, verdict: str = "valid", prev: str | None = None) -> Any:
        return {"seq": seq, "hash": hash_, "verdict": verdict, "prev": prev}

    def case(name: str, items: list[Any], gaps: list[int], prev: str | None) -> Any:
        return {"name": name, "items": items, "gaps": gaps, "prev": prev}

    return [
        case("empty", [], [], None),
        case("linked", [item(1, h[1]), item(2, h[2], prev=h[1]), item(3, h[3], prev=h[2])], [],
             h[3]),
        case("seq jumps", [item(1, h[1]), item(3, h[3], prev=h[1])], [1], h[3]),
        case("first seq is 2", [item(2, h[2])], [0], h[2]),
        case("prev names a blob not in the thread", [item(1, h[1]), item(2, h[2], prev=missing)],
             [1], h[2]),
        case("prev names a later message", [item(1, h[1], prev=h[2]), item(2, h[2])], [], h[2]),
        case("prev names an unverified message", [item(1, h[1], "signature"),
                                                   item(2, h[2], prev=h[1])], [], h[2]),
        case("a forged message's prev is not read",
             [item(1, h[1]), item(2, h[2], "signature", prev=missing)], [], h[1]),
        case("forged and unreadable messages are skipped for prev",
             [item(1, h[1]), item(2, h[2], "signature"), item(3, None, "unreadable")], [], h[1]),
        case("nothing verified", [item(1, h[1], "case"), item(2, None, "unreadable")], [], None),
    ]  # fmt: skip


def generate() -> None:
    chain = gv._valid_chain()
    manifest = chain["v2"]
    messages = [*_valid_messages(), *_malformed_messages(), *_refused_messages()]
    for case in messages:
        doc, route = case["document"], case["route"]
        keys = docs.author_keys(doc, manifest, REPORTER_KEY) if isinstance(doc, dict) else []
        verdict = docs.check_message(doc, route["kind"], route["from"], REPLY_TO, keys,
                                     route["id"])  # fmt: skip
        python = message_class(verdict.reason)
        case["verdict"] = PROTOCOL_MESSAGES.get(case["name"], python)
        if case["verdict"] != python:
            case["python_verdict"] = python
    threads = _threads()
    for thread in threads:
        items = thread["items"]
        docs_ = [{"seq": i["seq"], "hash": i["hash"],
                  "doc": {"prev": i["prev"]} if i["verdict"] == "valid" else None} for i in items]
        assert sorted(docs.find_gaps(docs_)) == thread["gaps"], thread["name"]
        shown = [{"ok": i["verdict"] == "valid", "hash": i["hash"]} for i in items]
        assert docs.previous_message(shown) == thread["prev"], thread["name"]
    reports = _reports()
    for case in reports:
        verdict = docs.check_report(case["document"], case["case_reply_to"])
        case["verdict"] = report_class(verdict.reason)
    gv._write("documents.json", {
        "description": "protocol §2.2, §2.3: message, note and report verdicts. messages: "
        "check the document against its route {kind, from, id} (id: what the listing "
        "gave), the case reply_to, and the author's keys: reporter_key for the reporter, "
        "every key the member had in the chain (manifests v1 -> v2) for the team. "
        "verdict: valid | malformed (shape, ids, types) | route (type or from) | case | "
        "listing (id) | signature. reports: check_report(document, case_reply_to); "
        "verdict valid | malformed | case. python_verdict, where present, is what "
        "candor/documents.py said when the protocol's verdict differed. threads: items "
        "{seq, hash (null: not fetched), verdict, prev} in thread order; gaps: the "
        "indices before which something is missing (a jump in seq, or a valid message's "
        "prev naming no blob of the thread); prev: the prev of a new message, the hash "
        "of the last valid message or null (protocol §2.2, §2.3). Every input is fixed "
        "(seeds in manifest.json).",
        "reply_to": REPLY_TO, "reporter_key": REPORTER_KEY, "chain": [chain["v1"], manifest],
        "messages": messages, "reports": reports, "threads": threads,
    })  # fmt: skip
