"""Signed releases (protocol §4.8): the shared vectors, and `candor release
sign|publish` as a team's admins use it on their own builds of the pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from candor import keyfile as kf
from candor import release as rel
from candor import roster
from candor.__main__ import main
from tests.support.release import build, publish, release_site, sign
from tests.support.team import Team

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS = json.loads((VECTORS_DIR / "release.json").read_text("utf-8"))
MANIFESTS = list(json.loads((VECTORS_DIR / "manifest.json").read_text("utf-8"))["manifests"]
                 .values())
SECRET = "release test passphrase"


@pytest.mark.parametrize("chain", VECTORS["chains"], ids=lambda c: c["name"])
def test_release_chain_vectors(chain: dict[str, Any]) -> None:
    anchor = VECTORS["releases"][chain["anchor"]]
    today = datetime.strptime(chain["today"], "%Y-%m-%d").date()
    if chain["latest"] is None:
        with pytest.raises(rel.ReleaseInvalid) as refused:
            rel.verify_release_chain(anchor, chain["later"], MANIFESTS, today=today)
        assert str(refused.value) == chain["python_reason"]
    else:
        latest = rel.verify_release_chain(anchor, chain["later"], MANIFESTS, today=today)
        assert latest["version"] == chain["latest"]


def test_release_fingerprint_vectors() -> None:
    for name, release in VECTORS["releases"].items():
        assert rel.fingerprint(release) == VECTORS["fingerprints"][name]


@pytest.fixture
def signed_team(tmp_path: Path, two_admins: Team) -> tuple[Path, dict[str, Path]]:
    """Manifest version 1 with threshold 2, and each member's key file."""
    cards = [m.card for m in two_admins.members]
    manifest: Any = roster.unsigned_manifest(1, datetime.now(UTC).date(), cards, threshold=2)
    for member in two_admins.members[:2]:
        manifest = roster.sign_manifest(manifest, member.id, member.key.signing_seed)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    keys = {}
    for member in two_admins.members:
        keys[member.name.split()[0]] = tmp_path / f"{member.name.split()[0]}.candor-key"
        kf.write_keyfile(member.key, keys[member.name.split()[0]], SECRET)
    return path, keys


def test_admins_sign_their_own_builds_and_publish_once_the_threshold_is_met(
    tmp_path: Path, signed_team: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, keys = signed_team
    ada_site, grace_site = tmp_path / "ada-site", tmp_path / "grace-site"
    build(ada_site, manifest)
    build(grace_site, manifest)
    proposal = tmp_path / "release-1.json"
    assert sign(proposal, ada_site, manifest, keys["Ada"], SECRET) == 0

    assert publish(proposal, ada_site, manifest) == 1
    assert "fewer than 2 admins of version 1 signed" in capsys.readouterr().err
    assert not (ada_site / "release.json").exists()

    assert sign(proposal, grace_site, manifest, keys["Alan"], SECRET) == 1
    assert "is not an admin of version 1" in capsys.readouterr().err

    [script] = (grace_site / "assets").glob("report-*.js")
    original = script.read_bytes()
    script.write_bytes(original.replace(b"candor", b"Candor", 1))
    assert sign(proposal, grace_site, manifest, keys["Grace"], SECRET) == 1
    assert f"your build differs: assets/{script.name}: differs" in capsys.readouterr().err
    script.write_bytes(original)

    assert sign(proposal, grace_site, manifest, keys["Grace"], SECRET) == 0
    assert publish(proposal, grace_site, manifest) == 0
    head = json.loads((grace_site / "release.json").read_text())
    assert head == json.loads((grace_site / "releases" / "1.json").read_text())
    assert head["version"] == 1 and head["prev"] is None and len(head["sigs"]) == 2
    assert {"index.html", "followup.html", "console/index.html", f"assets/{script.name}"} <= set(
        head["assets"])
    built_headers = json.loads((grace_site / "headers.json").read_text())
    assert head["headers"]["Content-Security-Policy"] == built_headers["Content-Security-Policy"]
    assert set(head["headers"]) == set(built_headers) - {"Cache-Control", "paths"}
    assert head["paths"] == built_headers["paths"]  # the console's and the clean worker's
    assert main(["release", "compare", str(grace_site / "release.json"), "--site",
                 str(ada_site)]) == 0  # the two builds are one release
    assert f"identical: {len(head['assets'])} files" in capsys.readouterr().out
    (ada_site / "favicon.svg").write_text("<svg/>")
    assert main(["release", "compare", str(grace_site / "release.json"), "--site",
                 str(ada_site)]) == 1
    assert "the build differs: favicon.svg: differs from release 1" in capsys.readouterr().err


def test_the_next_release_chains_to_the_published_one(
    tmp_path: Path, signed_team: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, keys = signed_team
    site = tmp_path / "site"
    build(site, manifest)
    admins = [keys["Ada"], keys["Grace"]]
    first = release_site(site, manifest, admins, SECRET, tmp_path / "r1.json")
    build(site, manifest, {"v": 1, "contact": "The ombudsperson, room 4", "outside_contact": None,
                           "organisation": None})
    second = release_site(site, manifest, admins, SECRET, tmp_path / "r2.json")
    # Each signer saw what changed: the page, its new bundle and the old one gone.
    shown = [line for line in capsys.readouterr().out.splitlines() if "changed since" in line]
    assert len(shown) == 2 and "index.html" in shown[0]
    assert "(new)" in shown[0] and "(gone)" in shown[0] and "headers changed" not in shown[0]
    assert second["version"] == 2 and second["prev"] == rel.fingerprint(first)
    assert second["assets"]["index.html"] != first["assets"]["index.html"]
    assert json.loads((site / "releases" / "1.json").read_text()) == first
    assert json.loads((site / "releases" / "2.json").read_text()) == second


def test_publish_refuses_a_site_changed_after_signing(
    tmp_path: Path, signed_team: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, keys = signed_team
    site = tmp_path / "site"
    build(site, manifest)
    proposal = tmp_path / "release-1.json"
    for admin in ("Ada", "Grace"):
        assert sign(proposal, site, manifest, keys[admin], SECRET) == 0
    (site / "followup.html").write_text("<!doctype html><title>elsewhere</title>")
    assert publish(proposal, site, manifest) == 1
    assert "not published: followup.html: differs from release 1" in capsys.readouterr().err
    assert not (site / "release.json").exists() and not (site / "releases").exists()


def test_propose_writes_the_unsigned_release_of_the_build_once(
    tmp_path: Path, signed_team: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, keys = signed_team
    site = tmp_path / "site"
    build(site, manifest)
    proposal = tmp_path / "proposal.json"
    args = ["release", "propose", str(proposal), "--site", str(site), "--manifest", str(manifest)]
    assert main(args) == 0
    assert "2 admin signature(s) needed" in capsys.readouterr().out
    unsigned = json.loads(proposal.read_text())
    assert unsigned["sigs"] == [] and unsigned["version"] == 1
    assert rel.site_difference(rel.parse_release(unsigned), site) is None
    assert main(args) == 1  # never overwrites a proposal others may be signing
    assert "exists: sign it, or remove it first" in capsys.readouterr().err
    # The CLI signs the same file the console does.
    assert sign(proposal, site, manifest, keys["Ada"], SECRET) == 0
    assert [s["member"] for s in json.loads(proposal.read_text())["sigs"]] != []
