"""A test team and an in-process API bound to a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from candor import keyfile as kf
from candor.client import ApiClient, InProcessTransport
from candor.opscli import first_manifest
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context

BASE_URL = "http://127.0.0.1:8000"
MEMBERS = (
    ("Ada Lovelace", "Legal", "admin"),
    ("Grace Hopper", "Security", "reviewer"),
    ("Alan Turing", "HR", "reviewer"),
)


@dataclass
class Member:
    name: str
    function: str
    role: str
    key: kf.KeyFile = field(repr=False)
    card: dict[str, Any] = field(repr=False)

    @property
    def id(self) -> str:
        return self.key.member


@dataclass
class Team:
    members: list[Member]
    manifest: dict[str, Any]

    @property
    def admin(self) -> Member:
        return self.members[0]

    def by_name(self, first_name: str) -> Member:
        return next(m for m in self.members if m.name.startswith(first_name))


def make_team(specs: tuple[tuple[str, str, str], ...] = MEMBERS) -> Team:
    members = []
    for name, function, role in specs:
        key = kf.create_keyfile(BASE_URL)
        members.append(Member(name, function, role, key, kf.public_card(key, name, function, role)))
    admins = [m.key for m in members if m.role == "admin"]
    return Team(members, first_manifest([m.card for m in members], admins))


@dataclass
class Api:
    """Anonymous and signed clients on one store."""

    store: Any
    ctx: Context
    transport: InProcessTransport
    team: Team
    clock: Any

    @property
    def anonymous(self) -> ApiClient:
        return ApiClient(self.transport)

    def as_member(self, member: Member) -> ApiClient:
        """Signs with the test clock, as a member whose clock is right."""
        return ApiClient(self.transport, member.key, clock=self.clock.time)


def make_api(store: Any, team: Team, clock: Any) -> Api:
    def now() -> datetime:
        return datetime.fromtimestamp(clock.time(), UTC)

    ctx = Context(store, clock=now)
    team_roster.bootstrap(ctx, team.manifest)
    return Api(store, ctx, InProcessTransport(store, BASE_URL, ctx), team, clock)
