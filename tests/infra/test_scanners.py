"""cfn-lint finds no error; checkov fails nothing that is not suppressed in
code with a reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Synth

BIN = Path(sys.executable).parent


def test_cfn_lint_reports_no_errors(synth: Synth) -> None:
    templates = sorted(str(p) for p in synth.outdir.glob("*.template.json"))
    assert len(templates) == 2
    run = subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "parseable", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit bits: 1 crash, 2 errors, 4 warnings, 8 informational; 1 and 2 fail.
    assert run.returncode & 3 == 0, run.stdout + run.stderr


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
