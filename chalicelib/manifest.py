"""The team manifest: the only source of keys clients trust (protocol §4.5).

This module holds the chain rules, shared by the server (which accepts
`PUT /v1/team/manifest` only for a valid version current + 1) and the
clients (which follow an unbroken chain from a built-in anchor). Writing a
roster (cards, signatures, the next version) is client work and lives in
`candor.roster`, which never ships to Lambda. This module imports no identity
or decryption code: recipient strings are only classified, through
`chalicelib.age.recipient_types` (docs/architecture.md rule 7).

Rules this module adds where protocol §4.5 is silent (each is a refusal, so a
stricter reader can never be tricked by a laxer writer):

- A member entry's `cert` covers `JCS(entry without cert and rotation)`
  with `removed` read as `false`. For a live member that is exactly the
  protocol's bytes; for a removed one it lets admins remove a member without
  the member's cooperation while the member's certified keys stay
  unforgeable: a removed entry must equal the previous version's entry
  except for `"removed": true`, and stays so in every later version.
- `rotation`, when not null, is the signature of `old_signing_keys[-1]`
  (the key before `signing_key`) over the same bytes. It MUST be present
  in the version where `signing_key` changes; later versions may carry it
  unchanged or set it to null.
- Every member of version N is listed in version N + 1; ids are unique.
- `issued` never goes backwards along a chain, and version N + 1 is issued
  on or before the day version N expires (continuity). Every entry of
  `sigs` must verify under the `signing_key` of an admin of the authorising
  version (N for N + 1, the manifest itself for version 1 and a re-anchor),
  or under the new key of that admin's entry in N + 1 when that entry's
  `rotation` links it to the key of version N. A built-in anchor of
  version > 1 that is not a re-anchor is trusted without its signatures,
  which were made by keys it does not list.
- A re-anchor (`"reanchor": true`, version > 1) is signed by `threshold`
  of its own admins and is accepted only as a built-in anchor: a chain
  verifier refuses it as a successor.
- A chain is checked for expiry only at its latest version: the built-in
  anchor and intermediate versions may have expired since.
- Manifests and member entries carry exactly the protocol's fields.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from chalicelib import signing
from chalicelib.age.recipient_types import recipient_type
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.manifest_shape import (
    ENTRY_FIELDS,
    INTAKE,
    MANIFEST_FIELDS,
    MAX_LIFETIME_DAYS,
    REANCHOR_FIELD,
    ROLES,
    ROUTES_FIELD,
    Manifest,
    ManifestInvalid,
    ManifestSig,
    MemberEntry,
    admin_keys,
    check_entry_shape,
    is_member_id,
    parse_day,
    parse_manifest,
    require,
)

__all__ = [
    "ENTRY_FIELDS",
    "INTAKE",
    "MANIFEST_FIELDS",
    "MAX_LIFETIME_DAYS",
    "REANCHOR_FIELD",
    "ROLES",
    "ROUTES_FIELD",
    "Manifest",
    "ManifestInvalid",
    "ManifestSig",
    "MemberEntry",
    "certified_bytes",
    "check_succession",
    "check_unexpired",
    "fingerprint",
    "follow_chain",
    "is_member_id",
    "manifest_recipient_type",
    "parse_manifest",
    "remove_member_entry",
    "reporter_exclusions",
    "route_readers",
    "routes_fitting",
    "submission_exclusions",
    "verify_admin_sigs",
    "verify_chain",
    "verify_first_manifest",
    "verify_member_entry",
    "verify_next_manifest",
    "verify_proposal",
]

# --- member entries --------------------------------------------------------


def certified_bytes(entry: Mapping[str, Any]) -> bytes:
    """The bytes a member entry's `cert` and `rotation` sign."""
    return signing.signed_bytes({**entry, "removed": False}, "cert", "rotation")


def _verify_entry_signatures(entry: MemberEntry) -> None:
    member = entry["id"]
    certified = certified_bytes(entry)
    key = b64u_decode(entry["signing_key"])
    cert = b64u_decode(entry["cert"])
    require(signing.verify_bytes(certified, cert, [key]), f"{member}: cert does not verify")
    if entry["rotation"] is None:
        return
    old = entry["old_signing_keys"]
    require(len(old) > 0, f"{member}: rotation without an old signing key")
    rotation = b64u_decode(entry["rotation"])
    require(
        signing.verify_bytes(certified, rotation, [b64u_decode(old[-1])]),
        f"{member}: rotation does not verify under the previous signing key",
    )


def _verify_transition(entry: MemberEntry, previous: MemberEntry) -> None:
    member = entry["id"]
    require(previous["id"] == member, f"{member}: compared with another member's entry")
    if previous["removed"]:
        require(dict(entry) == dict(previous), f"{member}: a removed member's entry changed")
        return
    if entry["removed"]:
        removed = {**previous, "removed": True}
        require(dict(entry) == removed, f"{member}: entry changed as the member was removed")
        return
    if entry["signing_key"] == previous["signing_key"]:
        require(
            entry["old_signing_keys"] == previous["old_signing_keys"],
            f"{member}: old_signing_keys changed without a rotation",
        )
        return
    require(entry["rotation"] is not None, f"{member}: signing_key changed without rotation")
    require(
        entry["old_signing_keys"] == [*previous["old_signing_keys"], previous["signing_key"]],
        f"{member}: old_signing_keys must gain exactly the previous signing key",
    )


