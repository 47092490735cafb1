"""Index items and transactions as DynamoDB writes them (protocol §4.2, §4.7).

An item is ``pk`` (S), ``sk`` (S), its document as the JSON string ``data``
(no DynamoDB numbers, so no ``Decimal``), its version ``v`` (N) and its
expiry ``ttl`` (N, epoch seconds, the table's TTL attribute). DynamoDB
deletes expired items up to days late, so every read and every condition
also treats ``ttl <= now`` as absent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.store.base import ABSENT, ANY, Delete, Item, Op, Put
from chalicelib.store.keys import dynamodb_key

_NAMES = {"#data": "data", "#v": "v", "#ttl": "ttl"}
_LIVE = "(attribute_not_exists(#ttl) OR #ttl > :now)"
_GONE = "(attribute_not_exists(pk) OR #ttl <= :now)"


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def decode(raw: dict[str, Any]) -> Item[Any]:
    ttl = raw.get("ttl")
    return Item(
        raw["pk"]["S"],
        raw["sk"]["S"],
        json.loads(raw["data"]["S"]),
        int(raw["v"]["N"]),
        None if ttl is None else int(ttl["N"]),
    )


def live(raw: dict[str, Any] | None, now: int) -> bool:
    return raw is not None and ("ttl" not in raw or int(raw["ttl"]["N"]) > now)


def cancellation_codes(response: Mapping[str, Any]) -> list[str]:
    """One reason per operation of a cancelled transaction, in order; "None"
    for those that were fine."""
    return [r.get("Code", "None") for r in response.get("CancellationReasons", [])]


def transact_item(table: str, op: Op, now: int) -> dict[str, Any]:
    """``op`` as one element of ``TransactItems``."""
    base: dict[str, Any] = {"TableName": table}
    values: dict[str, Any] = {":now": {"N": str(now)}}
    if op.expect == ABSENT:
        condition = _GONE
    elif op.expect == ANY:
        condition = ""
    else:
        condition = f"#v = :expect AND {_LIVE}"
        values[":expect"] = {"N": str(op.expect)}
    if isinstance(op, Put) and op.expect == ANY:
        return {"Update": {**base, **_update_any(op)}}
    if condition:
        base["ConditionExpression"] = condition
        base["ExpressionAttributeValues"] = values
        base["ExpressionAttributeNames"] = {k: v for k, v in _NAMES.items() if k in condition}
    if isinstance(op, Put):
        raw = {
            **dynamodb_key(op.pk, op.sk),
            "data": {"S": _json(op.data)},
            "v": {"N": str(1 if op.expect == ABSENT else op.expect + 1)},
        }
        if op.expires is not None:
            raw["ttl"] = {"N": str(op.expires)}
        return {"Put": {**base, "Item": raw}}
    if isinstance(op, Delete):
        return {"Delete": {**base, "Key": dynamodb_key(op.pk, op.sk)}}
    if not condition:  # a Check with ANY holds for every item
        base["ConditionExpression"] = "attribute_exists(pk) OR attribute_not_exists(pk)"
    return {"ConditionCheck": {**base, "Key": dynamodb_key(op.pk, op.sk)}}


def _update_any(op: Put[Any]) -> dict[str, Any]:
    # An unconditional put must still bump the version atomically, which a
    # Put cannot do; an expired item still physically present keeps
    # counting up (see Put in base.py).
    expr = "SET #data = :data, #v = if_not_exists(#v, :zero) + :one"
    values = {":data": {"S": _json(op.data)}, ":zero": {"N": "0"}, ":one": {"N": "1"}}
    if op.expires is None:
        expr += " REMOVE #ttl"
    else:
        expr += ", #ttl = :ttl"
        values[":ttl"] = {"N": str(op.expires)}
    return {
        "Key": dynamodb_key(op.pk, op.sk),
        "UpdateExpression": expr,
        "ExpressionAttributeNames": dict(_NAMES),
        "ExpressionAttributeValues": values,
    }
