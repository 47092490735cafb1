"""`make deploy` and `make destroy`: one Candor stack on AWS, with no guessing.

deploy: check everything that would make it fail half-way, before anything
changes (deploy_checks.py); `cdk deploy --outputs-file`; the first admin by
`candor init` with the operator's own key and credentials (the API has no
route for manifest version 1); the pages built with that manifest and
uploaded (deploy_pages.py); the URLs.

destroy: the stack, then what it keeps on purpose (deploy_teardown.py).

Each step is a function of boto3 clients, so tests/deploy replays them
against moto's server. Needs boto3 only (the infra venv or the app's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
sys.path[:0] = [str(INFRA)]

import deploy_checks as checks  # noqa: E402
import deploy_pages as pages  # noqa: E402
import deploy_teardown as teardown  # noqa: E402
from candor_infra.settings import StageSettings, stage_settings  # noqa: E402
from deploy_checks import DeployError  # noqa: E402

CDK = ["npx", "--yes", "aws-cdk@2"]
# The app's venv has the candor CLI (`make deps`); the infra venv does not.
CANDOR = [str(ROOT / ".venv" / "bin" / "python"), "-m", "candor"]


@dataclass(frozen=True)
class Outputs:
    """The stack outputs deploy needs (infra/candor_infra/stack.py)."""

    api_url: str
    page_url: str
    pages_bucket: str
    blob_bucket: str
    table: str
    distribution_id: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Outputs:
        names = {"api_url": "ApiUrl", "page_url": "PageUrl", "pages_bucket": "PagesBucketName",
                 "blob_bucket": "BlobBucketName", "table": "TableName",
                 "distribution_id": "DistributionId"}
        missing = sorted(v for v in names.values() if not values.get(v))
        if missing:
            raise DeployError(f"the stack has no output {', '.join(missing)}",
                              "make deploy (with the current infra/)")
        return cls(**{name: values[output] for name, output in names.items()})


def read_outputs(path: Path, stack: str) -> Outputs:
    """The outputs `cdk deploy --outputs-file` wrote for ``stack``."""
    return Outputs.from_mapping(json.loads(path.read_text(encoding="utf-8")).get(stack, {}))


def deployed_outputs(cfn: Any, stack: str) -> Outputs:
    """The outputs of the stack as deployed (for `pages` and `destroy`)."""
    found = checks.describe_stack(cfn, stack)
    if found is None:
        raise DeployError(f"there is no stack {stack} in this region", "make deploy")
    return Outputs.from_mapping({o["OutputKey"]: o["OutputValue"]
                                 for o in found.get("Outputs", [])})


def settings_for(stage: str) -> StageSettings:
    """The stage's settings as `cdk deploy` reads them (infra/cdk.json)."""
    context = json.loads((INFRA / "cdk.json").read_text(encoding="utf-8"))["context"]
    return stage_settings(context, stage)


def reservations(settings: StageSettings, parameters: Mapping[str, str],
                 previous: Mapping[str, str]) -> dict[str, int]:
    """What the stack will reserve, by function: a ``--parameter`` given
    now, else the deployed stack's value (cdk keeps previous parameter
    values), else infra/cdk.json's."""
    defaults = {"ReservedConcurrency": settings.reserved_concurrency,
                "TeamReservedConcurrency": settings.team_reserved_concurrency,
                "HousekeepingReservedConcurrency": settings.housekeeping_reserved_concurrency}
    merged = {**{k: str(v) for k, v in defaults.items()}, **previous, **parameters}
    return {what: int(merged[name]) for name, what in checks.RESERVATIONS.items()}


def stack_parameters(cfn: Any, stack: str) -> dict[str, str]:
    found = checks.describe_stack(cfn, stack) or {}
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])}


@dataclass
class Aws:
    """The boto3 clients of one account and region."""

    session: Any
    endpoint_url: str | None = None

    def client(self, name: str) -> Any:
        return self.session.client(name, endpoint_url=self.endpoint_url)