def verify_member_entry(entry: object, previous: object | None) -> MemberEntry:
    """Check a member entry, alone or as the successor of `previous`; return it typed.

    Raises ManifestInvalid with the rule broken.
    """
    checked = check_entry_shape(entry)
    _verify_entry_signatures(checked)
    if previous is not None:
        _verify_transition(checked, check_entry_shape(previous))
    return checked


def remove_member_entry(entry: object) -> MemberEntry:
    """Return the entry listed for a removed member: the server records it at
    `DELETE /v1/team/members/{id}`, and it needs no member signature.

    Raises ManifestInvalid for an entry of the wrong shape.
    """
    return {**check_entry_shape(entry), "removed": True}


# --- manifests -------------------------------------------------------------


def _rotated_key(candidate: Manifest, member: str, key: bytes) -> list[bytes]:
    """The new key of `member` in `candidate` when its `rotation` links it to
    `key` (the authorising version's key): an admin who rotated can still sign
    the next version, so a rotation never locks a team out (protocol §4.5).
    The rotation signature itself was checked with the entry."""
    entry = next((e for e in candidate["members"] if e["id"] == member), None)
    if entry is None or entry["removed"] or entry["rotation"] is None:
        return []
    old = entry["old_signing_keys"]
    if not old or b64u_decode(old[-1]) != key:
        return []
    return [b64u_decode(entry["signing_key"])]


def verify_admin_sigs(
    document: Mapping[str, Any],
    authority: Manifest,
    *,
    partial: bool = False,
    also: Callable[[str, bytes], list[bytes]] = lambda _member, _key: [],
) -> None:
    """Every `sigs` item of a manifest or release (shape-checked) verifies
    over `JCS(document without sigs)` under the key of a distinct admin of
    `authority`, or a key `also(member, key)` links to it; `threshold` of
    them unless `partial`. Raises ManifestInvalid."""
    message = signing.signed_bytes(document, "sigs")
    admins = admin_keys(authority)
    where = f"version {authority['version']}"
    for item in document["sigs"]:
        key = admins.get(item["member"])
        require(key is not None, f"{item['member']} signed but is not an admin of {where}")
        assert key is not None
        accepted = [key, *also(item["member"], key)]
        sig = b64u_decode(item["sig"])
        require(signing.verify_bytes(message, sig, accepted), f"{item['member']}: bad signature")
    threshold = authority["threshold"]
    require(
        partial or len(document["sigs"]) >= threshold,
        f"fewer than {threshold} admins of {where} signed",
    )


def _verify_sigs(candidate: Manifest, authority: Manifest, *, partial: bool = False) -> None:
    verify_admin_sigs(
        candidate,
        authority,
        partial=partial,
        also=lambda member, key: _rotated_key(candidate, member, key),
    )


def check_unexpired(document: Mapping[str, Any], today: date) -> None:
    """The latest manifest or release of a chain is unexpired on `today`. Raises ManifestInvalid."""
    expires = parse_day(document["expires"], "expires")
    require(today <= expires, f"version {document['version']} expired on {expires.isoformat()}")


def check_succession(current: Mapping[str, Any], candidate: Mapping[str, Any]) -> None:
    """Version, order and continuity of a manifest or release following
    `current` (protocol §4.5). Raises ManifestInvalid."""
    require(candidate["version"] == current["version"] + 1, "version is not current + 1")
    require(candidate["issued"] >= current["issued"], "issued is before the current version's")
    # Continuity: the admins of a long-superseded version (whose keys a
    # server might still hold) cannot fork the chain for an old anchor.
    require(
        candidate["issued"] <= current["expires"],
        f"issued after version {current['version']} expired on {current['expires']}",
    )


def _verify_anchor(anchor: object) -> Manifest:
    manifest = parse_manifest(anchor)
    for entry in manifest["members"]:
        verify_member_entry(entry, None)
    # Version 1 is signed by its own admins. A later built-in version was
    # signed by the admins of the version before it, which the anchor does
    # not carry: it is trusted because it is built in (check it at build
    # time with verify_chain from version 1). A re-anchor is signed by its
    # own admins, like version 1.
    if manifest["version"] == 1 or manifest.get(REANCHOR_FIELD):
        _verify_sigs(manifest, manifest)
    return manifest


