"""Team commands: ``members``, ``keys``, ``manifest``, ``cases``, ``audit``.

Each takes ``--key FILE`` and either ``--api URL`` or ``--data-dir DIR``
(in-process on a local data directory), and anchors trust on
``--manifest FILE`` (default ``frontend/manifest.json``).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from candor import audit, roster, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError, HttpTransport, local_transport
from candor.opscli import ROOT, open_key, read_passphrase
from candor.prompt import CliError
from chalicelib import manifest as mf

out = Console(highlight=False)


def _session(args: argparse.Namespace, key: kf.KeyFile | None = None) -> teamops.Session:
    key = key or open_key(args.key)
    api_url = args.api or key.api
    if args.data_dir:
        transport: Any = local_transport(args.data_dir)
    elif api_url:
        transport = HttpTransport(api_url)
    else:
        raise CliError("give --api URL or --data-dir DIR")
    anchor_path = Path(args.manifest or ROOT / "frontend" / "manifest.json")
    try:
        anchor = json.loads(anchor_path.read_text())
    except (OSError, ValueError):
        raise CliError(f"cannot read the anchor manifest {anchor_path}") from None
    return teamops.Session(ApiClient(transport, key), key, anchor)


def _run(func: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except ApiError as exc:
            raise CliError(f"the API refused: {exc.code}: {exc.message}") from None
        except teamops.TeamError as exc:
            raise CliError(str(exc)) from None
    return wrapped


# -- members, keys, manifest --------------------------------------------------------
def members_list(args: argparse.Namespace) -> int:
    s = _session(args)
    table = Table("id", "name", "function", "role", "status")
    for m in s.get("/v1/team/members")["members"]:
        table.add_row(m["id"], m["name"], m["function"], m["role"],
                      "removed" if m["removed"] else "active")
    out.print(table)
    return 0


def members_add(args: argparse.Namespace) -> int:
    card = json.loads(Path(args.card).read_text())
    s = _session(args)
    s.api.call("POST", "/v1/team/members", card)
    out.print(f"added {card['name']} ({card['id']}); publish the manifest to let clients use it")
    return 0


def members_remove(args: argparse.Namespace) -> int:
    _session(args).api.call("DELETE", f"/v1/team/members/{args.member}")
    out.print(f"removed {args.member}; publish the manifest so clients stop encrypting to it")
    return 0


def keys_rotate(args: argparse.Namespace) -> int:
    passphrase = read_passphrase(confirm=False)
    key = kf.open_keyfile(args.key, passphrase)
    s = _session(args, key)
    current = next(m for m in s.get("/v1/team/members")["members"] if m["id"] == key.member)
    rotated, old_seed = kf.rotate_keys(key)
    entry = kf.public_card(rotated, current["name"], current["function"], current["role"],
                           current, old_seed)
    staged = Path(args.key + ".new")
    kf.write_keyfile(rotated, staged, passphrase)  # held before the server switches keys
    s.api.call("PUT", f"/v1/team/members/{key.member}", entry)
    staged.replace(args.key)
    out.print("keys rotated; an admin must publish the manifest for clients to use them")
    return 0


def manifest_publish(args: argparse.Namespace) -> int:
    s = _session(args)
    members = s.get("/v1/team/members")["members"]
    today = datetime.now(UTC).date()
    unsigned = roster.unsigned_manifest(s.manifest["version"] + 1, today, members,
                                        threshold=s.manifest["threshold"])
    for line in roster.manifest_diff(s.manifest, unsigned) or ["(no change in members)"]:
        out.print(f"  {line}")
    if not args.yes and input(f"Sign and publish version {unsigned['version']}? [y/N] ") != "y":
        raise CliError("not published")
    signed = roster.sign_manifest(unsigned, s.key.member, s.key.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", signed)
    target = Path(args.out or ROOT / "frontend" / "manifest.json")
    target.write_text(json.dumps(signed, indent=2) + "\n")
    out.print(f"published version {signed['version']}; wrote {target}; rebuild the pages")
    out.print(f"fingerprint {mf.fingerprint(signed)}")
    return 0


# -- cases ------------------------------------------------------------------------
def cases_list(args: argparse.Namespace) -> int:
    s = _session(args)
    table = Table("id", "status", "received", "ack by", "feedback by", "assignee", "summary")
    cursor = ""
    while True:
        page = s.get("/v1/team/cases", status=args.status or "", cursor=cursor)
        summaries = teamops.report_summaries(s, page["cases"])
        for c in page["cases"]:
            summary = summaries.get(c["id"], "")[:60]
            style = "bold red" if c["overdue"] else None
            table.add_row(c["id"], c["status"], c["received"], c["acknowledge_by"],
                          c["feedback_by"], c["assignee"] or "", summary, style=style)
        if not (cursor := page["cursor"] or ""):
            break
    out.print(table)
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
        out.print(f"  #{item.meta['seq']} {item.meta['day']} {who}:", item.doc["text"],
                  markup=False)


def cases_show(args: argparse.Namespace) -> int:
    view = teamops.read_case(_session(args), args.case)
    for warning in view.warnings:
        out.print(f"[bold red]warning:[/bold red] {warning}")
    c = view.case
    out.print(f"case {c['id']}: {c['status']} (received {c['received']}, "
              f"acknowledge by {c['acknowledge_by']}, feedback by {c['feedback_by']}"
              f"{', OVERDUE' if c['overdue'] else ''})")
    for name, value in view.report.get("form", {}).items():
        out.print(f"  {name}: {value}", markup=False)
    for a in view.report.get("attachments", []):
        out.print(f"  attachment {a['id']}: {a['type']}, {a['size']} bytes", markup=False)
    _print_entries("Thread with the reporter", view.messages, view.gaps)
    _print_entries("Internal notes", view.notes)
    return 0


def _files(paths: list[str]) -> list[tuple[str, str, bytes]]:
    return [(Path(p).name, mimetypes.guess_type(p)[0] or "application/octet-stream",
             Path(p).read_bytes()) for p in paths]


def cases_write(args: argparse.Namespace) -> int:
    s = _session(args)
    kind = "message" if args.cases_command == "reply" else "note"
    answer = teamops.write(s, teamops.read_case(s, args.case), kind, args.text,
                           _files(args.attach or []))
    out.print(f"{kind} {answer['id']} stored as #{answer['seq']} on {answer['day']}")
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
    case = _session(args).api.call("PATCH", f"/v1/team/cases/{args.case}", body)
    out.print(f"case {case['id']}: {case['status']}"
              f"{' (' + case['resolution'] + ')' if case['resolution'] else ''}")
    return 0


def cases_export(args: argparse.Namespace) -> int:
    from candor.export import export_case

    s = _session(args)
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
    s = _session(args)
    state = Path(args.state or args.key + ".audit-head")
    remembered = _remembered_head(state)
    result = audit.verify_audit(s, remembered)
    for problem in result.problems:
        out.print(f"[bold red]problem:[/bold red] {problem}")
    if result.problems:
        raise CliError(f"the audit log does not verify ({len(result.problems)} problems)")
    state.write_text(json.dumps(audit.head_file(result.head, result.day_time), indent=2) + "\n")
    out.print(f"audit log verified: {result.entries} entries, head {result.head[1]}")
    return 0


# -- parser -----------------------------------------------------------------------
def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", required=True, help="your FILE.candor-key")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--api", help="the API's base URL (default: the one in the key file)")
    where.add_argument("--data-dir", help="work in-process on a local data directory")
    p.add_argument("--manifest", help="anchor manifest (default: frontend/manifest.json)")


def _group(sub: Any, name: str, text: str) -> Any:
    parser = sub.add_parser(name, help=text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    members = _group(sub, "members", "list, add and remove team members")
    for name, func, text in (("list", members_list, "list members"),
                             ("add", members_add, "add a member from their public card"),
                             ("remove", members_remove, "remove a member at once")):
        p = members.add_parser(name, help=text)
        _common(p)
        if name == "add":
            p.add_argument("card", help="the member's FILE.card.json")
        if name == "remove":
            p.add_argument("member", help="member id (m_…)")
        p.set_defaults(func=_run(func))

    p = _group(sub, "keys", "your own keys").add_parser("rotate", help="rotate your keys")
    _common(p)
    p.set_defaults(func=_run(keys_rotate))

    p = _group(sub, "manifest", "the signed team manifest").add_parser(
        "publish", help="sign the roster as the next manifest and publish it")
    _common(p)
    p.add_argument("--out", help="where to write it (default: frontend/manifest.json)")
    p.add_argument("--yes", action="store_true", help="do not ask before signing")
    p.set_defaults(func=_run(manifest_publish))

    cases = _group(sub, "cases", "read, answer and manage cases")
    p = cases.add_parser("list", help="your cases, decrypted")
    _common(p)
    p.add_argument("--status")
    p.set_defaults(func=_run(cases_list))
    p = cases.add_parser("show", help="a case, decrypted and verified")
    _common(p)
    p.add_argument("case")
    p.set_defaults(func=_run(cases_show))
    for name, text in (("reply", "a message the reporter sees"), ("note", "a team-only note")):
        p = cases.add_parser(name, help=text)
        _common(p)
        p.add_argument("case")
        p.add_argument("text")
        p.add_argument("--attach", action="append", metavar="FILE")
        p.set_defaults(func=_run(cases_write))
    p = cases.add_parser("status", help="status, resolution, assignee, legal hold")
    _common(p)
    p.add_argument("case")
    p.add_argument("status", nargs="?", choices=["received", "acknowledged", "investigating",
                                                 "closed"])
    p.add_argument("--resolution")
    p.add_argument("--assign", metavar="MEMBER", help="member id, or '' to unassign")
    p.add_argument("--hold", choices=["on", "off"], help="legal hold")
    p.set_defaults(func=_run(cases_status))
    p = cases.add_parser("export", help="everything of a case, decrypted, for legal counsel")
    _common(p)
    p.add_argument("case")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=_run(cases_export))

    p = _group(sub, "audit", "the audit log").add_parser(
        "verify", help="check the chain and every request signature")
    _common(p)
    p.add_argument("--state", help="where the last head seen is kept (default: KEY.audit-head)")
    p.set_defaults(func=_run(audit_verify))
