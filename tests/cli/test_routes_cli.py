"""`candor manifest routes set|clear` (protocol §4.5, Routes): the next
manifest carries the routes, a harassment report then reaches HR and the
admin only, and a route to someone who is not a member is refused."""

from __future__ import annotations

import json
from pathlib import Path

from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib import manifest as mf
from chalicelib.store.local import LocalCaseStore
from tests.cli.test_installed import candor, local_team
from tests.support.team import Team


def test_routes_set_and_clear(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team)
    ada, alan = team.by_name("Ada").id, team.by_name("Alan").id

    def as_(name: str, *args: str, ok: bool = True) -> str:
        done = candor(*args, "--data-dir", str(data), "--manifest", str(anchor),
                      "--key", str(tmp_path / f"{name}.candor-key"), ok=ok)
        return done.stdout if ok else done.stderr

    shown = as_("ada", "manifest", "routes", "set", "harassment", alan, "--yes")
    assert "route harassment: Alan Turing and the admins" in shown
    assert "a category without a route goes to the admins only" in shown
    status = json.loads(as_("ada", "manifest", "status", "--json"))
    assert status["version"] == 2 and status["routes"] == {"harassment": [alan]}

    routed = json.loads(anchor.read_text())
    access = mf.route_readers(routed, "harassment")
    assert sorted(access) == sorted([ada, alan])
    submit(ApiClient(InProcessTransport(LocalCaseStore(data))), routed,
           {"category": "harassment", "summary": "Shouted at"})  # sealed to the route
    assert json.loads(as_("grace", "cases", "list", "--json"))["cases"] == []
    assert len(json.loads(as_("alan", "cases", "list", "--json"))["cases"]) == 1

    refused = as_("ada", "manifest", "routes", "set", "harassment", "m_" + "Z" * 20,
                  "--yes", ok=False)
    assert refused.count("\n") == 1 and "is not a current member" in refused
    refused = as_("ada", "manifest", "routes", "clear", "fraud", "--yes", ok=False)
    assert refused.count("\n") == 1 and "there is no route for fraud" in refused

    cleared = as_("ada", "manifest", "routes", "clear", "--yes")
    assert "no routes: every report goes to every member" in cleared
    assert json.loads(as_("ada", "manifest", "status", "--json"))["routes"] == {}
