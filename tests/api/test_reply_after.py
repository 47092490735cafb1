"""A team reply stored only after the thread its writer read (protocol §4.4,
``after``), on every backend: the server refuses (409 ``thread_moved``, nothing
stored) a message or note that names fewer entries of its kind than the case
holds, so two consoles acknowledging the same new case at once send its
reporter one acknowledgement, not two (candor/replies.py, lib/replies.ts)."""

from __future__ import annotations

from typing import Any

import pytest

from candor import replies, teamops
from candor.client import ApiError
from candor.reporter import submit
from tests.support.team import Api

FORM = {"category": "fraud", "summary": "Invoices approved twice", "details": "In March."}


def _case(api: Api) -> str:
    before = {c["id"] for c in api.as_member(api.team.admin).call("GET", "/v1/team/cases")["cases"]}
    submit(api.anonymous, api.team.manifest, FORM, today=api.ctx.today())
    listing = api.as_member(api.team.admin).call("GET", "/v1/team/cases")["cases"]
    (new,) = {c["id"] for c in listing} - before
    return new


def _session(api: Api, name: str) -> teamops.Session:
    who = api.team.by_name(name)
    return teamops.Session(api.as_member(who), who.key, api.team.manifest, today=api.ctx.today)


def test_an_entry_with_after_is_stored_only_while_the_case_holds_that_many(api: Api) -> None:
    case_id = _case(api)
    ada = _session(api, "Ada")
    stale = teamops.read_case(ada, case_id)
    teamops.write(ada, stale, "message", "We received your report.", only_after=True)
    with pytest.raises(ApiError) as refused:
        teamops.write(ada, stale, "message", "We received your report.", only_after=True)
    assert (refused.value.status, refused.value.code) == (409, "thread_moved")
    fresh = teamops.read_case(ada, case_id)
    assert [m.doc["text"] for m in fresh.messages if m.doc] == ["We received your report."]
    # Notes count notes: the stale view read none, and none was written.
    teamops.write(ada, stale, "note", "Legal is informed.", only_after=True)
    teamops.write(ada, fresh, "message", "A second reply, after the first.", only_after=True)
    assert len(teamops.read_case(ada, case_id).messages) == 2
    # Without it, a reply is stored whatever the thread holds (as before).
    teamops.write(ada, stale, "message", "Written without after.")
    assert len(teamops.read_case(ada, case_id).messages) == 3


@pytest.mark.parametrize("after", [True, -1, "0", 1.5, 2**53, None])
def test_an_after_that_is_no_count_is_refused(api: Api, after: Any) -> None:
    case_id = _case(api)
    client = api.as_member(api.team.admin)
    body = {"id": "b_" + "A" * 22, "message": "AAAA", "attachments": [], "after": after}
    with pytest.raises(ApiError) as refused:
        client.call("POST", f"/v1/team/cases/{case_id}/messages", body)
    assert (refused.value.status, refused.value.code) == (400, "malformed")
    assert client.call("GET", f"/v1/team/cases/{case_id}")["messages"] == []


def test_two_consoles_acknowledging_at_once_send_one_acknowledgement(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _case(api)
    ada, grace = _session(api, "Ada"), _session(api, "Grace")
    reply = replies.acknowledgement(replies.load())
    assert reply is not None
    read = teamops.read_case
    raced: list[str] = []

    def read_then_lose_the_race(s: teamops.Session, cid: str) -> teamops.CaseView:
        view = read(s, cid)
        if s is ada and not raced:  # Grace's console acknowledges while Ada's composes
            raced.append(replies.acknowledge(grace, cid, reply))
        return view

    monkeypatch.setattr(teamops, "read_case", read_then_lose_the_race)
    assert replies.acknowledge(ada, case_id, reply) == "none"
    assert raced == ["sent"]
    view = read(ada, case_id)
    team = [m for m in view.messages if m.doc and m.doc["from"] == "team"]
    assert len(team) == 1 and team[0].doc is not None
    assert team[0].doc["member"] == api.team.by_name("Grace").id
    assert view.case["status"] == "acknowledged"


def test_an_acknowledgement_whose_status_change_lost_a_race_is_still_sent_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reply is stored, then marking the case acknowledged meets another
    write (409 ``conflict``): the case is read again, and the outcome is
    still "sent", with one acknowledgement and the status set."""
    case_id = _case(api)
    ada = _session(api, "Ada")
    reply = replies.acknowledgement(replies.load())
    assert reply is not None
    call = type(ada.api).call
    lost: list[str] = []

    def patch_loses_once(client: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "PATCH" and not lost:
            lost.append(path)
            raise ApiError(409, "conflict", "The case changed meanwhile; reload and try again.")
        return call(client, method, path, *args, **kwargs)

    monkeypatch.setattr(type(ada.api), "call", patch_loses_once)
    assert replies.acknowledge(ada, case_id, reply) == "sent"
    assert lost == [f"/v1/team/cases/{case_id}"]
    view = teamops.read_case(ada, case_id)
    assert len([m for m in view.messages if m.doc and m.doc["from"] == "team"]) == 1
    assert view.case["status"] == "acknowledged"
