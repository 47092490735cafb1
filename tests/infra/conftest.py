"""Synthesize the Candor stacks once, offline, for every infra test.

These tests need the infra venv (`.venv-infra`: aws-cdk-lib, chalice[cdkv2],
cfn-lint, checkov); under the app's venv they are not collected at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("aws_cdk") is None or importlib.util.find_spec("chalice") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    sys.path.append(str(REPO_ROOT / "infra"))

# Node 20 is what the machines have; jsii's banner about it is noise in CI.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Only botocore's endpoint table is consulted, never AWS.
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")

# `prod` is the default deployment; `alt` turns on every option.
DOMAIN = "report.example.org"
CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"
CONTEXT: dict[str, Any] = {
    "stages": ["prod", "alt"],
    "candor:alt": {
        "notifications": True,
        "domainName": DOMAIN,
        "certificateArn": CERTIFICATE,
        "throttleRate": 7,
        "throttleBurst": 9,
        "reservedConcurrency": 3,
        "teamReservedConcurrency": 0,
        "housekeepingReservedConcurrency": 1,
        "retentionDays": 30,
    },
}


@dataclass(frozen=True)
class Synth:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    assertions: dict[str, Any]  # stage -> aws_cdk.assertions.Template


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from candor_infra.stack import build_stacks

    work = tmp_path_factory.mktemp("infra")
    outdir = work / "cdk.out"
    previous = Path.cwd()
    os.chdir(work)  # chalice.cdk packages under the working directory
    try:
        app = cdk.App(outdir=str(outdir), context=CONTEXT)
        stacks = build_stacks(app)
        assembly = app.synth()
        assertions = {s.node.id.removeprefix("candor-"): Template.from_stack(s) for s in stacks}
    finally:
        os.chdir(previous)
    templates = {
        stack.stack_name.removeprefix("candor-"): json.loads(
            (Path(assembly.directory) / stack.template_file).read_text(encoding="utf-8")
        )
        for stack in assembly.stacks
    }
    return Synth(outdir=outdir, templates=templates, assertions=assertions)


class _NoManagedPolicies:
    """The functions name their role; no SAM policy template is looked up."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class Expanded:
    outdir: Path
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def expanded(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> Expanded:
    """The templates as CloudFormation sees them after the SAM transform
    (aws-sam-translator, the library behind the transform), written out for
    cfn-lint as plain templates."""
    from samtranslator.translator.transform import transform

    outdir = tmp_path_factory.mktemp("sam-expanded")
    templates = {}
    for stage, template in synth.templates.items():
        result = transform(json.loads(json.dumps(template)), {}, _NoManagedPolicies())
        result.pop("Transform", None)
        templates[stage] = result
        (outdir / f"candor-{stage}.template.json").write_text(json.dumps(result, indent=1))
    return Expanded(outdir=outdir, templates=templates)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every resource of type `kind`."""
    return {
        lid: r.get("Properties", {})
        for lid, r in template["Resources"].items()
        if r["Type"] == kind
    }


def only(template: dict[str, Any], kind: str, **match: Any) -> tuple[str, dict[str, Any]]:
    """The single resource of `kind` whose top-level properties equal `match`."""
    found = [
        (lid, props)
        for lid, props in resources(template, kind).items()
        if all(props.get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, f"expected one {kind} matching {match}, found {len(found)}"
    return found[0]


def pytest_configure(config: pytest.Config) -> None:
    # --confcutdir=tests/infra leaves out tests/conftest.py, which loads the skip check.
    if not config.pluginmanager.has_plugin("tests.support.skips"):
        config.pluginmanager.import_plugin("tests.support.skips")