def _verify_step(current: Manifest, next_version: object, *, partial: bool = False) -> Manifest:
    candidate = parse_manifest(next_version)
    require(
        not candidate.get(REANCHOR_FIELD),
        f"version {candidate['version']} is a re-anchor, trusted only as a built-in anchor",
    )
    check_succession(current, candidate)
    require(
        manifest_recipient_type(candidate) == manifest_recipient_type(current),
        "recipient type changed",
    )
    entries = {entry["id"]: entry for entry in candidate["members"]}
    for previous in current["members"]:
        require(previous["id"] in entries, f"{previous['id']} is no longer listed")
    earlier = {entry["id"]: entry for entry in current["members"]}
    for entry in candidate["members"]:
        verify_member_entry(entry, earlier.get(entry["id"]))
    _verify_sigs(candidate, current, partial=partial)
    return candidate


def verify_first_manifest(manifest: object, today: date) -> Manifest:
    """Check a built-in anchor and that it is unexpired on `today`.

    Version 1 must be signed by `threshold` of its own admins; a later
    version's signatures cannot be checked without its predecessor, so only
    its shape, certs and rotations are. Raises ManifestInvalid.
    """
    anchor = _verify_anchor(manifest)
    check_unexpired(anchor, today)
    return anchor


def verify_next_manifest(current: object, candidate: object, today: date) -> Manifest:
    """Check `candidate` as version current + 1 and return it typed; `current`
    must already be trusted.

    Raises ManifestInvalid.
    """
    following = _verify_step(parse_manifest(current), candidate)
    check_unexpired(following, today)
    return following


def verify_proposal(current: object, candidate: object, today: date) -> Manifest:
    """Check `candidate` as version current + 1 that admins are still signing:
    everything `verify_next_manifest` checks, except that fewer than
    `threshold` signatures (each by a distinct admin of `current`) may be
    present yet. Raises ManifestInvalid."""
    following = _verify_step(parse_manifest(current), candidate, partial=True)
    check_unexpired(following, today)
    return following


def follow_chain(anchor: object, later: Sequence[object]) -> Manifest:
    """Follow `anchor` → `later[0]` → … and return (a copy of) the latest
    manifest, expired or not: a client still reads and verifies against an
    expired head (`chalicelib.manifest_status`). Raises ManifestInvalid."""
    current = _verify_anchor(anchor)
    for candidate in later:
        current = _verify_step(current, candidate)
    return current.copy()


def verify_chain(anchor: object, later: Sequence[object], *, today: date) -> Manifest:
    """Follow `anchor` → `later[0]` → … and return (a copy of) the latest manifest.

    Only the latest must be unexpired. Raises ManifestInvalid.
    """
    current = follow_chain(anchor, later)
    check_unexpired(current, today)
    return current


def manifest_recipient_type(manifest: Manifest) -> str:
    """The one recipient type of a (shape-checked) manifest."""
    return recipient_type(manifest["members"][0]["recipient"])


def fingerprint(manifest: Mapping[str, Any]) -> str:
    """`b64u(H(JCS(manifest without sigs)))`, for out-of-band comparison."""
    return b64u_encode(hashlib.sha256(signing.signed_bytes(manifest, "sigs")).digest())


# --- routes ------------------------------------------------------------------
# Protocol §4.5 "Routes": who a report is sealed to before the reporter's
# exclusions. The server never learns the category (it is inside the sealed
# report), so it can only check that `access` fits *some* category's readers.


def route_readers(manifest: Mapping[str, Any], category: object) -> list[str]:
    """The current members a report of `category` goes to, in manifest order
    and never an intake member:
    every one without routes; with routes, the category's route (none for a
    category without one) and every admin, so that a routed report always
    reaches an admin even when one of them lost admin powers since."""
    # An intake member files reports and reads none (protocol §4.5, Roles).
    live = [m for m in manifest["members"] if not m["removed"] and m["role"] != INTAKE]
    routes = manifest.get(ROUTES_FIELD)
    if routes is None:
        return [m["id"] for m in live]
    route = set(routes.get(category, ())) if isinstance(category, str) else set()
    return [m["id"] for m in live if m["id"] in route or m["role"] == "admin"]


def routes_fitting(manifest: Mapping[str, Any], access: Sequence[str]) -> list[str | None]:
    """The categories whose readers hold all of `access` (None stands for
    every category without a route). Empty: `access` fits no route."""
    routes = manifest.get(ROUTES_FIELD)
    candidates: list[str | None] = [None, *sorted(routes)] if routes is not None else [None]
    return [c for c in candidates if set(access) <= set(route_readers(manifest, c))]


def reporter_exclusions(
    manifest: Mapping[str, Any], access: Sequence[str], category: object
) -> set[str]:
    """Who the reporter left out of a report of `category` (known to a reader
    of the report): the category's readers that `access` lacks. Members
    outside the route were never offered, so they may be granted later."""
    return set(route_readers(manifest, category)) - set(access)


def submission_exclusions(manifest: Mapping[str, Any], access: Sequence[str]) -> set[str]:
    """What the server records as excluded without knowing the category: the
    readers `access` lacks under every category it fits. When routes overlap
    this may name a member the reporter was never offered; refusing them a
    grant errs on the reporter's side."""
    left_out: set[str] = set()
    for category in routes_fitting(manifest, access):
        left_out |= reporter_exclusions(manifest, access, category)
    return left_out
