"""Writes tests/vectors/notice.json: signed staff notices (protocol §4.9)
under manifest.json's v2 (threshold 2, Alice and Bob the admins, Bob with
his rotated key). Run from the repository root:
``.venv/bin/python -m tests.vectors.notice_vectors``.

Each case is a notice checked against v2 on `today`: `valid`, or not with
the reason Python gives (`python_reason`).
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib import manifest as mf
from chalicelib import signing
from chalicelib.b64 import b64u_encode
from chalicelib.domain import notices as nt

HERE = Path(__file__).parent
OUT = HERE / "notice.json"
VECTORS = json.loads((HERE / "manifest.json").read_text("utf-8"))
MANIFESTS = VECTORS["manifests"]
ID = "n_" + b64u_encode(bytes(range(16)))
TEXT = {"en": "We know about the leaked roadmap. Do not comment publicly.",
        "ar": "نحن على علم بخارطة الطريق المسربة. لا تعلقوا علنًا.",
        "pl": "Wiemy o wycieku planu. Nie komentujcie publicznie."}
TWO = [("alice", 0), ("bob", 1)]


def _notice(signers: list[tuple[str, int]], manifest: str = "v2", issued: str = "2026-03-10",
            expires: str = "2026-03-24", **change: Any) -> dict[str, Any]:
    m = MANIFESTS[manifest]
    doc: dict[str, Any] = {
        "v": 1, "kind": nt.KIND, "id": ID, "issued": issued, "expires": expires,
        "manifest": {"version": m["version"], "fingerprint": mf.fingerprint(m)},
        "text": TEXT, "sigs": [],
    }  # fmt: skip
    doc.update(change)
    for name, index in signers:
        seed = bytes.fromhex(VECTORS["members"][name]["signing_seeds_hex"][index])
        sig = signing.sign_bytes(signing.signed_bytes(doc, "sigs"), seed)
        doc["sigs"].append({"member": VECTORS["members"][name]["id"], "sig": b64u_encode(sig)})
    return doc


def _cases() -> list[tuple[str, dict[str, Any], str]]:
    tampered = _notice(TWO)
    tampered["text"] = {**TEXT, "en": "Post about it freely."}
    every = {lang: f"Notice ({lang})." for lang in nt.LANGUAGES}
    return [
        ("valid, two admins", _notice(TWO), "2026-03-15"),
        ("valid on its last day", _notice(TWO), "2026-03-24"),
        ("valid in every language", _notice(TWO, text=every), "2026-03-15"),
        ("valid, 500 characters", _notice(TWO, text={"en": "é" * 500}), "2026-03-15"),
        ("expired", _notice(TWO), "2026-03-25"),
        ("one signature, threshold 2", _notice([("alice", 0)]), "2026-03-15"),
        ("signed by a reviewer", _notice([("alice", 0), ("dave", 0)]), "2026-03-15"),
        ("text changed after signing", tampered, "2026-03-15"),
        ("names another manifest", _notice([("alice", 0)], manifest="v1"), "2026-03-15"),
        ("no English text", _notice(TWO, text={"de": "Nur Deutsch."}), "2026-03-15"),
        ("a language the page lacks", _notice(TWO, text={**TEXT, "xx": "x"}), "2026-03-15"),
        ("a bidi override", _notice(TWO, text={"en": "Report \u202eereh"}), "2026-03-15"),
        ("a line break", _notice(TWO, text={"en": "Two\nlines"}), "2026-03-15"),
        ("501 characters", _notice(TWO, text={"en": "é" * 501}), "2026-03-15"),
        ("not NFC", _notice(TWO, text={"en": "Cafe\u0301"}), "2026-03-15"),
        ("blank text", _notice(TWO, text={"en": "   "}), "2026-03-15"),
        ("lifetime over 90 days", _notice(TWO, expires="2026-06-30"), "2026-03-15"),
        ("a bad id", _notice(TWO, id="n_short"), "2026-03-15"),
        ("an extra field", {**_notice(TWO), "link": "https://example.org"}, "2026-03-15"),
        ("a reviewer and an admin", _notice([("dave", 0), ("bob", 1)]), "2026-03-15"),
    ]


def _verdict(notice: dict[str, Any], today: str) -> tuple[bool, str | None]:
    try:
        nt.verify_notice(copy.deepcopy(notice), MANIFESTS["v2"], today=date.fromisoformat(today))
    except nt.NoticeInvalid as exc:
        return False, str(exc)
    return True, None


def main() -> None:
    cases = []
    for name, notice, today in _cases():
        valid, reason = _verdict(notice, today)
        case: dict[str, Any] = {"name": name, "notice": notice, "today": today, "valid": valid}
        if reason is not None:
            case["python_reason"] = reason
        cases.append(case)
    out = {
        "description": (
            "protocol §4.9. Each notice is checked against manifest.json's v2 (threshold 2) "
            "on today: valid, or refused with python_reason. A notice is signed as a manifest "
            "is: sigs over JCS(notice without sigs)."),
        "authority": "v2",
        "cases": cases,
    }
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
