"""The member's inbox index routes (protocol §4.4 "Inbox index", issue 20)
through the API with the Python client: an opaque sealed blob per member,
written compare-and-swap on its version, read with the member's cases in
large pages, those changed since the day it was written with the side of
their last message; a member taken off a case no longer sees it there; an
update leaves no old blob and a removed member's index goes.
Runs on every backend (``api``)."""

from __future__ import annotations

from typing import Any

import pytest

from candor import documents, grants, reporter, teamops
from candor import keyfile as kf
from candor.client import ApiClient, ApiError
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.domain import retention
from chalicelib.domain.inbox_index import INDEX_LIMIT
from chalicelib.store import keys
from chalicelib.store.base import StorageUnavailable
from tests.support.team import Api, Member

FORM = {"category": "fraud", "summary": "Invoices approved twice", "details": "In March."}
DAY = 24 * 3600


def _sealed(member: Member, text: str = "index") -> str:
    recipient = kf.identity_recipient(member.key.identities[0])
    return b64u_encode(documents.seal_document({"v": 1, "text": text}, [recipient]))


def _put(client: ApiClient, sealed: str, version: int) -> Any:
    return client.call("PUT", "/v1/team/index", {"sealed": sealed, "version": version})


def _code(call: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.status, caught.value.code


def _file(api: Api) -> str:
    def ids() -> set[str]:
        listing = api.as_member(api.team.admin).call("GET", "/v1/team/cases")
        return {c["id"] for c in listing["cases"]}

    before = ids()
    reporter.submit(api.anonymous, api.team.manifest, FORM, today=api.ctx.today())
    (new,) = ids() - before
    return new


def test_each_member_keeps_one_index_written_compare_and_swap(api: Api) -> None:
    grace, ada = api.team.by_name("Grace"), api.team.admin
    as_grace = api.as_member(grace)
    assert as_grace.call("GET", "/v1/team/index") == {"sealed": None, "version": 0, "cases": [],
                                                     "cursor": None}
    first = _sealed(grace, "first")
    assert _put(as_grace, first, 0) == {"version": 1}
    answer = as_grace.call("GET", "/v1/team/index")
    assert (answer["sealed"], answer["version"]) == (first, 1)
    # A second console that read version 0 loses the race and must read again.
    assert _code(lambda: _put(as_grace, _sealed(grace, "stale"), 0)) == (409, "conflict")
    second = _sealed(grace, "second")
    assert _put(as_grace, second, 1) == {"version": 2}
    assert _code(lambda: _put(as_grace, _sealed(grace), 1)) == (409, "conflict")
    opened = documents.open_document(b64u_decode(as_grace.call("GET", "/v1/team/index")["sealed"]),
                                     grace.key.identities)
    assert opened["text"] == "second"
    # Another member's index is theirs alone.
    assert api.as_member(ada).call("GET", "/v1/team/index")["version"] == 0


def test_an_index_that_is_not_one_sealed_blob_is_refused(api: Api) -> None:
    grace, ada = api.team.by_name("Grace"), api.team.admin
    as_grace = api.as_member(grace)
    both = [kf.identity_recipient(m.key.identities[0]) for m in (grace, ada)]
    two = b64u_encode(documents.seal_document({"v": 1}, both))
    assert _code(lambda: _put(as_grace, two, 0)) == (422, "invalid_blob")
    assert _code(lambda: _put(as_grace, b64u_encode(b"plain text"), 0)) == (422, "invalid_blob")
    assert _code(lambda: _put(as_grace, _sealed(grace), -1))[0] == 400
    assert _code(lambda: _put(as_grace, _sealed(grace), True))[0] == 400
    no_version = {"sealed": _sealed(grace)}
    assert _code(lambda: as_grace.call("PUT", "/v1/team/index", no_version))[0] == 400
    assert _code(lambda: _put(as_grace, "A" * (INDEX_LIMIT * 4 // 3 + 8), 0))[0] == 413
    assert _code(lambda: api.anonymous.call("GET", "/v1/team/index", signed=False))[0] == 401
    assert as_grace.call("GET", "/v1/team/index")["version"] == 0  # nothing half-written


def _last(client: ApiClient) -> dict[str, Any]:
    """Case id -> its ``last`` side, for the cases that carry one (changed since the write)."""
    cases = client.call("GET", "/v1/team/index")["cases"]
    return {c["id"]: c["last"] for c in cases if "last" in c}


def test_changed_cases_since_the_write_with_their_last_side(api: Api) -> None:
    grace, ada = api.team.by_name("Grace"), api.team.admin
    as_grace = api.as_member(grace)
    quiet, busy = _file(api), _file(api)
    listed = as_grace.call("GET", "/v1/team/cases")["cases"]
    answer = as_grace.call("GET", "/v1/team/index")
    # The same cases as the team listing, by id; no index yet: every one is new, none has a message.
    assert [c["id"] for c in answer["cases"]] == sorted([quiet, busy])
    by_id = {c["id"]: c for c in listed}
    assert all({**c, "last": None} == {**by_id[c["id"]], "last": None} for c in answer["cases"])
    assert _last(as_grace) == {quiet: None, busy: None}
    _put(as_grace, _sealed(grace), 0)
    # Days are coarse: a case updated on the day of the write may have changed after it.
    assert len(_last(as_grace)) == 2
    api.clock.advance(DAY)
    _put(as_grace, _sealed(grace), 1)
    assert _last(as_grace) == {}
    s = teamops.Session(api.as_member(grace), grace.key, api.team.manifest, today=api.ctx.today)
    teamops.write(s, teamops.read_case(s, busy), "message", "We are on it.")
    assert _last(as_grace) == {busy: "team"}
    # Taken off the case, the member no longer hears of it.
    admin = teamops.Session(api.as_member(ada), ada.key, api.team.manifest, today=api.ctx.today)
    grants.revoke(admin, busy, grace.id)
    assert [c["id"] for c in as_grace.call("GET", "/v1/team/index")["cases"]] == [quiet]


def test_the_cases_come_in_pages_and_the_index_on_the_first(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain import inbox_index

    grace = api.team.by_name("Grace")
    as_grace = api.as_member(grace)
    filed = sorted(_file(api) for _ in range(3))
    _put(as_grace, _sealed(grace), 0)
    monkeypatch.setattr(inbox_index, "PAGE", 2)
    first = as_grace.call("GET", "/v1/team/index")
    assert first["version"] == 1 and first["sealed"] and first["cursor"] == filed[1]
    second = as_grace.call("GET", "/v1/team/index", query={"cursor": first["cursor"]})
    assert second == {"cases": second["cases"], "cursor": None}  # no index again
    assert [c["id"] for c in first["cases"] + second["cases"]] == filed
    bad = {"cursor": "nope"}
    assert _code(lambda: as_grace.call("GET", "/v1/team/index", query=bad))[0] == 400


def _count_decrypts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The case ids of each batch of reports the CLI decrypts, from now on."""
    from candor import inboxindex

    decrypted: list[list[str]] = []
    real = inboxindex._decrypt

    def counting(s: Any, cases: Any) -> Any:
        decrypted.append(sorted(c["id"] for c in cases))
        return real(s, cases)

    monkeypatch.setattr(inboxindex, "_decrypt", counting)
    return decrypted


def test_the_cli_lists_from_the_index_and_decrypts_only_what_it_lacks(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from candor import inboxindex

    grace, ada = api.team.by_name("Grace"), api.team.admin
    s = teamops.Session(api.as_member(grace), grace.key, api.team.manifest, today=api.ctx.today)
    today = api.ctx.today().isoformat()
    first, second = _file(api), _file(api)
    decrypted = _count_decrypts(monkeypatch)
    cases, summaries = inboxindex.summaries(s, today)
    assert sorted(c["id"] for c in cases) == sorted([first, second])
    assert summaries == {first: FORM["summary"], second: FORM["summary"]}
    assert decrypted == [sorted([first, second])]
    third = _file(api)
    _, summaries = inboxindex.summaries(s, today)
    assert decrypted[-1] == [third] and set(summaries) == {first, second, third}
    # Taken off a case: it leaves the listing and the stored index.
    admin = teamops.Session(api.as_member(ada), ada.key, api.team.manifest, today=api.ctx.today)
    grants.revoke(admin, second, grace.id)
    _, summaries = inboxindex.summaries(s, today)
    assert set(summaries) == {first, third} and len(decrypted) == 2  # nothing new decrypted
    answer = s.get("/v1/team/index")
    index = inboxindex.open_index(b64u_decode(answer["sealed"]), grace.key, answer["version"],
                                  today)
    assert sorted(e["case"] for e in index["cases"]) == sorted([first, third])
    assert {e["category"] for e in index["cases"]} == {FORM["category"]}
    # After a key rotation the stored index is refused: the CLI decrypts every report again.
    rotated, _ = kf.rotate_keys(grace.key)
    with pytest.raises(inboxindex.IndexRejected):
        inboxindex.open_index(b64u_decode(answer["sealed"]), rotated, answer["version"], today)
    # A stale index (an older version served again) is refused as well.
    with pytest.raises(inboxindex.IndexRejected):
        inboxindex.open_index(b64u_decode(answer["sealed"]), grace.key, answer["version"] + 1,
                              today)


def test_an_entry_keeps_the_drill_mark_and_a_flag_without_one_is_read_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from candor import drill, inboxindex

    ada = api.team.admin
    s = teamops.Session(api.as_member(ada), ada.key, api.team.manifest, today=api.ctx.today)
    today = api.ctx.today().isoformat()
    listing = lambda: {c["id"] for c in s.get("/v1/team/cases")["cases"]}  # noqa: E731
    before = listing()
    library = drill.load_library()
    drill.start(api.as_member(ada), api.team.manifest, library["scenarios"][0],
                today=api.ctx.today())
    (practice,) = listing() - before
    # Flagged a drill by its filing, with nothing inside the sealed report to say so.
    reporter.submit(api.as_member(ada), api.team.manifest, FORM, today=api.ctx.today(),
                    filed={"source": "monitoring", "drill": True})
    (flagged,) = listing() - before - {practice}
    plain = _file(api)
    decrypted = _count_decrypts(monkeypatch)
    inboxindex.summaries(s, today)
    answer = s.get("/v1/team/index")
    index = inboxindex.open_index(b64u_decode(answer["sealed"]), ada.key, answer["version"], today)
    marks = {e["case"]: e.get("drill") for e in index["cases"]}
    assert marks == {practice: library["scenarios"][0]["id"], flagged: None, plain: None}
    assert "drill" not in next(e for e in index["cases"] if e["case"] == plain)
    # The next listing reads the flagged case without a mark again, and only it; the tags
    # its entry carried (a console wrote them) stay.
    tagged = [{**e, "tags": ["leak"]} if e["case"] == flagged else e for e in index["cases"]]
    s.api.call("PUT", "/v1/team/index", {
        "sealed": b64u_encode(inboxindex.seal_index(ada.key, tagged, answer["version"] + 1, today)),
        "version": answer["version"]})
    inboxindex.summaries(s, today)
    assert decrypted[-1] == [flagged]
    answer = s.get("/v1/team/index")
    index = inboxindex.open_index(b64u_decode(answer["sealed"]), ada.key, answer["version"], today)
    assert next(e for e in index["cases"] if e["case"] == flagged)["tags"] == ["leak"]
    # An index whose drill entry lost its mark (written before entries kept
    # it): that case is read again too.
    known, todo = inboxindex.plan(
        {"cases": [{k: v for k, v in e.items() if k != "drill"} for e in index["cases"]]},
        s.get("/v1/team/index")["cases"])
    assert sorted(c["id"] for c in todo) == sorted([practice, flagged])
    assert set(known) == {plain}
    # A malformed mark makes the entry, and the index, malformed.
    bad = [{**e, "drill": "Not An Id"} if e["case"] == practice else e for e in index["cases"]]
    sealed = inboxindex.seal_index(ada.key, bad, answer["version"], today)
    with pytest.raises(inboxindex.IndexRejected):
        inboxindex.open_index(sealed, ada.key, answer["version"], today)


def _index_blobs(api: Api) -> set[str]:
    return {n for n in api.store.blob_names(2**40) if n.startswith("x_")}


def test_an_update_leaves_no_old_blob_even_when_its_delete_fails(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    grace = api.team.by_name("Grace")
    as_grace = api.as_member(grace)
    _put(as_grace, _sealed(grace, "first"), 0)
    (first,) = _index_blobs(api)
    assert first.startswith(f"x_{grace.id}_")  # the sweep finds its record (protocol §4.7)
    _put(as_grace, _sealed(grace, "second"), 1)
    (second,) = _index_blobs(api)
    assert second != first
    # The old blob's delete fails after the write committed: the write stands,
    # and the old blob goes with the orphan sweep a day later.
    real = api.store.delete_blob

    def failing(name: str) -> None:
        if name == second:
            raise StorageUnavailable("timeout")
        real(name)

    monkeypatch.setattr(api.store, "delete_blob", failing)
    assert _put(as_grace, _sealed(grace, "third"), 2) == {"version": 3}
    monkeypatch.undo()
    assert second in _index_blobs(api) and len(_index_blobs(api)) == 2
    api.clock.advance(DAY + 3600)
    retention.run(api.ctx)
    assert len(_index_blobs(api) - {first, second}) == 1 and second not in _index_blobs(api)
    answer = as_grace.call("GET", "/v1/team/index")
    assert documents.open_document(b64u_decode(answer["sealed"]), grace.key.identities)["text"] \
        == "third"


def test_a_removed_members_index_goes_with_the_next_run(api: Api) -> None:
    grace, alan, ada = (api.team.by_name(n) for n in ("Grace", "Alan", "Ada"))
    _put(api.as_member(grace), _sealed(grace), 0)
    _put(api.as_member(alan), _sealed(alan), 0)
    (alans,) = (n for n in _index_blobs(api) if n.startswith(f"x_{alan.id}_"))
    api.as_member(ada).call("DELETE", f"/v1/team/members/{grace.id}")
    retention.run(api.ctx)
    assert api.store.get(keys.inbox_index(grace.id)) is None
    assert _index_blobs(api) == {alans}  # another member's index stays
    assert api.store.get(keys.inbox_index(alan.id)) is not None
