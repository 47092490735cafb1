"""The Lambda function as Lambda runs it (issue 14, issue 18 item 3).

The deployment package the CDK app deploys runs under AWS's runtime
interface client in a Python 3.13 environment that holds an old SDK
(botocore 1.34, `runtime_env`), fed API Gateway REST proxy events by a
front proxy, with DynamoDB on moto's server and S3 on SeaweedFS. Candor's
own clients (the reporter's code, the team's code and command line) drive
the whole flow over HTTP. The
run prints the cold start and the package size, and shows that no canary
address or user agent reaches storage or the function's logs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from candor import keyfile as kf
from candor import teamops
from candor.client import ApiClient, ApiError, HttpTransport
from candor.reporter import Evidence, follow_up, submit
from tests.awslambda import client_only as co
from tests.awslambda.package import ROOT, deployment_package
from tests.awslambda.packaged import PackagedLambda, packaged_lambda
from tests.awslambda.runtime_env import RUNTIME_SDK, runtime_python
from tests.support.live import PASSPHRASE
from tests.support.team import Team

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lambda-package")]
MB = 1024 * 1024

# In the runtime's interpreter: which botocore `import` finds, and whether
# it accepts an S3 conditional write (validation fails before any request).
SDK_PROBE = r"""
import json, boto3, botocore
from botocore.exceptions import ParamValidationError
s3 = boto3.client("s3", region_name="eu-central-1", endpoint_url="http://127.0.0.1:9",
                  aws_access_key_id="x", aws_secret_access_key="x")
try:
    s3.put_object(Bucket="b", Key="k", Body=b"", IfNoneMatch="*")
except ParamValidationError:
    accepted = False
except Exception:
    accepted = True  # valid; then no server at port 9
