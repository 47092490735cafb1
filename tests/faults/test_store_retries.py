"""A blob write retried after its answer was lost succeeds on every backend
(the aws backend's botocore retries a PUT whose first attempt was stored:
tests/faults/test_aws_steps.py, kind ``lost``)."""

from __future__ import annotations

import secrets

import pytest

from chalicelib.store.base import CaseStore, ConditionFailed


def test_the_same_bytes_again_succeed_other_bytes_do_not(any_store: CaseStore) -> None:
    key, data = "b_" + secrets.token_hex(8), secrets.token_bytes(3000)
    any_store.put_blob(key, data)
    any_store.put_blob(key, data)
    for other in (data[:-1], data[:-1] + b"x", data + b"x"):
        with pytest.raises(ConditionFailed):
            any_store.put_blob(key, other)
    assert any_store.get_blob(key) == data
