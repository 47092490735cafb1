"""Joiners, leavers and a member who lost their key file, on the command
line (docs/operations.md runs these steps)."""

from __future__ import annotations

import json
from pathlib import Path

from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib.store.local import LocalCaseStore
from tests.cli.test_installed import candor, local_team
from tests.support.team import Team


def test_leaver_joiner_and_lost_key_file(tmp_path: Path, team: Team) -> None:
    data, anchor = local_team(tmp_path, team)
    reporter = ApiClient(InProcessTransport(LocalCaseStore(data)))

    def file_report(summary: str) -> None:
        submit(reporter, json.loads(anchor.read_text()), {"category": "other", "summary": summary})

    def as_(name: str, *args: str, ok: bool = True) -> str:
        done = candor(*args, "--data-dir", str(data), "--manifest", str(anchor),
                      "--key", str(tmp_path / f"{name}.candor-key"), ok=ok)
        return done.stdout if ok else done.stderr

    file_report("filed while Alan was a member")
    alan = team.by_name("Alan").id
    # A leaver: removed at once, then the manifest is published.
    as_("ada", "members", "remove", alan)
    assert as_("alan", "cases", "list", ok=False).count("\n") == 1
    as_("ada", "manifest", "publish", "--yes")
    [case] = json.loads(as_("grace", "cases", "list", "--json"))["cases"]
    replied = as_("grace", "cases", "reply", case["id"], "We are looking into it.")
    assert "not sent to removed member(s): Alan Turing" in replied

    # A joiner: key file and card, added by an admin, in the next manifest.
    candor("keygen", "--name", "Hedy Lamarr", "--role", "reviewer",
           "-o", str(tmp_path / "hedy.candor-key"))
    as_("ada", "members", "add", str(tmp_path / "hedy.card.json"))
    as_("ada", "manifest", "publish", "--yes")
    file_report("filed after Hedy joined")
    seen = {c["summary"] for c in json.loads(as_("hedy", "cases", "list", "--json"))["cases"]}
    assert seen == {"filed after Hedy joined"}  # earlier cases were never sealed to her

    # A lost key file: remove the member, a new key file joins as a new member.
    grace = team.by_name("Grace").id
    as_("ada", "members", "remove", grace)
    candor("keygen", "--name", "Grace Hopper", "--function", "Security", "--role", "reviewer",
           "-o", str(tmp_path / "grace2.candor-key"))
    as_("ada", "members", "add", str(tmp_path / "grace2.card.json"))
    as_("ada", "manifest", "publish", "--yes")
    file_report("filed after Grace's new key")
    seen = {c["summary"] for c in json.loads(as_("grace2", "cases", "list", "--json"))["cases"]}
    assert seen == {"filed after Grace's new key"}
    assert len(json.loads(as_("ada", "cases", "list", "--json"))["cases"]) == 3
    assert json.loads(as_("ada", "audit", "verify", "--json"))["verified"] is True


def test_handover_steps_down_only_with_enough_admins(tmp_path: Path, two_admins: Team) -> None:
    data, anchor = local_team(tmp_path, two_admins)

    def as_(name: str, *args: str, ok: bool = True) -> str:
        done = candor(*args, "--data-dir", str(data), "--manifest", str(anchor),
                      "--key", str(tmp_path / f"{name}.candor-key"), ok=ok)
        return done.stdout if ok else done.stderr

    as_("grace", "members", "role", "reviewer")  # one of two admins steps down
    as_("ada", "manifest", "publish", "--yes")
    status = json.loads(as_("ada", "manifest", "status", "--json"))
    assert [a["name"] for a in status["admins"]] == ["Ada Lovelace"]
    refused = as_("ada", "members", "role", "reviewer", ok=False)  # the last one may not
    assert refused.count("\n") == 1 and "conflict" in refused


def test_sole_admin_rotates_then_publishes_with_the_new_key_file(
    tmp_path: Path, team: Team, own_config: Path
) -> None:
    data, anchor = local_team(tmp_path, team)
    candor("config", "set", "key", str(tmp_path / "ada.candor-key"))
    flags = ["--data-dir", str(data), "--manifest", str(anchor)]
    rotated = candor("keys", "rotate", *flags).stdout
    new_key = next(tmp_path.glob("ada-lovelace-*.candor-key"))
    assert str(new_key) in rotated
    assert f'key = "{new_key}"' in own_config.read_text()  # the settings follow the new file
    published = candor("manifest", "publish", "--yes", *flags).stdout  # signed by the new key
    assert "published version 2" in published and "rotated signing key of Ada" in published
