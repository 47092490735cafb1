"""Key strings: bech32, the two key types, ``recipient_type`` and the
receipt key vector of protocol §8."""

from __future__ import annotations

import hashlib

import pytest

from candor.age import keys
from candor.age.mlkem import MlkemX25519Identity, MlkemX25519Recipient
from candor.age.x25519 import X25519Identity, X25519Recipient
from chalicelib.age import bech32

# protocol §8, receipt vector.
KEK = bytes.fromhex("7f5cdc6ff11c10297ee23813a774e5f155c5f4e8253c13091f02180e04b44260")
KEK_IDENTITY = "AGE-SECRET-KEY-PQ-10AWDCML3RSGZJLHZ8QF6WA89792UTA8GY57PXZGLQGVQUP95GFSQLF2EQR"
KEK_RECIPIENT_SHA256 = "acb55ed96a5d06b2d7c2f43ca3158aaee8e39df33f9f6b2fec4dd1391539a260"

# From the CCTV corpus (x25519 vector) and age's own documentation style.
CCTV_X25519 = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"


def test_spec_receipt_vector() -> None:
    identity = MlkemX25519Identity.from_seed(KEK)
    assert identity.encode() == KEK_IDENTITY
    assert identity.encode() == bech32.encode("age-secret-key-pq-", KEK).upper()
    recipient = identity.recipient().encode()
    assert len(recipient) == 1959
    assert recipient.startswith("age1pq14h6z5kap2caw4x07n")
    assert hashlib.sha256(recipient.encode()).hexdigest() == KEK_RECIPIENT_SHA256
    assert keys.recipient_type(recipient) == "mlkem768x25519"
    assert MlkemX25519Identity.parse(KEK_IDENTITY).recipient() == identity.recipient()


def test_bip173_vectors() -> None:
    assert bech32.decode("A12UEL5L") == ("A", b"")
    assert bech32.decode("a12uel5l") == ("a", b"")
    hrp, data = bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    assert hrp == "abcdef"
    assert bech32.encode(hrp, data) == "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
    for bad in ["A1G7SGD8", "a12UEL5L", "1pzry9x0s0muk", "abc1rzg", "x1b4n0q5v", "li1dgmt3"]:
        with pytest.raises(bech32.Bech32Error):
            bech32.decode(bad)


def test_bech32_refuses_bech32m_and_nonzero_padding() -> None:
    with pytest.raises(bech32.Bech32Error, match="checksum"):
        bech32.decode("a1lqfn3a")  # BIP 350 bech32m vector
    good = bech32.encode("age", bytes(32))
    *_, last = good[:-6]
    assert last == "q"
    tweaked = good[:-7] + "p"  # non-zero padding bits; checksum now fails too
    with pytest.raises(bech32.Bech32Error):
        bech32.decode(tweaked)


@pytest.mark.parametrize("make", [X25519Identity.generate, MlkemX25519Identity.generate])
def test_identity_round_trips(make: object) -> None:
    identity = make()  # type: ignore[operator]
    text = identity.encode()
    assert text == text.upper()
    again = keys.parse_identity(text)
    assert again.recipient() == identity.recipient()
    recipient = identity.recipient().encode()
    assert recipient == recipient.lower()
    assert keys.parse_recipient(recipient) == identity.recipient()


def test_recipient_type() -> None:
    x = X25519Identity.parse(CCTV_X25519).recipient().encode()
    assert keys.recipient_type(x) == "X25519"
    pq = MlkemX25519Identity.generate().recipient().encode()
    assert keys.recipient_type(pq) == "mlkem768x25519"
    for bad in [
        "",
        "age1",
        x.upper(),
        x[:-1] + ("q" if x[-1] != "q" else "p"),
        CCTV_X25519,
        KEK_IDENTITY,
        bech32.encode("age", bytes(31)),
        bech32.encode("age1pq", bytes(1215)),
        bech32.encode("age1tag", bytes(33)),
        pq[:100],
    ]:
        with pytest.raises(ValueError, match=r"invalid|mixed case|not a valid"):
            keys.recipient_type(bad)


def test_parse_errors_never_echo_the_key() -> None:
    secret = CCTV_X25519[:-1] + "Q"
    with pytest.raises(ValueError, match="not a valid age identity") as e:
        keys.parse_identity(secret)
    assert secret not in str(e.value)
    with pytest.raises(ValueError, match="line 4") as e:
        keys.parse_identities_file(f"# comment\n\n{CCTV_X25519}\n{secret}\n")
    assert "line 4" in str(e.value)
    assert secret not in str(e.value)


def test_identities_file() -> None:
    pq = MlkemX25519Identity.generate()
    text = f"# created: whenever\n# public key: x\n{CCTV_X25519}\n\n  {pq.encode()}  \n"
    parsed = keys.parse_identities_file(text)
    assert [type(i) for i in parsed] == [X25519Identity, MlkemX25519Identity]
    with pytest.raises(ValueError, match="no identity"):
        keys.parse_identities_file("# nothing here\n")


def test_recipient_parsing_is_strict() -> None:
    with pytest.raises(ValueError, match="not a valid key string"):
        X25519Recipient.parse(MlkemX25519Identity.generate().recipient().encode())
    with pytest.raises(ValueError, match="not a valid key string"):
        MlkemX25519Recipient.parse(X25519Identity.generate().recipient().encode())
    with pytest.raises(ValueError, match="32 bytes"):
        MlkemX25519Identity.from_seed(bytes(31))
