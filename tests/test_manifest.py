"""The team manifest (protocol §4.5), from tests/vectors/manifest.json (shared with the browser)."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor import roster
from candor.age.mlkem import MlkemX25519Identity
from chalicelib import manifest as mf
from chalicelib import manifest_status
from chalicelib.b64 import b64u_decode
from chalicelib.signing import public_key_from_seed

VECTORS = json.loads((Path(__file__).parent / "vectors" / "manifest.json").read_text("utf-8"))
CHAIN = VECTORS["manifests"]
TODAY = date.fromisoformat(VECTORS["today"])
MEMBERS = VECTORS["members"]


def _seed(person: str, generation: int = 1) -> bytes:
    return bytes.fromhex(MEMBERS[person]["signing_seeds_hex"][generation - 1])


def _recipient(person: str, generation: int = 1) -> str:
    seed = bytes.fromhex(MEMBERS[person]["kem_seeds_hex"][generation - 1])
    return MlkemX25519Identity.from_seed(seed).recipient().encode()


def _entry(manifest: str, person: str) -> dict[str, Any]:
    member_id = MEMBERS[person]["id"]
    return next(e for e in CHAIN[manifest]["members"] if e["id"] == member_id)


@pytest.mark.parametrize("case", VECTORS["valid_anchors"], ids=lambda c: c["name"])
def test_valid_anchor(case: dict[str, str]) -> None:
    mf.verify_first_manifest(CHAIN[case["name"]], date.fromisoformat(case["today"]))


def test_valid_steps() -> None:
    mf.verify_next_manifest(CHAIN["v1"], CHAIN["v2"], TODAY)
    mf.verify_next_manifest(CHAIN["v2"], CHAIN["v3"], date(2026, 6, 1))


@pytest.mark.parametrize("case", VECTORS["next_invalid"], ids=lambda c: c["name"])
def test_next_invalid(case: dict[str, Any]) -> None:
    with pytest.raises(mf.ManifestInvalid) as caught:
        mf.verify_next_manifest(CHAIN["v1"], case["candidate"], TODAY)
    assert caught.value.reason == case["python_reason"]


@pytest.mark.parametrize("case", VECTORS["first_invalid"], ids=lambda c: c["name"])
def test_first_invalid(case: dict[str, Any]) -> None:
    with pytest.raises(mf.ManifestInvalid) as caught:
        mf.verify_first_manifest(case["manifest"], TODAY)
    assert caught.value.reason == case["python_reason"]


@pytest.mark.parametrize("case", VECTORS["chains"], ids=lambda c: c["name"])
def test_chain(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case["today"])
    if case["latest"] is None:
        with pytest.raises(mf.ManifestInvalid) as caught:
            mf.verify_chain(CHAIN["v1"], case["later"], today=today)
        assert caught.value.reason == case["python_reason"]
    else:
        latest = mf.verify_chain(CHAIN["v1"], case["later"], today=today)
        assert latest["version"] == case["latest"]


@pytest.mark.parametrize("name", ["v1", "v2", "v3"])
def test_fingerprint(name: str) -> None:
    assert mf.fingerprint(CHAIN[name]) == VECTORS["fingerprints"][name]
    # Signatures are not covered: adding one keeps the fingerprint.
    assert mf.fingerprint({**CHAIN[name], "sigs": []}) == VECTORS["fingerprints"][name]


def test_candidate_expired_today() -> None:
    with pytest.raises(mf.ManifestInvalid, match="expired"):
        mf.verify_next_manifest(CHAIN["v1"], CHAIN["v2"], date(2026, 5, 31))


@pytest.mark.parametrize("value", [None, [], "manifest", {"v": 1}, {**CHAIN["v1"], "v": True}])
def test_garbage_is_manifest_invalid(value: Any) -> None:
    with pytest.raises(mf.ManifestInvalid):
        mf.verify_first_manifest(value, TODAY)
    with pytest.raises(mf.ManifestInvalid):
        mf.verify_next_manifest(CHAIN["v1"], value, TODAY)


def test_checks_return_what_they_checked() -> None:
    assert mf.verify_first_manifest(CHAIN["v1"], TODAY) is CHAIN["v1"]
    assert mf.verify_next_manifest(CHAIN["v1"], CHAIN["v2"], TODAY) is CHAIN["v2"]
    latest = mf.verify_chain(CHAIN["v1"], [CHAIN["v2"]], today=TODAY)
    assert latest == CHAIN["v2"] and latest is not CHAIN["v2"]  # the caller may change it
    carol = _entry("v1", "carol")
    assert mf.verify_member_entry(carol, None) is carol
    assert mf.parse_manifest(CHAIN["v3"]) is CHAIN["v3"]


def test_remove_member_entry_refuses_a_malformed_entry() -> None:
    with pytest.raises(mf.ManifestInvalid, match="exactly the protocol fields"):
        mf.remove_member_entry({**_entry("v1", "carol"), "extra": 1})


# --- building entries and manifests (candor.roster) ---------------------------------


def test_build_member_entry_reproduces_the_vectors() -> None:
    carol = _entry("v1", "carol")
    built = roster.build_member_entry(
        carol["id"], carol["name"], carol["function"], carol["role"], _recipient("carol"),
        _seed("carol"),
    )  # fmt: skip
    assert built == carol


def test_rotation() -> None:
    bob1, bob2 = _entry("v1", "bob"), _entry("v2", "bob")
    built = roster.build_member_entry(
        bob1["id"], bob1["name"], bob1["function"], bob1["role"], _recipient("bob", 2),
        _seed("bob", 2), previous_entry=bob1, previous_seed=_seed("bob"),
    )  # fmt: skip
    assert built == bob2
    assert built["old_signing_keys"] == [bob1["signing_key"]]
    mf.verify_member_entry(built, bob1)


@pytest.mark.parametrize("previous_seed", [None, b"\x07" * 32])
def test_rotation_needs_the_previous_seed(previous_seed: bytes | None) -> None:
    bob1 = _entry("v1", "bob")
    with pytest.raises(ValueError, match="previous signing key"):
        roster.build_member_entry(
            bob1["id"], bob1["name"], bob1["function"], bob1["role"], bob1["recipient"],
            _seed("bob", 2), previous_entry=bob1, previous_seed=previous_seed,
        )  # fmt: skip


def test_re_certify_without_rotation() -> None:
    carol = _entry("v1", "carol")
    built = roster.build_member_entry(
        carol["id"], "Carol Smith", carol["function"], "admin", carol["recipient"],
        _seed("carol"), previous_entry=carol,
    )  # fmt: skip
    assert built["rotation"] is None
    mf.verify_member_entry(built, carol)


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("name", "a\x1b[31m"), ("name", "x" * 201), ("function", 3),
     ("role", "owner"), ("recipient", "age1xyz"), ("id", "m_abc")],
)  # fmt: skip
def test_build_refuses_bad_fields(field: str, value: Any) -> None:
    fields: dict[str, Any] = {
        "member_id": MEMBERS["dave"]["id"], "name": "Dave", "function": "", "role": "reviewer",
        "recipient": _recipient("dave"), "seed": _seed("dave"),
    }  # fmt: skip
    fields[{"id": "member_id"}.get(field, field)] = value
    with pytest.raises(mf.ManifestInvalid):
        roster.build_member_entry(**fields)


def test_remove_member_entry() -> None:
    carol = _entry("v1", "carol")
    removed = mf.remove_member_entry(carol)
    assert removed == _entry("v2", "carol")
    mf.verify_member_entry(removed, carol)
    mf.verify_member_entry(removed, None)  # the cert still verifies


def test_sign_and_verify_a_new_first_manifest() -> None:
    entries = [_entry("v1", "alice"), _entry("v1", "bob")]
    unsigned = roster.unsigned_manifest(1, TODAY, entries, threshold=2)
    assert unsigned["expires"] == "2026-06-13"
    once = roster.sign_manifest(unsigned, entries[0]["id"], _seed("alice"))
    with pytest.raises(mf.ManifestInvalid, match="fewer than 2"):
        mf.verify_first_manifest(once, TODAY)
    twice = roster.sign_manifest(once, entries[1]["id"], _seed("bob"))
    mf.verify_first_manifest(twice, TODAY)
    with pytest.raises(ValueError, match="already signed"):
        roster.sign_manifest(twice, entries[1]["id"], _seed("bob"))


def test_unsigned_manifest_refuses_bad_input() -> None:
    with pytest.raises(mf.ManifestInvalid, match="threshold"):
        roster.unsigned_manifest(1, TODAY, [_entry("v1", "alice")], threshold=2)
    with pytest.raises(mf.ManifestInvalid, match="90 days"):
        roster.unsigned_manifest(1, TODAY, [_entry("v1", "alice")], 1, lifetime_days=91)


def test_member_public_keys_include_old_and_removed() -> None:
    bob = MEMBERS["bob"]["id"]
    assert roster.member_public_keys(CHAIN["v2"], bob) == [
        public_key_from_seed(_seed("bob", 2)),
        public_key_from_seed(_seed("bob", 1)),
    ]
    carol = _entry("v2", "carol")
    keys = roster.member_public_keys(CHAIN["v2"], carol["id"])
    assert keys == [b64u_decode(carol["signing_key"])]
    assert roster.member_public_keys(CHAIN["v2"], "m_unknown") == []


def test_access_recipients_drop_removed_members() -> None:
    alice, carol = MEMBERS["alice"]["id"], MEMBERS["carol"]["id"]
    assert roster.access_recipients(CHAIN["v2"], [alice]) == [_recipient("alice")]
    # Carol was removed in v2: a reply still goes out, and the sender learns she was left out.
    assert roster.recipients_for_access(CHAIN["v2"], [alice, carol]) == ([_recipient("alice")],
                                                                        [carol])
    with pytest.raises(ValueError, match="still a member"):
        roster.access_recipients(CHAIN["v2"], [carol])
    with pytest.raises(ValueError, match="is not a member"):
        roster.access_recipients(CHAIN["v2"], [alice, "m_" + "A" * 20])


def test_manifest_diff() -> None:
    lines = roster.manifest_diff(CHAIN["v1"], CHAIN["v2"])
    assert lines[0] == "version 1 -> 2"
    assert "threshold changed from 1 to 2" in lines
    assert "rotated signing key of Bob Chen (admin, HR, m_AgICAgICAgICAgICAgIC)" in lines
    assert "rotated encryption key of Bob Chen (admin, HR, m_AgICAgICAgICAgICAgIC)" in lines
    assert any(line.startswith("removed Carol") for line in lines)
    assert "added Dave Okafor (reviewer, Security, m_BAQEBAQEBAQEBAQEBAQE)" in lines
    later = roster.manifest_diff(CHAIN["v2"], CHAIN["v3"])
    assert "role of Dave Okafor (admin, Security, m_BAQEBAQEBAQEBAQEBAQE) changed from " \
        "reviewer to admin" in later  # fmt: skip


def test_manifest_diff_names_renames() -> None:
    carol = _entry("v1", "carol")
    renamed = roster.build_member_entry(
        carol["id"], "Carol Smith", "Audit", carol["role"], carol["recipient"], _seed("carol"),
        previous_entry=carol,
    )  # fmt: skip
    new: Any = {**CHAIN["v1"], "members": [*CHAIN["v1"]["members"][:2], renamed]}
    lines = roster.manifest_diff(CHAIN["v1"], new)
    assert f"renamed 'Carol Díaz' to 'Carol Smith' ({carol['id']})" in lines
    assert any(line.startswith("function of Carol Smith") for line in lines)


# --- revision 4: a rotated admin signs, continuity, re-anchors, expiry ----------------

ROTATION = json.loads(
    (Path(__file__).parent / "vectors" / "manifest-rotation.json").read_text("utf-8"))


@pytest.mark.parametrize("case", ROTATION["cases"], ids=lambda c: c["name"])
def test_rotation_vectors(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case["today"])
    if case["latest"] is None:
        with pytest.raises(mf.ManifestInvalid) as caught:
            mf.verify_chain(case["anchor"], case["later"], today=today)
        assert caught.value.reason == case["python_reason"]
    else:
        assert mf.verify_chain(case["anchor"], case["later"], today=today)["version"] \
            == case["latest"]


def test_chain_status_marks_an_expired_head() -> None:
    expires = date.fromisoformat(CHAIN["v3"]["expires"])
    status = manifest_status.chain_status(CHAIN["v1"], [CHAIN["v2"], CHAIN["v3"]],
                                          today=expires)
    assert (status.manifest["version"], status.expired, status.days_left) == (3, False, 0)
    after = manifest_status.chain_status(CHAIN["v1"], [CHAIN["v2"], CHAIN["v3"]],
                                         today=expires + timedelta(days=2))
    assert (after.manifest["version"], after.expired, after.days_left) == (3, True, -2)
    with pytest.raises(mf.ManifestInvalid):  # a broken chain still fails
        manifest_status.chain_status(CHAIN["v1"], [CHAIN["v3"]], today=expires)


def test_expiry_warning_from_30_days() -> None:
    v3 = CHAIN["v3"]
    expires = date.fromisoformat(v3["expires"])
    assert manifest_status.expiry_warning(v3, expires - timedelta(days=31)) is None
    warning = manifest_status.expiry_warning(v3, expires - timedelta(days=30))
    assert warning is not None and "expires in 30 days" in warning and "renew" in warning
    assert "expires today" in str(manifest_status.expiry_warning(v3, expires))
    lapsed = str(manifest_status.expiry_warning(v3, expires + timedelta(days=1)))
    assert f"expired on {v3['expires']}" in lapsed and "re-anchored" in lapsed
    with pytest.raises(roster.ManifestExpired, match="re-anchored"):
        roster.require_unexpired(v3, expires + timedelta(days=1))
    roster.require_unexpired(v3, expires)


def test_renew_keeps_the_roster_and_takes_over_a_pending_rotation() -> None:
    v3 = CHAIN["v3"]
    issued = date.fromisoformat(v3["expires"])  # on the last day: continuity holds
    renewed = roster.renew_manifest(v3, issued)
    assert renewed["members"] == v3["members"] and renewed["threshold"] == v3["threshold"]
    assert (renewed["version"], renewed["issued"]) == (4, v3["expires"])
    dave = _entry("v3", "dave")
    dave2 = roster.build_member_entry(dave["id"], dave["name"], dave["function"], dave["role"],
                                      _recipient("dave", 2), _seed("dave", 2), dave,
                                      _seed("dave"))
    renamed = {**_entry("v3", "alice"), "name": "Someone Else"}  # not a rotation: not taken
    renewed = roster.renew_manifest(v3, issued, [dave2, renamed])
    assert [e["id"] for e in renewed["members"]] == [e["id"] for e in v3["members"]]
    assert dave2 in renewed["members"] and renamed not in renewed["members"]
    signed = roster.sign_manifest(roster.sign_manifest(renewed, dave["id"], _seed("dave", 2)),
                                  MEMBERS["bob"]["id"], _seed("bob", 2))
    assert mf.verify_next_manifest(v3, signed, issued)["version"] == 4
    late = roster.renew_manifest(v3, issued + timedelta(days=1))
    late = roster.sign_manifest(late, dave["id"], _seed("dave", 2))
    with pytest.raises(mf.ManifestInvalid, match="expired"):  # after a lapse: re-anchor only
        mf.verify_next_manifest(v3, late, issued + timedelta(days=1))


def test_next_manifest_sets_the_threshold() -> None:
    v3 = CHAIN["v3"]
    issued = date.fromisoformat(v3["issued"])
    assert roster.next_manifest(v3, v3["members"], issued)["threshold"] == v3["threshold"]
    assert roster.next_manifest(v3, v3["members"], issued, threshold=1)["threshold"] == 1
    with pytest.raises(mf.ManifestInvalid, match="fewer admins than the threshold"):
        roster.next_manifest(v3, v3["members"], issued, threshold=9)


def test_reanchor_is_an_anchor_only() -> None:
    v3 = CHAIN["v3"]
    lapse = date.fromisoformat(v3["expires"]) + timedelta(days=10)
    unsigned = roster.reanchor_manifest(4, lapse, v3["members"], 1)
    dave = _entry("v3", "dave")
    signed = roster.sign_manifest(unsigned, dave["id"], _seed("dave"))
    assert mf.verify_first_manifest(signed, lapse)["version"] == 4
    with pytest.raises(mf.ManifestInvalid, match="re-anchor"):
        mf.verify_chain(CHAIN["v1"], [CHAIN["v2"], v3, signed], today=lapse)
    with pytest.raises(mf.ManifestInvalid, match="not an admin of version 4"):
        mf.verify_first_manifest(
            roster.sign_manifest(unsigned, MEMBERS["carol"]["id"], _seed("carol")), lapse)
