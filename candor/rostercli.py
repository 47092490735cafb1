"""Team commands on the roster: ``members``, ``keys`` and ``manifest``; and
the operator's ``reanchor``.

The session, options and one-line refusals are teamcli.py's. Publishing
(``manifest publish`` and ``manifest renew``) writes the new version to the
anchor file in use (or ``--out``) and records it in the config file, so the
next command anchors on it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from pathlib import Path
from typing import Any

from candor import config, roster, teamops
from candor import keyfile as kf
from candor.client import ApiError
from candor.opscli import card_path, init_store, open_key, read_passphrase, write_anchor
from candor.output import emit_json, out, print_table
from candor.prompt import CliError
from candor.teamcli import common, days_left, group, key_path, run, session, today
from chalicelib import manifest as mf


# -- members ---------------------------------------------------------------------------
def members_list(args: argparse.Namespace) -> int:
    members = [{"id": m["id"], "name": m["name"], "function": m["function"],
                "role": m["role"], "removed": m["removed"]}
               for m in session(args).get("/v1/team/members")["members"]]
    if args.json:
        emit_json({"members": members})
        return 0
    print_table(("id", "name", "function", "role", "status"), [
        (m["id"], m["name"], m["function"], m["role"], "removed" if m["removed"] else "active")
        for m in members])
    return 0


def members_add(args: argparse.Namespace) -> int:
    card = json.loads(Path(args.card).read_text())
    session(args).api.call("POST", "/v1/team/members", card)
    out.print(f"added {card['name']} ({card['id']}); publish the manifest to let clients use it",
              markup=False)
    return 0


def members_remove(args: argparse.Namespace) -> int:
    session(args).api.call("DELETE", f"/v1/team/members/{args.member}")
    out.print(f"removed {args.member}; publish the manifest so clients stop encrypting to it")
    return 0


def members_role(args: argparse.Namespace) -> int:
    """A member changes their own role: the entry is certified by its own key
    (protocol §4.5), and the change counts once a manifest lists it."""
    s = session(args)
    current = next(m for m in s.get("/v1/team/members")["members"] if m["id"] == s.key.member)
    entry = kf.public_card(s.key, current["name"], current["function"], args.role, current)
    s.api.call("PUT", f"/v1/team/members/{s.key.member}", entry)
    out.print(f"your role is now {args.role} in the member list; it counts once an admin "
              "publishes the manifest")
    return 0


# -- keys ------------------------------------------------------------------------------
def rotated_key_path(old: Path, name: str, day: date) -> Path:
    """``<name>-<date>.candor-key`` beside the old file (issue 19): the old
    file stays, so nobody overwrites the only key that still signs if the
    rotation is refused; a second rotation on one day gets ``-2``."""
    first = kf.rotated_key_file_name(name, day)
    stem = first.removesuffix(".candor-key")
    path, n = old.parent / first, 2
    while path.exists():
        path, n = old.parent / f"{stem}-{n}.candor-key", n + 1
    return path


def keys_rotate(args: argparse.Namespace) -> int:
    old_path = Path(key_path(args))
    passphrase = read_passphrase(confirm=False)
    try:
        key = kf.open_keyfile(old_path, passphrase)
    except kf.KeyFileError as exc:
        raise CliError(f"cannot open {old_path}: {exc}") from None
    s = session(args, key)
    current = next(m for m in s.get("/v1/team/members")["members"] if m["id"] == key.member)
    rotated, old_seed = kf.rotate_keys(key)
    entry = kf.public_card(rotated, current["name"], current["function"], current["role"],
                           current, old_seed)
    new_path = rotated_key_path(old_path, current["name"], today())
    kf.write_keyfile(rotated, new_path, passphrase)  # on disk before the server switches keys
    try:
        s.api.call("PUT", f"/v1/team/members/{key.member}", entry)
    except ApiError:
        new_path.unlink()  # refused: the old keys stay the member's keys
        raise
    if config.load_config().get("key") == str(old_path.resolve()):
        config.set_value("key", str(new_path))
    out.print(f"keys rotated: your key file is now {new_path}", markup=False)
    out.print(f"keep {old_path} until an admin has published the next manifest, then delete it",
              markup=False)
    return 0


# -- manifest --------------------------------------------------------------------------
def manifest_state(manifest: mf.Manifest) -> dict[str, Any]:
    """``candor manifest status --json`` (docs/operations.md)."""
    left = days_left(manifest)
    return {"version": manifest["version"], "fingerprint": mf.fingerprint(manifest),
            "issued": manifest["issued"], "expires": manifest["expires"],
            "days_left": left, "expired": left < 0, "threshold": manifest["threshold"],
            "admins": [{"id": m["id"], "name": m["name"]} for m in manifest["members"]
                       if m["role"] == "admin" and not m["removed"]],
            "routes": manifest.get("routes", {})}


def manifest_status(args: argparse.Namespace) -> int:
    s = session(args)
    state = manifest_state(s.manifest)
    waiting = teamops.pending_proposal(s)
    state["proposal"] = None if waiting is None else {
        "version": waiting["manifest"]["version"], "signed": waiting["signed"],
        "missing": waiting["missing"]}
    if args.json:
        emit_json(state)
        return 0
    admins = ", ".join(f"{a['name']} ({a['id']})" for a in state["admins"])
    for label, value in (("version", state["version"]), ("fingerprint", state["fingerprint"]),
                         ("issued", state["issued"]), ("expires", state["expires"]),
                         ("days left", state["days_left"]), ("threshold", state["threshold"]),
                         ("admins", admins)):
        print(f"{label}:\t{value}")
    for category, route in state["routes"].items():
        print(f"route {category}:\t{', '.join(route)} and the admins")
    if waiting is not None:
        print(f"proposal:\tversion {waiting['manifest']['version']}, signed by "
              f"{', '.join(waiting['signed'])}, {waiting['missing']} more signature(s) needed")
    return 0


def _confirm(args: argparse.Namespace, lines: Sequence[str], question: str) -> None:
    for line in lines:
        out.print(f"  {line}", markup=False)
    if not args.yes and input(f"{question} [y/N] ") != "y":
        raise CliError("not signed")


def _written(args: argparse.Namespace, signed: mf.Manifest) -> None:
    """Write the published version where the anchor was (or ``--out``) and
    remember it, so the next command anchors on it."""
    target = Path(args.out) if args.out else config.anchor_path(args.manifest)
    target.write_text(json.dumps(signed, indent=2) + "\n")
    config.set_value("manifest", str(target))
    out.print(f"published version {signed['version']}; wrote {target}; rebuild the pages",
              markup=False)
    out.print(f"fingerprint {mf.fingerprint(signed)}")


def _after_signing(args: argparse.Namespace, answer: Mapping[str, Any]) -> None:
    if answer["published"]:
        _written(args, answer["manifest"])
    else:
        out.print(f"signed; {answer['missing']} more admin signature(s) needed: the other "
                  "admins run `candor manifest sign`")


def _publish(args: argparse.Namespace, s: teamops.Session, unsigned: mf.Manifest,
             lines: Sequence[str]) -> None:
    """Show ``lines``, ask, sign; publish, or with a threshold above 1 leave
    it as the proposal the other admins sign (protocol §4.5)."""
    _confirm(args, lines, f"Sign version {unsigned['version']}?")
    if s.manifest["threshold"] > 1:
        _after_signing(args, teamops.propose(s, unsigned, replace=args.replace))
        return
    signed = roster.sign_manifest(unsigned, s.key.member, s.key.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", signed)
    _written(args, signed)


def manifest_sign(args: argparse.Namespace) -> int:
    s = session(args)
    waiting = teamops.pending_proposal(s)
    if waiting is None:
        raise CliError("no proposal is waiting for signatures")
    proposal = waiting["manifest"]
    lines = roster.manifest_diff(s.manifest, proposal) or ["(no change in members)"]
    if proposal["threshold"] != s.manifest["threshold"]:
        lines.append(f"threshold {s.manifest['threshold']} -> {proposal['threshold']}")
    lines.append(f"valid {proposal['issued']} to {proposal['expires']}; signed by "
                 f"{', '.join(waiting['signed'])}")
    _confirm(args, lines, f"Sign version {proposal['version']}?")
    _after_signing(args, teamops.sign_proposal(s))
    return 0


def manifest_publish(args: argparse.Namespace) -> int:
    s = session(args)
    members = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, members, today(), threshold=args.threshold)
    threshold = unsigned["threshold"]
    lines = roster.manifest_diff(s.manifest, unsigned) or ["(no change in members)"]
    if threshold != s.manifest["threshold"]:
        lines.append(f"threshold {s.manifest['threshold']} -> {threshold}")
    _publish(args, s, unsigned, lines)
    return 0


def _routes_proposal(args: argparse.Namespace, routes: dict[str, list[str]]) -> int:
    """The roster as the next version with `routes`, shown, signed and
    published or proposed like ``manifest publish`` (protocol §4.5)."""
    s = session(args)
    members = s.get("/v1/team/members")["members"]
    current = {m["id"] for m in members if not m["removed"]}
    unknown = [m for route in routes.values() for m in route if m not in current]
    if unknown:
        raise CliError(f"{unknown[0]} is not a current member (`candor members list`)")
    intake = {m["id"] for m in members if m["role"] == mf.INTAKE}
    named = [m for route in routes.values() for m in route if m in intake]
    if named:  # protocol §4.5, Roles: files reports, reads none
        raise CliError(f"{named[0]} is an intake member: it reads no report, so no route names it")
    unsigned = roster.next_manifest(s.manifest, members, today(), routes=routes)
    lines = roster.manifest_diff(s.manifest, unsigned) or ["(no change)"]
    _publish(args, s, unsigned, lines)
    return 0


def routes_set(args: argparse.Namespace) -> int:
    """``candor manifest routes set CATEGORY MEMBER…``: who receives the
    category's reports, besides every admin."""
    routes = dict(session(args).manifest.get("routes") or {})
    routes[args.category] = list(dict.fromkeys(args.member))
    return _routes_proposal(args, routes)


