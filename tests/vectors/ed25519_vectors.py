"""Write ed25519.json: protocol §2.3's strict Ed25519 rule, Wycheproof-style.

    .venv/bin/python tests/vectors/ed25519_vectors.py

Every Ed25519 check, in Python and in the browser, must give each case's
``result``. The invalid cases are the ones verifiers disagree on: each
forgery below satisfies the cofactorless equation [S]B = R + [k]A, so a
verifier that skips a check accepts it (``lax`` says which check; OpenSSL
accepts the small-order ones). Inputs are fixed, so the output is
reproducible.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.signing
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HERE = Path(__file__).parent
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
# The canonical encodings of the eight points of small order (orders 1, 2, 4, 4, 8, 8, 8, 8).
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]
# RFC 8032 §7.1, TEST 1 and TEST 2.
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", ""),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72"),
]


def _h(label: str) -> bytes:
    return hashlib.sha256(b"candor test vector ed25519 " + label.encode()).digest()


def _le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def _k(r: bytes, a: bytes, msg: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + msg).digest(), "little") % L


def _scalar(seed: bytes) -> int:
    """The secret scalar of a seed (RFC 8032 §5.1.5), reduced mod L."""
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] = (h[31] & 127) | 64
    return int.from_bytes(h, "little") % L


def _base(n: int) -> bytes:
    return nacl.bindings.crypto_scalarmult_ed25519_base_noclamp(_le(n))


def _openssl_accepts(pk: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def _forge_under(pk: bytes, label: str) -> tuple[bytes, bytes]:
    """A message and a signature (R = [r]B, S = r) that satisfy the
    cofactorless equation under a small-order key: k must be 0 mod 8."""
    r = int.from_bytes(_h("r " + label), "little") % L
    big_r = _base(r)
    for n in range(1000):
        msg = f"forged {label} {n}".encode()
        if _k(big_r, pk, msg) % 8 == 0:
            return msg, big_r + _le(r)
    raise AssertionError("no message found")


def _case(name: str, pk: bytes, msg: bytes, sig: bytes, result: str,
          flags: list[str], comment: str) -> dict[str, Any]:
    return {"name": name, "comment": comment, "flags": flags, "pk": pk.hex(),
            "msg": msg.hex(), "sig": sig.hex(), "result": result,
            "openssl_accepts": _openssl_accepts(pk, msg, sig)}


def _valid() -> list[dict[str, Any]]:
    cases = []
    for n, (seed_hex, msg_hex) in enumerate(RFC8032, 1):
        key = nacl.signing.SigningKey(bytes.fromhex(seed_hex))
        msg = bytes.fromhex(msg_hex)
        cases.append(_case(f"RFC 8032 test {n}", bytes(key.verify_key), msg,
                           key.sign(msg).signature, "valid", [], "RFC 8032 §7.1"))
    for size in (1, 64, 1000):
        key = nacl.signing.SigningKey(_h(f"seed {size}"))
        msg = _h(f"msg {size}") * (size // 32 + 1)
        cases.append(_case(f"valid, {size}-byte message", bytes(key.verify_key), msg[:size],
                           key.sign(msg[:size]).signature, "valid", [], "an ordinary signature"))
    return cases


def _small_order_keys() -> list[dict[str, Any]]:
    cases = []
    for n, pk_hex in enumerate(SMALL_ORDER):
        pk = bytes.fromhex(pk_hex)
        msg, sig = _forge_under(pk, f"small {n}")
        cases.append(_case(f"small-order public key {n}", pk, msg, sig, "invalid",
                           ["SmallOrderPublicKey"],
                           "R = [r]B, S = r: verifies for a message with k = 0 mod 8"))
    return cases


def _non_canonical_keys() -> list[dict[str, Any]]:
    cases = []
    for name, pk in (
        ("y = p + 1 (the identity)", _le(P + 1)),
        ("y = p (a point of order 4)", _le(P)),
        ("x = 0 with the sign bit set (the identity)", bytes([1]) + bytes(30) + bytes([0x80])),
        ("x = 0 with the sign bit set (order 2)", bytes.fromhex(SMALL_ORDER[1][:-2] + "ff")),
    ):
        msg, sig = _forge_under(pk, name)
        cases.append(_case(f"non-canonical public key, {name}", pk, msg, sig, "invalid",
                           ["NonCanonicalPublicKey", "SmallOrderPublicKey"],
                           "decodes, leniently, to a small-order point"))
    key = nacl.signing.SigningKey(_h("seed off curve"))
    msg = b"a key that is no point"
    off = _le(2)  # y = 2 has no x on the curve
    cases.append(_case("public key off the curve", off, msg, key.sign(msg).signature,
                       "invalid", ["InvalidPublicKey"], "y = 2 is on no point of the curve"))
    return cases


def _bad_signatures() -> list[dict[str, Any]]:
    seed = _h("seed signatures")
    key = nacl.signing.SigningKey(seed)
    pk, a = bytes(key.verify_key), _scalar(seed)
    msg = b"candor strict signatures"
    good = key.sign(msg).signature
    s = int.from_bytes(good[32:], "little")
    cases = [
        _case("S + L", pk, msg, good[:32] + _le(s + L), "invalid", ["NonCanonicalS"],
              "the same signature with S not reduced"),
        _case("S with the top bit set", pk, msg, good[:32] + _le(s | (1 << 255)), "invalid",
              ["NonCanonicalS"], "S above 2^255"),
    ]
    for name, big_r in (("R the identity", bytes.fromhex(SMALL_ORDER[0])),
                        ("R the identity, y = p + 1", _le(P + 1)),
                        ("R the identity, sign bit set", bytes([1]) + bytes(30) + bytes([0x80]))):
        sig = big_r + _le(_k(big_r, pk, msg) * a % L)
        flags = ["SmallOrderR"] + ([] if big_r == bytes.fromhex(SMALL_ORDER[0])
                                   else ["NonCanonicalR"])
        cases.append(_case(name, pk, msg, sig, "invalid", flags,
                           "S = k·a: [S]B = R + [k]A holds with R the identity"))
    return cases


def _mixed_order_keys() -> list[dict[str, Any]]:
    """A' = A + T, T of order 8: not of small order, so allowed; a signature
    made with A's scalar verifies by the cofactorless equation only when
    [k]T is the identity, but always by the cofactored one."""
    seed = _h("seed mixed order")
    a = _scalar(seed)
    pk = nacl.bindings.crypto_core_ed25519_add(_base(a), bytes.fromhex(SMALL_ORDER[4]))
    r = int.from_bytes(_h("r mixed order"), "little") % L
    big_r = _base(r)
    cases = []
    for want, result, flags, comment in (
        (True, "valid", ["MixedOrderPublicKey"], "k = 0 mod 8: both equations hold"),
        (False, "invalid", ["MixedOrderPublicKey", "CofactoredOnly"],
         "k != 0 mod 8: only the cofactored equation [8][S]B = [8]R + [8][k]A holds"),
    ):
        msg = next(m for m in (f"mixed {n}".encode() for n in range(1000))
                   if (_k(big_r, pk, m) % 8 == 0) is want)
        sig = big_r + _le((r + _k(big_r, pk, msg) * a) % L)
        cases.append(_case(f"mixed-order public key, {result}", pk, msg, sig, result,
                           flags, comment))
    return cases


def main() -> None:
    tests = [*_valid(), *_small_order_keys(), *_non_canonical_keys(), *_bad_signatures(),
             *_mixed_order_keys()]
    for n, case in enumerate(tests, 1):
        case["tcId"] = n
    data = {
        "description": (
            "protocol §2.3: one strict Ed25519 rule. A public key and a signature's R "
            "must be canonical encodings (y < p, no sign bit on x = 0) of curve points "
            "not of small order, and S < L; then the cofactorless equation [S]B = R + [k]A "
            "(a key of mixed order is allowed). pk, msg and "
            "sig are hex. openssl_accepts records what a lenient verifier (OpenSSL) says, "
            "to show which cases tell strict from lenient."),
        "algorithm": "EDDSA",
        "tests": tests,
    }
    text = json.dumps(data, indent=1) + "\n"
    (HERE / "ed25519.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