def preflight(aws: Aws, settings: StageSettings, parameters: Mapping[str, str],
              admin_key: Path, admin_name: str | None, manifest: Path) -> bool:
    """Every check, before anything changes. Returns whether the stack exists."""
    region = checks.check_region(aws.session.region_name, settings.region)
    account = checks.check_credentials(aws.client("sts"))
    checks.check_account(account, settings.account)
    checks.check_bootstrap(aws.client("ssm"), account, region)
    previous = stack_parameters(aws.client("cloudformation"), settings.stack_name)
    checks.check_concurrency(aws.client("lambda"), settings.stack_name,
                             reservations(settings, parameters, previous))
    names = checks.fixed_names(settings.stage)
    leftovers = checks.existing_leftovers(aws.client("s3"), aws.client("dynamodb"), names)
    exists = checks.check_stack_state(aws.client("cloudformation"), settings.stack_name,
                                      leftovers)
    if exists and checks.has_team(aws.client("dynamodb"), names["table"]):
        if not manifest.is_file():
            raise DeployError(f"the team exists but its current manifest is not at {manifest}",
                              f"candor manifest publish --key {admin_key} --out {manifest}")
    elif not admin_key.is_file() and not admin_name:
        raise DeployError(f"no admin key file at {admin_key} for the first admin",
                          "make deploy ADMIN_KEY=path/to/yours.candor-key, or "
                          "ADMIN_NAME='Ada Admin' to make one")
    return exists


