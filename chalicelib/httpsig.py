"""Team request signatures: the RFC 9421 profile of protocol §4.3.

One signature labelled ``candor`` covering exactly ``"@method" "@path"
"@query"`` (plus ``"content-digest"`` when there is a body) with exactly the
parameters ``created``, ``nonce``, ``keyid``, ``alg="ed25519"`` and
``tag="candor/v1"``. Built on ``http-message-signatures``; the profile checks
(component list, parameters, clock skew, replay) are ours.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import quote, urlsplit

import http_message_signatures as hms
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from http_sf.compat import Dictionary, InnerList

from chalicelib import signing

LABEL = "candor"
TAG = "candor/v1"
SKEW_SECONDS = 300
NONCE_SECONDS = 600
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PARAMS = ("created", "nonce", "keyid", "alg", "tag")
_UNRESERVED = "-._~"
# Checked before any lookup: a key id is a member id (protocol §4.4) and a nonce
# b64u of 16 bytes (§4.3), so nothing unbounded reaches the store's keys.
_KEYID = re.compile(r"m_[A-Za-z0-9_-]{20}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")


class SignatureRefused(Exception):
    """Why a signature was refused: ``reason`` is an error code of protocol §4.1."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RequestView:
    """What the server saw: the path as the client sent it (from the public
    base URL and the route), query parameters, headers and body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def canonical_query(params: Mapping[str, str]) -> str:
    """``?`` and the non-empty parameters sorted by name (protocol §4.3)."""
    pairs = sorted((k, v) for k, v in params.items() if v != "")
    return "?" + "&".join(
        f"{quote(k, safe=_UNRESERVED)}={quote(v, safe=_UNRESERVED)}" for k, v in pairs
    )


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def components_for(method: str) -> tuple[str, ...]:
    base = ("@method", "@path", "@query")
    return (*base, "content-digest") if method in BODY_METHODS else base


def sign_request(
    method: str, path: str, query: Mapping[str, str], body: bytes, *,
    member_id: str, seed: bytes, created: int | None = None, nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign a team request (``Content-Digest`` when a body
    method, ``Signature-Input``, ``Signature``)."""
    msg = _Message(method, "http://candor.invalid" + path + canonical_query(query))
    signer = hms.HTTPMessageSigner(
        signature_algorithm=hms.algorithms.ED25519,
        key_resolver=hms.MappingKeyResolver(
            public_keys={}, private_keys={member_id: Ed25519PrivateKey.from_private_bytes(seed)}
        ),
    )
    when = created if created is not None else int(datetime.datetime.now(datetime.UTC).timestamp())
    signer.sign(
        msg, key_id=member_id, label=LABEL, tag=TAG,
        created=datetime.datetime.fromtimestamp(when, datetime.UTC),
        nonce=nonce or base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode(),
        covered_component_ids=components_for(method),
        body=body if method in BODY_METHODS else None,
    )
    return dict(msg.headers)


@dataclass(frozen=True)
class SignatureInput:
    keyid: str
    created: int
    nonce: str


def parse_signature_input(req: RequestView) -> SignatureInput:
    """Check the profile before any key is looked up. Raises SignatureRefused."""
    raw_input, raw_sig = req.header("Signature-Input"), req.header("Signature")
    if raw_input is None or raw_sig is None:
        raise SignatureRefused("bad_signature")
    try:
        inputs = Dictionary()
        inputs.parse(raw_input.encode())
    except Exception:  # the parser raises several types for malformed input
        raise SignatureRefused("bad_signature") from None
    if list(inputs.keys()) != [LABEL]:
        raise SignatureRefused("bad_signature")
    node = inputs[LABEL]
    if not isinstance(node, InnerList) or any(item.params for item in node):
        raise SignatureRefused("bad_signature")
    covered = tuple(str(item.value) for item in node)
    params = dict(node.params)
    if (
        covered != components_for(req.method)
        or tuple(sorted(params)) != tuple(sorted(PARAMS))
        or params["alg"] != "ed25519" or params["tag"] != TAG
        or not isinstance(params["created"], int) or isinstance(params["created"], bool)
        or not isinstance(params["keyid"], str) or not _KEYID.fullmatch(params["keyid"])
        or not isinstance(params["nonce"], str) or not _NONCE.fullmatch(params["nonce"])
    ):
        raise SignatureRefused("bad_signature")
    return SignatureInput(params["keyid"], params["created"], params["nonce"])


