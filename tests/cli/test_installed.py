"""``candor`` as an installed tool (issue 11): the anchor from a flag, the
environment, the config file or a checkout; output a script can read;
``--json``; the manifest's status, renewal and threshold; expiry warnings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor import config, roster, rostercli
from candor import keyfile as kf
from candor.client import ApiClient, InProcessTransport
from candor.prompt import CliError
from candor.reporter import submit
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[2]
PASS = "installed tool passphrase"
# The installed console script (pyproject's [project.scripts]), not `python -m`.
ENTRY = Path(sys.executable).parent / "candor"


def local_team(tmp: Path, team: Team, *, issued_days_ago: int = 0) -> tuple[Path, Path]:
    """A data directory with ``team`` installed as version 1, issued that many
    days ago, and each member's key file as ``tmp/<first name>.candor-key``."""
    issued = datetime.now(UTC).date() - timedelta(days=issued_days_ago)
    manifest = roster.unsigned_manifest(1, issued, [m.card for m in team.members], threshold=1)
    for m in team.members:
        if m.role == "admin":
            manifest = roster.sign_manifest(manifest, m.id, m.key.signing_seed)
    data, anchor = tmp / "data", tmp / "manifest.json"
    team_roster.bootstrap(Context(LocalCaseStore(data)), manifest)
    anchor.write_text(json.dumps(manifest))
    for m in team.members:
        kf.write_keyfile(m.key, tmp / f"{m.name.split()[0].lower()}.candor-key", PASS)
    return data, anchor


def candor(*args: str, cwd: Path = ROOT, ok: bool = True,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(ENTRY), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={**os.environ, "CANDOR_PASSPHRASE": PASS,
                                            "COLUMNS": "20", **(env or {})})
    assert (done.returncode == 0) == ok, done.stderr + done.stdout
    return done


