"""The tools check (.ci/tools) that `make test` and .ci/run start with,
and .ci/node-test, node's test runner failing on skipped or todo tests
(issue 14: a run that skipped tests proves nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fake_path(tmp_path: Path, uid: int, tools: tuple[str, ...]) -> str:
    """A PATH with the shell's helpers, `tools`, and an `id` saying `uid`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "sort", "tr", "cat", *tools):
        real = shutil.which(name)
        assert real, f"{name} is on this machine"
        (bin_dir / name).symlink_to(real)
    (bin_dir / "id").write_text(f"#!{shutil.which('bash')}\necho {uid}\n")
    (bin_dir / "id").chmod(0o755)
    return str(bin_dir)


def run_tools(path: str) -> subprocess.CompletedProcess[str]:
    tools = str(ROOT / ".ci" / "tools")
    return subprocess.run([tools], env={"PATH": path}, capture_output=True, text=True, timeout=30)


def test_tools_stops_at_once_with_the_command_when_it_may_not_install(tmp_path: Path) -> None:
    # Not root: nothing is installed; apt-get is there, so its command is printed.
    path = fake_path(tmp_path, 1000, ("apt-get", "node", "npm"))
    done = run_tools(path)
    assert done.returncode == 1
    assert "sudo apt-get install -y --no-install-recommends age gnupg" in done.stderr
    assert "nodejs" not in done.stderr  # only what is missing


def test_tools_names_the_packages_where_there_is_no_apt_get(tmp_path: Path) -> None:
    path = fake_path(tmp_path, 0, ("node", "npm", "age", "age-keygen"))
    done = run_tools(path)
    assert done.returncode == 1
    assert "the tests need the Debian packages: gnupg" in done.stderr
    assert "your system's package manager" in done.stderr


def test_make_test_checks_the_tools_before_anything_else() -> None:
    done = subprocess.run(
        # Run from make test itself, make would name the directory it enters.
        ["make", "--no-print-directory", "-n", "test"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, env={**os.environ, "MAKEFLAGS": "", "MAKELEVEL": ""},
    )  # fmt: skip
    assert done.stdout.splitlines()[0] == ".ci/tools", done.stdout
    assert ".ci/tools" in (ROOT / ".ci" / "run").read_text()


def node_test(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "probe.test.mjs"
    test_file.write_text('import { test } from "node:test";\ntest("runs", () => {});\n' + body)
    return subprocess.run(
        [str(ROOT / ".ci" / "node-test"), str(test_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_node_test_fails_on_a_skipped_or_todo_test(tmp_path: Path) -> None:
    skipped = node_test(tmp_path, 'test("later", { skip: "no tool" }, () => {});\n')
    assert skipped.returncode == 1
    assert "node-test: skipped 1, todo 0" in skipped.stdout
    todo = node_test(tmp_path, 'test("someday", { todo: true }, () => {});\n')
    assert todo.returncode == 1
    assert "node-test: skipped 0, todo 1" in todo.stdout


def test_node_test_passes_a_clean_run_and_keeps_a_failure(tmp_path: Path) -> None:
    clean = node_test(tmp_path, "")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "node-test: skipped 0, todo 0" in clean.stdout
    failing = node_test(tmp_path, 'test("breaks", () => { throw new Error("no"); });\n')
    assert failing.returncode != 0
