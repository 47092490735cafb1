"""Members and the manifest's lifecycle through the API (protocol §4.4, §4.5):
a rotated admin publishes (issue 19 item 1), effective admins never drop
below the threshold, removed members are left out of replies, an expired
head stops writing, and a re-anchor restarts the chain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from candor import keyfile as kf
from candor import reporter, roster, teamops
from candor.client import ApiClient, ApiError
from chalicelib import manifest as mf
from chalicelib.domain import team_roster
from chalicelib.store.local import LocalCaseStore
from tests.backends import FakeClock
from tests.support.team import Api, Member, Team, make_api, make_team

DAY = 86400.0
FORM = {"summary": "Invoices approved twice", "details": "Seen in March."}


@pytest.fixture(scope="module")
def pair() -> Team:
    """Two admins (threshold 2) and a reviewer."""
    team = make_team((("Ada Lovelace", "Legal", "admin"), ("Bob Kahn", "IT", "admin"),
                      ("Grace Hopper", "Security", "reviewer")))
    cards = [m.card for m in team.members]
    unsigned = roster.unsigned_manifest(1, datetime.now(UTC).date(), cards, 2)
    for member in team.members[:2]:
        unsigned = roster.sign_manifest(unsigned, member.id, member.key.signing_seed)
    return Team(team.members, dict(unsigned))


@pytest.fixture
def pair_api(tmp_path: Path, pair: Team, clock: FakeClock) -> Api:
    return make_api(LocalCaseStore(tmp_path / "pair", clock=clock), pair, clock)


def _as(api: Api, key: kf.KeyFile) -> ApiClient:
    return ApiClient(api.transport, key, clock=api.clock.time)


def _refused(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def _rotate(api: Api, member: Member) -> kf.KeyFile:
    """What `candor keys rotate` does: new keys, the entry with `rotation`, PUT."""
    current = next(m for m in _as(api, member.key).call("GET", "/v1/team/members")["members"]
                   if m["id"] == member.id)
    rotated, old_seed = kf.rotate_keys(member.key)
    entry = kf.public_card(rotated, member.name, member.function, member.role, current, old_seed)
    _as(api, member.key).call("PUT", f"/v1/team/members/{member.id}", entry)
    return rotated


def _submit(api: Api, manifest: mf.Manifest) -> tuple[str, reporter.Submission]:
    """Submit a report; the new case's id (the answer does not name it)."""
    admin = api.team.admin.key
    before = {c["id"] for c in _as(api, admin).call("GET", "/v1/team/cases")["cases"]}
    submitted = reporter.submit(api.anonymous, manifest, FORM, today=api.ctx.today())
    after = {c["id"] for c in _as(api, admin).call("GET", "/v1/team/cases")["cases"]}
    (case_id,) = after - before
    return case_id, submitted


def _session(api: Api, key: kf.KeyFile, anchor: object) -> teamops.Session:
    return teamops.Session(_as(api, key), key, anchor,  # type: ignore[arg-type]
                           today=api.ctx.today)


