"""manifest-chain.json: the manifest chain rules manifest.json leaves out
(protocol §4.5): rotation, removal, expiry at the head only, future-dated
versions, threshold and what admins can and cannot do.

Imported by generate_vectors.py. Every case is an anchor and later versions;
candor's verify_chain decides the latest version or null.
"""

from datetime import date
from typing import Any

import generate_vectors as gv

from chalicelib import manifest as mf
from chalicelib import signing
from chalicelib.b64 import b64u_encode

# Where the protocol, not Python, decides (see /tmp/coord/requests-vectors.md).
PROTOCOL_LATEST: dict[str, int | None] = {}


def _recert(entry: Any, seed: bytes, **changes: Any) -> Any:
    """`entry` with `changes`, certified anew by `seed` (rotation kept as is)."""
    out = {**entry, **changes}
    certified = signing.signed_bytes({**out, "removed": False}, "cert", "rotation")
    out["cert"] = b64u_encode(signing.sign_bytes(certified, seed))
    return out


def _rotation(entry: Any, old_seed: bytes) -> Any:
    certified = signing.signed_bytes({**entry, "removed": False}, "cert", "rotation")
    return {**entry, "rotation": b64u_encode(signing.sign_bytes(certified, old_seed))}


def _removed(entry: Any) -> Any:
    return {**entry, "removed": True}


def _m(version: int, issued: str, members: list[Any], threshold: int, *signers: Any) -> Any:
    return gv._signed(gv._manifest(version, issued, members, threshold), *signers)


def _case(name: str, why: str, later: list[Any], today: str, anchor: Any = "v1") -> Any:
    return {"name": name, "why": why, "anchor": anchor, "later": later, "today": today}


def _rotation_cases(c: dict[str, Any]) -> list[Any]:
    v2 = c["v2"]
    alice, bob2, carol_x, dave = v2["members"]
    bob3 = gv._entry("bob", 3, bob2)
    bob3_by_k1 = _rotation(bob3, gv._seed("bob", 1))
    bob2_dropped = _recert({**bob2, "rotation": None}, gv._seed("bob", 2), old_signing_keys=[])
    k = [b64u_encode(signing.public_key_from_seed(gv._seed("bob", g))) for g in (1, 2)]
    anchor_bob = _rotation(_recert(bob3, gv._seed("bob", 3), old_signing_keys=k),
                           gv._seed("bob", 1))  # fmt: skip
    anchor = gv._manifest(3, "2026-03-01", [alice, anchor_bob, carol_x, dave], 1)
    return [
        _case("rotate twice", "old_signing_keys gains each previous key",
              [v2, _m(3, "2026-03-10", [alice, bob3, carol_x, dave], 2, ("alice", 1), ("bob", 2))],
              gv.TODAY),
        _case("rotation signed by an older key", "the previous signing key signs rotation",
              [v2, _m(3, "2026-03-10", [alice, bob3_by_k1, carol_x, dave], 2, ("alice", 1),
                      ("bob", 2))], gv.TODAY),
        _case("old key dropped without rotation", "old_signing_keys only grows",
              [v2, _m(3, "2026-03-10", [alice, bob2_dropped, carol_x, dave], 2, ("alice", 1),
                      ("bob", 2))], gv.TODAY),
        _case("anchor rotation by the oldest key", "rotation is by the last old key",
              [], gv.TODAY, anchor=gv._signed(anchor)),
    ]  # fmt: skip


def _removal_cases(c: dict[str, Any]) -> list[Any]:
    v1, v2 = c["v1"], c["v2"]
    alice, bob, carol = v1["members"]
    _, bob2, carol_x, dave = v2["members"]
    no_bob = _m(2, "2026-02-01", [alice, _removed(bob), carol], 1, ("alice", 1))
    carol_rekeyed = _removed(_rotation(gv._entry("carol", 2, carol), gv._seed("carol", 1)))
    carol_moved = _recert(carol_x, gv._seed("carol"), function="Audit")
    return [
        _case("remove an admin", "admins remove a member without the member's signature",
              [no_bob], gv.TODAY),
        _case("removed admin signs the next version", "removed members are not admins",
              [no_bob, _m(3, "2026-02-10", [alice, _removed(bob), carol], 1, ("bob", 1))],
              gv.TODAY),
        _case("remove the last admin", "threshold cannot exceed the live admins",
              [_m(2, "2026-02-01", [_removed(alice), bob, carol], 1, ("alice", 1)),
               _m(3, "2026-02-10", [_removed(alice), _removed(bob), carol], 1, ("bob", 1))],
              gv.TODAY),
        _case("removed without its cert", "a removed entry keeps its cert",
              [_m(2, "2026-02-01", [alice, bob, {**_removed(carol), "cert": None}], 1,
                  ("alice", 1))], gv.TODAY),
        _case("removed with new keys, certified", "a removed entry is the previous one",
              [_m(2, "2026-02-01", [alice, bob, carol_rekeyed], 1, ("alice", 1))], gv.TODAY),
        _case("removed member re-certifies a change", "a removed entry never changes",
              [v2, _m(3, "2026-03-10", [alice, bob2, carol_moved, dave], 2, ("alice", 1),
                      ("bob", 2))], gv.TODAY),
    ]  # fmt: skip


