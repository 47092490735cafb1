"""``candor cases grant`` and ``candor cases revoke`` in-process (issue 12,
protocol §4.4 "Grants"): a member who joined later is granted and reads the
case; a member the reporter excluded cannot be granted, and says why in one
line; an admin takes a member off, is told that what was read stays read,
and the member gets 404 from then on."""

from __future__ import annotations

import json

from candor import keyfile as kf
from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib.domain import cases
from chalicelib.store.local import LocalCaseStore
from tests.cli.test_installed import PASS
from tests.cli.test_lifecycle_cli import Life, life
from tests.support.team import Team

__all__ = ["life"]  # the fixture, shared with the lifecycle test


def _file_excluding(life: Life, team: Team, first_name: str) -> str:
    store = LocalCaseStore(life.data)
    transport = InProcessTransport(store, ctx=cases.Context(store))
    submit(ApiClient(transport, clock=life.clock.time), json.loads(life.anchor.read_text()),
           {"category": "other", "summary": "Expenses"}, exclude=[team.by_name(first_name).id])
    out, _ = life.run("ada", "cases", "list", "--json")
    (case,) = json.loads(out)["cases"]
    return str(case["id"])


def test_excluded_member_is_refused_and_a_revoked_one_gets_404(life: Life, team: Team) -> None:
    case_id = _file_excluding(life, team, "Alan")
    alan = team.by_name("Alan").id
    _, err = life.run("grace", "cases", "grant", case_id, alan, ok=False)
    assert "excluded by the reporter" in err and err.strip().count("\n") == 0

    grace = team.by_name("Grace").id
    _, err = life.run("grace", "cases", "revoke", case_id, grace, ok=False)
    assert "forbidden" in err
    out, _ = life.run("ada", "cases", "revoke", case_id, grace)
    assert "Grace Hopper" in out and "what they already read stays read" in out
    _, err = life.run("grace", "cases", "show", case_id, ok=False)
    assert "not_found" in err
    life.audit_passes()


def test_a_member_who_joined_later_is_granted_by_the_cli(life: Life, team: Team) -> None:
    case_id = _file_excluding(life, team, "Alan")
    hedy = kf.create_keyfile("http://127.0.0.1:8000")
    kf.write_keyfile(hedy, life.tmp / "hedy.candor-key", PASS)
    card = life.tmp / "hedy.card.json"
    card.write_text(json.dumps(kf.public_card(hedy, "Hedy Lamarr", "Comms", "reviewer")))
    life.run("ada", "members", "add", str(card))
    life.run("ada", "manifest", "publish", "--yes")
    _, err = life.run("hedy", "cases", "show", case_id, ok=False)
    assert "not_found" in err

    out, _ = life.run("grace", "cases", "grant", case_id, hedy.member)
    assert "Hedy Lamarr" in out and "can now read case" in out
    out, _ = life.run("hedy", "cases", "show", case_id)
    assert "Expenses" in out and "warning" not in out
    assert f"can read: Hedy Lamarr ({hedy.member}), given access by Grace Hopper" in out
    life.audit_passes()
