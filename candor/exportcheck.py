"""Re-check a case export's verification sheet offline (protocol §4.4, "Exports").

``candor export check FILE.zip [--manifest PATH]``: every file of
the ZIP against its SHA-256 in ``verification.json`` (and no file the sheet
does not list); the report's shape and ``reply_to``; every message's and
note's signature against the keys of the manifest chain in the export,
followed from the anchor manifest; each attachment's size; each audit
entry's signed request, and that the export's own entry is a
``case.export`` of this case by the member who exported it. Nothing is
sent anywhere. Exit status 0 when nothing is wrong, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from candor import audit, config, documents
from chalicelib import manifest as mf

SHEET = "verification.json"


def _json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def _latest(anchor: Mapping[str, Any], chain: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The newest manifest the export's chain leads to from the anchor (expiry is
    not checked: an old export stays checkable). Raises ManifestInvalid."""
    later = [m for m in chain if m.get("version", 0) > anchor["version"]]
    return mf.follow_chain(anchor, later) if later else anchor


def _files(z: zipfile.ZipFile, sheet: Mapping[str, Any]) -> tuple[dict[str, bytes], list[str]]:
    listed: Mapping[str, str] = sheet.get("files", {})
    problems = [f"{name}: not listed in the sheet" for name in z.namelist()
                if name != SHEET and name not in listed]
    found: dict[str, bytes] = {}
    for name, digest in listed.items():
        if name not in z.namelist():
            problems.append(f"{name}: missing")
            continue
        data = z.read(name)
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"{name}: its SHA-256 is not the sheet's")
        found[name] = data
    return found, problems


def _documents(sheet: Mapping[str, Any], files: Mapping[str, bytes],
               manifest: Mapping[str, Any]) -> list[str]:
    report = _json(files["report.json"])
    reply_to = sheet["reply_to"]
    ok = documents.check_report(report, reply_to).ok
    problems = [] if ok else ["report.json: not this case's report"]
    for d in sheet["documents"]:
        if d["kind"] == "report" or d["file"] is None:
            continue
        doc = _json(files[d["file"]])
        keys = documents.author_keys(doc, manifest, report["reporter_key"])
        verdict = documents.check_message(doc, d["kind"], doc.get("from", ""), reply_to, keys,
                                          d["id"])
        if not verdict.ok or d["verdict"] != "ok":
            problems.append(f"{d['file']}: does not verify ({verdict.reason or d['verdict']})")
    for a in sheet["attachments"]:
        if len(files.get(a["file"], b"")) != a["size"]:
            problems.append(f"{a['file']}: not {a['size']} bytes")
    return problems


def _audit(sheet: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    entry = sheet["export"]
    problems = []
    if (entry.get("action"), entry.get("case"), entry.get("member")) != (
            "case.export", sheet["case"], sheet["exported_by"]):
        problems.append("the export's audit entry is not this export")
    chain_problem = audit.PROBLEMS["chain"]
    for e in [entry, *sheet.get("audit", [])]:
        # One entry alone is checked for its signed request, not for its place in the chain.
        found = audit.verify_entries([e], manifest).problems
        problems += [f"audit entry {e.get('seq')}: {p.split(': ', 1)[1]}" for p in found
                     if not p.endswith(chain_problem)]
        if e.get("case") != sheet["case"]:
            problems.append(f"audit entry {e.get('seq')}: of another case")
    return problems


def check(data: bytes, anchor: Mapping[str, Any]) -> list[str]:
    """What is wrong with the export ``data`` (empty when nothing is)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        sheet = _json(z.read(SHEET))
        files, problems = _files(z, sheet)
        if problems:
            return problems
        manifest = _latest(anchor, _json(files["manifests.json"]))
        return _documents(sheet, files, manifest) + _audit(sheet, manifest)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, mf.ManifestInvalid) as exc:
        return [f"not a readable export: {exc}"]


def add_commands(sub: Any) -> None:
    """``candor export check`` (candor/__main__.py loads this module's commands)."""
    export = sub.add_parser("export", help="case exports for counsel")
    actions = export.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("check", help="re-check an export's verification sheet offline")
    p.add_argument("file", type=Path)
    p.add_argument("--manifest", help="the anchor manifest (default: candor's anchor)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    anchor = json.loads(config.anchor_path(args.manifest).read_text(encoding="utf-8"))
    problems = check(args.file.read_bytes(), anchor)
    for p in problems:
        print(f"candor: {p}", file=sys.stderr)
    if not problems:
        print(f"{args.file}: every file, signature and audit entry checks out")
    return 1 if problems else 0
