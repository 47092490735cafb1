"""S3 and DynamoDB failures at every storage step of the aws backend
(protocol §4.1: storage failure is 503 ``unavailable``; §4.7: nothing is
left that retention and the bucket's lifecycle do not remove).

For each path (a submission with an attachment, a reporter's follow-up
message, a team reply, a purge) a clean run counts its storage calls; then
call k fails, for every k and every kind of failure (tests/faults/inject.py),
against moto's server over real HTTP with the store's own boto3 clients and
retry settings. After each run: the answer is 503 (or success where the
failure was transient), the team sees only whole cases, the audit chain
verifies, every acknowledged write is there, and the client's retry
succeeds. At the end retention runs a day later and every object left in
the bucket is referenced, or tagged for the lifecycle rule to remove.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from candor import teamops
from candor.client import ApiError
from candor.reporter import Evidence, follow_up, submit
from chalicelib.domain import retention
from chalicelib.store.aws import STATE_TAG, UNCLAIMED, AwsCaseStore
from tests.backends import FakeClock, make_store, object_tags
from tests.faults import ledger as lg
from tests.faults.inject import KINDS, PERSISTENT, Step, StepFaults
from tests.support.team import Api, Team, make_api

pytestmark = pytest.mark.slow

Act = Callable[[], None]


@dataclass
class Rig:
    api: Api
    store: AwsCaseStore
    faults: StepFaults
    admin: teamops.Session
    book: lg.Ledger
    n: Iterator[int]


@pytest.fixture
def rig(tmp_path: Path, team: Team, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    # botocore's retries stay (3 attempts, as the store configures them) but
    # without their back-off sleeps and their budget, so that hundreds of
    # injected failures run in seconds and each is retried alike.
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount",
                        lambda self, context: 0)
    monkeypatch.setattr("botocore.retries.quota.RetryQuota.acquire", lambda self, amount: True)
    clock = FakeClock()
    with make_store("aws-server", tmp_path, clock=clock) as store:
        assert isinstance(store, AwsCaseStore)
        faults = StepFaults()
        faults.hook(store._s3, store._ddb)
        api = make_api(store, team, clock)
        admin = teamops.Session(api.as_member(team.admin), team.admin.key, team.manifest)
        yield Rig(api, store, faults, admin, lg.Ledger(), itertools.count())


# -- the paths: each prepares its own case unfaulted and returns the faulted act ------
Prepared = tuple[Act, str | None]  # the act and the case it touches (None: a new one)


def _submitter(rig: Rig, *, attach: bool = True) -> Act:
    def act() -> None:
        summary = f"report {next(rig.n)}"
        files = [Evidence("e.bin", summary.encode() * 50)] if attach else []
        sub = submit(rig.api.anonymous, rig.api.team.manifest, {"summary": summary},
                     files=files)
        rig.book.summaries.add(summary)
        rig.book.receipts.append(sub.receipt)
    return act


def _new_case(rig: Rig, *, attach: bool = False) -> str:
    before = set(lg.case_ids(rig.admin))
    _submitter(rig, attach=attach)()
    (case_id,) = set(lg.case_ids(rig.admin)) - before
    return case_id


def _submit(rig: Rig) -> Prepared:
    return _submitter(rig), None


def _reporter_message(rig: Rig) -> Prepared:
    case_id = _new_case(rig)
    visit = follow_up(rig.api.anonymous, rig.book.receipts[-1], rig.api.team.manifest)

    def act() -> None:
        text = f"message {next(rig.n)}"
        visit.send(text)
        rig.book.messages.add(text)
    return act, case_id


def _team_reply(rig: Rig) -> Prepared:
    case_id = _new_case(rig)

    def act() -> None:
        text = f"reply {next(rig.n)}"
        view = rig.book.views.get(case_id)  # as the last check read it
        if view is None:
            with rig.faults.paused():
                view = teamops.read_case(rig.admin, case_id)
        teamops.write(rig.admin, view, "message", text)
        rig.book.messages.add(text)
    return act, case_id


def _purge(rig: Rig) -> Prepared:
    case_id = _new_case(rig, attach=True)
    summary = f"report {next(rig.n) - 1}"
    rig.book.summaries.discard(summary)  # about to go, on purpose

    def act() -> None:
        rig.admin.api.call("DELETE", f"/v1/team/cases/{case_id}")
    return act, case_id


PATHS: dict[str, Callable[[Rig], Prepared]] = {
    "submit": _submit, "reporter_message": _reporter_message,
    "team_reply": _team_reply, "purge": _purge,
}
# Acts that can run again on the same case (a new message each time): the
# case is prepared once per so many runs, which keeps the test fast.
REUSE = {"submit": 1000, "reporter_message": 5, "team_reply": 5, "purge": 1}


# -- running one fault ---------------------------------------------------------------
def _run(rig: Rig, act: Act, fail_at: int | None, kind: str) -> str:
    rig.faults.arm(fail_at, kind)
    try:
        act()
        outcome = "ok"
    except ApiError as exc:
        outcome = f"{exc.status} {exc.code}"
    finally:
        rig.faults.disarm()
    return outcome


def _expected(kind: str, outcome: str) -> bool:
    if kind in PERSISTENT:
        return outcome == "503 unavailable"
    if kind == "once":
        return outcome == "ok"
    return outcome in ("ok", "503 unavailable")  # lost: it may have taken effect


def schedule(steps: list[Step]) -> list[tuple[int, str]]:
    """(k, kind) to run: every kind at every write; at a read, which
    changes nothing whatever happens, one persistent kind in turn."""
    runs = []
    for k, step in enumerate(steps, start=1):
        write = not step.operation.startswith(("Get", "Head", "Query", "List", "Scan"))
        runs += [(k, kind) for kind in (KINDS if write else [PERSISTENT[k % 3]])]
    return runs


class Orphaned(AssertionError):
    """Objects left that nothing will ever remove."""


# A blob written before its transaction (the report, a message) and an
# attachment claimed before it are left when the transaction then fails: the
# daily orphan sweep of retention (protocol §4.7) deletes them a day later.
@pytest.mark.parametrize("path", ["purge", "reporter_message", "submit", "team_reply"])
def test_every_storage_step_fails_cleanly(rig: Rig, path: str) -> None:
    make = PATHS[path]
    act, case_id = make(rig)
    assert _run(rig, act, None, "clean") == "ok"
    steps = list(rig.faults.steps)
    assert len(steps) >= 3, steps
    wrong: list[str] = []
    ran: list[str] = []
    stale: set[str] = set()  # cases to read again at the next check
    for i, (k, kind) in enumerate(schedule(steps), start=1):
        if i % REUSE[path] == 0:
            act, case_id = make(rig)
        outcome = _run(rig, act, k, kind)
        ran.append(outcome)
        if not rig.faults.hit or not _expected(kind, outcome):
            wrong.append(f"step {k} {steps[k - 1]} {kind}: {outcome}")
        stale |= {case_id} if case_id else set()
        with _after(f"step {k} {steps[k - 1]} {kind}: {outcome}"):
            lg.check(rig.admin, rig.book, stale, audit=False)
        stale = set()
        if outcome != "ok":  # the client tries again, unfaulted; checked next time
            retried = _run(rig, act, None, "retry")
            if retried != "ok" and not (path == "purge" and retried == "404 not_found"):
                wrong.append(f"step {k} {steps[k - 1]} {kind}: retry {retried}")
            stale |= {case_id} if case_id else set()
    outcomes = collections.Counter(o for o in ran)
    print(f"{path}: {len(steps)} storage steps, {len(ran)} runs, {dict(outcomes)}")
    with _after("the last retry"):  # every case read again, the chain verified
        lg.check(rig.admin, rig.book, lg.case_ids(rig.admin))
    assert wrong == [], "\n".join(wrong)
    orphans = unswept(rig)
    if orphans:
        raise Orphaned("\n".join(orphans))


@contextlib.contextmanager
def _after(what: str) -> Iterator[None]:
    """Name the fault that preceded a failed check."""
    try:
        yield
    except (AssertionError, ApiError) as exc:
        raise AssertionError(f"after {what}: {exc}") from exc


def unswept(rig: Rig) -> list[str]:
    """Objects that neither the index refers to nor the lifecycle rule will
    remove, after retention ran a day later; and referenced attachments that
    the lifecycle rule would remove."""
    clock = rig.api.clock
    clock.advance(25 * 3600)
    retention.run(rig.api.ctx)
    referenced = referenced_blobs(rig.store)
    bad = []
    for name, current in object_names(rig.store).items():
        state = object_tags(rig.store, name).get(STATE_TAG) if current else None
        if name in referenced:
            if state == UNCLAIMED:
                bad.append(f"{name}: referenced but tagged for removal")
        elif state != UNCLAIMED:
            bad.append(f"{name}: orphan ({state or 'untagged' if current else 'old versions'})")
    return bad


def object_names(store: AwsCaseStore) -> dict[str, bool]:
    """Every blob name with any version in the bucket: whether a current one."""
    out: dict[str, bool] = {}
    pages = store._s3.get_paginator("list_object_versions").paginate(Bucket=store.bucket)
    for page in pages:
        for v in page.get("Versions", []):
            out[v["Key"].removeprefix("blobs/")] = out.get(
                v["Key"].removeprefix("blobs/"), False) or v["IsLatest"]
        for m in page.get("DeleteMarkers", []):
            out.setdefault(m["Key"].removeprefix("blobs/"), False)
    return out


def referenced_blobs(store: AwsCaseStore) -> set[str]:
    """Blob names the index refers to."""
    out: set[str] = set()
    for page in store._ddb.get_paginator("scan").paginate(TableName=store.table):
        for raw in page["Items"]:
            out |= lg.blob_references(json.loads(raw["data"]["S"]))
    return out
