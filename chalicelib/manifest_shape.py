"""The shape of a team manifest and its member entries (protocol §4.5):
every check that needs no other version and no signature. The chain rules
that build on it are in `chalicelib.manifest`, which re-exports the public
names here.
"""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, NotRequired, TypedDict, cast

from chalicelib import signing
from chalicelib.age.recipient_types import recipient_type
from chalicelib.b64 import b64u_decode

MAX_LIFETIME_DAYS = 90
MAX_LABEL_BYTES = 200
# An intake member files reports and reads nothing: never a reader of a
# report, never on a route, never granted (protocol §4.5, Roles).
INTAKE = "intake"
ROLES = ("admin", "reviewer", INTAKE)
ENTRY_FIELDS = frozenset(
    {"id", "name", "function", "role", "recipient", "signing_key",
     "old_signing_keys", "removed", "cert", "rotation"}
)  # fmt: skip
MANIFEST_FIELDS = frozenset({"v", "version", "issued", "expires", "threshold", "members", "sigs"})
REANCHOR_FIELD = "reanchor"  # only on a re-anchor, and then `true` (protocol §4.5)
ROUTES_FIELD = "routes"  # optional: questionnaire category -> member ids (protocol §4.5)
MAX_ROUTES = 64
SIG_FIELDS = frozenset({"member", "sig"})
_MEMBER_ID = re.compile(r"m_[A-Za-z0-9_-]{20}")  # "m_" + b64u(15 bytes)
# A questionnaire category id: the manifest cannot know the questionnaire
# (it ships with the pages), so only the shape of an option value is checked.
_CATEGORY = re.compile(r"[a-z0-9_]{1,64}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Characters that can disguise a name on a screen or in a terminal: C0/C1
# controls (ANSI escapes), bidirectional controls, line separators. Other
# format characters (ZWJ, ZWNJ) stay allowed: some scripts need them.
_DISGUISING = frozenset(
    [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
    + list("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e")
    + list("\u2066\u2067\u2068\u2069")
)  # fmt: skip


class MemberEntry(TypedDict):
    """A member entry as the protocol writes it (protocol §4.5)."""

    id: str
    name: str
    function: str
    role: str
    recipient: str
    signing_key: str
    old_signing_keys: list[str]
    removed: bool
    cert: str
    rotation: str | None


class ManifestSig(TypedDict):
    member: str
    sig: str


class Manifest(TypedDict):
    """A manifest as the protocol writes it (protocol §4.5)."""

    v: int
    version: int
    issued: str
    expires: str
    threshold: int
    members: list[MemberEntry]
    sigs: list[ManifestSig]
    reanchor: NotRequired[bool]
    routes: NotRequired[dict[str, list[str]]]


class ManifestInvalid(ValueError):
    """A manifest or member entry breaks protocol §4.5; `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_member_id(value: object) -> bool:
    """True for `m_` followed by b64u of 15 bytes (protocol §4.4)."""
    return isinstance(value, str) and _MEMBER_ID.fullmatch(value) is not None


# --- shape -----------------------------------------------------------------


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise ManifestInvalid(reason)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decoded(value: object, size: int, what: str) -> bytes:
    try:
        raw = b64u_decode(value)  # type: ignore[arg-type]  # checked just below
    except (TypeError, ValueError):
        raise ManifestInvalid(f"{what} is not b64u") from None
    require(len(raw) == size, f"{what} is not {size} bytes")
    return raw


def _check_label(value: object, what: str, *, empty_ok: bool) -> None:
    require(isinstance(value, str), f"{what} is not a string")
    assert isinstance(value, str)
    require(empty_ok or value != "", f"{what} is empty")
    require(unicodedata.is_normalized("NFC", value), f"{what} is not NFC")
    require(not _DISGUISING.intersection(value), f"{what} holds a control character")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ManifestInvalid(f"{what} is not valid Unicode") from None
    require(size <= MAX_LABEL_BYTES, f"{what} is longer than {MAX_LABEL_BYTES} bytes")


def check_entry_shape(entry: object) -> MemberEntry:
    require(isinstance(entry, Mapping), "member entry is not an object")
    assert isinstance(entry, Mapping)
    require(set(entry) == ENTRY_FIELDS, "member entry does not have exactly the protocol fields")
    member = entry["id"]
    require(is_member_id(member), "member id is not m_ + b64u(15 bytes)")
    _check_label(entry["name"], f"{member}: name", empty_ok=False)
    _check_label(entry["function"], f"{member}: function", empty_ok=True)
    require(entry["role"] in ROLES, f"{member}: role is not admin, reviewer or intake")
    try:
        recipient_type(entry["recipient"])
    except (TypeError, ValueError, AttributeError):
        raise ManifestInvalid(f"{member}: recipient is not an age recipient") from None
    _decoded(entry["signing_key"], signing.PUBLIC_KEY_SIZE, f"{member}: signing_key")
    old = entry["old_signing_keys"]
    require(isinstance(old, list), f"{member}: old_signing_keys is not a list")
    for key in old:
        _decoded(key, signing.PUBLIC_KEY_SIZE, f"{member}: old signing key")
    keys = [*old, entry["signing_key"]]
    require(len(set(keys)) == len(keys), f"{member}: a signing key is repeated")
    require(isinstance(entry["removed"], bool), f"{member}: removed is not a boolean")
    _decoded(entry["cert"], signing.SIGNATURE_SIZE, f"{member}: cert")
    if entry["rotation"] is not None:
        _decoded(entry["rotation"], signing.SIGNATURE_SIZE, f"{member}: rotation")
    return cast(MemberEntry, entry)


def parse_day(value: object, what: str) -> date:
    require(isinstance(value, str) and _DAY.fullmatch(value) is not None, f"{what} is not a day")
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]  # checked just above
    except ValueError:
        raise ManifestInvalid(f"{what} is not a day") from None


def check_sigs_shape(sigs: object) -> None:
    """`sigs` of a manifest or release: distinct members, each one signature."""
    require(isinstance(sigs, list), "sigs is not a list")
    assert isinstance(sigs, list)
    for item in sigs:
        require(isinstance(item, Mapping) and set(item) == SIG_FIELDS, "bad entry in sigs")
        require(is_member_id(item["member"]), "sigs: member is not a member id")
        _decoded(item["sig"], signing.SIGNATURE_SIZE, "sigs: sig")
    signers = [item["member"] for item in sigs]
    require(len(set(signers)) == len(signers), "sigs: a member signed twice")


def check_dates(document: Mapping[str, Any]) -> None:
    """`issued` and `expires` of a manifest or release are days, in order, at
    most MAX_LIFETIME_DAYS apart. Raises ManifestInvalid."""
    issued = parse_day(document["issued"], "issued")
    expires = parse_day(document["expires"], "expires")
    require(issued <= expires, "expires is before issued")
    require(expires - issued <= timedelta(days=MAX_LIFETIME_DAYS), "lifetime over 90 days")


def parse_manifest(manifest: object) -> Manifest:
    """Check everything in a manifest that needs no other version and no
    signature check; return it typed. Raises ManifestInvalid."""
    require(isinstance(manifest, Mapping), "manifest is not an object")
    assert isinstance(manifest, Mapping)
    fields = set(manifest) - {REANCHOR_FIELD, ROUTES_FIELD}
    require(fields == MANIFEST_FIELDS, "manifest does not have exactly the protocol fields")
    require(manifest["v"] == 1 and _is_int(manifest["v"]), "v is not 1")
    require(_is_int(manifest["version"]) and manifest["version"] >= 1, "bad version")
    if REANCHOR_FIELD in manifest:
        require(manifest[REANCHOR_FIELD] is True, "reanchor is not true")
        require(manifest["version"] > 1, "a re-anchor is not version 1")
    check_dates(manifest)
    members = manifest["members"]
    require(isinstance(members, list) and len(members) > 0, "members is empty")
    for entry in members:
        check_entry_shape(entry)
    ids = [entry["id"] for entry in members]
    require(len(set(ids)) == len(ids), "a member id is listed twice")
    types = {recipient_type(entry["recipient"]) for entry in members}
    require(len(types) == 1, "recipients are of more than one type")
    threshold = manifest["threshold"]
    require(_is_int(threshold) and threshold >= 1, "threshold is not an integer >= 1")
    require(len(admin_keys(manifest)) >= threshold, "fewer admins than the threshold")
    check_sigs_shape(manifest["sigs"])
    if ROUTES_FIELD in manifest:
        check_routes(manifest[ROUTES_FIELD], members)
    return cast(Manifest, manifest)


def check_routes(routes: object, members: list[Any]) -> None:
    """`routes`: 1 to MAX_ROUTES category ids, each naming distinct current
    (listed, not removed) members, none of them intake. A route never has
    to name an admin: readers always add every admin
    (chalicelib.manifest.route_readers), and the threshold rule keeps
    enough of them effective. Raises ManifestInvalid."""
    require(isinstance(routes, Mapping) and 0 < len(routes) <= MAX_ROUTES,
            f"routes is not an object of 1 to {MAX_ROUTES} categories")
    assert isinstance(routes, Mapping)
    current = {entry["id"] for entry in members if not entry["removed"]}
    intake = {entry["id"] for entry in members if entry["role"] == INTAKE}
    for category, route in routes.items():
        require(isinstance(category, str) and _CATEGORY.fullmatch(category) is not None,
                "routes: a category is not 1 to 64 of a-z, 0-9, _")
        require(isinstance(route, list) and len(route) > 0,
                f"routes: {category} is not a non-empty list")
        require(len(set(route)) == len(route), f"routes: {category} names a member twice")
        require(all(isinstance(m, str) and m in current for m in route),
                f"routes: {category} names someone who is not a current member")
        require(not intake.intersection(route), f"routes: {category} names an intake member")


def admin_keys(manifest: Mapping[str, Any]) -> dict[str, bytes]:
    return {
        entry["id"]: b64u_decode(entry["signing_key"])
        for entry in manifest["members"]
        if entry["role"] == "admin" and not entry["removed"]
    }
