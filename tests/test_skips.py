"""tests/support/skips.py, the check that a run which skipped a test for a
reason not allowed fails, run as pytest runs it: a subprocess over a tiny
test directory, with and without pytest-xdist."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.skips import ALLOWED, allowed_by

ROOT = Path(__file__).resolve().parents[1]

PASSING = "def test_passes():\n    assert 1 + 1 == 2\n"
KINDS = {
    "runtime": "import pytest\n\ndef test_needs_a_tool():\n"
    "    pytest.skip('no frobnicator on PATH')\n",
    "mark": "import pytest\n\n@pytest.mark.skipif(True, reason='no frobnicator on PATH')\n"
    "def test_marked():\n    pass\n",
    "module": "import pytest\n\npytest.importorskip('no_such_module_frobnicator')\n\n"
    "def test_never_collected():\n    pass\n",
}


def run_pytest(
    tmp_path: Path, files: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Only the plugins the run needs: the installed ones take seconds to load.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.skips", "-p", "no:cacheprovider",
         "-q", *args, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_skip_not_allowed_fails_the_run(tmp_path: Path, kind: str) -> None:
    done = run_pytest(tmp_path, {"test_ok.py": PASSING, f"test_{kind}.py": KINDS[kind]})
    out = done.stdout
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out + done.stderr
    assert "no_such_module_frobnicator" in out or "no frobnicator on PATH" in out
    assert "NOT ALLOWED" in out
    assert "skipped: 1 (0 allowed, 1 not allowed)" in out


def test_skips_on_xdist_workers_reach_the_check(tmp_path: Path) -> None:
    files = {"test_ok.py": PASSING, "test_runtime.py": KINDS["runtime"]}
    done = run_pytest(
        tmp_path, files | {"test_module.py": KINDS["module"]}, "-p", "xdist.plugin", "-n", "2"
    )
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout + done.stderr
    assert "skipped: 2 (0 allowed, 2 not allowed)" in done.stdout


def test_a_run_without_skips_passes_and_says_so(tmp_path: Path) -> None:
    strict_xfail = (
        "import pytest\n\n@pytest.mark.xfail(strict=True, reason='known gap')\n"
        "def test_gap():\n    assert False\n"
    )
    done = run_pytest(tmp_path, {"test_ok.py": PASSING, "test_gap.py": strict_xfail})
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    assert "skipped: 0 (0 allowed, 0 not allowed); xfailed (strict, expected): 1" in done.stdout


def test_a_failing_run_keeps_its_own_exit_status(tmp_path: Path) -> None:
    failing = "def test_fails():\n    assert False\n"
    done = run_pytest(tmp_path, {"test_bad.py": failing, "test_runtime.py": KINDS["runtime"]})
    assert done.returncode == pytest.ExitCode.TESTS_FAILED
    assert "1 not allowed" in done.stdout


def test_the_allow_list_matches_reasons_by_pattern() -> None:
    allow = {r"^checkov: ": "a policy the deployment opts out of, with its reason"}
    assert allowed_by("checkov: CKV_AWS_1 suppressed", allow) == r"^checkov: "
    assert allowed_by("age CLI missing", allow) is None
    # Each entry of the real list says why it is allowed.
    assert all(isinstance(why, str) and why.strip() for why in ALLOWED.values())
