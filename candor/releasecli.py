"""``candor release sign|publish``: the admins' threshold signs the built pages (protocol §4.8).

Each admin rebuilds the pages from the tagged source (docs/verify.md) and
runs ``candor release sign PROPOSAL --site DIR``: the first creates the
proposal from their build, the others sign it only when their own build is
byte-identical to it. ``candor release publish`` checks the threshold and
the chain and writes ``release.json`` and ``releases/N.json`` into the site
directory, which is then uploaded with the pages.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from candor import config
from candor import release as rel
from candor.opscli import open_key
from candor.prompt import CliError
from candor.teamcli import key_path, today
from chalicelib import manifest as mf

MAX_SHOWN = 12


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise CliError(f"cannot read {what} {path}") from None


def _anchor(args: argparse.Namespace) -> mf.Manifest:
    """The manifest the pages were built with: signers are its admins."""
    path = config.anchor_path(args.manifest)
    try:
        return mf.parse_manifest(_read_json(path, "the manifest"))
    except mf.ManifestInvalid as exc:
        raise CliError(f"{path}: {exc.reason}") from None


def _site(args: argparse.Namespace) -> Path:
    site = Path(args.site)
    if not (site / "index.html").is_file() or not (site / rel.HEADERS_FILE).is_file():
        raise CliError(f"{site} holds no built pages: run `node frontend/build.mjs --out {site}`")
    return site


def _published(site: Path) -> rel.Release | None:
    head = site / rel.HEAD_FILE
    return rel.parse_release(_read_json(head, "the release")) if head.exists() else None


def _write(path: Path, document: Any) -> None:
    """Whole or not at all: a reader never sees half a release."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _summary(release: rel.Release) -> list[str]:
    ref = release["manifest"]
    return [f"release {release['version']}, valid {release['issued']} to {release['expires']}",
            f"{len(release['assets'])} files, manifest version {ref['version']} "
            f"(fingerprint {ref['fingerprint']})",
            f"fingerprint {rel.fingerprint(release)}",
            f"signed by {', '.join(s['member'] for s in release['sigs']) or 'nobody yet'}"]


def _changes(release: rel.Release, previous: rel.Release | None) -> list[str]:
    """What a reviewer signs for: the files that differ from the published release."""
    if previous is None or previous["version"] != release["version"] - 1:
        return []
    old, new = previous["assets"], release["assets"]
    changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
    marks = [p + (" (new)" if p not in old else " (gone)" if p not in new else "")
             for p in changed]
    shown = ", ".join(marks[:MAX_SHOWN]) + (f" and {len(marks) - MAX_SHOWN} more"
                                             if len(marks) > MAX_SHOWN else "")
    headers = "; headers changed" if previous["headers"] != release["headers"] else ""
    return [f"changed since release {previous['version']}: {shown or 'no file'}{headers}"]


def _proposal(args: argparse.Namespace, manifest: mf.Manifest, site: Path) -> rel.Release:
    """The proposal file, checked against this signer's own build; a new one
    from the build when there is none yet."""
    path = Path(args.proposal)
    if not path.exists():
        return rel.unsigned_release(site, manifest, _published(site), today(), args.lifetime)
    proposal = rel.verify_release(_read_json(path, "the proposal"), manifest, partial=True)
    difference = rel.site_difference(proposal, site)
    if difference:
        raise CliError(f"not signed: your build differs: {difference}")
    return proposal


def release_sign(args: argparse.Namespace) -> int:
    manifest, site = _anchor(args), _site(args)
    proposal = _proposal(args, manifest, site)
    key = open_key(key_path(args))
    for line in [*_summary(proposal), *_changes(proposal, _published(site))]:
        print(f"  {line}")
    if not args.yes and input(f"Sign release {proposal['version']}? [y/N] ") != "y":
        raise CliError("not signed")
    signed = rel.sign_release(proposal, key.member, key.signing_seed)
    rel.verify_release(signed, manifest, partial=True)  # a reviewer's key is refused here
    _write(Path(args.proposal), signed)
    missing = manifest["threshold"] - len(signed["sigs"])
    print(f"signed; wrote {args.proposal}; " + (
        f"{missing} more admin signature(s) needed" if missing > 0
        else f"run `candor release publish {args.proposal} --site {site}`"))
    return 0


