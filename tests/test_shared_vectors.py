"""The Python client against the shared vectors in tests/vectors/ that
tests/js/shared-vectors.test.mjs runs against the browser twin: documents
(protocol §2.2, §2.3), audit chains (§4.6), key files (§5), ids (§2.2, §4.4)
and the manifest chain rules (§4.5).

Where Python disagrees with a vector's protocol verdict, the case is an
expected failure (strict: it must still fail) listed in XFAIL with the reason.
"""

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from candor import documents as docs
from candor import keyfile as kf
from candor.audit import PROBLEMS, verify_entries
from chalicelib import manifest as mf
from chalicelib.errors import Malformed
from chalicelib.wire import identifier

TESTS = Path(__file__).parent
VECTORS = TESTS / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


DOCUMENTS = _load("documents.json")
AUDIT = _load("audit.json")
KEYFILE = _load("keyfile.json")
IDS = _load("ids.json")
CHAIN_RULES = _load("manifest-chain.json")

# "file: vector" -> why candor/ disagrees (see /tmp/coord/requests-vectors.md).
XFAIL = {
}


def _cases(file: str, cases: list[Any], name: Any = lambda c: c["name"]) -> list[Any]:
    params = []
    for case in cases:
        why = XFAIL.get(f"{file}: {name(case)}")
        # Only a wrong verdict or a missing twin counts, not any crash.
        xfail = pytest.mark.xfail(strict=True, reason=why, raises=(AssertionError, AttributeError))
        marks = [xfail] if why else []
        params.append(pytest.param(case, id=name(case), marks=marks))
    return params


def test_every_vector_file_is_run_by_a_python_test() -> None:
    sources = "\n".join(
        p.read_text("utf-8") for p in TESTS.rglob("test_*.py") if VECTORS not in p.parents
    )
    files = sorted(p.name for p in VECTORS.glob("*.json"))
    assert len(files) >= 10, files
    unread = [f for f in files if f'"{f}"' not in sources]
    assert unread == [], f"no tests/**/test_*.py reads {unread}"


def test_every_expected_failure_names_a_vector() -> None:
    names = {f"documents.json: {c['name']}" for c in DOCUMENTS["messages"]}
    names |= {f"documents.json: thread {c['name']}" for c in DOCUMENTS["threads"]}
    names |= {f"audit.json: head file {c['name']}" for c in AUDIT["head_files"]}
    names |= {f"keyfile.json: {c['name']}" for c in KEYFILE["files"] + KEYFILE["plaintexts"]}
    assert set(XFAIL) <= names


# --- documents -------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("documents.json", DOCUMENTS["messages"]))
def test_message_verdict(case: dict[str, Any]) -> None:
    doc, route = case["document"], case["route"]
    manifest = DOCUMENTS["chain"][-1]
    keys = docs.author_keys(doc, manifest, DOCUMENTS["reporter_key"]) if isinstance(doc, dict) \
        else []
    verdict = docs.check_message(doc, route["kind"], route["from"], DOCUMENTS["reply_to"], keys,
                                 route["id"])  # fmt: skip
    assert _message_class(verdict.reason) == case["verdict"], verdict.reason


def _message_class(reason: str | None) -> str:
    if reason is None:
        return "valid"
    return {
        "type or from does not match the route": "route",
        "the message belongs to another case": "case",
        "the id is not the one the server listed": "listing",
        "the signature does not verify": "signature",
    }.get(reason, "malformed")


@pytest.mark.parametrize("case", _cases("documents.json", DOCUMENTS["reports"]))
def test_report_verdict(case: dict[str, Any]) -> None:
    verdict = docs.check_report(case["document"], case["case_reply_to"])
    if verdict.ok:
        assert case["verdict"] == "valid"
    else:
        other_case = verdict.reason == "the report's reply_to is not the case's"
        assert ("case" if other_case else "malformed") == case["verdict"], verdict.reason


@pytest.mark.parametrize(
    "case", _cases("documents.json", DOCUMENTS["threads"], lambda c: f"thread {c['name']}")
)
def test_thread(case: dict[str, Any]) -> None:
    """find_gaps(items with seq, hash, doc) and previous_message(items with ok,
    hash): the twins of documents.ts findGaps and previousMessage."""
    items = [{"seq": i["seq"], "hash": i["hash"],
              "doc": {"prev": i["prev"]} if i["verdict"] == "valid" else None}
             for i in case["items"]]  # fmt: skip
    assert sorted(docs.find_gaps(items)) == case["gaps"]
    thread = [{"ok": i["verdict"] == "valid", "hash": i["hash"]} for i in case["items"]]
    assert docs.previous_message(thread) == case["prev"]


# --- audit chains ------------------------------------------------------------------

_PROBLEMS = (
    *((re.compile(rf"entry (\d+): {re.escape(text)}"), kind) for kind, text in PROBLEMS.items()),
    (re.compile(r"the head seen before \(entry (\d+)\) is gone or changed"), "head"),
)


