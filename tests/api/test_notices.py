"""Signed staff notices through the API (protocol §4.9, issue 16): an admin
publishes a notice signed by the threshold of the current manifest; anyone
lists the current ones; the server refuses one short of the threshold,
altered after signing, or expired (422), and an admin withdraws one. A
notice altered in storage is still listed (the server can serve anything)
but no longer verifies. Runs on every backend (``api``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from candor import notice as nt
from candor import roster
from candor.client import ApiError
from chalicelib.store import keys
from tests.backends import FakeClock
from tests.support.team import Api, Team, make_api, make_team

TEXT = {"en": "We know about the leaked roadmap. Do not comment publicly.",
        "de": "Wir wissen von der geleakten Roadmap. Bitte nicht öffentlich kommentieren."}


@pytest.fixture(scope="module")
def two_admin_team() -> Team:
    """Two admins and a reviewer; version 1 with threshold 2, signed by both."""
    team = make_team((("Ada Lovelace", "Legal", "admin"), ("Edsger Dijkstra", "IT", "admin"),
                      ("Grace Hopper", "Security", "reviewer")))
    manifest: Any = roster.unsigned_manifest(1, datetime.now(UTC).date(),
                                             [m.card for m in team.members], threshold=2)
    for admin in team.members[:2]:
        manifest = roster.sign_manifest(manifest, admin.id, admin.key.signing_seed)
    return Team(team.members, manifest)


@pytest.fixture
def api2(any_store: object, two_admin_team: Team, clock: FakeClock) -> Api:
    return make_api(any_store, two_admin_team, clock)


def _signed(api: Api, signers: int = 2, **kwargs: Any) -> nt.Notice:
    notice = nt.unsigned_notice(api.team.manifest, TEXT, api.ctx.today(), **kwargs)
    for admin in api.team.members[:signers]:
        notice = nt.sign_notice(notice, admin.id, admin.key.signing_seed)
    return notice


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.status, caught.value.code


def test_a_notice_signed_by_the_threshold_is_listed_and_verifies(api2: Api) -> None:
    notice = _signed(api2)
    admin = api2.as_member(api2.team.admin)
    assert admin.call("POST", "/v1/team/notices", notice) == notice
    listed = api2.anonymous.call("GET", "/v1/notices", signed=False)["notices"]
    assert listed == [notice]
    (checked,) = nt.check_listed(listed, api2.team.manifest, api2.ctx.today())
    assert checked.problem is None
    # Published twice: refused, still one.
    assert _refused(lambda: admin.call("POST", "/v1/team/notices", notice)) == (409, "conflict")


def test_the_server_refuses_a_notice_it_cannot_verify(api2: Api) -> None:
    admin = api2.as_member(api2.team.admin)
    short = _signed(api2, signers=1)
    altered = {**_signed(api2), "text": {"en": "All is fine, comment freely."}}
    expired = _signed(api2, days=1)
    api2.clock.advance(3 * 24 * 3600)
    for bad in (short, altered, expired, {**_signed(api2), "text": {"de": "Nur Deutsch"}}):
        assert _refused(lambda b=bad: admin.call("POST", "/v1/team/notices", b)) == (
            422, "invalid_manifest")
    assert api2.anonymous.call("GET", "/v1/notices", signed=False) == {"notices": []}


def test_only_an_admin_publishes_or_withdraws(api2: Api) -> None:
    notice = _signed(api2)
    grace = api2.as_member(api2.team.by_name("Grace"))
    assert _refused(lambda: grace.call("POST", "/v1/team/notices", notice))[0] == 403
    api2.as_member(api2.team.admin).call("POST", "/v1/team/notices", notice)
    path = f"/v1/team/notices/{notice['id']}"
    assert _refused(lambda: grace.call("DELETE", path))[0] == 403
    api2.as_member(api2.team.members[1]).call("DELETE", path)
    assert api2.anonymous.call("GET", "/v1/notices", signed=False) == {"notices": []}
    assert _refused(lambda: grace.call("DELETE", path))[0] == 403
    admin = api2.as_member(api2.team.admin)
    assert _refused(lambda: admin.call("DELETE", path)) == (404, "not_found")


def test_an_expired_notice_is_no_longer_listed(api2: Api) -> None:
    api2.as_member(api2.team.admin).call("POST", "/v1/team/notices", _signed(api2, days=2))
    assert len(api2.anonymous.call("GET", "/v1/notices", signed=False)["notices"]) == 1
    api2.clock.advance(3 * 24 * 3600)
    assert api2.anonymous.call("GET", "/v1/notices", signed=False) == {"notices": []}


def test_a_notice_altered_in_storage_is_listed_but_flagged(api2: Api) -> None:
    notice = _signed(api2)
    api2.as_member(api2.team.admin).call("POST", "/v1/team/notices", notice)
    key = keys.notice(notice["id"])
    item = api2.store.get(key)
    assert item is not None
    forged = {**notice, "text": {**notice["text"], "en": "Post about it on social media."}}
    api2.store.transact([key.put(forged, expect=item.version)])
    listed = api2.anonymous.call("GET", "/v1/notices", signed=False)["notices"]
    (checked,) = nt.check_listed(listed, api2.team.manifest, api2.ctx.today())
    assert checked.problem is not None and "bad signature" in checked.problem
    # A week later than the signed expiry, even the real one is refused by readers.
    (late,) = nt.check_listed([notice], api2.team.manifest,
                              api2.ctx.today() + timedelta(days=nt.DEFAULT_DAYS + 1))
    assert late.problem is not None and "expired" in late.problem
