"""``candor drill list|start`` (issue 16): the scenario library lists in a
language, an admin files a drill that the team then reads as a drill (the
plaintext flag, and the mark inside the sealed report), and a reviewer is
refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from candor import drill
from tests.cli.test_installed import candor, local_team
from tests.support.team import Team


def test_list_start_and_read_a_drill(tmp_path: Path, two_admins: Team) -> None:
    data, anchor = local_team(tmp_path, two_admins)

    def as_(name: str, *args: str, ok: bool = True) -> Any:
        return candor(*args, "--data-dir", str(data), "--manifest", str(anchor),
                      "--key", str(tmp_path / f"{name}.candor-key"), ok=ok)

    listed = json.loads(candor("drill", "list", "--lang", "de", "--json").stdout)
    library = drill.load_library()["scenarios"]
    assert [s["id"] for s in listed] == [s["id"] for s in library]
    assert listed[0]["summary"] == library[0]["answers"]["summary"]["de"]
    refused = as_("alan", "drill", "start", "harassment_team_chat", ok=False)
    assert "forbidden" in refused.stderr
    assert "no drill scenario" in as_("ada", "drill", "start", "nope", ok=False).stderr
    as_("ada", "drill", "start", "harassment_team_chat", "--lang", "fr")
    [case] = json.loads(as_("grace", "cases", "list", "--json").stdout)["cases"]
    shown = json.loads(as_("grace", "cases", "show", case["id"], "--json").stdout)
    form = shown["report"]["form"]
    assert (form["drill"], form["category"]) == ("harassment_team_chat", "harassment")
    chat = drill.scenario(drill.load_library(), "harassment_team_chat")
    assert form["summary"] == chat["answers"]["summary"]["fr"]
