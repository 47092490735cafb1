"""``candor notice`` (protocol §4.9, issue 16): with a threshold of 2, one
admin proposes and signs, a reviewer cannot sign, the second admin signs,
then it is published; ``notice list`` flags (exit 1) a notice tampered with
in storage, and ``notice withdraw`` stops serving it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from candor import keyfile as kf
from candor import roster
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store import keys
from chalicelib.store.local import LocalCaseStore
from tests.cli.test_installed import PASS, candor
from tests.support.team import Team


def _threshold_two(tmp: Path, team: Team) -> tuple[Path, Path]:
    manifest: Any = roster.unsigned_manifest(1, datetime.now(UTC).date(),
                                             [m.card for m in team.members], threshold=2)
    for m in team.members:
        if m.role == "admin":
            manifest = roster.sign_manifest(manifest, m.id, m.key.signing_seed)
    data, anchor = tmp / "data", tmp / "manifest.json"
    team_roster.bootstrap(Context(LocalCaseStore(data)), manifest)
    anchor.write_text(json.dumps(manifest))
    for m in team.members:
        kf.write_keyfile(m.key, tmp / f"{m.name.split()[0].lower()}.candor-key", PASS)
    return data, anchor


def test_propose_sign_publish_list_and_withdraw(tmp_path: Path, two_admins: Team) -> None:
    data, anchor = _threshold_two(tmp_path, two_admins)
    file = str(tmp_path / "notice.json")

    def as_(name: str, *args: str, ok: bool = True) -> Any:
        return candor(*args, "--data-dir", str(data), "--manifest", str(anchor),
                      "--key", str(tmp_path / f"{name}.candor-key"), ok=ok)

    done = as_("ada", "notice", "propose", file, "--text", "en=Do not comment publicly.",
               "--text", "de=Bitte nicht öffentlich kommentieren.", "--yes")
    assert "1 more admin signature(s) needed" in done.stdout
    assert "fewer than 2 admins" in as_("ada", "notice", "publish", file, ok=False).stderr
    assert "not an admin" in as_("alan", "notice", "sign", file, "--yes", ok=False).stderr
    assert "already signed" in as_("ada", "notice", "sign", file, "--yes", ok=False).stderr
    as_("grace", "notice", "sign", file, "--yes")
    as_("ada", "notice", "publish", file)
    notice = json.loads(Path(file).read_text())
    (listed,) = json.loads(as_("alan", "notice", "list", "--json").stdout)["notices"]
    assert listed["valid"] and listed["notice"] == notice

    # Tampered with in storage: still served, flagged by every member's list.
    store = LocalCaseStore(data)
    key = keys.notice(notice["id"])
    item = store.get(key)
    assert item is not None
    forged = {**notice, "text": {**notice["text"], "en": "Comment freely."}}
    store.transact([key.put(forged, expect=item.version)])
    done = as_("alan", "notice", "list", "--json", ok=False)
    (listed,) = json.loads(done.stdout)["notices"]
    assert not listed["valid"] and "bad signature" in listed["problem"]
    assert "1 listed notice(s) do not verify" in done.stderr

    assert "forbidden" in as_("alan", "notice", "withdraw", notice["id"], ok=False).stderr
    as_("grace", "notice", "withdraw", notice["id"])
    assert json.loads(as_("alan", "notice", "list", "--json").stdout) == {"notices": []}
