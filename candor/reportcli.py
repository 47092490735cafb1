"""``candor report submit`` and ``candor webhook serve``: reports the team
files (protocol §4.4, "Filing").

``report submit`` files a report for someone who cannot use the page (a
phone caller, a walk-in) or a monitoring alert, from a JSON file of form
answers and/or flags, with attachments; it prints the caller's receipt to
read out or print. ``webhook serve`` runs candor/webhook.py's loopback
adapter with the intake member's key file (docs/operations.md, "Monitoring
alerts").
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from candor import teamops, webhook
from candor.output import emit_json, out
from candor.prompt import CliError
from candor.reporter import Evidence, Submission, submit
from candor.teamcli import common, group, run, session

SOURCES = ("phone", "walk-in", "monitoring")  # a drill is `candor drill start`


def file_report(
    s: teamops.Session, form: Mapping[str, str], source: str, *,
    files: Sequence[Evidence] = (), lang: str = "en", exclude: Sequence[str] = (),
) -> Submission:
    """Seal ``form`` to its category's readers under the current manifest
    but ``exclude`` (whom the caller does not want to read it), as the page
    does, and file it as ``source``. Raises ManifestExpired (nothing
    sealed), ApiError, TeamError."""
    s.manifest = s.refresh_manifest()  # a long-running webhook sees new members
    s.require_unexpired()
    return submit(s.api, s.manifest, form, files=files, lang=lang, today=s.today(),
                  exclude=exclude, filed={"source": source})


def _form(args: argparse.Namespace) -> dict[str, str]:
    form: dict[str, Any] = {}
    if args.answers:
        try:
            raw = sys.stdin.read() if args.answers == "-" else Path(args.answers).read_text("utf-8")
            form = json.loads(raw)
        except (OSError, ValueError):
            raise CliError(f"cannot read the form answers {args.answers} as JSON") from None
    if not isinstance(form, dict) or not all(isinstance(v, str) for v in form.values()):
        raise CliError("the form answers are a JSON object of strings, e.g. "
                       '{"category": "account_compromised", "summary": "…", "details": "…"}')
    for pair in args.field or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--field {pair!r}: write NAME=VALUE, e.g. where='Head office'")
        form[name] = value
    for name in ("category", "summary", "details"):
        if getattr(args, name) is not None:
            form[name] = getattr(args, name)
    if not form.get("summary", "").strip():
        raise CliError("a report needs a summary (--summary, or \"summary\" in the answers)")
    return form


def metadata_format(data: bytes) -> str | None:
    """What a file is, by its first bytes, when its format commonly carries
    who made it, on what and where (an author, a device, a GPS position):
    the formats the pages clean (protocol §6), and TIFF and zip. None for
    anything else (plain text, CSV, logs)."""
    head = data[:1024]
    if head.startswith(b"\xff\xd8\xff"):
        return "a JPEG photo"
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "a TIFF image"
    if head[4:8] == b"ftyp":
        return "an HEIC photo or a video"
    if b"%PDF-" in head:
        return "a PDF"
    if head.startswith(b"PK\x03\x04"):
        return "an Office or OpenDocument file, or a zip"
    return None


def _evidence(attach: Sequence[str], original: Sequence[str]) -> list[Evidence]:
    """The files to attach. A file given with --attach whose format carries
    metadata is refused (the command line cannot remove it, the console's
    filing view does); --original sends a file as it is, by choice."""
    files = []
    for path, as_is in [(p, False) for p in attach] + [(p, True) for p in original]:
        try:
            data = Path(path).read_bytes()
        except OSError:
            raise CliError(f"cannot read {path}") from None
        kind = metadata_format(data)
        if kind and not as_is:
            raise CliError(
                f"{path}: {kind} may carry its author, device or location, which the command "
                "line cannot remove: file it in the console's \"File a report\", which removes "
                f"them, or send it as it is with --original {path}")
        files.append(Evidence(Path(path).name, data,
                              mimetypes.guess_type(path)[0] or "application/octet-stream"))
    return files


def report_submit(args: argparse.Namespace) -> int:
    form = _form(args)
    files = _evidence(args.attach or [], args.original or [])
    sub = file_report(session(args), form, args.source, files=files, lang=args.lang,
                      exclude=args.exclude or [])
    # A monitoring alert has nobody to follow up: its receipt is not shown.
    receipt = None if args.source == "monitoring" else sub.receipt.text
    if args.json:
        emit_json({"received": sub.answer["received"], "source": args.source,
                   "receipt": receipt})
        return 0
    out.print(f"filed as {args.source} on {sub.answer['received']}", markup=False)
    if receipt is not None:
        out.print("The caller's receipt (read it out or print it; it is shown once, and "
                  "it opens the follow-up page):", markup=False)
        out.print(f"\n    {receipt}\n", markup=False)
    return 0


def webhook_serve(args: argparse.Namespace) -> int:
    try:
        secret = Path(args.secret_file).read_bytes().strip()
    except OSError:
        raise CliError(f"cannot read the shared secret {args.secret_file}") from None
    if len(secret) < 16:
        raise CliError("the shared secret must be at least 16 bytes (e.g. `openssl rand -hex "
                       "32 > FILE`)")
    s = session(args)

    def file(form: dict[str, str]) -> Mapping[str, Any]:
        return file_report(s, form, "monitoring").answer

    server = webhook.make_server(args.bind, args.port, webhook.AlertGate(secret, time.time),
                                 file, args.category)
    host = f"[{args.bind}]" if ":" in args.bind else args.bind
    out.print(f"listening on http://{host}:{server.server_address[1]}/alerts; filing as "
              f"{s.key.member}",
              markup=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = group(sub, "report", "file a report as the team (a caller, a walk-in, an alert)") \
        .add_parser("submit", help="seal and file a report for someone, and show its receipt")
    common(p, listing=True)
    p.add_argument("--source", required=True, choices=SOURCES, help="how it came in")
    p.add_argument("--answers", metavar="FILE", help="form answers as a JSON object ('-': stdin)")
    p.add_argument("--category", help="the questionnaire's category id")
    p.add_argument("--summary")
    p.add_argument("--details")
    p.add_argument("--field", action="append", metavar="NAME=VALUE",
                   help="another form answer (where, when, who, urgency, …)")
    p.add_argument("--attach", action="append", metavar="FILE",
                   help="a file to attach; photos, videos, PDFs and Office files are refused "
                        "(their metadata stays): file those in the console, or use --original")
    p.add_argument("--original", action="append", metavar="FILE",
                   help="a file sent as it is, with its author, device or location if it has "
                        "them")
    p.add_argument("--exclude", action="append", metavar="MEMBER",
                   help="a member the caller does not want to read it (`candor members list`)")
    p.add_argument("--lang", default="en", help="the report's language (default en)")
    p.set_defaults(func=run(report_submit))

    p = group(sub, "webhook", "turn monitoring alerts into sealed cases").add_parser(
        "serve", help="a loopback HTTP endpoint for alerts, filing with the intake key")
    common(p)
    p.add_argument("--secret-file", required=True,
                   help="the shared secret the alerting tools sign with")
    p.add_argument("--bind", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--category", help="the category of every alert's report (e.g. "
                                      "account_compromised)")
    p.set_defaults(func=run(webhook_serve))