def routes_clear(args: argparse.Namespace) -> int:
    """``candor manifest routes clear [CATEGORY]``: that route (its reports
    then go to the admins only), or every route (every report to everyone)."""
    routes = dict(session(args).manifest.get("routes") or {})
    if args.category is not None and args.category not in routes:
        raise CliError(f"there is no route for {args.category}")
    if args.category is None:
        routes = {}
    else:
        del routes[args.category]
    return _routes_proposal(args, routes)


def _unpublished(head: mf.Manifest, server: Sequence[Mapping[str, Any]]) -> bool:
    def keys(members: Sequence[Mapping[str, Any]]) -> set[tuple[str, str, bool]]:
        return {(m["id"], m["signing_key"], m["removed"]) for m in members}
    return keys(head["members"]) != keys(server)


def manifest_renew(args: argparse.Namespace) -> int:
    s = session(args)
    head = s.manifest
    server = s.get("/v1/team/members")["members"]
    unsigned = roster.renew_manifest(head, today(), server)
    if _unpublished(unsigned, server):
        out.print("note: the member list has changes this renewal leaves out; "
                  "`candor manifest publish` includes them")
    _publish(args, s, unsigned, [f"same members, threshold {head['threshold']}, "
                                 f"valid {unsigned['issued']} to {unsigned['expires']}"])
    return 0


