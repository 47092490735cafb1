"""Operator commands: keygen, init (local and cloud), and ``candor demo``
(what ``make run`` starts)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from candor import keyfile as kf
from chalicelib import manifest as mf
from tests.backends import FAKE_AWS_ENV, moto_server_url

ROOT = Path(__file__).resolve().parents[2]
PASS = "operator passphrase for tests"


def run(*args: str, env: dict[str, str] | None = None, ok: bool = True,
        ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "candor", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "CANDOR_PASSPHRASE": PASS, **(env or {})})
    assert (done.returncode == 0) == ok, done.stderr
    return done


def test_keygen_and_init_a_local_team(tmp_path: Path) -> None:
    key = tmp_path / "ada.candor-key"
    run("keygen", "--name", "Ada", "--function", "Legal", "--role", "admin", "-o", str(key))
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    card = json.loads((tmp_path / "ada.card.json").read_text())
    opened = kf.open_keyfile(key, PASS)
    assert card["id"] == opened.member and card["role"] == "admin"
    refused = run("keygen", "--name", "Ada", "--role", "admin", "-o", str(key), ok=False)
    assert refused.stderr.startswith("candor: ") and refused.stderr.count("\n") == 1

    data = tmp_path / "data"
    run("init", "--data-dir", str(data), "--admin-key", str(key))
    manifest = json.loads((data / "manifest.json").read_text())
    from datetime import UTC, datetime
    mf.verify_first_manifest(manifest, datetime.now(UTC).date())
    assert [m["id"] for m in manifest["members"]] == [opened.member]
    again = run("init", "--data-dir", str(data), "--admin-key", str(key), ok=False)
    assert "already has a team" in again.stderr
    wrong = run("init", "--data-dir", str(tmp_path / "d2"), "--admin-key", str(key),
                env={"CANDOR_PASSPHRASE": "not the passphrase"}, ok=False)
    assert "cannot open" in wrong.stderr


def test_init_a_cloud_team_with_operator_credentials(tmp_path: Path) -> None:
    import boto3

    from chalicelib.store.factory import create_aws_resources

    endpoint = moto_server_url()
    env = {**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": endpoint}
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=FAKE_AWS_ENV["AWS_REGION"])
    create_aws_resources("candor-init-test", "candor-init-test", session=session,
                         endpoint_url=endpoint)
    key = tmp_path / "ada.candor-key"
    run("keygen", "--name", "Ada", "--role", "admin", "-o", str(key))
    done = run("init", "--aws-table", "candor-init-test", "--aws-bucket", "candor-init-test",
               "--admin-key", str(key), "--manifest-out", str(tmp_path / "m.json"), env=env)
    # Where it went, in words the operator can check against the stack outputs.
    assert "DynamoDB table candor-init-test (us-east-1)" in done.stdout
    assert "None" not in done.stdout
    items = session.client("dynamodb", endpoint_url=endpoint).scan(
        TableName="candor-init-test")["Items"]
    assert {i["pk"]["S"] for i in items} >= {"members", "manifests"}
    again = run("init", "--aws-table", "candor-init-test", "--aws-bucket", "candor-init-test",
                "--admin-key", str(key), env=env, ok=False)
    assert "already has a team" in again.stderr


def test_cloud_init_names_the_missing_region_and_the_wrong_one(tmp_path: Path) -> None:
    """Without a region, or with one where the stack's table is not, init
    says so instead of "storage refused: StorageUnavailable" (issue 18 item 13)."""
    import boto3

    from chalicelib.store.factory import create_aws_resources

    endpoint = moto_server_url()
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="eu-central-1")
    create_aws_resources("candor-region-test", "candor-region-test", session=session,
                         endpoint_url=endpoint)
    key = tmp_path / "ada.candor-key"
    run("keygen", "--name", "Ada", "--role", "admin", "-o", str(key))
    where = ["--aws-table", "candor-region-test", "--aws-bucket", "candor-region-test",
             "--admin-key", str(key), "--manifest-out", str(tmp_path / "m.json")]
    no_region = {k: v for k, v in FAKE_AWS_ENV.items() if "REGION" not in k}
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    missing = subprocess.run(
        [sys.executable, "-m", "candor", "init", *where], capture_output=True, text=True,
        cwd=ROOT, timeout=120, env={**bare, **no_region, "CANDOR_PASSPHRASE": PASS,
                                    "AWS_ENDPOINT_URL": endpoint})
    assert missing.returncode != 0
    assert "no AWS region: give --aws-region" in missing.stderr
    env = {**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": endpoint}  # the profile says us-east-1
    wrong = run("init", *where, env=env, ok=False)
    assert "no table candor-region-test in region us-east-1" in wrong.stderr
    assert "StorageUnavailable" not in wrong.stderr
    done = run("init", *where, "--aws-region", "eu-central-1", env=env)
    assert "DynamoDB table candor-region-test (eu-central-1)" in done.stdout
    items = session.client("dynamodb", endpoint_url=endpoint).scan(
        TableName="candor-region-test")["Items"]
    assert {i["pk"]["S"] for i in items} >= {"members", "manifests"}


@pytest.mark.slow
def test_demo_prints_urls_and_serves_the_pages(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "candor", "demo", "--data-dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("API:") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "demo exited"
            lines.append(line.strip())
        text = "\n".join(lines)
        passphrase = re.search(r"Demo passphrase: (\S+)", text)
        assert passphrase is not None
        keys = re.findall(r"(\S+\.candor-key)", text)
        assert len(keys) == 3
        kf.open_keyfile(keys[0], passphrase.group(1))
        url = re.search(r"Reporter page:\s+(\S+)", text)
        assert url is not None
        with urllib.request.urlopen(url.group(1)) as page:  # noqa: S310 -- local test server
            assert page.status == 200
            assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        console = re.search(r"Review console:\s+(\S+)", text)
        assert console is not None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
