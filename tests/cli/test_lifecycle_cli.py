"""A team's life on the command line with the clock moved forward (issue 11):
no warning, the warning at 30 days, renewal, a lapse (reading goes on,
writing stops with one line), a re-anchor, reports flow again, old cases
stay readable, and ``candor audit verify`` passes at every step.

The CLI runs in-process (``candor.__main__.main``) on a local data
directory, with its clock and the server's moved together."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from candor import teamcli
from candor.__main__ import main
from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib.domain import cases
from chalicelib.store.local import LocalCaseStore
from tests.backends import FakeClock
from tests.cli.test_installed import PASS, local_team
from tests.support.team import Team

DAY = 86400


class Life:
    """The CLI and the server on one moved clock."""

    def __init__(self, tmp: Path, team: Team, capsys: pytest.CaptureFixture[str],
                 clock: FakeClock) -> None:
        self.tmp, self.capsys, self.clock = tmp, capsys, clock
        self.data, self.anchor = local_team(tmp, team)
        self.start = clock.now

    def day(self, number: int) -> None:
        self.clock.now = self.start + number * DAY

    def run(self, who: str, *args: str, ok: bool = True) -> tuple[str, str]:
        self.capsys.readouterr()
        code = main([*args, "--data-dir", str(self.data), "--manifest", str(self.anchor),
                     "--key", str(self.tmp / f"{who}.candor-key")])
        out, err = self.capsys.readouterr()
        assert (code == 0) == ok, err + out
        return out, err

    def file_report(self, summary: str) -> None:
        store = LocalCaseStore(self.data)
        transport = InProcessTransport(store, ctx=cases.Context(store))
        submit(ApiClient(transport, clock=self.clock.time), json.loads(self.anchor.read_text()),
               {"category": "other", "summary": summary}, today=teamcli.today())

    def audit_passes(self) -> None:
        out, _ = self.run("ada", "audit", "verify", "--json")
        assert json.loads(out)["verified"] is True


@pytest.fixture
def life(tmp_path: Path, team: Team, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Life:
    clock = FakeClock()
    monkeypatch.setenv("CANDOR_PASSPHRASE", PASS)
    monkeypatch.setattr(teamcli, "now", clock.time)

    def server_now() -> datetime:
        return datetime.fromtimestamp(clock.time(), UTC)
    # Every Context the CLI and the in-process API make from now on runs on it.
    monkeypatch.setattr(cases, "Context", functools.partial(cases.Context, clock=server_now))
    return Life(tmp_path, team, capsys, clock)


def test_a_team_through_warning_renewal_lapse_and_reanchor(life: Life) -> None:
    life.file_report("filed on day 0")
    [case] = json.loads(life.run("grace", "cases", "list", "--json")[0])["cases"]

    life.day(59)
    assert life.run("grace", "cases", "list")[1] == ""  # 31 days left: quiet
    life.day(61)
    _, warned = life.run("grace", "cases", "list")
    assert "expires in 29 days" in warned and warned.count("\n") == 1
    life.audit_passes()
    life.run("ada", "manifest", "renew", "--yes")
    assert life.run("grace", "cases", "list")[1] == ""
    assert json.loads(life.run("ada", "manifest", "status", "--json")[0])["version"] == 2

    life.day(152)  # version 2 expired on day 151: a lapse
    listed, expired = life.run("grace", "cases", "list", "--json")
    assert [c["id"] for c in json.loads(listed)["cases"]] == [case["id"]]
    assert "expired on" in expired and "re-anchored" in expired
    assert "filed on day 0" in life.run("grace", "cases", "show", case["id"])[0]
    _, refused = life.run("grace", "cases", "reply", case["id"], "Still there?", ok=False)
    assert refused.count("\n") == 2 and "expired on" in refused.splitlines()[-1]
    assert life.run("ada", "manifest", "renew", "--yes", ok=False)[1].strip()
    life.audit_passes()

    life.capsys.readouterr()
    code = main(["reanchor", "--data-dir", str(life.data), "--admin-key",
                 str(life.tmp / "ada.candor-key"), "--manifest-out", str(life.anchor)])
    out, err = life.capsys.readouterr()
    assert code == 0, err
    assert "re-anchored at version 3" in out
    life.file_report("filed after the re-anchor")
    listed, quiet = life.run("grace", "cases", "list", "--json")
    assert quiet == ""
    assert {c["summary"] for c in json.loads(listed)["cases"]} == {
        "filed on day 0", "filed after the re-anchor"}
    out, _ = life.run("grace", "cases", "reply", case["id"], "Back again.")
    assert "stored as #1" in out
    life.audit_passes()
