"""cfn-lint finds nothing, before and after the SAM transform; checkov fails
nothing that is not suppressed in code with a reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Expanded, Synth

BIN = Path(sys.executable).parent


def _cfn_lint(templates: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "parseable", "--non-zero-exit-code",
         "informational", *templates],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cfn_lint_finds_nothing_in_the_templates(synth: Synth) -> None:
    templates = sorted(str(p) for p in synth.outdir.glob("*.template.json"))
    assert len(templates) == 2
    run = _cfn_lint(templates)
    # No error, warning or informational finding at all.
    assert (run.returncode, run.stdout) == (0, ""), run.stdout + run.stderr


def test_cfn_lint_finds_nothing_after_the_sam_transform(expanded: Expanded) -> None:
    """cfn-lint checks SAM resources against SAM's schema only; what
    CloudFormation deploys is the transform's output, linted here as a
    plain template."""
    templates = sorted(str(p) for p in expanded.outdir.glob("*.template.json"))
    assert len(templates) == 2
    for template in expanded.templates.values():
        assert "Transform" not in template
        assert not [r for r in template["Resources"].values()
                    if r["Type"].startswith("AWS::Serverless::")]
    run = _cfn_lint(templates)
    assert (run.returncode, run.stdout) == (0, ""), run.stdout + run.stderr


def test_checkov_fails_nothing_unsuppressed(synth: Synth) -> None:
    run = subprocess.run(
        [
            str(BIN / "checkov"),
            "--directory",
            str(synth.outdir),
            "--framework",
            "cloudformation",
            "--skip-download",  # no network: no Prisma Cloud guidelines
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    results = [r["results"] for r in reports]
    passed = sum(len(r["passed_checks"]) for r in results)
    failed = [(c["check_id"], c["resource"]) for r in results for c in r["failed_checks"]]
    skipped = [c for r in results for c in r["skipped_checks"]]
    assert passed > 50
    assert failed == []
    for check in skipped:
        comment = check["check_result"].get("suppress_comment", "")
        assert len(comment) > 15, f"{check['check_id']} on {check['resource']}: no reason"
