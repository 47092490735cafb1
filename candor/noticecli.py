"""``candor notice propose|sign|publish|withdraw|list``: signed staff notices
(protocol §4.9).

One admin writes a notice into a file and signs it; the others check and
sign the same file in turn, until `threshold` admins of the current
manifest have; any admin then publishes it. ``list`` checks every notice
the server lists against the verified manifest and flags (exit 1) any that
does not verify: the server cannot forge one, but storage can be tampered.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from candor import notice as nt
from candor.output import emit_json, one_line, out, print_table
from candor.prompt import CliError
from candor.teamcli import common, group, run, session


def _texts(pairs: list[str]) -> dict[str, str]:
    texts = {}
    for pair in pairs:
        lang, sep, text = pair.partition("=")
        if not sep:
            raise CliError(f"--text {pair!r}: write LANG=TEXT, e.g. en='Do not comment publicly.'")
        texts[lang] = text
    return texts


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise CliError(f"cannot read the notice {path}") from None


def _write(path: Path, notice: nt.Notice) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(notice, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _sign(args: argparse.Namespace, notice: nt.Notice) -> int:
    s = session(args)
    for lang, text in sorted(notice["text"].items()):
        out.print(f"  {lang}: {text}", markup=False)
    out.print(f"  {notice['id']}, valid {notice['issued']} to {notice['expires']}", markup=False)
    if not args.yes and input("Sign this notice? [y/N] ") != "y":
        raise CliError("not signed")
    signed = nt.sign_notice(notice, s.key.member, s.key.signing_seed)
    try:
        nt.verify_notice(signed, s.manifest, partial=True)  # a reviewer's key is refused here
    except nt.NoticeInvalid as exc:
        raise CliError(str(exc)) from None
    _write(Path(args.file), signed)
    missing = s.manifest["threshold"] - len(signed["sigs"])
    out.print(f"signed; wrote {args.file}; " + (
        f"{missing} more admin signature(s) needed: `candor notice sign {args.file}`"
        if missing > 0 else f"run `candor notice publish {args.file}`"), markup=False)
    return 0


def notice_propose(args: argparse.Namespace) -> int:
    if Path(args.file).exists():
        raise CliError(f"{args.file} exists: sign it with `candor notice sign {args.file}`")
    s = session(args)
    try:
        notice = nt.unsigned_notice(s.manifest, _texts(args.text), s.today(), args.days)
    except nt.NoticeInvalid as exc:
        raise CliError(str(exc)) from None
    return _sign(args, notice)


def notice_sign(args: argparse.Namespace) -> int:
    s = session(args)
    try:
        notice = nt.verify_notice(_read(Path(args.file)), s.manifest, partial=True)
    except nt.NoticeInvalid as exc:
        raise CliError(f"not signed: {exc}") from None
    return _sign(args, notice)


def notice_publish(args: argparse.Namespace) -> int:
    s = session(args)
    try:
        notice = nt.verify_notice(_read(Path(args.file)), s.manifest, today=s.today())
    except nt.NoticeInvalid as exc:
        raise CliError(f"not published: {exc}") from None
    s.api.call("POST", "/v1/team/notices", notice)
    out.print(f"published notice {notice['id']} until {notice['expires']}", markup=False)
    return 0


def notice_withdraw(args: argparse.Namespace) -> int:
    session(args).api.call("DELETE", f"/v1/team/notices/{args.id}")
    out.print(f"withdrew notice {args.id}", markup=False)
    return 0


def notice_list(args: argparse.Namespace) -> int:
    s = session(args)
    listed = s.api.call("GET", "/v1/notices", signed=False)["notices"]
    checked = nt.check_listed(listed, s.manifest, s.today())
    if args.json:
        emit_json({"notices": [{"id": c.id, "valid": c.problem is None, "problem": c.problem,
                                "notice": c.notice} for c in checked]})
    else:
        print_table(("id", "expires", "status", "text (en)"), [
            (c.id, one_line(c.notice.get("expires")),
             "valid" if c.problem is None else f"NOT VALID: {c.problem}",
             one_line(c.notice.get("text", {}).get("en") if isinstance(c.notice.get("text"), dict)
                      else "")) for c in checked],
            alarm=[c.problem is not None for c in checked])
    bad = [c for c in checked if c.problem is not None]
    if bad:
        raise CliError(f"{len(bad)} listed notice(s) do not verify: the pages do not show "
                       "them; the storage may have been tampered with")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notice = group(sub, "notice", "signed staff notices on the reporter page")
    p = notice.add_parser("propose", help="write a notice into FILE and sign it")
    common(p)
    p.add_argument("file", help="the notice file the admins sign in turn")
    p.add_argument("--text", action="append", required=True, metavar="LANG=TEXT",
                   help="the text in one language of the page (en required; repeat)")
    p.add_argument("--days", type=int, default=nt.DEFAULT_DAYS, help="days it is shown")
    p.add_argument("--yes", action="store_true", help="do not ask before signing")
    p.set_defaults(func=run(notice_propose))
    p = notice.add_parser("sign", help="check and sign a notice another admin proposed")
    common(p)
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="do not ask before signing")
    p.set_defaults(func=run(notice_sign))
    p = notice.add_parser("publish", help="publish a notice the threshold signed")
    common(p)
    p.add_argument("file")
    p.set_defaults(func=run(notice_publish))
    p = notice.add_parser("withdraw", help="stop serving a notice at once")
    common(p)
    p.add_argument("id", help="notice id (n_…)")
    p.set_defaults(func=run(notice_withdraw))
    p = notice.add_parser("list", help="the notices served, each checked; exit 1 if one fails")
    common(p, listing=True)
    p.set_defaults(func=run(notice_list))