def _expiry_cases(c: dict[str, Any]) -> list[Any]:
    v2, v3 = c["v2"], c["v3"]
    return [
        _case("head's last day", "expires is inclusive", [v2, v3], v3["expires"]),
        _case("day after the head expires", "the latest must be unexpired", [v2, v3],
              date.fromordinal(date.fromisoformat(v3["expires"]).toordinal() + 1).isoformat()),
        _case("anchor and middle expired", "only the latest is checked", [v2, v3], "2026-08-01"),
        _case("future-dated version", "clients check expiry, not issued (the server refuses "
              "an issued day after tomorrow on PUT)", [v2], "2026-02-01"),
        _case("issued next year", "continuity: version N+1 is issued on or before "
              "version N expires",
              [{**_m(2, "2027-01-01", v2["members"], 2, ("alice", 1))}], gv.TODAY),
    ]  # fmt: skip


def _power_cases(c: dict[str, Any]) -> list[Any]:
    v1, v2, v3 = c["v1"], c["v2"], c["v3"]
    alice, bob, carol = v1["members"]
    bob_reviewer = _recert(bob, gv._seed("bob"), role="reviewer")
    demoted = _m(2, "2026-02-01", [alice, bob_reviewer, carol], 1, ("alice", 1))
    v4 = _m(4, "2026-06-01", v3["members"], 1, ("dave", 1), ("alice", 1))
    v4_one = _m(4, "2026-06-01", v3["members"], 2, ("dave", 1))
    v3_twice = {**v3, "sigs": [v3["sigs"][0], v3["sigs"][0]]}
    return [
        _case("threshold raised applies from the next version", "v2 says 2 admins sign v3",
              [v2, _m(3, "2026-05-15", v3["members"], 2, ("alice", 1))], "2026-06-01"),
        _case("an admin signs twice", "threshold counts distinct admins", [v2, v3_twice],
              "2026-06-01"),
        _case("threshold lowered", "v4 lowers it to 1, signed by two of v3", [v2, v3, v4],
              "2026-06-02"),
        _case("promoted admin signs", "a new admin signs from the next version on",
              [v2, v3, v4], "2026-06-02"),
        _case("one signature under threshold 2", "v3's threshold is 2", [v2, v3, v4_one],
              "2026-06-02"),
        _case("admin promotes a reviewer alone", "the role is certified by the member",
              [_m(2, "2026-02-01", [alice, bob, {**carol, "role": "admin"}], 1, ("alice", 1))],
              gv.TODAY),
        _case("admin changes a member's function", "the function is certified by the member",
              [_m(2, "2026-02-01", [alice, bob, {**carol, "function": "HR"}], 1,
                  ("alice", 1))], gv.TODAY),
        _case("demoted admin signs", "only admins of the previous version sign",
              [demoted, _m(3, "2026-02-10", demoted["members"], 1, ("bob", 1))], gv.TODAY),
    ]  # fmt: skip


def python_latest(anchor: Any, later: list[Any], today: str) -> int | None:
    try:
        return int(mf.verify_chain(anchor, later, today=date.fromisoformat(today))["version"])
    except mf.ManifestInvalid:
        return None


def generate() -> None:
    chain = gv._valid_chain()
    cases = [*_rotation_cases(chain), *_removal_cases(chain), *_expiry_cases(chain),
             *_power_cases(chain)]  # fmt: skip
    for case in cases:
        anchor = chain["v1"] if case["anchor"] == "v1" else case["anchor"]
        python = python_latest(anchor, case["later"], case["today"])
        case["latest"] = PROTOCOL_LATEST.get(case["name"], python)
        if case["latest"] != python:
            case["python_latest"] = python
    gv._write("manifest-chain.json", {
        "description": "protocol §4.5 chain rules beyond manifest.json: rotation, removal, "
        "expiry (only the latest version must be unexpired on today, inclusive), "
        "future-dated versions, threshold and admin powers. Follow anchor (\"v1\": "
        "manifests.v1 here, else the manifest given) through later; latest is the last "
        "version or null when the chain does not verify. Seeds: manifest.json members.",
        "v1": chain["v1"], "cases": cases,
    })  # fmt: skip
