"""Protocol §2.3's strict Ed25519 rule against tests/vectors/ed25519.json
(tests/js/ed25519.test.mjs runs the same file in the browser's library):
document signatures (``chalicelib.signing``, which manifests, documents and
the Python clients use) and team request signatures (``chalicelib.httpsig``,
verified by OpenSSL) give every case its verdict."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import httpsig, signing

VECTORS = json.loads((Path(__file__).parent / "vectors" / "ed25519.json").read_text("utf-8"))
KEY_FLAGS = {"SmallOrderPublicKey", "NonCanonicalPublicKey", "InvalidPublicKey"}
SIG_FLAGS = {"SmallOrderR", "NonCanonicalR", "NonCanonicalS"}
MEMBER = "m_" + "A" * 20
BASE_URL = "https://candor.example"


def _bytes(case: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    return bytes.fromhex(case["pk"]), bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"])


CASES = [pytest.param(c, id=f"{c['tcId']} {c['name']}") for c in VECTORS["tests"]]


def test_the_vectors_tell_strict_from_lenient() -> None:
    """Some invalid cases are ones OpenSSL accepts: the file tests the rule."""
    lenient = [c for c in VECTORS["tests"] if c["result"] == "invalid" and c["openssl_accepts"]]
    flags = {f for c in lenient for f in c["flags"]}
    assert {"SmallOrderPublicKey", "NonCanonicalPublicKey", "SmallOrderR"} <= flags


@pytest.mark.parametrize("case", CASES)
def test_document_signatures(case: dict[str, Any]) -> None:
    pk, msg, sig = _bytes(case)
    assert signing.verify_bytes(msg, sig, [pk]) is (case["result"] == "valid")


@pytest.mark.parametrize("case", CASES)
def test_parse_time_checks(case: dict[str, Any]) -> None:
    """The key and the signature are refused before verification, each for its flag."""
    pk, _, sig = _bytes(case)
    flags = set(case["flags"])
    assert signing.strict_public_key(pk) is not bool(flags & KEY_FLAGS)
    assert signing.strict_signature(sig) is not bool(flags & SIG_FLAGS)


@pytest.mark.parametrize("case", CASES)
def test_team_request_signatures(case: dict[str, Any]) -> None:
    """The vector's key and signature on a team request: RFC 9421's verifier
    (OpenSSL) answers only after the strict rule, so it answers alike."""
    pk, _, sig = _bytes(case)
    created = 1_764_061_234
    view = httpsig.RequestView("GET", "/v1/team/cases", {}, {
        "Signature-Input": (f'candor=("@method" "@path" "@query");created={created};'
                            f'nonce="{"A" * 22}";keyid="{MEMBER}";alg="ed25519";'
                            'tag="candor/v1"'),
        "Signature": f"candor=:{base64.b64encode(sig).decode()}:",
    })
    sig_input = httpsig.parse_signature_input(view)
    if case["result"] == "valid":
        return  # the vector's message is not this request's signature base
    with pytest.raises(httpsig.SignatureRefused):
        httpsig.verify_request(view, sig_input, pk, now=created, base_url=BASE_URL)


def test_a_forgery_under_the_identity_key_signs_any_team_request() -> None:
    """Why the rule is needed: R = [r]B, S = r verifies any message under
    the identity as public key, for OpenSSL; a key of that shape must never
    sign a team request or an audited one."""
    identity = next(c for c in VECTORS["tests"] if c["name"] == "small-order public key 0")
    pk, _, sig = _bytes(identity)
    record = {"@method": "DELETE", "@path": "/v1/team/cases/c_" + "B" * 22, "@query": "?",
              "Content-Digest": None,
              "Signature-Input": ('candor=("@method" "@path" "@query");created=1764061234;'
                                  f'nonce="{"B" * 22}";keyid="{MEMBER}";alg="ed25519";'
                                  'tag="candor/v1"'),
              "Signature": f"candor=:{base64.b64encode(sig).decode()}:"}
    assert httpsig.verify_recorded(record, MEMBER, [pk]) is False
