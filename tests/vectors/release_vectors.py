"""Writes tests/vectors/release.json: signed releases of the pages (protocol
§4.8) over the manifests of tests/vectors/manifest.json. Run from the
repository root: ``.venv/bin/python -m tests.vectors.release_vectors``.

Releases 1 -> 2 -> 3 name manifests v1, v2 (threshold 2, Bob rotated) and v3
(Dave an admin). `chains` follow an anchor through `later` against the
manifests; `latest` is the version reached, or null with `python_reason`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from candor import release as rel
from chalicelib import manifest as mf
from chalicelib import signing
from chalicelib.b64 import b64u_encode

HERE = Path(__file__).parent
OUT = HERE / "release.json"
VECTORS = json.loads((HERE / "manifest.json").read_text("utf-8"))
MANIFESTS = VECTORS["manifests"]
HEADERS = {"Content-Security-Policy": "default-src 'none'; script-src 'self'",
           "X-Frame-Options": "DENY"}


def _seed(name: str, index: int) -> bytes:
    return bytes.fromhex(VECTORS["members"][name]["signing_seeds_hex"][index])


def _hash(text: str) -> str:
    return b64u_encode(hashlib.sha256(text.encode()).digest())


def _release(version: int, issued: str, expires: str, manifest: str, prev: Any,
             signers: list[tuple[str, int]], **change: Any) -> dict[str, Any]:
    m = MANIFESTS[manifest]
    doc: dict[str, Any] = {
        "v": 1, "kind": rel.KIND, "version": version, "issued": issued, "expires": expires,
        "prev": rel.fingerprint(prev) if isinstance(prev, dict) else prev,
        "manifest": {"version": m["version"], "fingerprint": mf.fingerprint(m)},
        "assets": {"index.html": _hash(f"<html>{version}"),
                   f"assets/report-{version:08d}.js": _hash(f"js {version}"),
                   "assets/styles-0123456789.css": _hash("css")},
        "headers": HEADERS, "sigs": [],
    }  # fmt: skip
    doc.update(change)
    for name, index in signers:
        sig = signing.sign_bytes(signing.signed_bytes(doc, "sigs"), _seed(name, index))
        member = VECTORS["members"][name]["id"]
        doc["sigs"].append({"member": member, "sig": b64u_encode(sig)})
    return doc


def _invalid(r1: dict[str, Any], r2: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """Successors of r1 that must be refused, with the reason Python gives."""
    two = [("alice", 0), ("bob", 1)]
    tampered = copy.deepcopy(r2)
    tampered["assets"]["index.html"] = _hash("<html>evil")
    return [
        ("version skips", _release(3, "2026-03-05", "2026-05-30", "v2", r1, two),
         "release 3: version is not current + 1"),
        ("prev is not release 1", _release(2, "2026-03-05", "2026-05-30", "v2", _hash("x"), two),
         "release 2: prev is not the previous fingerprint"),
        ("issued after release 1 expired", _release(2, "2026-04-11", "2026-05-30", "v2", r1, two),
         "release 2: issued after version 1 expired on 2026-04-10"),
        ("one signature, threshold 2", _release(2, "2026-03-05", "2026-05-30", "v2", r1,
                                                 [("alice", 0)]),
         "release 2: fewer than 2 admins of version 2 signed"),
        ("signed by a reviewer", _release(2, "2026-03-05", "2026-05-30", "v2", r1,
                                          [("alice", 0), ("dave", 0)]),
         f"release 2: {VECTORS['members']['dave']['id']} signed but is not an admin of version 2"),
        ("assets changed after signing", tampered,
         f"release 2: {VECTORS['members']['alice']['id']}: bad signature"),
        ("lifetime over 90 days", _release(2, "2026-03-05", "2026-06-05", "v2", r1, two),
         "release 2: lifetime over 90 days"),
        ("a path that leaves the site", _release(
            2, "2026-03-05", "2026-05-30", "v2", r1, two,
            assets={"index.html": _hash("i"), "../secret": _hash("s")}),
         "release 2: asset path '../secret' is not a plain path"),
    ]


def main() -> None:
    r1 = _release(1, "2026-01-10", "2026-04-10", "v1", None, [("alice", 0)])
    r2 = _release(2, "2026-03-05", "2026-05-30", "v2", r1, [("alice", 0), ("bob", 1)])
    r3 = _release(3, "2026-05-20", "2026-08-10", "v3", r2, [("alice", 0), ("dave", 0)])
    older = _release(3, "2026-05-20", "2026-08-10", "v1", r2, [("alice", 0)])
    releases = {"r1": r1, "r2": r2, "r3": r3}
    chains: list[dict[str, Any]] = [
        {"name": "anchor alone", "anchor": "r1", "later": [], "today": "2026-03-15", "latest": 1},
        {"name": "anchor alone, expired", "anchor": "r1", "later": [], "today": "2026-04-11",
         "latest": None, "python_reason": "release version 1 expired on 2026-04-10"},
        {"name": "1 to 3, across a rotation and a new admin", "anchor": "r1",
         "later": [r2, r3], "today": "2026-06-01", "latest": 3},
        {"name": "a trusted later anchor", "anchor": "r2", "later": [r3], "today": "2026-06-01",
         "latest": 3},
        {"name": "a release names an older manifest", "anchor": "r1", "later": [r2, older],
         "today": "2026-06-01", "latest": None,
         "python_reason": "release 3: names an older manifest than the release before"},
        {"name": "a manifest before the anchor's", "anchor": "r2", "later": [older],
         "today": "2026-06-01", "latest": None,
         "python_reason": "release 3: names manifest version 1, not in the chain from the "
                          "anchor's"},
    ]
    for name, candidate, reason in _invalid(r1, r2):
        chains.append({"name": name, "anchor": "r1", "later": [candidate], "today": "2026-03-15",
                       "latest": None, "python_reason": reason})
    out = {
        "description": (
            "protocol §4.8. Releases r1 -> r2 -> r3 name manifest.json's v1, v2, v3 and are "
            "signed by their admins (threshold 1, then 2; Bob signs r2 with his rotated key). "
            "fingerprints: b64u(H(JCS(release without sigs))). chains: follow releases[anchor] "
            "through later against manifest.json's manifests on today; latest is the version "
            "reached, null when refused (python_reason)."),
        "releases": releases,
        "fingerprints": {k: rel.fingerprint(v) for k, v in releases.items()},
        "chains": chains,
    }
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