class _Verifier(hms.HTTPMessageVerifier):
    # Skew is checked against the server's injectable clock in
    # verify_request; the library's own wall-clock check is relaxed.
    max_clock_skew = datetime.timedelta(days=365 * 100)


def _signature_bytes(header: str) -> bytes | None:
    """The ``candor`` signature's bytes, or None when the header is not one."""
    try:
        parsed = Dictionary()
        parsed.parse(header.encode())
        value = parsed[LABEL].value
    except Exception:  # the parser raises several types for malformed input
        return None
    return value if isinstance(value, bytes) else None


def _signature_valid(msg: _Message, keyid: str, public_key: bytes) -> bool:
    """The library's RFC 9421 verification of the ``candor`` signature, after
    protocol §2.3's strict rule: OpenSSL alone would accept a signature under
    a small-order key (see ``chalicelib.signing``)."""
    if not signing.strict_public_key(public_key) or not signing.strict_signature(
        _signature_bytes(msg.headers.get("Signature", ""))
    ):
        return False
    try:
        verifier = _Verifier(
            signature_algorithm=hms.algorithms.ED25519,
            key_resolver=hms.MappingKeyResolver(
                public_keys={keyid: Ed25519PublicKey.from_public_bytes(public_key)},
                private_keys={},
            ),
        )
        verifier.verify(msg, max_age=None, expect_tag=TAG, expect_label=LABEL,
                        require_components=components_for(msg.method))
    except (hms.InvalidSignature, hms.HTTPMessageSignaturesException, ValueError):
        return False
    return True


RecordedRequest = TypedDict(
    "RecordedRequest",
    {
        "@method": str,
        "@path": str,
        "@query": str,
        "Content-Digest": str | None,
        "Signature-Input": str,
        "Signature": str,
    },
)
"""A verified request as its audit entry records it (protocol §4.6)."""


def verify_request(
    req: RequestView, sig_input: SignatureInput, public_key: bytes, *, now: int, base_url: str
) -> RecordedRequest:
    """Verify the signature with the member's current key. Returns the audit
    record of the request (protocol §4.6). Raises SignatureRefused."""
    if abs(now - sig_input.created) > SKEW_SECONDS:
        raise SignatureRefused("clock_skew")
    digest = req.header("Content-Digest")
    if req.method in BODY_METHODS and digest != content_digest(req.body):
        raise SignatureRefused("bad_signature")
    msg = _Message(req.method, base_url + req.path + canonical_query(req.query), {
        "Signature-Input": req.header("Signature-Input") or "",
        "Signature": req.header("Signature") or "",
        **({"Content-Digest": digest} if digest is not None else {}),
    })
    if not _signature_valid(msg, sig_input.keyid, public_key):
        raise SignatureRefused("bad_signature")
    return {
        "@method": req.method, "@path": urlsplit(msg.url).path,
        "@query": canonical_query(req.query),
        "Content-Digest": digest, "Signature-Input": msg.headers["Signature-Input"],
        "Signature": msg.headers["Signature"],
    }


def verify_recorded(record: Mapping[str, Any], member_id: str, public_keys: list[bytes]) -> bool:
    """Whether an audit entry's recorded request (protocol §4.6) carries a valid
    ``candor`` signature by ``member_id`` under one of ``public_keys``.
    Clock skew and nonces are not rechecked: they were, when it was made."""
    try:
        headers = {"Signature-Input": str(record["Signature-Input"]),
                   "Signature": str(record["Signature"])}
        if record.get("Content-Digest") is not None:
            headers["Content-Digest"] = str(record["Content-Digest"])
        method = str(record["@method"])
        view = RequestView(method, str(record["@path"]), {}, headers)
        if parse_signature_input(view).keyid != member_id:
            return False
        msg = _Message(method, "http://candor.invalid" + record["@path"] + record["@query"],
                       headers)
    except (KeyError, TypeError, SignatureRefused):
        return False
    return any(_signature_valid(msg, member_id, key) for key in public_keys)
