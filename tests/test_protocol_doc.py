"""docs/protocol.md stays in step with the code ("How this document changes").

- its route tables list exactly the routes of the Chalice app and of
  docs/openapi.yaml;
- its error table lists exactly the codes of ``chalicelib.errors`` with
  their statuses, and every code that ``candor serve`` or API Gateway
  answers by itself;
- its table of document kinds lists the fields the code builds and checks;
- its change log ends with the document's revision;
- every ``protocol §N.N`` and ``docs/architecture.md rule N`` cited in the
  repository exists;
- no tracked file points at the team's old shared files outside the
  repository.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import subprocess
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no stubs installed

from candor import documents, grants, keyfile, release
from chalicelib import errors
from chalicelib import manifest as mf
from chalicelib.age.recipient_types import X25519
from chalicelib.domain import notices

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "docs" / "protocol.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
OPENAPI = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)*)\.? ", re.M)
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")
TICKED = re.compile(r"`([^`]+)`")


# -- reading the document -----------------------------------------------------------
@functools.cache
def text() -> str:
    return PROTOCOL.read_text(encoding="utf-8")


@functools.cache
def sections() -> dict[str, str]:
    """Section number ("0", "4", "4.2") -> its text up to the next heading."""
    found = list(HEADING.finditer(text()))
    out = {}
    for i, match in enumerate(found):
        number = match.group(1)
        end = found[i + 1].start() if i + 1 < len(found) else len(text())
        out[number] = text()[match.end():end]
    return out


def section(number: str) -> str:
    assert number in sections(), f"docs/protocol.md has no section {number}"
    return sections()[number]


def table_rows(body: str) -> list[list[str]]:
    """The cells of every table row in ``body``, header and rule lines excluded."""
    rows = []
    for line in body.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def documented_routes() -> set[tuple[str, str]]:
    routes = set()
    for number in ("4.2", "4.4"):
        for row in table_rows(section(number)):
            match = ROUTE.match(row[0])
            if match:
                routes.add((match.group(1), match.group(2)))
    return routes


def documented_errors() -> dict[str, int]:
    table: dict[str, int] = {}
    for row in table_rows(section("4.1")):
        if len(row) >= 2 and row[0].isdigit() and TICKED.fullmatch(row[1]):
            code = row[1].strip("`")
            assert code not in table, f"docs/protocol.md §4.1 lists {code!r} twice"
            table[code] = int(row[0])
    return table


def documented_kinds() -> dict[str, set[str]]:
    """Kind -> fields, from the table of document kinds in §2.2."""
    kinds = {}
    for row in table_rows(section("2.2")):
        if len(row) == 3 and row[0] != "kind":
            kinds[row[0]] = set(TICKED.findall(row[2]))
    return kinds


# -- the code's side ----------------------------------------------------------------
def app_routes() -> set[tuple[str, str]]:
    from app import app

    return {(m, path) for path, methods in app.routes.items() for m in methods}


def openapi_routes() -> set[tuple[str, str]]:
    doc = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in METHODS if m in item}


def _subclasses(cls: type[errors.CandorError]) -> list[type[errors.CandorError]]:
    found: list[type[errors.CandorError]] = []
    for direct in cls.__subclasses__():
        found += [direct, *_subclasses(direct)]
    return found


def emitted_codes() -> dict[str, int | None]:
    """Every code something can answer with, and its status (None: any).

    The domain's error classes, ``candor serve``'s own refusals and API
    Gateway's own answers in the cloud (read from the sources: the CDK app's
    dependencies need not be installed here)."""
    codes: dict[str, int | None] = dict(errors.STATUS)
    for cls in _subclasses(errors.CandorError):
        codes.setdefault(cls.code, None)
    serve = (ROOT / "candor" / "serve.py").read_text(encoding="utf-8")
    for status, code in re.findall(r'_refuse\((\d{3}), "([a-z_]+)"', serve):
        codes.setdefault(code, int(status))
    gateway = (ROOT / "infra" / "candor_infra" / "api.py").read_text(encoding="utf-8")
    for status, code in re.findall(r'"[A-Z_0-9]+": \((\d{3}|None), "([a-z_]+)"', gateway):
        codes.setdefault(code, None if status == "None" else int(status))
    return codes


MEMBER = "m_" + "A" * 20
SEED = bytes(range(32))


def audit_entry_fields() -> set[str]:
    """From docs/openapi.yaml's AuditEntry, which tests/api/test_openapi.py
    checks against real answers (every field required, no other allowed)."""
    schema = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]
    entry = schema["AuditEntry"]
    assert entry.get("additionalProperties") is False
    assert set(entry["required"]) == set(entry["properties"])
    return set(entry["properties"])


def code_kinds() -> dict[str, set[str]]:
    """The fields of each document kind, as the code builds them."""
    identity = documents.new_reply_identity(X25519)
    reply_to = keyfile.identity_recipient(identity)
    sealed = documents.seal_report({"summary": "s"}, reply_to, SEED, [MEMBER], 1, [], [])
    return {
        "report": set(documents.open_document(sealed, [identity])),
        "message": set(documents.new_message("message", reply_to, "reporter", None, None,
                                             "t", [], SEED)),
        "note": set(documents.new_message("note", reply_to, "team", MEMBER, None, "t", [],
                                          SEED)),
        "attachment entry": set(documents.attachment_entry("a_" + "A" * 22, "n", "t", 1, b"")),
        "case state": set(documents.new_case_state(identity, SEED, [MEMBER], 1, sealed)),
        "member entry": set(mf.ENTRY_FIELDS),
        "manifest": set(mf.MANIFEST_FIELDS),
        "audit entry": audit_entry_fields(),
        "key file": {"v", *(f.name for f in dataclasses.fields(keyfile.KeyFile))},
        "grant": set(grants.new_grant(reply_to, MEMBER, MEMBER, SEED)),
        "release": set(release.FIELDS),
        "notice": set(notices.FIELDS),
    }


# -- (a) routes ---------------------------------------------------------------------
def test_route_tables_list_every_route_of_the_app() -> None:
    documented, app = documented_routes(), app_routes()
    assert not app - documented, f"routes missing from docs/protocol.md: {sorted(app - documented)}"
    assert not documented - app, f"docs/protocol.md lists routes the app lacks: " \
        f"{sorted(documented - app)}"


def test_route_tables_list_every_route_of_openapi() -> None:
    documented, spec = documented_routes(), openapi_routes()
    assert not spec - documented, \
        f"docs/openapi.yaml routes missing from docs/protocol.md: {sorted(spec - documented)}"
    assert not documented - spec, \
        f"docs/protocol.md routes missing from docs/openapi.yaml: {sorted(documented - spec)}"


# -- (b) errors ---------------------------------------------------------------------
def test_error_table_is_the_code_table() -> None:
    documented = documented_errors()
    missing = sorted(set(errors.STATUS) - set(documented))
    assert not missing, f"error codes missing from docs/protocol.md §4.1: {missing}"
    extra = sorted(set(documented) - set(errors.STATUS))
    assert not extra, f"docs/protocol.md §4.1 lists codes chalicelib/errors.py lacks: {extra}"
    wrong = {c: (documented[c], s) for c, s in errors.STATUS.items() if documented[c] != s}
    assert not wrong, f"statuses differ (protocol.md, errors.py): {wrong}"


def test_every_code_the_server_can_answer_is_documented() -> None:
    documented = documented_errors()
    for code, status in emitted_codes().items():
        assert code in documented, f"{code!r} can be answered but is not in protocol.md §4.1"
        assert status in (None, documented[code]), \
            f"{code!r} is answered with {status}, protocol.md §4.1 says {documented[code]}"


# -- (c) documents ------------------------------------------------------------------
def test_every_document_kind_is_described_with_its_fields() -> None:
    documented, code = documented_kinds(), code_kinds()
    missing = sorted(set(code) - set(documented))
    assert not missing, f"document kinds missing from protocol.md §2.2's table: {missing}"
    unknown = sorted(set(documented) - set(code))
    assert not unknown, f"protocol.md §2.2 lists kinds this test cannot find in code: {unknown}"
    for kind, fields in code.items():
        assert documented[kind] == fields, (
            f"{kind}: protocol.md §2.2 lacks {sorted(fields - documented[kind])}, "
            f"lists {sorted(documented[kind] - fields)} the code does not build")


# -- (d) the change log -------------------------------------------------------------
def test_change_log_ends_with_this_revision() -> None:
    header = re.search(r"document revision (\d+)", text())
    assert header, "docs/protocol.md names no 'document revision N' at the top"
    assert "\n## Change log\n" in text(), "docs/protocol.md has no '## Change log' section"
    log = text().split("\n## Change log\n", 1)[1]
    revisions = [int(n) for n in re.findall(r"^- \*\*Revision (\d+)\*\*", log, re.M)]
    assert revisions, "the change log has no '- **Revision N**' entries"
    assert revisions == list(range(1, len(revisions) + 1)), \
        f"change log revisions are not 1, 2, 3, …: {revisions}"
    assert revisions[-1] == int(header.group(1)), (
        f"the document says revision {header.group(1)}, "
        f"its change log ends with revision {revisions[-1]}")


# -- citations and references -----------------------------------------------------
def tracked_texts() -> dict[str, str]:
    """Every tracked text file that exists in the working tree (binary files skipped)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    out = {}
    for name in filter(None, names):
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree, not yet in the index
        data = path.read_bytes()
        if b"\0" in data:
            continue
        out[name] = data.decode("utf-8", errors="replace")
    return out


def test_every_cited_section_exists() -> None:
    cited: dict[str, str] = {}
    for name, body in tracked_texts().items():
        for number in re.findall(r"protocol §(\d+(?:\.\d+)*)", body):
            cited.setdefault(number, name)
    missing = {n: where for n, where in cited.items() if n not in sections()}
    assert not missing, f"sections cited but not in docs/protocol.md (section: a file): {missing}"


def test_every_cited_design_rule_exists() -> None:
    rules = set(re.findall(r"^(\d+)\. ", ARCHITECTURE.read_text(encoding="utf-8"), re.M))
    cited: dict[str, str] = {}
    for name, body in tracked_texts().items():
        for number in re.findall(r"docs/architecture\.md rule (\d+)", body):
            cited.setdefault(number, name)
    missing = {n: where for n, where in cited.items() if n not in rules}
    assert not missing, f"rules cited but not in docs/architecture.md (rule: a file): {missing}"


# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "SPEC" + ".md", "STYLE" + ".md", "spec" + "-notes")


def test_no_file_refers_outside_the_repository() -> None:
    found = [f"{name}: {word}" for name, body in tracked_texts().items()
             for word in FORBIDDEN if word in body]
    assert not found, f"tracked files refer to files outside the repository: {found}"