def cdk_deploy(settings: StageSettings, parameters: Mapping[str, str], outputs: Path,
               region: str, *, approve: bool) -> None:
    """`cdk deploy` of one stage; it asks before widening IAM unless ``approve``."""
    command = [*CDK, "deploy", settings.stack_name, "-c", f"stages={settings.stage}",
               "--outputs-file", str(outputs)]
    for name, value in parameters.items():
        command += ["--parameters", f"{settings.stack_name}:{name}={value}"]
    if approve:
        command += ["--require-approval", "never"]
    env = {**os.environ, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    if subprocess.run(command, cwd=INFRA, env=env, check=False).returncode:
        raise DeployError("cdk deploy failed (see above); nothing after it ran",
                          "fix what it says and run make deploy again (docs/deploy.md, "
                          "Troubleshooting)")


def candor(*args: str, env: Mapping[str, str] | None = None) -> None:
    done = subprocess.run([*CANDOR, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          check=False)
    if done.returncode:
        raise DeployError(f"candor {args[0]} failed (see above)", "make deps, then retry")


def make_admin_key(admin_key: Path, admin_name: str,
                   env: Mapping[str, str] | None = None) -> None:
    """The first admin's key file; asks for its passphrase (before the long
    `cdk deploy`, so the operator is still at the terminal)."""
    candor("keygen", "--name", admin_name, "--role", "admin", "-o", str(admin_key), env=env)


def first_admin(out: Outputs, region: str, admin_key: Path, manifest: Path,
                env: Mapping[str, str] | None = None) -> None:
    """Manifest version 1 in the table, signed by the admin's key, and the
    API's address in the operator's settings file."""
    candor("init", "--aws-table", out.table, "--aws-bucket", out.blob_bucket, "--aws-region",
           region, "--admin-key", str(admin_key), "--manifest-out", str(manifest), env=env)
    candor("config", "set", "api", out.api_url, env=env)


def prepare_pages(aws: Aws, out: Outputs, manifest: Path, site: Path,
                  headers_file: Path) -> int | None:
    """The pages built with ``manifest`` in ``site``, with the bucket's
    release chain beside them and the headers CloudFront serves in
    headers.json, as the admins sign them (docs/verify.md). Returns the
    version of the bucket's release, or None."""
    pages.build_pages(manifest, site)
    published = pages.fetch_releases(aws.client("s3"), out.pages_bucket, site)
    served = pages.served_headers(headers_file, out.blob_bucket, aws.session.region_name)
    pages.write_served_headers(site, served)
    return published


def sign_steps(site: Path, manifest: Path) -> str:
    return (f"have the admins sign this build, each checking it against their own rebuild "
            f"(docs/verify.md): candor release sign proposal.json --site {site} --manifest "
            f"{manifest} --key ADMIN.candor-key; then make pages ARGS=\"--release "
            f"proposal.json\", which runs `candor release publish proposal.json --site {site}` "
            f"and uploads")


def release_matches(site: Path) -> bool:
    """Whether the built site is exactly what its release.json signs."""
    done = subprocess.run([*CANDOR, "release", "compare", str(site / pages.RELEASE_HEAD),
                           "--site", str(site)], cwd=ROOT, capture_output=True, check=False)
    return done.returncode == 0


def publish_release(proposal: Path, site: Path, manifest: Path) -> None:
    done = subprocess.run([*CANDOR, "release", "publish", str(proposal), "--site", str(site),
                           "--manifest", str(manifest)], cwd=ROOT, check=False)
    if done.returncode:
        raise DeployError("candor release publish refused the proposal (see above); "
                          "nothing was uploaded", sign_steps(site, manifest))


def publish_pages(aws: Aws, out: Outputs, manifest: Path, site: Path, headers_file: Path,
                  release: Path | None = None) -> list[str]:
    """Build, publish ``release`` into the site, upload, and drop
    CloudFront's cached copies. Once the bucket holds a release, pages that
    no release signs are not uploaded (protocol §4.8)."""
    published = prepare_pages(aws, out, manifest, site, headers_file)
    if release is not None:
        publish_release(release, site, manifest)
    elif published is not None and not release_matches(site):
        raise DeployError(f"the pages bucket holds release {published}, and this build differs "
                          f"from it: nothing was uploaded", sign_steps(site, manifest))
    uploaded = pages.upload_pages(aws.client("s3"), out.pages_bucket, site)
    pages.invalidate(aws.client("cloudfront"), out.distribution_id, f"deploy-{time.time_ns()}")
    if release is None and published is None:
        print(f"these pages are not signed: to sign them, {sign_steps(site, manifest)}")
    return uploaded


def urls(out: Outputs) -> list[str]:
    base = out.page_url.rstrip("/")
    return [f"Reporter page:  {base}/", f"Follow-up page: {base}/followup.html",
            f"Review console: {base}/console/", f"API (--api):    {out.api_url}"]


def deploy(args: argparse.Namespace, aws: Aws) -> None:
    settings = settings_for(args.stage)
    parameters = dict(p.split("=", 1) for p in args.parameter)
    admin_key = Path(args.admin_key or Path.home() / f"{settings.stack_name}-admin.candor-key")
    admin_key, manifest = admin_key.resolve(), Path(args.manifest).resolve()
    exists = preflight(aws, settings, parameters, admin_key, args.admin_name, manifest)
    # Off on create, so that the rollback of a failed first create can
    # delete the table; on from then on (infra/candor_infra/storage.py).
    parameters.setdefault("TableDeletionProtection", "true" if exists else "false")
    print("checks passed: credentials, region, CDK bootstrap, Lambda concurrency, stack state")
    if not admin_key.is_file() and args.admin_name:
        make_admin_key(admin_key, args.admin_name)
    work = INFRA / "build" / settings.stack_name
    work.mkdir(parents=True, exist_ok=True)
    cdk_deploy(settings, parameters, work / "outputs.json", aws.session.region_name,
               approve=args.yes)
    out = read_outputs(work / "outputs.json", settings.stack_name)
    if not exists:
        aws.client("dynamodb").update_table(TableName=out.table, DeletionProtectionEnabled=True)
    if checks.has_team(aws.client("dynamodb"), out.table):
        print(f"the team exists already; pages built with {manifest}")
    else:
        first_admin(out, aws.session.region_name, admin_key, manifest)
    publish_pages(aws, out, manifest, work / "site", settings.headers_file)
    print("\n".join(urls(out)))


def pages_only(args: argparse.Namespace, aws: Aws) -> None:
    """Rebuild and upload the pages of a deployed stack, e.g. with a newly
    published manifest as their anchor (protocol §4.5)."""
    settings = settings_for(args.stage)
    checks.check_region(aws.session.region_name, settings.region)
    out = deployed_outputs(aws.client("cloudformation"), settings.stack_name)
    site, manifest = INFRA / "build" / settings.stack_name / "site", Path(args.manifest).resolve()
    if args.build_only:
        published = prepare_pages(aws, out, manifest, site, settings.headers_file)
        print(f"built {site}" + (f" after release {published}" if published else "")
              + f"; nothing was uploaded. Next, {sign_steps(site, manifest)}")
        return
    release = Path(args.release).resolve() if args.release else None
    publish_pages(aws, out, manifest, site, settings.headers_file, release)
    print("\n".join(urls(out)))


def destroy(args: argparse.Namespace, aws: Aws) -> None:
    settings = settings_for(args.stage)
    stack = settings.stack_name
    region = checks.check_region(aws.session.region_name, settings.region)
    account = checks.check_credentials(aws.client("sts"))
    kept = teardown.kept_by_stack(aws.client("cloudformation"), stack)
    if not kept.table:
        kept = teardown.kept_by_name(aws.client("kms"),
                                     aws.client("s3"), checks.fixed_names(settings.stage),
                                     settings.stage)
    print(f"This deletes {stack} in {account}/{region} and, for good: buckets "
          f"{', '.join(kept.buckets) or '-'}, table {kept.table or '-'}, "
          f"key {kept.key_id or '-'} (deleted after {args.key_window_days} days).")
    if not args.yes and input(f"Type {stack} to go on: ").strip() != stack:
        raise DeployError("not confirmed; nothing was deleted")
    teardown.delete_stack(aws.client("cloudformation"), stack)
    for bucket in kept.buckets:
        count = teardown.empty_bucket(aws.client("s3"), bucket)
        print(f"bucket {bucket}: {count} object versions and delete markers deleted")
    if kept.table and teardown.delete_table(aws.client("dynamodb"), kept.table):
        print(f"table {kept.table} deleted (its PITR backups expire within 35 days)")
    if kept.key_id:
        when = teardown.schedule_key_deletion(aws.client("kms"), kept.key_id,
                                              args.key_window_days)
        print(f"key {kept.key_id} scheduled for deletion on {when}")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="infra/deploy.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("deploy", help="check, deploy, first admin, pages, URLs")
    p.add_argument("--admin-key", help="the first admin's key file, made with --admin-name "
                                       "if missing (default: ~/candor-STAGE-admin.candor-key)")
    p.add_argument("--admin-name", help='the first admin\'s name, e.g. "Ada Admin"')
    p.add_argument("--manifest", default="frontend/manifest.json",
                   help="the anchor manifest the pages are built with")
    p.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="a stack parameter, e.g. ReservedConcurrency=0 (repeatable)")
    p = sub.add_parser("pages", help="rebuild and upload the pages of a deployed stack")
    p.add_argument("--manifest", default="frontend/manifest.json",
                   help="the anchor manifest the pages are built with")
    p.add_argument("--build-only", action="store_true",
                   help="build the pages for the admins to sign, upload nothing")
    p.add_argument("--release", metavar="PROPOSAL",
                   help="the proposal the admins signed: publish it into the pages, upload both")
    p = sub.add_parser("destroy", help="delete the stack and everything it kept")
    p.add_argument("--key-window-days", type=int, default=teardown.KEY_WINDOW_DAYS,
                   choices=range(7, 31), metavar="7..30")
    for p in sub.choices.values():
        p.add_argument("--stage", default="prod")
        p.add_argument("--yes", action="store_true",
                       help="do not ask (deploy: IAM changes; destroy: the confirmation)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    import boto3

    args = parse(sys.argv[1:] if argv is None else argv)
    aws = Aws(boto3.session.Session())
    try:
        {"deploy": deploy, "pages": pages_only, "destroy": destroy}[args.command](args, aws)
    except (DeployError, ValueError) as exc:  # ValueError: a bad stage in infra/cdk.json
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