# -- re-anchor (the operator, with the store's own credentials) -------------------------
def reanchor_members(current: Sequence[mf.MemberEntry], cards: Sequence[mf.MemberEntry],
                     drop: AbstractSet[str]) -> list[mf.MemberEntry]:
    """The stored roster, ``drop`` removed (admins whose keys are lost), and
    the new admins' cards appended; removed members stay listed as removed."""
    unknown = set(drop) - {m["id"] for m in current}
    if unknown:
        raise CliError(f"not a member: {', '.join(sorted(unknown))}")
    listed = [mf.remove_member_entry(m) if m["id"] in drop and not m["removed"] else m
              for m in current]
    known = {m["id"] for m in listed}
    return listed + [card for card in cards if card["id"] not in known]


def cmd_reanchor(args: argparse.Namespace) -> int:
    from chalicelib.domain import team_roster
    from chalicelib.domain.cases import Context
    from chalicelib.errors import CandorError
    from chalicelib.store.base import StoreError

    signers = [open_key(path) for path in args.admin_key]
    # A new admin's card lies beside their key file; a current member needs none.
    cards = [json.loads(card_path(path).read_text()) for path in args.admin_key
             if card_path(path).exists()]
    ctx = Context(init_store(args))
    try:
        head = team_roster.current_manifest(ctx)
        if head is None:
            raise CliError("there is no team here yet: run `candor init`")
        members = reanchor_members(team_roster.members(ctx), cards, set(args.drop or ()))
        missing = {k.member for k in signers} - {m["id"] for m in members}
        if missing:
            raise CliError(f"no card beside the key file of {', '.join(sorted(missing))}")
        admins = [m for m in members if m["role"] == "admin" and not m["removed"]]
        unsigned = roster.reanchor_manifest(head["version"] + 1, today(), members,
                                            args.threshold or min(head["threshold"], len(admins)))
        for key in signers:
            unsigned = roster.sign_manifest(unsigned, key.member, key.signing_seed)
        anchor = team_roster.reanchor(ctx, unsigned)
    except CandorError as exc:
        raise CliError(exc.message) from None
    except StoreError as exc:
        raise CliError(f"storage refused: {type(exc).__name__}") from None
    target = write_anchor(args, anchor)
    print(f"re-anchored at version {anchor['version']}; wrote {target}")
    print(f"fingerprint {mf.fingerprint(anchor)}")
    print("now rebuild and redeploy the pages with it built in, and give it to every member "
          "(`candor config set manifest FILE`)")
    return 0


