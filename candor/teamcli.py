"""Team commands: ``cases`` and ``audit``, and the session every team command
(these, and ``members``, ``keys``, ``manifest`` in rostercli.py) starts with.

Each needs your key file (``--key FILE`` or the config file's ``key``), where
the API is (``--api URL``, the config file's ``api``, the key file's; or
``--data-dir DIR`` to work in-process on a local data directory), and the
anchor manifest (candor/config.py says where it comes from).
"""

from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import sys
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from candor import audit, config, grants, inboxindex, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError, HttpTransport, local_transport
from candor.labels import plain_label, plain_text
from candor.opscli import open_key
from candor.output import emit_json, out, print_table, warn
from candor.prompt import CliError
from chalicelib import manifest as mf
from chalicelib import manifest_status


def now() -> float:
    """The clock of the CLI's requests and days; one place, so a test of a
    team's whole life can move it."""
    return time.time()


def today() -> date:
    return datetime.fromtimestamp(now(), UTC).date()


def key_path(args: argparse.Namespace) -> str:
    path = config.setting("key", args.key)
    if path is None:
        raise CliError("no key file: give --key FILE, or run `candor config set key FILE`")
    return path


def _anchor(args: argparse.Namespace) -> Any:
    anchor_path = config.anchor_path(args.manifest)
    try:
        return json.loads(anchor_path.read_text())
    except (OSError, ValueError):
        raise CliError(f"cannot read the anchor manifest {anchor_path}") from None


def session(args: argparse.Namespace, key: kf.KeyFile | None = None) -> teamops.Session:
    """The member's verified session. Warns on stderr from 30 days before the
    head expires (issue 11); once it has, reading goes on and writing stops."""
    anchor = _anchor(args)
    key = key or open_key(key_path(args))
    api_url = config.setting("api", args.api) or key.api
    if args.data_dir:
        transport: Any = local_transport(args.data_dir)
        _quiet_server_log()
    elif api_url:
        transport = HttpTransport(api_url)
    else:
        raise CliError("give --api URL or --data-dir DIR, or run `candor config set api URL`")
    # The lambdas look the clock up at each call, so a test can move it.
    s = teamops.Session(ApiClient(transport, key, clock=lambda: now()), key, anchor,
                        today=lambda: today())
    if (line := s.warning) is not None:
        warn(line.removeprefix("warning: "))
    return s