def release_propose(args: argparse.Namespace) -> int:
    """The unsigned proposal of the built site, for admins who sign in the
    console (console/releases.ts) or with `candor release sign`."""
    manifest, site, path = _anchor(args), _site(args), Path(args.proposal)
    if path.exists():
        raise CliError(f"{path} exists: sign it, or remove it first")
    proposal = rel.unsigned_release(site, manifest, _published(site), today(), args.lifetime)
    for line in [*_summary(proposal), *_changes(proposal, _published(site))]:
        print(f"  {line}")
    _write(path, proposal)
    print(f"wrote {path}: {manifest['threshold']} admin signature(s) needed")
    return 0


def release_publish(args: argparse.Namespace) -> int:
    manifest, site = _anchor(args), _site(args)
    release = rel.verify_release(_read_json(Path(args.proposal), "the proposal"), manifest)
    difference = rel.site_difference(release, site)
    if difference:
        raise CliError(f"not published: {difference}")
    previous = _published(site)
    if release["version"] > 1:
        if previous is None or previous["version"] != release["version"] - 1:
            raise CliError(f"{site} does not hold release {release['version'] - 1}: copy the "
                           f"published {rel.HEAD_FILE} and releases/ into it first")
        rel.verify_next_release(previous, release, manifest)
        _write(site / rel.chain_file(previous["version"]), previous)
    elif previous is not None:
        raise CliError(f"{site} already holds release {previous['version']}")
    _write(site / rel.chain_file(release["version"]), release)
    _write(site / rel.HEAD_FILE, release)
    print(f"published release {release['version']} in {site}; upload the site with it")
    print(f"fingerprint {rel.fingerprint(release)}")
    return 0


def release_compare(args: argparse.Namespace) -> int:
    """Anyone's check of a rebuild: no key, no server (docs/verify.md)."""
    release = rel.parse_release(_read_json(Path(args.release), "the release"))
    print(f"release {release['version']}, fingerprint {rel.fingerprint(release)}")
    difference = rel.site_difference(release, _site(args))
    if difference:
        raise CliError(f"the build differs: {difference}")
    print(f"identical: {len(release['assets'])} files and the headers")
    return 0


def verify_page(args: argparse.Namespace) -> int:
    from candor import verifypage

    anchor = _read_json(Path(args.anchor), "the anchor release")
    result = verifypage.verify_site(args.url, anchor, today=today())
    print(f"ok: {result.files} files served as release {result.release['version']} signs them "
          f"(fingerprint {rel.fingerprint(result.release)}, manifest version "
          f"{result.release['manifest']['version']}, valid to {result.release['expires']})")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("release", help="sign and publish a release of the pages")
    actions = group.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    for name, func, text in (
            ("propose", release_propose, "write the unsigned proposal of the built pages"),
            ("sign", release_sign, "add your signature to a release proposal (made if absent)"),
            ("publish", release_publish, "check the threshold, write the release into the site")):
        p = actions.add_parser(name, help=text)
        p.add_argument("proposal", help="the proposal file the admins sign in turn")
        p.add_argument("--site", required=True, help="the built pages (node frontend/build.mjs)")
        p.add_argument("--manifest", help="the manifest the pages were built with (default: "
                                          "the anchor in use, as for team commands)")
        if name == "sign":
            p.add_argument("--key", help="your FILE.candor-key (default: the config file's)")
        if name != "publish":
            p.add_argument("--lifetime", type=int, default=mf.MAX_LIFETIME_DAYS, metavar="DAYS",
                           help="days a new release is valid (at most 90)")
        if name == "sign":
            p.add_argument("--yes", action="store_true", help="do not ask before signing")
        p.set_defaults(func=func)
    p = actions.add_parser("compare", help="compare a build with a release (anyone, no key)")
    p.add_argument("release", help="a release file (release.json, releases/N.json)")
    p.add_argument("--site", required=True, help="your own build of the tagged source")
    p.set_defaults(func=release_compare)
    from candor import poster  # imports this module: registered once it is loaded

    poster.add_command(actions)
    p = sub.add_parser("verify-page", help="check the live pages against the signed releases")
    p.add_argument("url", help="the reporter page's base URL")
    p.add_argument("--anchor", required=True, metavar="FILE",
                   help="a release you trust (the first, or one checked out of band)")
    p.set_defaults(func=verify_page)