# -- parser ----------------------------------------------------------------------------
def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    members = group(sub, "members", "list, add and remove team members")
    for name, func, text in (("list", members_list, "list members"),
                             ("add", members_add, "add a member from their public card"),
                             ("remove", members_remove, "remove a member at once")):
        p = members.add_parser(name, help=text)
        common(p, listing=name == "list")
        if name == "add":
            p.add_argument("card", help="the member's FILE.card.json")
        if name == "remove":
            p.add_argument("member", help="member id (m_…)")
        p.set_defaults(func=run(func))
    p = members.add_parser("role", help="change your own role (a handover, a step down)")
    common(p)
    p.add_argument("role", choices=mf.ROLES)
    p.set_defaults(func=run(members_role))

    p = group(sub, "keys", "your own keys").add_parser(
        "rotate", help="new keys in NAME-DATE.candor-key beside your key file")
    common(p)
    p.set_defaults(func=run(keys_rotate))

    manifest = group(sub, "manifest", "the signed team manifest")
    p = manifest.add_parser("status", help="version, expiry, threshold and admins of the head")
    common(p, listing=True)
    p.set_defaults(func=run(manifest_status))
    for name, func, text in (
            ("publish", manifest_publish, "sign the roster as the next manifest and publish it"),
            ("renew", manifest_renew, "the same roster as the next version, with new dates"),
            ("sign", manifest_sign, "sign the next version another admin proposed")):
        p = manifest.add_parser(name, help=text)
        common(p)
        p.add_argument("--out", help="where to write it (default: the anchor file in use)")
        p.add_argument("--yes", action="store_true", help="do not ask before signing")
        if name != "sign":
            p.add_argument("--replace", action="store_true",
                           help="with a threshold above 1: replace a waiting proposal")
        if name == "publish":
            p.add_argument("--threshold", type=int, metavar="N",
                           help="signatures the version after this one will need")
        p.set_defaults(func=run(func))

    _add_routes(manifest)
    _add_reanchor(sub)


def _add_routes(manifest: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    routes = manifest.add_parser(
        "routes", help="which members receive each questionnaire category (and the admins)"
    ).add_subparsers(dest="routes_command", required=True, metavar="COMMAND")
    p = routes.add_parser("set", help="the members who receive CATEGORY's reports")
    p.add_argument("category", help="a questionnaire category id, e.g. harassment")
    p.add_argument("member", nargs="+", help="member ids (m_…)")
    p.set_defaults(func=run(routes_set))
    p = routes.add_parser("clear", help="drop CATEGORY's route, or every route")
    p.add_argument("category", nargs="?", help="without it: no routes, everyone gets everything")
    p.set_defaults(func=run(routes_clear))
    for p in (routes.choices["set"], routes.choices["clear"]):
        common(p)
        p.add_argument("--out", help="where to write it (default: the anchor file in use)")
        p.add_argument("--yes", action="store_true", help="do not ask before signing")
        p.add_argument("--replace", action="store_true",
                       help="with a threshold above 1: replace a waiting proposal")


def _add_reanchor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reanchor", help="after a lapse, or with every admin's key lost: a new "
                                        "built-in anchor, stored with the operator's credentials")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", help="a local data directory")
    where.add_argument("--aws-table", help="the DynamoDB table (stack output TableName)")
    p.add_argument("--aws-bucket", help="the blob bucket (stack output BlobBucketName)")
    p.add_argument("--admin-key", action="append", required=True, metavar="FILE",
                   help="an admin's key file; a new admin's card beside it (repeat: threshold)")
    p.add_argument("--drop", action="append", metavar="MEMBER",
                   help="remove this member (an admin whose key file is lost)")
    p.add_argument("--threshold", type=int, metavar="N")
    p.add_argument("--manifest-out", help="where to write it (default: DATA_DIR/manifest.json)")
    p.set_defaults(func=run(cmd_reanchor))
