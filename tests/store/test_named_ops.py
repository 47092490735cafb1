"""A failed transaction is mapped to its error by the failing operation's
name, never its position: reordering a transaction's operations changes no
answer (docs/architecture.md, "Storage: key layout and transactions")."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence

import pytest

from candor import documents
from candor.client import ApiError
from candor.receipt import Receipt
from candor.reporter import Evidence, submit
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.store.base import ABSENT, CaseStore, Check, ConditionFailed, Op, Put
from tests.support.team import Api

FORM = {"category": "other", "summary": "Named operations", "details": "-"}
Order = Callable[[list[Op]], list[Op]]
ORDERS: dict[str, Order] = {
    "reversed": lambda ops: ops[::-1],
    "rotated": lambda ops: ops[1:] + ops[:1],
}


Write = Callable[[Sequence[Op]], None]


def _rival_takes_receipt(write: Write, ops: Sequence[Op]) -> None:
    """Another submission or rotation writes the new receipt first."""
    for op in ops:
        if op.pk.startswith("receipt#") and op.expect == ABSENT:
            write([Put(op.pk, op.sk, {"case": None})])


def _rival_claims_attachment(write: Write, ops: Sequence[Op]) -> None:
    """Another submission claims the attachment first."""
    for op in ops:
        if isinstance(op, Put) and op.pk.startswith("attachment#") and op.expect > 0:
            write([Put(op.pk, op.sk, {**op.data, "case": "c_rival"}, expect=op.expect)])


def _reorder_with_rival(
    api: Api, monkeypatch: pytest.MonkeyPatch, order: Order,
    rival: Callable[[Write, Sequence[Op]], None],
) -> None:
    """Every transaction from now on runs ``order``ed, just after ``rival``
    struck."""
    real = api.store.transact

    def transact(ops: Sequence[Op]) -> None:
        rival(real, ops)
        real(order(list(ops)))

    monkeypatch.setattr(api.store, "transact", transact)


def _code(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


@pytest.mark.parametrize("order", ORDERS)
def test_a_receipt_taken_meanwhile_is_token_in_use_in_any_order(
    api: Api, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    _reorder_with_rival(api, monkeypatch, ORDERS[order], _rival_takes_receipt)
    with pytest.raises(ApiError) as exc:
        submit(api.anonymous, api.team.manifest, FORM)
    assert _code(exc) == (409, "token_in_use")


# Presigned uploads need a real HTTP endpoint, which in-process moto lacks.
@pytest.mark.parametrize("store_kind", ["local", "aws-server"], indirect=True)
@pytest.mark.parametrize("order", ORDERS)
def test_an_attachment_claimed_meanwhile_is_attachment_claimed_in_any_order(
    api: Api, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    _reorder_with_rival(api, monkeypatch, ORDERS[order], _rival_claims_attachment)
    with pytest.raises(ApiError) as exc:
        submit(api.anonymous, api.team.manifest, FORM,
               files=[Evidence("x.bin", os.urandom(100))])
    assert _code(exc) == (409, "attachment_claimed")


@pytest.mark.parametrize("order", ORDERS)
def test_a_new_receipt_taken_meanwhile_fails_the_rotation_as_token_in_use(
    api: Api, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    sub = submit(api.anonymous, api.team.manifest, FORM)
    status = api.anonymous.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                                signed=False)
    state = documents.open_case_state(b64u_decode(status["sealed_identity"]), sub.receipt)
    new = Receipt.generate()
    body = {"auth": sub.receipt.auth_b64, "token_id": new.token_id,
            "sealed_identity": b64u_encode(documents.seal_case_state(state, new)),
            "visit": b64u_encode(hashlib.sha256(os.urandom(32)).digest())}
    _reorder_with_rival(api, monkeypatch, ORDERS[order], _rival_takes_receipt)
    with pytest.raises(ApiError) as exc:
        api.anonymous.call("POST", "/v1/followup/rotate", body, signed=False)
    assert _code(exc) == (409, "token_in_use")
    monkeypatch.undo()
    # The old receipt still opens: nothing of the rotation was written.
    api.anonymous.call("POST", "/v1/followup/open", {"auth": sub.receipt.auth_b64},
                       signed=False)


@pytest.mark.parametrize("order", ORDERS)
def test_condition_failed_names_the_failing_operation(
    any_store: CaseStore, order: str
) -> None:
    any_store.transact([Put("p", "held", {"n": 1}, expect=ABSENT)])
    ops: list[Op] = [
        Put("p", "new", {"n": 2}, expect=ABSENT, name="fresh"),
        Check("p", "held", expect=1, name="holds"),
        Put("p", "other", {"n": 3}, expect=5, name="stale"),
    ]
    with pytest.raises(ConditionFailed) as failed:
        any_store.transact(ORDERS[order](ops))
    assert failed.value.name == "stale"
    assert failed.value.index == ORDERS[order](ops).index(ops[2])
    assert any_store.get("p", "new") is None  # nothing was written
