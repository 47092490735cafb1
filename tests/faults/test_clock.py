"""A server clock stepped backwards and forwards (the clock reaches the app
through ``Context.clock`` and the store's clock, as in production).

- Signatures (protocol §4.3): ``created`` within 300 s of the server's clock
  either way is accepted, more is 401 ``clock_skew`` with a ``Date``; a
  recorded request is refused again while its ``created`` is in the window,
  whatever the clock did meanwhile, a sweep included.
- Receipts (§3.3) carry no time: they open and rotate across any step.
- Deadlines (§4.4) follow the day received: ``acknowledge_by`` stays
  put, ``overdue`` follows the server's day.
- The audit chain (§4.6) never goes back: after a step back, a team write
  answers 401 ``clock_skew`` rather than record an earlier time, and the
  chain verifies throughout.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from email.utils import parsedate_to_datetime

import pytest

from candor import teamops
from candor.client import ApiClient, ApiError
from candor.reporter import follow_up, submit
from chalicelib.domain import retention
from chalicelib.httpsig import sign_request
from tests.faults import ledger as lg
from tests.support.team import BASE_URL, Api

SKEW = 300
CASES = "/v1/team/cases"


def _signed_get(api: Api, created: int) -> dict[str, str]:
    """The headers of one signed ``GET /v1/team/cases``, to send as often as wanted."""
    member = api.team.admin.key
    return sign_request("GET", CASES, {}, b"", member_id=member.member,
                        seed=member.signing_seed, created=created)


def _send(api: Api, headers: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    answer = api.transport._gateway.handle_request("GET", CASES, dict(headers), b"")
    body = json.loads(answer["body"] or "{}")
    code = body.get("error", {}).get("code", "") if isinstance(body, dict) else ""
    return int(answer["statusCode"]), code, dict(answer.get("headers") or {})


@pytest.mark.parametrize("step", [-SKEW - 1, -SKEW, 0, SKEW, SKEW + 1])
def test_the_signature_window_follows_the_server_clock(local_api: Api, step: int) -> None:
    signed_at = int(local_api.clock.time())
    local_api.clock.advance(step)
    status, code, headers = _send(local_api, _signed_get(local_api, signed_at))
    if abs(step) <= SKEW:
        assert (status, code) == (200, "")
    else:
        assert (status, code) == (401, "clock_skew")
        assert parsedate_to_datetime(headers["Date"]).tzinfo is not None
        assert parsedate_to_datetime(headers["Date"]).timestamp() == local_api.clock.time()


def test_a_recorded_request_stays_refused_across_clock_steps(local_api: Api) -> None:
    clock, start = local_api.clock, local_api.clock.time()
    request = _signed_get(local_api, int(start))
    assert _send(local_api, request)[:2] == (200, "")
    for step in (-250, 250, -SKEW, SKEW):  # still inside the window: a replay
        clock.now = start + step
        assert _send(local_api, request)[:2] == (401, "nonce_replayed"), step
    # Two hours ahead, the hourly job sweeps what expired; then the clock is
    # put right again. The nonce must still be known.
    clock.now = start + 7200
    assert _send(local_api, request)[:2] == (401, "clock_skew")
    retention.run(local_api.ctx)
    clock.now = start + 10
    assert _send(local_api, request)[:2] == (401, "nonce_replayed")


def test_receipts_and_deadlines_across_clock_steps(local_api: Api) -> None:
    clock, anon, manifest = local_api.clock, local_api.anonymous, local_api.team.manifest
    start = clock.now
    sub = submit(anon, manifest, {"summary": "clock"})
    received = date.fromisoformat(sub.answer["received"])
    receipt = sub.receipt
    for days in (-400, 3, 8, 4000, -4000):
        clock.now = start + days * 86400
        status = anon.call("POST", "/v1/followup/open", {"auth": receipt.auth_b64},
                           signed=False)
        assert status["received"] == received.isoformat()
        assert status["acknowledge_by"] == (received + timedelta(days=7)).isoformat()
        receipt = follow_up(anon, receipt, manifest).receipt  # rotates at any time
    for days, overdue in ((8, True), (6, False), (-1, False), (400, True)):
        clock.now = start + days * 86400  # not acknowledged within 7 days: overdue
        cases = _session(local_api).get(CASES)["cases"]
        assert [c["overdue"] for c in cases] == [overdue], days


def test_days_stay_in_order_after_a_step_back(local_api: Api) -> None:
    clock, manifest = local_api.clock, local_api.team.manifest
    clock.advance(2 * 86400)
    sub = submit(local_api.anonymous, manifest, {"summary": "ahead"})
    received = sub.answer["received"]
    clock.advance(-2 * 86400 + 60)  # put right: two days before the case was received
    visit = follow_up(local_api.anonymous, sub.receipt, manifest)
    visit.send("from the reporter")
    admin = _session(local_api)
    (case_id,) = lg.case_ids(admin)
    teamops.write(admin, teamops.read_case(admin, case_id), "message", "from the team")
    case = admin.get(f"{CASES}/{case_id}")
    days = [case["acknowledged"], case["updated"], *(m["day"] for m in case["messages"])]
    assert len(days) == 4 and min(days) == received, case
    feedback_by = date.fromisoformat(case["feedback_by"])
    assert feedback_by >= date.fromisoformat(received) + timedelta(days=89)


def test_a_status_change_after_a_step_back_stays_in_order(local_api: Api) -> None:
    clock, manifest = local_api.clock, local_api.team.manifest
    clock.advance(2 * 86400)
    received = submit(local_api.anonymous, manifest, {"summary": "ahead"}).answer["received"]
    clock.advance(-2 * 86400 + 60)
    admin = _session(local_api)
    (case_id,) = lg.case_ids(admin)
    case = admin.api.call("PATCH", f"{CASES}/{case_id}", {"status": "investigating"})
    assert (case["acknowledged"], case["updated"]) == (received, received), case


def _session(api: Api) -> teamops.Session:
    return teamops.Session(api.as_member(api.team.admin), api.team.admin.key, api.team.manifest)


def test_the_audit_chain_never_goes_back(local_api: Api) -> None:
    clock, manifest = local_api.clock, local_api.team.manifest
    submit(local_api.anonymous, manifest, {"summary": "audit"})
    admin = _session(local_api)
    (case_id,) = lg.case_ids(admin)
    teamops.write(admin, teamops.read_case(admin, case_id), "message", "before the step")
    assert lg.audit_verifies(admin) >= 2
    clock.advance(-3600)  # the server and the member's clock agree, an hour back
    with pytest.raises(ApiError) as refused:
        teamops.write(admin, teamops.read_case(admin, case_id), "message", "after")
    assert (refused.value.status, refused.value.code) == (401, "clock_skew")
    clock.advance(3600 + 60)
    teamops.write(admin, teamops.read_case(admin, case_id), "message", "caught up")
    lg.check(admin, lg.Ledger(messages={"before the step", "caught up"}))


def test_member_clock_and_server_clock_disagree_by_less_than_the_skew(local_api: Api) -> None:
    # A member's clock 299 s behind the server's: every call still goes through.
    member = ApiClient(local_api.transport, local_api.team.admin.key,
                       clock=lambda: local_api.clock.time() - (SKEW - 1))
    s = teamops.Session(member, local_api.team.admin.key, local_api.team.manifest)
    submit(local_api.anonymous, local_api.team.manifest, {"summary": "skewed"})
    (case_id,) = lg.case_ids(s)
    teamops.write(s, teamops.read_case(s, case_id), "message", "from behind")
    assert lg.audit_verifies(s) >= 2
    assert BASE_URL.startswith("http://127.0.0.1")
