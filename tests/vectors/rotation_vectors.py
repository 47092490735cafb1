"""manifest-rotation.json: the chain rules of protocol §4.5 (revision 4) for
a rotated admin's signature, continuity and re-anchors.

Imported by generate_vectors.py, or run alone:
    .venv/bin/python tests/vectors/rotation_vectors.py
Every case is an anchor and later versions; verify_chain decides the latest
version or null (with Python's reason, informative only).
"""

from datetime import date
from typing import Any

import generate_vectors as gv

from chalicelib import manifest as mf

ISSUED = "2026-01-05"  # the anchors' day; they expire on 2026-04-05


def _m(version: int, issued: str, members: list[Any], threshold: int,
       *signers: tuple[str, int], **extra: Any) -> Any:
    return gv._signed(gv._manifest(version, issued, members, threshold, **extra), *signers)


def _twice(manifest: Any, person: str, generation: int) -> Any:
    """`manifest` with a second signature by `person` (sign_manifest refuses one)."""
    other = gv._signed({**manifest, "sigs": []}, (person, generation))
    return {**manifest, "sigs": [*manifest["sigs"], *other["sigs"]]}


def _case(name: str, why: str, anchor: Any, later: list[Any], today: str) -> dict[str, Any]:
    return {"name": name, "why": why, "anchor": anchor, "later": later, "today": today}


def _sole_admin_cases() -> list[dict[str, Any]]:
    alice, carol = gv._entry("alice"), gv._entry("carol")
    alice2 = gv._entry("alice", 2, alice)
    s1 = _m(1, ISSUED, [alice, carol], 1, ("alice", 1))
    s2_new = _m(2, "2026-02-01", [alice2, carol], 1, ("alice", 2))
    s3 = _m(3, "2026-03-01", [alice2, carol], 1, ("alice", 2))
    return [
        _case("sole admin rotates, then signs with the new key",
              "the candidate's rotation links the new key to version N's", s1, [s2_new], gv.TODAY),
        _case("sole admin rotates, the old key signs", "version N's key still counts", s1,
              [_m(2, "2026-02-01", [alice2, carol], 1, ("alice", 1))], gv.TODAY),
        _case("the new key signs the version after", "it is version N+1's key then", s1,
              [s2_new, s3], gv.TODAY),
        _case("new key without a rotation in the candidate", "nothing links it to version N",
              s1, [_m(2, "2026-02-01", [alice, carol], 1, ("alice", 2))], gv.TODAY),
        _case("a key the rotation does not link", "only the rotated-to key counts", s1,
              [_m(2, "2026-02-01", [alice2, carol], 1, ("alice", 3))], gv.TODAY),
        _case("the old key after its rotation was published", "a carried rotation links "
              "nothing new", s1, [s2_new, _m(3, "2026-03-01", [alice2, carol], 1, ("alice", 1))],
              gv.TODAY),
    ]  # fmt: skip


def _threshold_cases() -> list[dict[str, Any]]:
    alice, bob, carol = gv._entry("alice"), gv._entry("bob"), gv._entry("carol")
    alice2, carol2 = gv._entry("alice", 2, alice), gv._entry("carol", 2, carol)
    t1 = _m(1, ISSUED, [alice, bob, carol], 2, ("alice", 1), ("bob", 1))
    members = [alice2, bob, carol]
    return [
        _case("threshold 2: rotated admin's new key and the other admin's", "each admin of "
              "version N signs once, the rotated one with her new key", t1,
              [_m(2, "2026-02-01", members, 2, ("alice", 2), ("bob", 1))], gv.TODAY),
        _case("threshold 2: old and new key of one admin", "one admin, one signature", t1,
              [_twice(_m(2, "2026-02-01", members, 2, ("alice", 2)), "alice", 1)], gv.TODAY),
        _case("threshold 2: the rotated admin alone", "fewer than threshold admins", t1,
              [_m(2, "2026-02-01", members, 2, ("alice", 2))], gv.TODAY),
        _case("threshold 2: a rotated reviewer's new key", "a rotation makes no admin", t1,
              [_m(2, "2026-02-01", [alice, bob, carol2], 2, ("alice", 1), ("carol", 2))],
              gv.TODAY),
    ]  # fmt: skip