def _publish(api: Api, by: list[kf.KeyFile], threshold: int | None = None) -> mf.Manifest:
    """What `candor manifest publish` does: the member list as the next version."""
    s = _session(api, by[0], api.team.manifest)
    listed = s.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(s.manifest, listed, api.ctx.today(), threshold=threshold)
    for key in by:
        unsigned = roster.sign_manifest(unsigned, key.member, key.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", unsigned)
    return unsigned


def test_sole_admin_rotates_then_publishes(local_api: Api) -> None:
    api, ada = local_api, local_api.team.admin
    new_key = _rotate(api, ada)
    with pytest.raises(ApiError) as exc:  # a second rotation before publishing
        _rotate(api, Member(ada.name, ada.function, ada.role, new_key, ada.card))
    assert _refused(exc) == (409, "conflict") and "publish" in exc.value.message
    v2 = _publish(api, [new_key])  # signed with the new key only
    s = _session(api, new_key, api.team.manifest)
    assert s.manifest == v2 and s.manifest["sigs"][0]["member"] == ada.id
    entry = next(m for m in v2["members"] if m["id"] == ada.id)
    assert entry["signing_key"] == kf.public_card(new_key, "x", "", "admin")["signing_key"]
    # The next version is signed with the new key as version 2's key.
    assert _publish(api, [new_key])["version"] == 3


def test_threshold_two_admin_rotates_then_both_sign(pair_api: Api) -> None:
    api = pair_api
    ada, bob = api.team.members[:2]
    new_ada = _rotate(api, ada)
    with pytest.raises(ApiError) as exc:  # one signature is not enough
        _publish(api, [new_ada])
    assert _refused(exc) == (422, "invalid_manifest")
    v2 = _publish(api, [new_ada, bob.key])
    assert [s["member"] for s in v2["sigs"]] == [ada.id, bob.id]
    assert mf.verify_chain(api.team.manifest, [v2], today=api.ctx.today())["version"] == 2


def test_removal_and_demotion_keep_threshold_admins(pair_api: Api) -> None:
    api = pair_api
    ada, bob, grace = api.team.members
    with pytest.raises(ApiError) as exc:
        _as(api, ada.key).call("DELETE", f"/v1/team/members/{bob.id}")
    assert _refused(exc) == (409, "conflict") and "threshold 2" in exc.value.message
    demoted = kf.public_card(bob.key, bob.name, bob.function, "reviewer", bob.card)
    with pytest.raises(ApiError) as exc:
        _as(api, bob.key).call("PUT", f"/v1/team/members/{bob.id}", demoted)
    assert _refused(exc) == (409, "conflict") and "Stepping down" in exc.value.message
    # Promote Grace (she re-certifies; the admins publish), then Bob may go.
    promoted = kf.public_card(grace.key, grace.name, grace.function, "admin", grace.card)
    _as(api, grace.key).call("PUT", f"/v1/team/members/{grace.id}", promoted)
    with pytest.raises(ApiError) as exc:  # a roster role alone gives no powers
        _as(api, grace.key).call("GET", "/v1/team/audit")
    assert _refused(exc) == (403, "forbidden")
    _publish(api, [ada.key, bob.key])
    _as(api, ada.key).call("DELETE", f"/v1/team/members/{bob.id}")
    _as(api, grace.key).call("GET", "/v1/team/audit")
    assert team_roster.effective_admins(api.ctx) == {ada.id, grace.id}


def test_handover_of_a_sole_admin(local_api: Api) -> None:
    api, ada = local_api, local_api.team.admin
    successor = kf.create_keyfile("")
    card = kf.public_card(successor, "Hedy Lamarr", "Legal", "admin")
    _as(api, ada.key).call("POST", "/v1/team/members", card)
    with pytest.raises(ApiError) as exc:  # the successor is no admin until published
        _as(api, ada.key).call("DELETE", f"/v1/team/members/{ada.id}")
    assert _refused(exc) == (409, "conflict") and "publish" in exc.value.message
    _publish(api, [ada.key])
    _as(api, ada.key).call("DELETE", f"/v1/team/members/{ada.id}")
    _as(api, successor).call("GET", "/v1/team/audit")
    _publish(api, [successor])  # the removed admin's entry is publishable


def test_a_report_needs_an_effective_admin_in_its_access(local_api: Api) -> None:
    """A member who promoted themself in the member list is no admin until a
    manifest lists it, so a report sealed to them alone (the one admin
    excluded) would have nobody who can administer it (protocol §4.5)."""
    api, ada, grace = local_api, local_api.team.admin, local_api.team.by_name("Grace")
    current = next(m for m in _as(api, grace.key).call("GET", "/v1/team/members")["members"]
                   if m["id"] == grace.id)
    entry = kf.public_card(grace.key, grace.name, grace.function, "admin", current)
    _as(api, grace.key).call("PUT", f"/v1/team/members/{grace.id}", entry)
    with pytest.raises(ApiError) as exc:
        reporter.submit(api.anonymous, api.team.manifest, FORM, exclude=[ada.id],
                        today=api.ctx.today())
    assert _refused(exc) == (422, "invalid_access")
    _publish(api, [ada.key])  # now Grace is an admin in the manifest too
    head = _as(api, ada.key).call("GET", "/v1/manifest", signed=False)["manifests"][-1]
    reporter.submit(api.anonymous, head, FORM, exclude=[ada.id], today=api.ctx.today())


def test_a_publish_leaving_too_few_effective_admins_is_refused(pair_api: Api) -> None:
    api = pair_api
    ada, bob, grace = api.team.members
    s = _session(api, ada.key, api.team.manifest)
    # Grace listed as admin in the manifest but not in the member list.
    as_admin = kf.public_card(grace.key, grace.name, grace.function, "admin", grace.card)
    members = [ada.card, bob.card, as_admin]
    unsigned = roster.next_manifest(s.manifest, members, api.ctx.today(), threshold=3)
    for key in (ada.key, bob.key):
        unsigned = roster.sign_manifest(unsigned, key.member, key.signing_seed)
    with pytest.raises(ApiError) as exc:
        s.api.call("PUT", "/v1/team/manifest", unsigned)
    assert _refused(exc) == (409, "conflict") and "threshold 3" in exc.value.message
    assert _publish(api, [ada.key, bob.key], threshold=1)["threshold"] == 1


def test_removed_members_are_left_out_of_replies(local_api: Api) -> None:
    api, ada = local_api, local_api.team.admin
    grace = api.team.by_name("Grace")
    case_id, submitted = _submit(api, api.team.manifest)  # type: ignore[arg-type]
    _as(api, ada.key).call("DELETE", f"/v1/team/members/{grace.id}")
    _publish(api, [ada.key])
    s = _session(api, ada.key, api.team.manifest)
    view = teamops.read_case(s, case_id)
    assert teamops.write(s, view, "message", "Thank you.")["dropped"] == [grace.id]
    assert teamops.write(s, view, "note", "Internal.")["dropped"] == [grace.id]
    visit = reporter.follow_up(api.anonymous, submitted.receipt, s.manifest)
    assert visit.send("More details.")["dropped"] == [grace.id]
    alan = _session(api, api.team.by_name("Alan").key, api.team.manifest)
    assert [m.ok for m in teamops.read_case(alan, case_id).messages] == [True, True]


def test_an_expired_head_reads_but_does_not_write(local_api: Api) -> None:
    api, ada = local_api, local_api.team.admin
    case_id, _ = _submit(api, api.team.manifest)  # type: ignore[arg-type]
    expires = date.fromisoformat(api.team.manifest["expires"])
    api.clock.advance((expires - api.ctx.today()).days * DAY + DAY)
    s = _session(api, ada.key, api.team.manifest)
    assert s.expired and "re-anchored" in str(s.warning)
    view = teamops.read_case(s, case_id)
    with pytest.raises(teamops.ManifestExpired, match="expired on"):
        teamops.write(s, view, "note", "Too late.")
    with pytest.raises(roster.ManifestExpired):
        reporter.submit(api.anonymous, s.manifest, FORM, today=api.ctx.today())
    with pytest.raises(ApiError) as exc:
        _publish(api, [ada.key])
    assert _refused(exc) == (409, "conflict") and "re-anchor" in exc.value.message


def test_reanchor_after_a_lapse(local_api: Api) -> None:
    api, ada = local_api, local_api.team.admin
    expires = date.fromisoformat(api.team.manifest["expires"])
    api.clock.advance((expires - api.ctx.today()).days * DAY + 10 * DAY)
    listed = _as(api, ada.key).call("GET", "/v1/team/members")["members"]
    alan = api.team.by_name("Alan")
    kept = [m for m in listed if m["id"] != alan.id]
    unsigned = roster.reanchor_manifest(2, api.ctx.today(), kept, 1)
    anchor = roster.sign_manifest(unsigned, ada.id, ada.key.signing_seed)
    with pytest.raises(ApiError) as exc:  # never over the API
        _as(api, ada.key).call("PUT", "/v1/team/manifest", anchor)
    assert _refused(exc)[0] == 400  # an unknown field on this route
    team_roster.reanchor(api.ctx, anchor)
    with pytest.raises(teamops.TeamError, match="re-anchor"):  # an old anchor stops there
        _session(api, ada.key, api.team.manifest)
    s = _session(api, ada.key, anchor)
    assert s.manifest == anchor and not s.expired
    assert next(m for m in _as(api, ada.key).call("GET", "/v1/team/members")["members"]
                if m["id"] == alan.id)["removed"]
    reporter.submit(api.anonymous, s.manifest, FORM, today=api.ctx.today())
    assert _publish_from(api, anchor, ada.key)["version"] == 3


def _publish_from(api: Api, anchor: mf.Manifest, key: kf.KeyFile) -> mf.Manifest:
    s = _session(api, key, anchor)
    listed = s.get("/v1/team/members")["members"]
    unsigned = roster.sign_manifest(roster.next_manifest(s.manifest, listed, api.ctx.today()),
                                    key.member, key.signing_seed)
    s.api.call("PUT", "/v1/team/manifest", unsigned)
    return unsigned



def test_threshold_two_admins_sign_a_proposal_from_their_own_clients(pair_api: Api) -> None:
    api = pair_api
    ada, bob, grace = api.team.members
    as_ada = _session(api, ada.key, api.team.manifest)
    as_bob = _session(api, bob.key, api.team.manifest)
    assert teamops.pending_proposal(as_bob) is None
    listed = as_ada.get("/v1/team/members")["members"]
    unsigned = roster.next_manifest(as_ada.manifest, listed, api.ctx.today())
    first = teamops.propose(as_ada, unsigned)
    assert (first["signed"], first["missing"], first["published"]) == ([ada.id], 1, False)
    with pytest.raises(ApiError) as exc:  # one signature alone is not a manifest
        as_ada.api.call("PUT", "/v1/team/manifest", first["manifest"])
    assert _refused(exc) == (422, "invalid_manifest")
    with pytest.raises(mf.ManifestInvalid, match="fewer than 2 admins"):
        mf.verify_chain(api.team.manifest, [first["manifest"]], today=api.ctx.today())
    with pytest.raises(ApiError) as exc:  # a reviewer cannot add to it
        _as(api, grace.key).call("PUT", "/v1/team/manifest/proposal",
                                 {"manifest": first["manifest"]})
    assert _refused(exc) == (403, "forbidden")
    other = roster.next_manifest(as_ada.manifest, listed, api.ctx.today(), threshold=1)
    with pytest.raises(ApiError) as exc:  # another proposal waits: sign it or replace it
        teamops.propose(as_bob, other)
    assert _refused(exc) == (409, "conflict") and "replace" in exc.value.message
    waiting = teamops.pending_proposal(as_bob)
    assert waiting is not None and waiting["manifest"] == first["manifest"]
    done = teamops.sign_proposal(as_bob)
    assert (done["signed"], done["missing"], done["published"]) == ([ada.id, bob.id], 0, True)
    assert as_bob.manifest["version"] == 2
    chain = api.anonymous.call("GET", "/v1/manifest", query={"since": "1"}, signed=False)
    assert mf.verify_chain(api.team.manifest, chain["manifests"],
                           today=api.ctx.today())["sigs"] == done["manifest"]["sigs"]
    assert teamops.pending_proposal(as_ada) is None  # published: stale
