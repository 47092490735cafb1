"""``candor cases grant`` and ``candor cases revoke`` in-process (issue 12,
protocol §4.4 "Grants"): a member the reporter excluded cannot be granted,
and says why in one line; an admin takes a member off, is told that what was
read stays read, and the member gets 404 from then on."""

from __future__ import annotations

import json

from candor.client import ApiClient, InProcessTransport
from candor.reporter import submit
from chalicelib.domain import cases
from chalicelib.store.local import LocalCaseStore
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