def _continuity_cases() -> list[dict[str, Any]]:
    alice, carol = gv._entry("alice"), gv._entry("carol")
    s1 = _m(1, ISSUED, [alice, carol], 1, ("alice", 1))
    return [
        _case("issued on the day version N expires", "continuity is inclusive", s1,
              [_m(2, s1["expires"], [alice, carol], 1, ("alice", 1))], "2026-04-10"),
        _case("issued the day after version N expired", "version N+1 is issued on or before "
              "version N expires", s1,
              [_m(2, "2026-04-06", [alice, carol], 1, ("alice", 1))], "2026-04-10"),
        _case("a lapse, extended by the old admins a year later", "continuity closes the "
              "fork by a long-superseded version's admins", s1,
              [_m(2, "2027-01-05", [alice, carol], 1, ("alice", 1))], "2027-01-06"),
    ]  # fmt: skip


def _reanchor_cases() -> list[dict[str, Any]]:
    alice, carol = gv._entry("alice"), gv._entry("carol")
    alice2 = gv._entry("alice", 2, alice)
    dave = gv._entry("dave", role="admin")
    s1 = _m(1, ISSUED, [alice, carol], 1, ("alice", 1))
    lapse = "2026-05-01"  # s1 expired on 2026-04-05
    r2 = _m(2, lapse, [alice2, carol, dave], 1, ("dave", 1), reanchor=True)
    r2_old = _m(2, "2026-02-01", [alice, carol], 1, ("alice", 1), reanchor=True)
    return [
        _case("re-anchor as the built-in anchor", "signed by its own admins", r2, [], lapse),
        _case("version after a re-anchor", "the chain continues from it", r2,
              [_m(3, "2026-05-10", [alice2, carol, dave], 1, ("dave", 1))], lapse),
        _case("re-anchor through the chain", "accepted only as a built-in anchor", s1,
              [r2_old], gv.TODAY),
        _case("re-anchor after a lapse through the chain", "accepted only as a built-in "
              "anchor", s1, [r2], lapse),
        _case("re-anchor signed by a member who is not its admin", "its own admins sign it",
              _m(2, lapse, [alice2, carol, dave], 1, ("carol", 1), reanchor=True), [], lapse),
        _case("re-anchor marked false", "reanchor is true or absent",
              _m(2, lapse, [alice2, carol, dave], 1, ("dave", 1), reanchor=False), [], lapse),
        _case("re-anchor of version 1", "a re-anchor follows a version",
              _m(1, lapse, [alice2, carol, dave], 1, ("dave", 1), reanchor=True), [], lapse),
    ]  # fmt: skip


def _latest(case: dict[str, Any]) -> tuple[int | None, str | None]:
    try:
        latest = mf.verify_chain(case["anchor"], case["later"],
                                 today=date.fromisoformat(case["today"]))
    except mf.ManifestInvalid as exc:
        return None, exc.reason
    return latest["version"], None


def generate() -> None:
    cases = [*_sole_admin_cases(), *_threshold_cases(), *_continuity_cases(),
             *_reanchor_cases()]
    for case in cases:
        case["latest"], reason = _latest(case)
        if reason is not None:
            case["python_reason"] = reason
    gv._write("manifest-rotation.json", {
        "description": "protocol §4.5 (revision 4): a signature by an admin's new key counts "
        "for version N when the candidate's entry carries the rotation from N's key; "
        "version N+1 is issued on or before version N expires; a re-anchor "
        "(\"reanchor\": true) is signed by its own admins and accepted only as a built-in "
        "anchor. Follow anchor through later on today; latest is the last version or null. "
        "python_reason is informative only. Seeds: manifest.json members.",
        "cases": cases,
    })  # fmt: skip


if __name__ == "__main__":
    generate()