print(json.dumps([botocore.__version__, botocore.__file__, accepted]))
"""


def _sdk_in_runtime(task_root: Path | None) -> tuple[str, str, bool]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1",
           **({"PYTHONPATH": str(task_root)} if task_root else {})}
    out = subprocess.run([str(runtime_python()), "-c", SDK_PROBE], env=env, cwd="/",
                         capture_output=True, text=True, check=True, timeout=60)
    version, path, accepted = json.loads(out.stdout)
    return version, path, accepted


def test_the_runtime_sdk_rejects_conditional_writes_and_the_package_brings_its_own() -> None:
    # Without the package the runtime's botocore is found, and it would
    # turn every submission into a 503 (issue 18 item 3).
    assert _sdk_in_runtime(None)[0::2] == (RUNTIME_SDK, False)
    root = deployment_package().root
    version, path, accepted = _sdk_in_runtime(root)
    assert version != RUNTIME_SDK and accepted and Path(path).is_relative_to(root)


def _refused(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(ApiError) as exc:
        call()
    return exc.value.status, exc.value.code


def _stored(fn: PackagedLambda, work: Path) -> str:
    """Everything in the table and the bucket, as text, and SeaweedFS's
    files as bytes decoded leniently: where a canary would be if kept."""
    store = fn.store()
    items = store._ddb.scan(TableName=fn.table)["Items"]
    s3, parts = store._s3, [json.dumps(items)]
    listing = s3.list_object_versions(Bucket=fn.bucket)
    for v in listing.get("Versions", []):
        got = s3.get_object(Bucket=fn.bucket, Key=v["Key"], VersionId=v["VersionId"])
        tags = s3.get_object_tagging(Bucket=fn.bucket, Key=v["Key"], VersionId=v["VersionId"])
        parts += [v["Key"], json.dumps(got.get("Metadata")), json.dumps(tags["TagSet"]),
                  got["Body"].read().decode("latin-1")]
    for path in (work / "seaweedfs").rglob("*"):  # nothing there when S3 is moto
        if path.is_file() and path.name != "weed.log":
            parts.append(path.read_bytes().decode("latin-1"))
    assert len(items) > 10 and len(listing.get("Versions", [])) >= 4
    return "\n".join(parts)


def _cli(fn: PackagedLambda, team: Team, name: str, work: Path, *args: str) -> str:
    """`candor ARGS` as the member runs it, against the function."""
    key, anchor = work / f"{name}.candor-key", work / "manifest.json"
    if not key.exists():
        kf.write_keyfile(team.by_name(name).key, key, PASSPHRASE)
        anchor.write_text(json.dumps(team.manifest))
    done = subprocess.run(
        [sys.executable, "-m", "candor", *args, "--key", str(key), "--api", fn.url,
         "--manifest", str(anchor)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "CANDOR_PASSPHRASE": PASSPHRASE, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def _reporter_and_team(fn: PackagedLambda, team: Team, work: Path) -> list[str]:
    """Submit with an attachment, open with the receipt, follow up; the
    team lists, reads (attachment included) and replies; the reporter
    reads the reply. The ids of the case and the attachment."""
    anon = ApiClient(HttpTransport(fn.url))
    evidence = os.urandom(20_000)
    sub = submit(anon, team.manifest, {"summary": "packaged Lambda"},
                 files=[Evidence("evidence.bin", evidence)])
    status = anon.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64}, signed=False)
    assert status["status"] == "received"
    visit = follow_up(anon, sub.receipt, team.manifest)
    assert visit.send("One more thing.")["seq"] == 1
    # API Gateway base64-encodes bodies of a binary media type; from here
    # on, every body (as on an API whose binaryMediaTypes is */*).
    assert fn.gateway.base64_bodies == 0  # JSON is text to this API
    fn.gateway.binary_media_types = ("*/*",)
    member = team.by_name("Grace")
    s = teamops.Session(ApiClient(HttpTransport(fn.url), member.key), member.key, team.manifest)
    [case] = s.get("/v1/team/cases")["cases"]
    assert teamops.report_summaries(s, [case]) == {case["id"]: "packaged Lambda"}
    assert "packaged Lambda" in _cli(fn, team, "Grace", work, "cases", "list")
    view = teamops.read_case(s, case["id"])
    [entry] = view.report["attachments"]
    assert teamops.attachment(s, case["id"], entry) == evidence
    assert teamops.write(s, view, "message", "Thank you, we are on it.")["seq"] == 2
    again = follow_up(anon, visit.receipt, team.manifest)
    assert [(d["text"], ok) for d, ok in again.read_messages(team.manifest)] == [
        ("One more thing.", True), ("Thank you, we are on it.", True)]
    encoded = fn.gateway.base64_bodies
    assert encoded >= 5  # the signed reply, the follow-up visit and its reads
    # A body the API does not take arrives base64-encoded and is refused cleanly.
    fn.gateway.binary_media_types = fn.package.api_definition[
        "x-amazon-apigateway-binary-media-types"]
    raw = HttpTransport(fn.url).send("POST", "/v1/reports",
                                     {"Content-Type": "application/octet-stream"}, b"\x00\xff")
    assert raw[0] == 415 and json.loads(raw[1])["error"]["code"] == "unsupported_media_type"
    assert fn.gateway.base64_bodies == encoded + 1
    assert _refused(lambda: anon.call("GET", "/v1/nowhere", signed=False))[0] == 403
    return [case["id"], entry["id"]]


def _cold_start(fn: PackagedLambda, anon: ApiClient) -> dict[str, float]:
    init = fn.wait_ready()
    sent = time.monotonic()
    assert anon.call("GET", "/v1/manifest", signed=False)["manifests"][0]["version"] == 1
    first = time.monotonic() - sent
    warm = []
    for _ in range(5):
        sent = time.monotonic()
        anon.call("GET", "/v1/manifest", signed=False)
        warm.append(time.monotonic() - sent)
    return {"init": init, "first": first, "warm": statistics.median(warm)}


# SeaweedFS checks presigned signatures and If-None-Match as S3 does; moto
# is what the load bench runs on.
@pytest.mark.parametrize("s3", ["seaweedfs", "moto"])
def test_packaged_lambda_runs_the_whole_flow(
    team: Team, tmp_path: Path, s3: str, record_property: Callable[[str, object], None]
) -> None:
    with packaged_lambda(tmp_path, manifest=team.manifest, s3=s3) as fn:
        times = _cold_start(fn, ApiClient(HttpTransport(fn.url)))
        ids = _reporter_and_team(fn, team, tmp_path)
        assert fn.gateway.failures == [] and fn.runtime.init_errors == []
        # The hourly Housekeeping function, from the same package.
        tick = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                "source": "aws.events", "account": "111122223333", "region": "eu-central-1",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": {},
                "resources": ["arn:aws:events:eu-central-1:111122223333:rule/candor-hourly"]}
        assert fn.run_other("app.housekeeping", tick, tmp_path / "housekeeping.log") == {
            "purged": 0}
        stored = _stored(fn, tmp_path)
        logs = fn.log_text() + (tmp_path / "housekeeping.log").read_text()
        package = fn.package
    canaries = fn.gateway.canaries.issued
    assert len(canaries) > 40
    assert sorted(c for c in canaries if c in stored or c in logs) == []
    assert all(i in stored for i in ids)  # the search does see what is stored
    assert "route=" in logs  # the function's own log lines were captured
    assert package.written() == []

    ms = {k: round(v * 1000) for k, v in times.items()}
    size = (f"{package.zip_bytes / MB:.1f} MiB zipped, "
            f"{package.unpacked_bytes / MB:.1f} MiB unpacked")  # fmt: skip
    cold = (f"{ms['init'] + ms['first']} ms = init {ms['init']} ms (interpreter, runtime "
            f"client, import app) + first request {ms['first']} ms; warm {ms['warm']} ms")
    record_property("lambda:package size", size)
    record_property(f"lambda:cold start (S3 on {s3})", cold)
    print(f"\npackaged Lambda: package {size}; cold start (S3 on {s3}) {cold}")

    # The package that ran holds no client-only code, also as imported by
    # the runtime's interpreter.
    assert co.client_files(package.root) == set()
    assert co.client_names_in_source(package.root) == set()
    blob = co.sealed_blob(tmp_path / "sealed.age")
    found = co.probe(package.root, blob, tmp_path, alone=False, python=str(runtime_python()))
    co.assert_no_client_code(found, package.root)
