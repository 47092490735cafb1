"""Operator commands: ``keygen``, ``init``, ``config``, ``serve``, ``demo``,
``backup`` and ``restore``."""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from candor import config, prompt, roster, smtp
from candor import keyfile as kf
from candor.prompt import CliError
from candor.serve import add_throttle_arguments, throttle_of
from chalicelib import manifest as mf

ROOT = Path(__file__).resolve().parent.parent
DEMO_TEAM = (
    ("Ada Lovelace", "Legal", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Alan Turing", "HR", "reviewer"),
)


def read_passphrase(*, confirm: bool) -> str:
    """A key file's passphrase: at least 10 characters when new."""
    return prompt.read_passphrase(confirm=confirm, min_length=10 if confirm else 1)


def open_key(path: str) -> kf.KeyFile:
    try:
        return kf.open_keyfile(path, read_passphrase(confirm=False))
    except kf.KeyFileError as exc:
        raise CliError(f"cannot open {path}: {exc}") from None


def card_path(key_path: str | Path) -> Path:
    return Path(str(key_path).removesuffix(".candor-key") + ".card.json")


def make_member(
    path: Path, name: str, function: str, role: str, passphrase: str, api: str = ""
) -> tuple[kf.KeyFile, mf.MemberEntry]:
    """A new key file on disk and the member's public card beside it."""
    key = kf.create_keyfile(api)
    card = kf.public_card(key, name, function, role)
    kf.write_keyfile(key, path, passphrase)
    card_path(path).write_text(json.dumps(card, indent=2) + "\n")
    return key, card


def first_manifest(
    cards: Sequence[Mapping[str, Any]], signers: Sequence[kf.KeyFile]
) -> mf.Manifest:
    """Manifest version 1, signed by ``signers`` (protocol §4.5)."""
    unsigned = roster.unsigned_manifest(1, datetime.now(UTC).date(), cards, threshold=1)
    for key in signers:
        unsigned = roster.sign_manifest(unsigned, key.member, key.signing_seed)
    return unsigned


def cmd_keygen(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists():
        raise CliError(f"{path} exists; choose another file")
    key, _ = make_member(path, args.name, args.function, args.role,
                         read_passphrase(confirm=True), args.api)
    print(f"member {key.member}: key file {path}, public card {card_path(path)}")
    return 0


def init_store(args: argparse.Namespace) -> Any:
    """The store ``init`` writes to: a local data directory, or the cloud's
    table and bucket with the operator's own AWS credentials, in the stack's
    region. There is no API route for version 1: whoever reached it first
    after a deployment would own the team."""
    from chalicelib.config import Settings
    from chalicelib.store.factory import open_store

    if args.data_dir:
        return open_store(Settings(backend="local", data_dir=args.data_dir))
    if not (args.aws_table and args.aws_bucket):
        raise CliError("give --data-dir DIR, or --aws-table and --aws-bucket")
    import boto3

    from chalicelib.store.aws import AwsCaseStore

    # The table exists in one region only; without one, boto3 fails on the
    # first call with an error that says nothing about where to look.
    args.aws_region = args.aws_region or boto3.session.Session().region_name
    if not args.aws_region:
        raise CliError("no AWS region: give --aws-region REGION, the region the stack "
                       "was deployed in (or set AWS_DEFAULT_REGION)")
    return AwsCaseStore(args.aws_bucket, args.aws_table,
                        session=boto3.session.Session(region_name=args.aws_region))


# What AWS's error codes mean for ``init``, said in the operator's terms.
_AWS_REFUSALS = {
    "ResourceNotFoundException": "no table {table} in region {region}: give the region the "
                                 "stack was deployed in with --aws-region",
    "AccessDeniedException": "your AWS credentials may not write table {table}: init needs "
                             "dynamodb:GetItem, dynamodb:Query and dynamodb:PutItem on it, and "
                             "kms:Decrypt on the stack's key (docs/deploy.md)",
    "NoCredentialsError": "no AWS credentials: run `aws configure` or `aws sso login`, "
                          "or set AWS_PROFILE",
    "UnrecognizedClientException": "AWS did not accept your credentials in {region}",
    "ExpiredTokenException": "your AWS session has expired: log in again",
}


def init_refused(args: argparse.Namespace, code: str) -> CliError:
    """A storage failure of ``init`` as a message that says what to do."""
    if args.data_dir:
        return CliError(f"storage refused: {code}")
    text = _AWS_REFUSALS.get(code, "storage refused: {code} (table {table}, region {region})")
    return CliError(text.format(code=code, table=args.aws_table, region=args.aws_region))


def init_place(args: argparse.Namespace) -> str:
    if args.data_dir:
        return str(args.data_dir)
    return f"DynamoDB table {args.aws_table} ({args.aws_region}), blob bucket {args.aws_bucket}"


def write_anchor(args: argparse.Namespace, manifest: Mapping[str, Any]) -> Path:
    """Write the operator's new anchor (``--manifest-out``, else beside the
    data) and make it the settings file's anchor. Returns where it went."""
    out = Path(args.manifest_out or Path(args.data_dir or ".") / "manifest.json")
    out.write_text(json.dumps(manifest, indent=2) + "\n")
    config.set_value("manifest", str(out))
    return out


def cmd_init(args: argparse.Namespace) -> int:
    from chalicelib.domain import team_roster
    from chalicelib.domain.cases import Context
    from chalicelib.errors import CandorError
    from chalicelib.store.base import StoreError

    key = open_key(args.admin_key)
    card = json.loads(card_path(args.admin_key).read_text())
    manifest = first_manifest([card], [key])
    try:
        team_roster.bootstrap(Context(init_store(args)), manifest)
    except CandorError as exc:
        raise CliError(exc.message) from None
    except StoreError as exc:
        raise init_refused(args, str(exc) or type(exc).__name__) from None
    out = write_anchor(args, manifest)
    config.set_value("key", args.admin_key)
    print(f"team initialised in {init_place(args)}; manifest version 1 written to {out}")
    print(f"fingerprint {mf.fingerprint(manifest)}")
    print(f"{config.config_path()} now names it and your key file")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    if args.config_command == "set":
        path = config.set_value(args.name, args.value)
        print(f"{args.name} {'set' if args.value else 'removed'} in {path}")
        return 0
    settings = config.load_config()
    if args.json:
        from candor.output import emit_json

        emit_json({"file": str(config.config_path()), "settings": settings})
        return 0
    print(f"# {config.config_path()}")
    for name in config.KEYS:
        print(f"{name}\t{settings.get(name, '')}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from candor import backup

    digest = backup.backup(Path(args.data_dir), Path(args.output),
                           progress=lambda line: print(line, flush=True))
    print(f"backup written to {args.output}; keep this line to check it on restore:")
    print(f"digest {digest}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from candor import backup

    count = backup.restore(Path(args.archive), Path(args.data_dir), digest=args.digest)
    print(f"restored {count} files into {args.data_dir}, every hash checked")
    return 0


def build_site(manifest: Path, out: Path) -> None:
    """Build the pages with ``manifest`` built in (node + esbuild)."""
    try:
        subprocess.run(["node", str(ROOT / "frontend" / "build.mjs"), "--manifest", str(manifest),
                        "--out", str(out)], check=True, cwd=ROOT)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CliError(f"building the pages failed: {exc}") from None


def head_warning(ctx: Any) -> None:
    """The expiry line every command shows, for the operator's own commands:
    from the store's head (they have no member session)."""
    from chalicelib import manifest_status
    from chalicelib.domain import team_roster

    head = team_roster.current_manifest(ctx)
    line = head and manifest_status.expiry_warning(head, ctx.today())
    if line:
        print(f"candor: warning: {line.removeprefix('warning: ')}", file=sys.stderr, flush=True)


def serve(data_dir: str, site: Path | None, host: str, port: int, args: argparse.Namespace,
          **throttle: Any) -> None:
    """``throttle``: make_server's ``rate`` and ``burst`` (``--rate``, ``--burst``);
    ``args``: the digest's (candor.smtp.add_digest_arguments)."""
    from candor.serve import make_server, start_retention
    from chalicelib.config import Settings, load_limits
    from chalicelib.domain import notify
    from chalicelib.http import runtime
    from chalicelib.store.local import LocalCaseStore

    try:
        schedule, target = smtp.digest_of(args)
        limits = load_limits()  # CANDOR_PART_SIZE, CANDOR_MULTIPART_ABOVE
    except ValueError as exc:
        raise CliError(str(exc)) from None
    store = LocalCaseStore(data_dir)
    server = make_server(Settings(data_dir=data_dir, digest=schedule, limits=limits), store,
                         site, host, port, **throttle)
    base, ctx = runtime.settings.public_base_url, runtime.ctx
    if target is None:
        start_retention(ctx)
    else:
        publish = smtp.smtp_publisher(target)
        start_retention(ctx, digest=lambda: notify.run(ctx, publish, schedule))
    print(f"Reporter page:  {base}/", flush=True)
    print(f"Follow-up page: {base}/followup.html", flush=True)
    print(f"Review console: {base}/console/", flush=True)
    print(f"API:            {base}/v1/", flush=True)
    head_warning(runtime.ctx)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def cmd_serve(args: argparse.Namespace) -> int:
    site = Path(args.static) if args.static else None
    if site is None and (Path(args.data_dir) / "site").is_dir():
        site = Path(args.data_dir) / "site"
    serve(args.data_dir, site, args.host, args.port, args, **throttle_of(args))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    throttle = throttle_of(args)  # a bad --rate is refused before anything is made
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    secret = data / "DEMO-PASSPHRASE.txt"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(12) + "\n")
    passphrase = secret.read_text().strip()
    if not (data / "manifest.json").exists():
        _demo_team(data, passphrase)
    build_site(data / "manifest.json", data / "site")
    print("Demo team key files (passphrase below):")
    for name, function, role in DEMO_TEAM:
        print(f"  {data / kf.key_file_stem(name)}.candor-key  {name}, {function} ({role})")
    print(f"Demo passphrase: {passphrase}", flush=True)
    serve(str(data), data / "site", args.host, args.port, args, **throttle)
    return 0


def _demo_team(data: Path, passphrase: str) -> None:
    from chalicelib.domain import team_roster
    from chalicelib.domain.cases import Context
    from chalicelib.store.local import LocalCaseStore

    members = [make_member(data / f"{kf.key_file_stem(n)}.candor-key", n, f, r, passphrase)
               for n, f, r in DEMO_TEAM]
    admins = [key for key, card in members if card["role"] == "admin"]
    manifest = first_manifest([card for _, card in members], admins)
    team_roster.bootstrap(Context(LocalCaseStore(data)), manifest)
    (data / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keygen", help="make a team member's key file and public card")
    p.add_argument("--name", required=True)
    p.add_argument("--function", default="", help='a label such as "Legal"')
    p.add_argument("--role", choices=mf.ROLES, required=True)
    p.add_argument("--api", default="", help="the API's base URL, kept in the key file")
    p.add_argument("-o", "--output", required=True, help="FILE.candor-key")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("init", help="first admin and manifest version 1")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", help="a local data directory")
    where.add_argument("--aws-table", help="the DynamoDB table (stack output TableName)")
    p.add_argument("--aws-bucket", help="the blob bucket (stack output BlobBucketName)")
    p.add_argument("--aws-region", help="the stack's region (default: AWS_DEFAULT_REGION "
                                        "or your AWS profile's)")
    p.add_argument("--admin-key", required=True)
    p.add_argument("--manifest-out", help="where to write manifest.json (default: DATA_DIR)")
    p.set_defaults(func=cmd_init)

    _add_config_and_backup(sub)
    for name, func, text in (("serve", cmd_serve, "run the API and the pages locally"),
                             ("demo", cmd_demo, "run locally with a demo team")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--data-dir", required=True)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        if name == "serve":
            p.add_argument("--static", help="the built pages (default: DATA_DIR/site)")
        add_throttle_arguments(p)
        smtp.add_digest_arguments(p)
        p.set_defaults(func=func)


def _add_config_and_backup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    settings = sub.add_parser("config", help="your settings file (the anchor, API, key file)")
    actions = settings.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    p = actions.add_parser("set", help="set KEY to VALUE ('' removes it)")
    p.add_argument("name", choices=list(config.KEYS), metavar="KEY",
                   help="; ".join(f"{k}: {v}" for k, v in config.KEYS.items()))
    p.add_argument("value", metavar="VALUE")
    p.set_defaults(func=cmd_config)
    p = actions.add_parser("show", help="the file's path and settings")
    p.add_argument("--json", action="store_true", help="print JSON (docs/operations.md)")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("backup", help="a consistent snapshot of a local data directory")
    p.add_argument("--data-dir", required=True)
    p.add_argument("-o", "--output", required=True, help="FILE.tar (must not exist)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="a backup into a new, empty data directory, verified")
    p.add_argument("archive", help="the FILE.tar that `candor backup` wrote")
    p.add_argument("--data-dir", required=True, help="must not exist, or be empty")
    p.add_argument("--digest", help="the digest `candor backup` printed: checks the archive "
                                    "was not replaced whole")
    p.set_defaults(func=cmd_restore)