def _problem(text: str) -> dict[str, Any]:
    for pattern, problem in _PROBLEMS:
        if match := pattern.fullmatch(text):
            return {"seq": int(match.group(1)), "problem": problem}
    raise AssertionError(f"unknown audit problem {text!r}")


@pytest.mark.parametrize("case", _cases("audit.json", AUDIT["cases"]))
def test_audit_chain(case: dict[str, Any]) -> None:
    entries = case["entries"]
    remembered = case["remembered"]
    head = None if remembered is None else (remembered["seq"], remembered["hash"])
    result = verify_entries(entries, AUDIT["chain"][-1], head)
    assert [_problem(p) for p in result.problems] == case["problems"]
    assert result.head == (case["head"]["seq"], case["head"]["hash"])
    assert result.entries == len(entries)


@pytest.mark.parametrize(
    "case", _cases("audit.json", AUDIT["head_files"], lambda c: f"head file {c['name']}")
)
def test_audit_head_file(case: dict[str, Any]) -> None:
    """parse_head(data) -> (seq, hash), ValueError for anything else: the twin
    of audit.ts parseHead, so the CLI and the console share a head file."""
    from candor import audit

    try:
        head = audit.parse_head(case["data"])
    except ValueError:
        head = None
    expected = case["head"]
    assert head == (None if expected is None else (expected["seq"], expected["hash"]))


# --- key files ---------------------------------------------------------------------


def _open_verdict(sealed: bytes, passphrase: str) -> tuple[str, kf.KeyFile | None]:
    try:
        return "open", kf.open_keyfile(sealed, passphrase)
    except kf.KeyFileLocked:
        return "locked", None
    except kf.KeyFileInvalid:
        return "invalid", None


@pytest.mark.parametrize("case", _cases("keyfile.json", KEYFILE["files"]))
def test_key_file(case: dict[str, Any]) -> None:
    from chalicelib.b64 import b64u_decode

    verdict, key = _open_verdict(b64u_decode(case["sealed_b64u"]), case["passphrase"])
    assert verdict == case["verdict"]
    if "key" in case:
        assert key is not None
        expected = case["key"]
        assert (key.member, list(key.identities), key.api) == (
            expected["member"], expected["identities"], expected["api"])  # fmt: skip
        assert key.signing_seed == b64u_decode(expected["signing_seed"])


@pytest.mark.parametrize("case", _cases("keyfile.json", KEYFILE["plaintexts"]))
def test_key_file_plaintext(case: dict[str, Any]) -> None:
    try:
        kf._from_plaintext(bytes.fromhex(case["plaintext_hex"]))
        verdict = "valid"
    except kf.KeyFileInvalid:
        verdict = "invalid"
    assert verdict == case["verdict"]


# --- ids -----------------------------------------------------------------------------

_ATTACHMENT = {"name": "a", "type": "text/plain", "size": 1, "sha256": "0" * 64}


def _client_accepts(kind: str, value: str) -> bool | None:
    """The client's own check of an id of `kind`, as documents use it (None: the
    client takes that kind only from the server)."""
    if kind == "m":
        return mf.is_member_id(value)
    if kind == "a":
        report = {"v": 1, "type": "report", "form": {}, "reply_to": DOCUMENTS["reply_to"],
                  "reporter_key": DOCUMENTS["reporter_key"], "access": ["m_" + "A" * 20],
                  "manifest": 1, "attachments": [{**_ATTACHMENT, "id": value}],
                  "lang": "en"}  # fmt: skip
        return docs.check_report(report).ok
    if kind == "b":
        doc = {"v": 1, "type": "note", "id": value, "case": "", "from": "team",
               "member": "m_" + "A" * 20, "prev": None, "text": "", "attachments": []}  # fmt: skip
        reason = docs.check_message(doc, "note", "team", "", []).reason
        return reason != "id is not b_ + b64u(16 bytes)"
    return None


@pytest.mark.parametrize(
    "case", IDS["ids"], ids=[f"{c['kind']} {c['value']!r}" for c in IDS["ids"]]
)
def test_id(case: dict[str, Any]) -> None:
    try:
        identifier(case["value"], case["kind"])
        server = True
    except Malformed:
        server = False
    assert server == case["valid"]
    client = _client_accepts(case["kind"], case["value"])
    assert client in (None, case["valid"])


# --- manifest chain rules --------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("manifest-chain.json", CHAIN_RULES["cases"]))
def test_manifest_chain_rule(case: dict[str, Any]) -> None:
    anchor = CHAIN_RULES["v1"] if case["anchor"] == "v1" else case["anchor"]
    try:
        latest = mf.verify_chain(anchor, case["later"], today=date.fromisoformat(case["today"]))
        version: int | None = latest["version"]
    except mf.ManifestInvalid:
        version = None
    assert version == case["latest"]
