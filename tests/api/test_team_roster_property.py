"""Random sequences of add, promote, demote, remove, rotate and publish
against the domain (local backend) never leave the team without enough
working admins: at least `threshold` effective admins (protocol §4.5), who
can sign a next version built from the member list that every verifier
accepts."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from candor import keyfile as kf
from candor import roster
from candor.client import ApiClient, ApiError
from chalicelib import manifest as mf
from chalicelib.domain import team_roster
from chalicelib.store.local import LocalCaseStore
from tests.backends import FakeClock
from tests.support.team import make_api, make_team

pytestmark = pytest.mark.slow  # a long state machine: `make test`, not `make check`

ROLES = st.sampled_from(["admin", "reviewer"])
PICK = st.integers(min_value=0, max_value=63)


class Team(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        clock = FakeClock()
        team = make_team((("Ada Admin", "Legal", "admin"), ("Rex Reviewer", "", "reviewer")))
        self.api = make_api(LocalCaseStore(Path(self.tmp.name) / "data", clock=clock),
                            team, clock)
        self.keys = {m.id: m.key for m in team.members}

    def teardown(self) -> None:
        self.tmp.cleanup()

    # -- helpers -----------------------------------------------------------------------
    def _client(self, member_id: str) -> ApiClient:
        return ApiClient(self.api.transport, self.keys[member_id], clock=self.api.clock.time)

    def _live(self) -> list[mf.MemberEntry]:
        return sorted((m for m in team_roster.members(self.api.ctx) if not m["removed"]),
                      key=lambda m: m["id"])

    def _admins(self) -> list[str]:
        return sorted(team_roster.effective_admins(self.api.ctx))

    def _head(self) -> mf.Manifest:
        head = team_roster.current_manifest(self.api.ctx)
        assert head is not None
        return head

    def _call(self, member_id: str, method: str, path: str, body: object = None) -> bool:
        """True when done; a refusal must be a 409 with what to do."""
        try:
            self._client(member_id).call(method, path, body)  # type: ignore[arg-type]
        except ApiError as exc:
            refused = exc
        else:
            return True
        assert (refused.status, refused.code) == (409, "conflict"), refused
        return False

    def _recertified(self, entry: mf.MemberEntry, seed: bytes, **changes: str) -> mf.MemberEntry:
        key = self.keys[entry["id"]]
        fields = {"name": entry["name"], "function": entry["function"], "role": entry["role"],
                  **changes}
        return roster.build_member_entry(entry["id"], fields["name"], fields["function"],
                                         fields["role"], entry["recipient"], seed, entry,
                                         key.signing_seed)

    # -- rules -------------------------------------------------------------------------
    @rule(role=ROLES, by=PICK)
    def add(self, role: str, by: int) -> None:
        admins = self._admins()
        key = kf.create_keyfile("")
        card = kf.public_card(key, f"Member {len(self.keys)}", "", role)
        self.keys[key.member] = key
        self._client(admins[by % len(admins)]).call("POST", "/v1/team/members", card)

    @rule(who=PICK, role=ROLES)
    def set_role(self, who: int, role: str) -> None:
        live = self._live()
        entry = live[who % len(live)]
        changed = self._recertified(entry, self.keys[entry["id"]].signing_seed, role=role)
        self._call(entry["id"], "PUT", f"/v1/team/members/{entry['id']}", changed)

    @rule(who=PICK, by=PICK)
    def remove(self, who: int, by: int) -> None:
        live, admins = self._live(), self._admins()
        target = live[who % len(live)]["id"]
        self._call(admins[by % len(admins)], "DELETE", f"/v1/team/members/{target}")

    @rule(who=PICK)
    def rotate(self, who: int) -> None:
        live = self._live()
        entry = live[who % len(live)]
        rotated = replace(self.keys[entry["id"]], signing_seed=os.urandom(32))
        changed = self._recertified(entry, rotated.signing_seed)
        if self._call(entry["id"], "PUT", f"/v1/team/members/{entry['id']}", changed):
            self.keys[entry["id"]] = rotated

    @rule(threshold=st.integers(min_value=1, max_value=3))
    def publish(self, threshold: int) -> None:
        try:
            candidate = self._next(threshold)
        except mf.ManifestInvalid:  # more than the member list's admins: nothing to send
            return
        self._call(self._admins()[0], "PUT", "/v1/team/manifest", candidate)

    def _next(self, threshold: int | None = None) -> mf.Manifest:
        """The member list as the next version, signed by the head's
        threshold of effective admins with their current keys."""
        head = self._head()
        unsigned = roster.next_manifest(head, team_roster.members(self.api.ctx),
                                        self.api.ctx.today(), threshold=threshold)
        for member_id in self._admins()[: head["threshold"]]:
            unsigned = roster.sign_manifest(unsigned, member_id, self.keys[member_id].signing_seed)
        return unsigned

    # -- the property ------------------------------------------------------------------
    @invariant()
    def enough_working_admins(self) -> None:
        head = self._head()
        assert len(self._admins()) >= head["threshold"]
        # Those admins can sign the next version, and every verifier takes it.
        mf.verify_next_manifest(head, self._next(), self.api.ctx.today())


TestTeam = Team.TestCase
TestTeam.settings = settings(max_examples=25, stateful_step_count=12, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
