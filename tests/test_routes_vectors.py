"""Routes in the manifest (protocol §4.5, Routes), from
tests/vectors/manifest-routes.json (shared with the browser's twin)."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from candor import roster
from chalicelib import manifest as mf

VECTORS = json.loads((Path(__file__).parent / "vectors" / "manifest-routes.json").read_text())
TODAY = date.fromisoformat(VECTORS["today"])
V1, ROUTED = VECTORS["v1"], VECTORS["routed"]


def test_routed_successor_verifies() -> None:
    assert mf.verify_next_manifest(V1, ROUTED, TODAY)["routes"] == ROUTED["routes"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid_routes(case: dict[str, Any]) -> None:
    with pytest.raises(mf.ManifestInvalid) as caught:
        mf.verify_next_manifest(V1, case["candidate"], TODAY)
    assert caught.value.reason == case["python_reason"]


def test_readers_fitting_and_exclusions() -> None:
    for case in VECTORS["readers"]:
        assert mf.route_readers(ROUTED, case["category"]) == case["readers"], case
    for case in VECTORS["fitting"]:
        assert mf.routes_fitting(ROUTED, case["access"]) == case["fitting"], case
        assert sorted(mf.submission_exclusions(ROUTED, case["access"])) == \
            case["submission_exclusions"], case
    for case in VECTORS["exclusions"]:
        got = mf.reporter_exclusions(ROUTED, case["access"], case["category"])
        assert sorted(got) == case["reporter_exclusions"], case


def test_without_routes_everyone_reads_everything() -> None:
    unrouted = VECTORS["unrouted"]
    assert mf.route_readers(V1, "harassment") == unrouted["readers"]
    assert [m["id"] for m in V1["members"] if not m["removed"]] == unrouted["readers"]
    assert mf.routes_fitting(V1, [unrouted["readers"][0]]) == unrouted["fitting"]


def test_the_next_version_keeps_routes_to_current_members() -> None:
    kept = VECTORS["kept"]
    assert roster.kept_routes(kept["routes"], kept["members"]) == kept["kept"]
    dave = VECTORS["routed"]["routes"]["confidential_leak"]  # harassment was Carol's alone
    assert kept["kept"] == {"account_compromised": dave, "confidential_leak": dave}


def test_an_intake_member_reads_no_report() -> None:
    """protocol §4.5, Roles: never a reader, so an access naming it fits nothing."""
    intake = VECTORS["intake"]
    manifest = mf.verify_next_manifest(V1, intake["manifest"], TODAY)
    assert mf.route_readers(manifest, None) == intake["readers"]
    assert [m["id"] for m in manifest["members"] if m["role"] != "intake"] == intake["readers"]
    dave = next(m["id"] for m in manifest["members"] if m["role"] == "intake")
    assert mf.routes_fitting(manifest, [intake["readers"][0], dave]) == intake["fitting"] == []
