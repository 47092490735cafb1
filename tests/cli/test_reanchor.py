"""Every admin lost their key file: the operator re-anchors with a new
admin (docs/operations.md, "All admins lost"). Old cases stay readable,
reports flow again, the old anchor is told to take the new one, and the
audit chain still verifies."""

from __future__ import annotations

import json
from pathlib import Path

from candor import config
from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib.store.local import LocalCaseStore
from tests.cli.test_installed import candor, local_team
from tests.support.team import Team


def test_all_admins_lost_reanchor(tmp_path: Path, team: Team, own_config: Path) -> None:
    data, old_anchor = local_team(tmp_path, team)
    reporter = ApiClient(InProcessTransport(LocalCaseStore(data)))
    submit(reporter, json.loads(old_anchor.read_text()),
           {"category": "other", "summary": "before the loss"})
    grace = ["--data-dir", str(data), "--key", str(tmp_path / "grace.candor-key")]
    hedy_key = tmp_path / "hedy.candor-key"
    candor("keygen", "--name", "Hedy Lamarr", "--function", "Legal", "--role", "admin",
           "-o", str(hedy_key))

    new_anchor = tmp_path / "reanchored.json"
    done = candor("reanchor", "--data-dir", str(data), "--admin-key", str(hedy_key),
                  "--drop", team.admin.id, "--manifest-out", str(new_anchor))
    assert "re-anchored at version 2" in done.stdout
    assert config.load_config(own_config)["manifest"] == str(new_anchor)

    stale = candor("cases", "list", *grace, "--manifest", str(old_anchor), ok=False)
    assert stale.stderr.count("\n") == 1 and "--manifest FILE" in stale.stderr
    hedy = ["--data-dir", str(data), "--key", str(hedy_key)]
    status = json.loads(candor("manifest", "status", "--json", *hedy).stdout)
    assert status["version"] == 2 and [a["name"] for a in status["admins"]] == ["Hedy Lamarr"]
    members = json.loads(candor("members", "list", "--json", *hedy).stdout)["members"]
    assert {m["name"]: m["removed"] for m in members}["Ada Lovelace"] is True

    submit(reporter, json.loads(new_anchor.read_text()),
           {"category": "other", "summary": "after the re-anchor"})
    cases = json.loads(candor("cases", "list", "--json", *grace).stdout)["cases"]
    assert {c["summary"] for c in cases} == {"before the loss", "after the re-anchor"}
    old = next(c["id"] for c in cases if c["summary"] == "before the loss")
    candor("cases", "reply", old, "Still on it, with a new admin.", *grace)
    assert json.loads(candor("audit", "verify", "--json", *hedy).stdout)["verified"] is True
    renewed = candor("manifest", "renew", "--yes", *hedy)  # the new admin can sign the next
    assert "published version 3" in renewed.stdout