# -- the settings file and the anchor ---------------------------------------------------
def test_anchor_order_flag_then_environment_then_config_then_checkout(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(CliError) as missing:
        config.anchor_path(None, env, cwd=outside)
    assert str(missing.value) == config.MISSING_ANCHOR
    checkout = tmp_path / "checkout"  # a source checkout whose pages were built
    for name in ("candor/__main__.py", "frontend/manifest.json", "docs/operations.md"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text("{}")
    assert config.anchor_path(None, env, cwd=checkout / "docs") == (
        checkout / "frontend" / "manifest.json")
    config.set_value("manifest", str(tmp_path / "from-config.json"),
                     config.config_path(env))
    assert config.anchor_path(None, env, cwd=checkout) == tmp_path / "from-config.json"
    env["CANDOR_MANIFEST"] = str(tmp_path / "from-env.json")
    assert config.anchor_path(None, env, cwd=outside) == tmp_path / "from-env.json"
    assert config.anchor_path("flag.json", env, cwd=outside) == Path("flag.json")


def test_config_file_is_private_toml_that_round_trips(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c" / "config.toml"
    odd = 'http://h/"quoted"\\back\nline\ttab'
    config.set_value("api", odd, path)
    monkeypatch.chdir(tmp_path)
    config.set_value("key", "ada.candor-key", path)  # a relative path is stored absolute
    assert config.load_config(path) == {"api": odd, "key": str(tmp_path / "ada.candor-key")}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config.set_value("api", "", path)
    assert config.load_config(path) == {"key": str(tmp_path / "ada.candor-key")}
    with pytest.raises(CliError, match="unknown setting"):
        config.set_value("colour", "blue", path)
    path.write_text("api = 3\n")
    with pytest.raises(CliError, match="unknown setting"):
        config.load_config(path)


def test_installed_tool_outside_the_checkout(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team)
    away = tmp_path / "somewhere"
    away.mkdir()
    missing = candor("cases", "list", "--data-dir", str(data), cwd=away, ok=False)
    assert missing.stderr == f"candor: {config.MISSING_ANCHOR}\n"
    candor("config", "set", "manifest", str(anchor), cwd=away)
    no_key = candor("cases", "list", "--data-dir", str(data), cwd=away, ok=False)
    assert no_key.stderr.count("\n") == 1 and "candor config set key" in no_key.stderr
    candor("config", "set", "key", "ada.candor-key", cwd=tmp_path)  # relative to that cwd
    shown = json.loads(candor("config", "show", "--json", cwd=away).stdout)
    assert shown["settings"] == {"manifest": str(anchor),
                                 "key": str(tmp_path / "ada.candor-key")}
    assert json.loads(candor("cases", "list", "--data-dir", str(data), "--json",
                             cwd=away).stdout) == {"cases": []}
    # CANDOR_MANIFEST comes before the config file.
    wrong = candor("cases", "list", "--data-dir", str(data), cwd=away, ok=False,
                   env={"CANDOR_MANIFEST": str(away / "nothing.json")})
    assert "nothing.json" in wrong.stderr


def test_init_records_the_manifest_and_key(tmp_path: Path, own_config: Path) -> None:
    key = tmp_path / "ada.candor-key"
    candor("keygen", "--name", "Ada", "--role", "admin", "-o", str(key), cwd=tmp_path)
    candor("init", "--data-dir", str(tmp_path / "d"), "--admin-key", str(key), cwd=tmp_path)
    assert config.load_config(own_config) == {"manifest": str(tmp_path / "d" / "manifest.json"),
                                              "key": str(key)}
    status = json.loads(candor("manifest", "status", "--data-dir", str(tmp_path / "d"),
                               "--json", cwd=tmp_path).stdout)
    assert status["version"] == 1 and status["days_left"] == 90


def test_rotated_key_file_names(tmp_path: Path) -> None:
    day = datetime(2027, 1, 2, tzinfo=UTC).date()
    first = rostercli.rotated_key_path(tmp_path / "old.candor-key", "Jürgen  O'Neil", day)
    assert first == tmp_path / "jürgen-o-neil-2027-01-02.candor-key"
    first.write_text("taken")
    assert rostercli.rotated_key_path(tmp_path / "x", "Jürgen O'Neil", day) == (
        tmp_path / "jürgen-o-neil-2027-01-02-2.candor-key")


# -- output a script can read -----------------------------------------------------------
def _file_reports(data: Path, anchor: Path, summaries: list[str]) -> None:
    reporter = ApiClient(InProcessTransport(LocalCaseStore(data)))
    for summary in summaries:
        submit(reporter, json.loads(anchor.read_text()),
               {"category": "data_leak", "summary": summary})


def test_case_ids_from_json_and_from_a_pipe_open_with_show(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team)
    hostile = "tab\there, line\nbreak, [bold]markup[/bold] \u202eevil"
    _file_reports(data, anchor, ["First report", hostile, "Third report"])
    flags = ["--data-dir", str(data), "--manifest", str(anchor),
             "--key", str(tmp_path / "grace.candor-key")]
    listed = json.loads(candor("cases", "list", "--json", *flags).stdout)["cases"]
    assert {c["summary"] for c in listed} == {"First report", hostile, "Third report"}
    assert set(listed[0]) == {"id", "status", "received", "acknowledge_by", "feedback_by",
                              "assignee", "overdue", "summary"}
    piped = candor("cases", "list", *flags).stdout  # COLUMNS=20: nothing may wrap
    rows = [line.split("\t") for line in piped.splitlines()]
    assert len(rows) == 3 and all(len(row) == 7 for row in rows)
    assert [row[0] for row in rows] == [c["id"] for c in listed]
    assert any("[bold]markup[/bold]" in row[6] for row in rows)
    for case_id in (row[0] for row in rows):
        shown = json.loads(candor("cases", "show", case_id, "--json", *flags).stdout)
        assert shown["case"]["id"] == case_id and shown["warnings"] == []
        assert shown["report"]["form"]["category"] == "data_leak"
        assert shown["messages"] == [] and shown["withheld_before"] == []
        assert case_id in candor("cases", "show", case_id, *flags).stdout


def test_members_list_and_audit_verify_as_json_and_lines(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team)
    flags = ["--data-dir", str(data), "--manifest", str(anchor),
             "--key", str(tmp_path / "ada.candor-key")]
    members = json.loads(candor("members", "list", "--json", *flags).stdout)["members"]
    assert sorted((m["id"], m["name"], m["role"], m["removed"]) for m in members) == sorted(
        (m.id, m.name, m.role, False) for m in team.members)
    lines = candor("members", "list", *flags).stdout.splitlines()
    assert [line.split("\t") for line in lines] == [
        [m["id"], m["name"], m["function"], m["role"], "active"] for m in members]
    verified = json.loads(candor("audit", "verify", "--json", *flags).stdout)
    assert verified["verified"] is True and verified["problems"] == []
    assert verified["head"]["seq"] == verified["entries"] >= 1


# -- manifest lifecycle -----------------------------------------------------------------
def _status(flags: list[str]) -> dict[str, Any]:
    done = candor("manifest", "status", "--json", *flags)
    return dict(json.loads(done.stdout)) | {"stderr": done.stderr}


def test_warning_30_days_ahead_then_renew(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team, issued_days_ago=70)
    flags = ["--data-dir", str(data), "--key", str(tmp_path / "ada.candor-key")]
    candor("config", "set", "manifest", str(anchor))
    status = _status(flags)
    assert status["days_left"] == 20 and status["version"] == 1 and not status["expired"]
    assert status["admins"] == [{"id": team.admin.id, "name": team.admin.name}]
    assert status["fingerprint"] and status["threshold"] == 1
    assert status["stderr"].count("\n") == 1 and "candor manifest renew" in status["stderr"]
    listed = candor("members", "list", *flags)
    assert "expires in 20 days" in listed.stderr and listed.stderr.count("\n") == 1

    renewed = candor("manifest", "renew", "--yes", *flags)
    assert "published version 2" in renewed.stdout
    after = json.loads(anchor.read_text())  # the anchor in use was rewritten
    assert after["version"] == 2 and after["members"] == json.loads(
        json.dumps(status_members(team)))
    status = _status(flags)
    assert status["version"] == 2 and status["days_left"] == 90 and status["stderr"] == ""


def status_members(team: Team) -> list[dict[str, Any]]:
    return [m.card for m in team.members]


def test_threshold_is_set_by_publish(tmp_path: Path, team: Team, two_admins: Team) -> None:
    data, anchor = local_team(tmp_path / "one", team)
    refused = candor("manifest", "publish", "--yes", "--threshold", "2", "--data-dir", str(data),
                     "--manifest", str(anchor), "--key", str(tmp_path / "one" / "ada.candor-key"),
                     ok=False)
    assert refused.stderr.count("\n") == 1 and "threshold" in refused.stderr

    data, anchor = local_team(tmp_path / "two", two_admins)
    flags = ["--data-dir", str(data), "--key", str(tmp_path / "two" / "ada.candor-key")]
    out = tmp_path / "v2.json"
    published = candor("manifest", "publish", "--yes", "--threshold", "2", "--out", str(out),
                       "--manifest", str(anchor), *flags)
    assert "threshold 1 -> 2" in published.stdout
    status = _status(flags)  # the config file now names v2.json
    assert status["threshold"] == 2 and status["proposal"] is None

    # Threshold 2: one admin proposes, the other signs from their own CLI.
    proposed = candor("manifest", "renew", "--yes", *flags)
    assert "1 more admin signature(s) needed" in proposed.stdout
    waiting = _status(flags)
    assert waiting["version"] == 2 and waiting["proposal"] == {
        "version": 3, "signed": [two_admins.admin.id], "missing": 1}
    assert "proposal:\tversion 3" in candor("manifest", "status", *flags).stdout
    grace = ["--data-dir", str(data), "--key", str(tmp_path / "two" / "grace.candor-key")]
    signed = candor("manifest", "sign", "--yes", *grace)
    assert "published version 3" in signed.stdout
    status = _status(flags)
    assert status["version"] == 3 and status["proposal"] is None
    assert candor("manifest", "sign", "--yes", *grace, ok=False).stderr == (
        "candor: no proposal is waiting for signatures\n")


def test_serve_warns_the_operator_from_30_days(tmp_path: Path, team: Team) -> None:
    data, _ = local_team(tmp_path, team, issued_days_ago=65)
    proc = subprocess.Popen([str(ENTRY), "serve", "--data-dir", str(data), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None and proc.stderr is not None
        while not (line := proc.stdout.readline()).startswith("API:"):
            assert line, "candor serve exited"
        warning = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert warning.startswith("candor: warning: the team manifest (version 1) expires in 25 days")