def _quiet_server_log() -> None:
    """In-process, the API's log would mix into the output a script reads:
    only its warnings are kept, on stderr."""
    logger = logging.getLogger("candor")
    logger.setLevel(logging.WARNING)
    for handler in logger.handlers:
        # Chalice's own handler only (a subclass may be a test's log capture).
        # Assigned, not setStream(): that flushes the old stream, which may be
        # closed (Chalice bound it to the stdout of import time).
        if type(handler) is logging.StreamHandler:
            handler.stream = _CurrentStderr()


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written (tests swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def days_left(manifest: mf.Manifest) -> int:
    return manifest_status.days_left(manifest, today())


def run(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``func`` with the API's and the team logic's refusals as one line."""
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except ApiError as exc:
            raise CliError(f"the API refused: {exc.code}: {exc.message}") from None
        except teamops.TeamError as exc:
            raise CliError(str(exc)) from None
        except mf.ManifestInvalid as exc:
            raise CliError(f"the manifest would not be valid: {exc.reason}") from None
    return wrapped


# -- cases ------------------------------------------------------------------------
CASE_COLUMNS = ("id", "status", "received", "ack by", "feedback by", "assignee", "summary")


def _all_cases(s: teamops.Session, status: str) -> list[dict[str, Any]]:
    """Every case the member may read, each with its decrypted ``summary``,
    from the member's inbox index where it verifies (protocol §4.4, "Inbox index"): only
    the reports it lacks are fetched and decrypted, and it is written back."""
    cases, summaries = inboxindex.summaries(s, s.today().isoformat())
    cases.sort(key=lambda c: c["id"])
    cases.sort(key=lambda c: c["received"], reverse=True)  # the team listing's order
    return [{"id": c["id"], "status": c["status"], "received": c["received"],
             "acknowledge_by": c["acknowledge_by"], "feedback_by": c["feedback_by"],
             "assignee": c["assignee"], "overdue": c["overdue"],
             "summary": summaries.get(c["id"], "(cannot be decrypted)")}
            for c in cases if status in ("", c["status"])]


def cases_list(args: argparse.Namespace) -> int:
    cases = _all_cases(session(args), args.status or "")
    if args.json:
        emit_json({"cases": cases})
        return 0
    print_table(CASE_COLUMNS, [
        (c["id"], c["status"], c["received"], c["acknowledge_by"], c["feedback_by"],
         c["assignee"] or "", c["summary"][:60]) for c in cases],
        alarm=[c["overdue"] for c in cases])
    return 0


def _print_entries(
    title: str, shown: list[teamops.Shown], gaps: AbstractSet[int] = frozenset()
) -> None:
    out.print(f"[bold]{title}[/bold]")
    for index, item in enumerate(shown):
        if index in gaps:
            out.print("  [bold red]a message is missing here: the server withheld it[/bold red]")
        who = item.meta["from"] + (f" {item.meta['member']}" if item.meta.get("member") else "")
        if not item.ok or item.doc is None:
            out.print(f"  #{item.meta['seq']} {item.meta['day']} {who}: "
                      f"[bold red]FORGED or unreadable ({item.reason})[/bold red]")
            continue
        out.print(f"  #{item.meta['seq']} {item.meta['day']} {who}:", plain_text(item.doc["text"]),
                  markup=False)


def cases_show(args: argparse.Namespace) -> int:
    s = session(args)
    view = teamops.read_case(s, args.case)
    if args.json:
        from candor.export import case_json

        emit_json(case_json(view))
        return 0
    for warning in view.warnings:
        out.print(f"[bold red]warning:[/bold red] {warning}")
    c = view.case
    out.print(f"case {c['id']}: {c['status']} (received {c['received']}, "
              f"acknowledge by {c['acknowledge_by']}, feedback by {c['feedback_by']}"
              f"{', OVERDUE' if c['overdue'] else ''})")
    if c.get("source"):  # filed by a member (protocol §4.4, "Filing")
        out.print(f"filed: {plain_label(c['source'])}{', drill' if c.get('drill') else ''}")
    _print_people(s, c)
    # What a reporter wrote reaches the terminal without escape sequences or
    # bidi overrides (protocol §6).
    for name, value in view.report.get("form", {}).items():
        out.print(f"  {plain_label(name)}: {plain_text(value)}", markup=False)
    for a in view.report.get("attachments", []):
        out.print(f"  attachment {a['id']}: {plain_label(a['type'])}, {a['size']} bytes",
                  markup=False)
    _print_entries("Thread with the reporter", view.messages, view.gaps)
    _print_entries("Internal notes", view.notes)
    _print_playbook(view, args.playbooks)
    return 0


def _print_playbook(view: teamops.CaseView, path: str | None) -> None:
    """The checklist of the case's category and its signed ticks (the
    console's playbook, frontend/playbooks.json unless ``--playbooks``); an
    installed candor without a checkout has none unless given one."""
    from candor import playbook

    source = Path(path) if path else playbook.DEFAULT_PATH
    if path is None and not source.is_file():
        return
    states = playbook.case_progress(view, playbook.load(source))
    if states:
        out.print("Playbook:", markup=False)
        for line in playbook.lines(states):
            out.print(line, markup=False)


def _print_people(s: teamops.Session, case: dict[str, Any]) -> None:
    """Who can read the case and how they came to (protocol §4.4 "Grants")."""
    granted = {g["member"]: g for g in case.get("grants", [])}
    for member in case["access"]:
        g = granted.get(member)
        how = (f"given access by {_member_name(s, g['by'])} on {g['day']}" if g
               else "chosen with the report")
        out.print(f"  can read: {_member_name(s, member)}, {how}", markup=False)


def _files(paths: list[str]) -> list[tuple[str, str, bytes]]:
    return [(Path(p).name, mimetypes.guess_type(p)[0] or "application/octet-stream",
             Path(p).read_bytes()) for p in paths]


def cases_write(args: argparse.Namespace) -> int:
    s = session(args)
    kind = "message" if args.cases_command == "reply" else "note"
    answer = teamops.write(s, teamops.read_case(s, args.case), kind, args.text,
                           _files(args.attach or []))
    out.print(f"{kind} {answer['id']} stored as #{answer['seq']} on {answer['day']}")
    names = {m["id"]: m["name"] for m in s.manifest["members"]}
    if answer.get("dropped"):
        out.print("not sent to removed member(s): " + ", ".join(
            f"{names.get(d, d)} ({d})" for d in answer["dropped"]), markup=False)
    return 0


def cases_status(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {}
    if args.status:
        body["status"] = args.status
    if args.resolution:
        body["resolution"] = args.resolution
    if args.assign is not None:
        body["assignee"] = args.assign or None
    if args.hold is not None:
        body["legal_hold"] = args.hold == "on"
    case = session(args).api.call("PATCH", f"/v1/team/cases/{args.case}", body)
    out.print(f"case {case['id']}: {case['status']}"
              f"{' (' + case['resolution'] + ')' if case['resolution'] else ''}")
    return 0


def cases_ack(args: argparse.Namespace) -> int:
    """Acknowledge every new case (``--all-new``), each with its own signed
    reply from the acknowledgement template in its reporter's language."""
    from candor import replies

    reply = replies.acknowledgement(replies.load(Path(args.replies or replies.DEFAULT_PATH)))
    if reply is None:
        raise CliError('the replies file has no acknowledgement template (id "acknowledge")')
    s = session(args)
    ids = [c["id"] for c in _all_cases(s, "received")]
    outcomes = replies.acknowledge_all(s, ids, reply, lambda case, outcome, why: out.print(
        f"{case}: {replies.WORDS[outcome]}{': ' + why if why else ''}", markup=False))
    failed = [c for c, o in outcomes if o == "failed"]
    out.print(f"{len(outcomes) - len(failed)} acknowledged, {len(failed)} failed"
              + (" (run it again to retry them; none is sent twice)" if failed else ""))
    return 1 if failed else 0


def _member_name(s: teamops.Session, member: str) -> str:
    names = {m["id"]: m["name"] for m in s.manifest["members"]}
    return f"{plain_label(names.get(member, member))} ({member})"


def cases_grant(args: argparse.Namespace) -> int:
    s = session(args)
    try:
        answer = grants.grant(s, args.case, args.member)
    except grants.GrantError as exc:
        raise CliError(str(exc)) from None
    out.print(f"{_member_name(s, args.member)} can now read case {args.case} "
              f"(granted {answer['day']})", markup=False)
    return 0


def cases_revoke(args: argparse.Namespace) -> int:
    s = session(args)
    grants.revoke(s, args.case, args.member)
    out.print(f"{_member_name(s, args.member)} is off case {args.case}; "
              f"{grants.CANNOT_UNREAD}", markup=False)
    return 0


def cases_export(args: argparse.Namespace) -> int:
    from candor.export import export_case

    s = session(args)
    written = export_case(s, args.case, Path(args.output))
    out.print(f"exported {len(written)} files to {args.output}")
    return 0


def _remembered_head(state: Path) -> tuple[int, str] | None:
    """The head file that `audit verify` or the console saved last time."""
    if not state.exists():
        return None
    data = json.loads(state.read_text())
    if isinstance(data, list) and len(data) == 2:  # written by candor 0.1: [seq, hash]
        data = audit.head_file((data[0], data[1]))
    try:
        return audit.parse_head(data)
    except ValueError:
        raise CliError(f"{state} is not an audit head file") from None


def audit_verify(args: argparse.Namespace) -> int:
    s = session(args)
    state = Path(args.state or key_path(args) + ".audit-head")
    remembered = _remembered_head(state)
    result = audit.verify_audit(s, remembered)
    if args.json:
        emit_json({"verified": not result.problems, "entries": result.entries,
                   "head": {"seq": result.head[0], "hash": result.head[1]},
                   "problems": result.problems})
    for problem in [] if args.json else result.problems:
        out.print(f"[bold red]problem:[/bold red] {problem}")
    if result.problems:
        raise CliError(f"the audit log does not verify ({len(result.problems)} problems)")
    state.write_text(json.dumps(audit.head_file(result.head, result.day_time), indent=2) + "\n")
    if not args.json:
        out.print(f"audit log verified: {result.entries} entries, head {result.head[1]}")
    return 0


# -- parser -----------------------------------------------------------------------
def common(p: argparse.ArgumentParser, *, listing: bool = False) -> None:
    """The options of every team command; ``listing`` adds ``--json``."""
    p.add_argument("--key", help="your FILE.candor-key (default: the config file's `key`)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--api", help="the API's base URL (default: the config file's `api`, "
                                     "then the key file's)")
    where.add_argument("--data-dir", help="work in-process on a local data directory")
    p.add_argument("--manifest", help="anchor manifest (default: CANDOR_MANIFEST, the config "
                                      "file's `manifest`, a source checkout's)")
    if listing:
        p.add_argument("--json", action="store_true", help="print JSON (docs/operations.md)")


def group(sub: Any, name: str, text: str) -> Any:
    parser = sub.add_parser(name, help=text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cases = group(sub, "cases", "read, answer and manage cases")
    p = cases.add_parser("list", help="your cases, decrypted")
    common(p, listing=True)
    p.add_argument("--status")
    p.set_defaults(func=run(cases_list))
    p = cases.add_parser("show", help="a case, decrypted and verified")
    common(p, listing=True)
    p.add_argument("case")
    p.add_argument("--playbooks", help="the playbooks file (default: the checkout's "
                                       "frontend/playbooks.json, when there is one)")
    p.set_defaults(func=run(cases_show))
    for name, text in (("reply", "a message the reporter sees"), ("note", "a team-only note")):
        p = cases.add_parser(name, help=text)
        common(p)
        p.add_argument("case")
        p.add_argument("text")
        p.add_argument("--attach", action="append", metavar="FILE")
        p.set_defaults(func=run(cases_write))
    p = cases.add_parser("status", help="status, resolution, assignee, legal hold")
    common(p)
    p.add_argument("case")
    p.add_argument("status", nargs="?", choices=["received", "acknowledged", "investigating",
                                                 "closed"])
    p.add_argument("--resolution")
    p.add_argument("--assign", metavar="MEMBER", help="member id, or '' to unassign")
    p.add_argument("--hold", choices=["on", "off"], help="legal hold")
    p.set_defaults(func=run(cases_status))
    p = cases.add_parser("ack", help="acknowledge every new case, each its own signed reply")
    common(p)
    p.add_argument("--all-new", action="store_true", required=True)
    p.add_argument("--replies", help="the reply templates (default: frontend/replies.json)")
    p.set_defaults(func=run(cases_ack))
    p = cases.add_parser("grant", help="give a member access to a case filed before them")
    common(p)
    p.add_argument("case")
    p.add_argument("member")
    p.set_defaults(func=run(cases_grant))
    p = cases.add_parser("revoke", help="take a member off a case (admins); what they read "
                                        "stays read")
    common(p)
    p.add_argument("case")
    p.add_argument("member")
    p.set_defaults(func=run(cases_revoke))
    p = cases.add_parser("export", help="everything of a case, decrypted, for legal counsel")
    common(p)
    p.add_argument("case")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=run(cases_export))

    p = group(sub, "audit", "the audit log").add_parser(
        "verify", help="check the chain and every request signature")
    common(p, listing=True)
    p.add_argument("--state", help="where the last head seen is kept (default: KEY.audit-head)")
    p.set_defaults(func=run(audit_verify))
