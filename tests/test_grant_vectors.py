"""Grant headers (protocol §4.4 "Grants") against tests/vectors/grants.json,
which tests/js/grants.test.mjs runs against the browser twin: the assembled
file is a valid age v1 file for the granted member in candor's age module,
in Debian's ``age`` command and in pyrage (an independent implementation,
X25519 only), and a header under another file key fails in all of them.
The stored access list is accepted only as the report and the signed grants
prove it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyrage
import pytest

from candor import documents, grants
from candor.age import api
from candor.age.keys import parse_identity
from candor.age.x25519 import X25519Identity
from chalicelib.age.errors import AgeError
from chalicelib.b64 import b64u_decode

VECTORS = json.loads((Path(__file__).parent / "vectors" / "grants.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]
ACCESS: dict[str, Any] = VECTORS["access"]
AGE = shutil.which("age")


def _assembled(case: dict[str, Any]) -> bytes:
    return grants.assemble(b64u_decode(case["header"]), b64u_decode(case["sealed"]))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_candor_assembles_and_decrypts(case: dict[str, Any]) -> None:
    assembled = _assembled(case)
    assert _sha(assembled) == case["assembled_sha256"]
    identity = [parse_identity(case["identity"])]
    if case["valid"]:
        assert _sha(api.decrypt_bytes(identity, assembled)) == case["plaintext_sha256"]
    else:
        with pytest.raises(AgeError):
            api.decrypt_bytes(identity, assembled)
    with pytest.raises(AgeError):  # the stored blob itself is not for the granted member
        api.decrypt_bytes(identity, b64u_decode(case["sealed"]))


X25519_CASES = [c for c in CASES if c["identity"].startswith("AGE-SECRET-KEY-1")]


@pytest.mark.parametrize("case", X25519_CASES, ids=[c["name"] for c in X25519_CASES])
def test_independent_implementations_agree(case: dict[str, Any], tmp_path: Path) -> None:
    assert AGE is not None, "Debian's age is needed (apt-get install age)"
    assembled = _assembled(case)
    key = tmp_path / "key.txt"
    key.write_text(case["identity"] + "\n")
    done = subprocess.run([AGE, "-d", "-i", str(key)], input=assembled, capture_output=True,
                          timeout=30, check=False)
    identity = pyrage.x25519.Identity.from_str(case["identity"])
    if case["valid"]:
        assert done.returncode == 0, done.stderr
        assert _sha(done.stdout) == case["plaintext_sha256"]
        assert _sha(pyrage.decrypt(assembled, [identity])) == case["plaintext_sha256"]
    else:
        assert done.returncode != 0
        with pytest.raises(pyrage.DecryptError):
            pyrage.decrypt(assembled, [identity])


def test_a_grant_header_comes_only_from_a_reader() -> None:
    """A member who cannot open the blob cannot make a header for it."""
    case = CASES[0]
    identity = parse_identity(case["identity"])
    assert isinstance(identity, X25519Identity)
    with pytest.raises(documents.DocumentUnreadable):
        grants.grant_header(b64u_decode(case["sealed"]), [identity],
                            identity.recipient().encode())


@pytest.mark.parametrize("case", ACCESS["cases"], ids=[c["name"] for c in ACCESS["cases"]])
def test_who_is_on_the_case_is_proven(case: dict[str, Any]) -> None:
    stored = {"reply_to": ACCESS["reply_to"], "access": case["access"], "grants": case["grants"]}
    report, chain = ACCESS["report"], ACCESS["chain"]
    left_out = grants.excluded(report, chain)
    assert left_out is not None
    problems = grants.access_problems(stored, report, chain[-1], left_out)
    assert sorted(p.split(" ", 1)[0] for p in problems) == case["problems"]
