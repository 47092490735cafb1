"""Writing the team roster: member cards, the next manifest, signatures (protocol §4.5).

Only clients write a roster; the server checks what they send with the
chain rules in `chalicelib.manifest`, so this module never ships to Lambda.
It also answers the clients' questions about a manifest they already
trust (checked with `verify_chain`): whom a case is encrypted to, and which
keys a member's signatures may use.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from chalicelib import signing
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.manifest import (
    MAX_LIFETIME_DAYS,
    REANCHOR_FIELD,
    ROUTES_FIELD,
    Manifest,
    MemberEntry,
    certified_bytes,
    parse_manifest,
    verify_member_entry,
)
from chalicelib.manifest_status import days_left, expired_line

__all__ = [
    "ManifestExpired",
    "Recipients",
    "access_recipients",
    "build_member_entry",
    "kept_routes",
    "manifest_diff",
    "member_public_keys",
    "next_manifest",
    "reanchor_manifest",
    "recipients_for_access",
    "renew_manifest",
    "require_unexpired",
    "sign_manifest",
    "unsigned_manifest",
]

Entry = Mapping[str, Any]
Routes = Mapping[str, Sequence[str]]


def _rotation_from(
    previous_entry: Entry | None, signing_key: str, previous_seed: bytes | None
) -> tuple[list[str], bytes | None]:
    """The new entry's old_signing_keys, and the seed that signs `rotation`
    (None when the signing key is unchanged)."""
    if previous_entry is None:
        return [], None
    old = list(previous_entry["old_signing_keys"])
    if previous_entry["signing_key"] == signing_key:
        return old, None
    if previous_seed is None or (
        b64u_encode(signing.public_key_from_seed(previous_seed)) != previous_entry["signing_key"]
    ):
        raise ValueError("rotating needs the seed of the previous signing key")
    return [*old, previous_entry["signing_key"]], previous_seed


def build_member_entry(
    member_id: str,
    name: str,
    function: str,
    role: str,
    recipient: str,
    seed: bytes,
    previous_entry: Entry | None = None,
    previous_seed: bytes | None = None,
) -> MemberEntry:
    """Return a member entry whose `cert` is signed with `seed`.

    When `seed` differs from the previous entry's signing key, `previous_seed`
    must be that key's seed and signs `rotation`. Raises ManifestInvalid (a
    ValueError) for a bad field and ValueError for a missing or wrong
    previous seed.
    """
    signing_key = b64u_encode(signing.public_key_from_seed(seed))
    old, rotation_seed = _rotation_from(previous_entry, signing_key, previous_seed)
    # `cert` and `rotation` are not part of the bytes they sign: fill them after.
    entry: MemberEntry = {
        "id": member_id, "name": name, "function": function, "role": role,
        "recipient": recipient, "signing_key": signing_key, "old_signing_keys": old,
        "removed": False, "cert": "", "rotation": None,
    }  # fmt: skip
    certified = certified_bytes(entry)
    entry["cert"] = b64u_encode(signing.sign_bytes(certified, seed))
    if rotation_seed is not None:
        entry["rotation"] = b64u_encode(signing.sign_bytes(certified, rotation_seed))
    return verify_member_entry(entry, previous_entry)


def unsigned_manifest(
    version: int,
    issued: date,
    members: Sequence[Entry],
    threshold: int,
    lifetime_days: int = MAX_LIFETIME_DAYS,
    routes: Routes | None = None,
) -> Manifest:
    """Return a manifest with no signatures yet; `routes` only when some
    are given (protocol §4.5, Routes). Raises ManifestInvalid."""
    manifest: dict[str, Any] = {
        "v": 1, "version": version, "issued": issued.isoformat(),
        "expires": (issued + timedelta(days=lifetime_days)).isoformat(),
        "threshold": threshold, "members": [dict(entry) for entry in members], "sigs": [],
    }  # fmt: skip
    if routes:
        manifest[ROUTES_FIELD] = {c: list(route) for c, route in sorted(routes.items())}
    return parse_manifest(manifest)


def kept_routes(routes: Routes | None, members: Sequence[Entry]) -> dict[str, list[str]]:
    """`routes` without the members `members` lists as removed or not at all,
    and without the routes that leaves empty: a removal never has to wait
    for the admins to rewrite the routes, and the diff shows what changed."""
    current = {e["id"] for e in members if not e["removed"]}
    kept = {c: [m for m in route if m in current] for c, route in (routes or {}).items()}
    return {c: route for c, route in kept.items() if route}


def next_manifest(
    current: Manifest,
    members: Sequence[Entry],
    issued: date,
    *,
    threshold: int | None = None,
    lifetime_days: int = MAX_LIFETIME_DAYS,
    routes: Routes | None = None,
) -> Manifest:
    """Version current + 1 listing `members` (normally the server's member
    list), unsigned; `threshold` defaults to the current one, `routes` to
    the current ones (`{}`: no routes). Raises ManifestInvalid."""
    wanted = current.get("routes") if routes is None else routes
    return unsigned_manifest(current["version"] + 1, issued, members,
                             current["threshold"] if threshold is None else threshold,
                             lifetime_days, kept_routes(wanted, members))


def renew_manifest(
    current: Manifest, issued: date, roster: Sequence[Entry] = (),
    lifetime_days: int = MAX_LIFETIME_DAYS,
) -> Manifest:
    """The next version with the same members, roles and threshold and new
    dates (protocol §4.5), unsigned. A member's pending key rotation in
    `roster` (the server's member list) is taken over, so an admin who
    rotated signs with the new key; nothing else from `roster` is."""
    pending = {e["id"]: e for e in roster}
    members = []
    for entry in current["members"]:
        newer = pending.get(entry["id"])
        rotated = (newer is not None and not entry["removed"] and not newer["removed"]
                   and newer["role"] == entry["role"]
                   and newer["signing_key"] != entry["signing_key"])
        members.append(newer if rotated and newer is not None else entry)
    return next_manifest(current, members, issued, lifetime_days=lifetime_days)


def reanchor_manifest(
    version: int, issued: date, members: Sequence[Entry], threshold: int,
    lifetime_days: int = MAX_LIFETIME_DAYS,
) -> Manifest:
    """An unsigned re-anchor (protocol §4.5): `threshold` of its own admins
    sign it, and clients accept it only as a built-in anchor. Raises
    ManifestInvalid."""
    manifest = dict(unsigned_manifest(version, issued, members, threshold, lifetime_days))
    manifest[REANCHOR_FIELD] = True
    return parse_manifest(manifest)


def sign_manifest(unsigned: Manifest, member_id: str, seed: bytes) -> Manifest:
    """Return `unsigned` with a signature by `member_id` appended to `sigs`.

    Raises ValueError when that member already signed.
    """
    sigs = list(unsigned["sigs"])
    if any(item["member"] == member_id for item in sigs):
        raise ValueError(f"{member_id} already signed this manifest")
    sig = signing.sign_bytes(signing.signed_bytes(unsigned, "sigs"), seed)
    return {**unsigned, "sigs": [*sigs, {"member": member_id, "sig": b64u_encode(sig)}]}


def member_public_keys(manifest: Mapping[str, Any], member_id: str) -> list[bytes]:
    """A member's current and older signing keys (removed members included,
    so their history stays verifiable); empty for an unknown member."""
    for entry in manifest["members"]:
        if entry["id"] == member_id:
            keys = [entry["signing_key"], *entry["old_signing_keys"]]
            return [b64u_decode(key) for key in keys]
    return []


class Recipients(NamedTuple):
    """Whom a new blob of a case is sealed to, and who was left out."""

    recipients: list[str]
    dropped: list[str]  # ids of removed members in the case's access list


def recipients_for_access(manifest: Mapping[str, Any], access: Iterable[str]) -> Recipients:
    """The current recipients of the members in `access` (protocol §2.4);
    removed members are dropped (and named), so a removal never blocks a
    reply. Raises ValueError for a member the manifest does not list, or
    when nobody in `access` is still a member."""
    entries = {entry["id"]: entry for entry in manifest["members"]}
    recipients, dropped = [], []
    for member in access:
        entry = entries.get(member)
        if entry is None:
            raise ValueError(f"{member} is not a member")
        if entry["removed"]:
            dropped.append(member)
        else:
            recipients.append(entry["recipient"])
    if not recipients:
        raise ValueError("nobody in this case's access list is still a member")
    return Recipients(recipients, dropped)


def access_recipients(manifest: Mapping[str, Any], access: Iterable[str]) -> list[str]:
    """`recipients_for_access` without the list of who was dropped."""
    return recipients_for_access(manifest, access).recipients


class ManifestExpired(Exception):
    """The team's manifest expired: nothing may be encrypted to its keys.
    The message is the one line to show (what happened, what to do)."""


def require_unexpired(manifest: Mapping[str, Any], today: date) -> None:
    """Raise ManifestExpired when `manifest` expired before `today`."""
    if days_left(manifest, today) < 0:
        raise ManifestExpired(expired_line(manifest))


# --- differences, for `candor manifest publish` ------------------------------


def _describe(entry: MemberEntry) -> str:
    function = f", {entry['function']}" if entry["function"] else ""
    return f"{entry['name']} ({entry['role']}{function}, {entry['id']})"


def _entry_diff(old: MemberEntry, new: MemberEntry) -> list[str]:
    who = _describe(new)
    if new["removed"] and not old["removed"]:
        return [f"removed {who}"]
    lines = []
    if old["name"] != new["name"]:
        lines.append(f"renamed {old['name']!r} to {new['name']!r} ({new['id']})")
    if old["function"] != new["function"]:
        lines.append(f"function of {who} changed from {old['function']!r}")
    if old["role"] != new["role"]:
        lines.append(f"role of {who} changed from {old['role']} to {new['role']}")
    if old["signing_key"] != new["signing_key"]:
        lines.append(f"rotated signing key of {who}")
    if old["recipient"] != new["recipient"]:
        lines.append(f"rotated encryption key of {who}")
    return lines


def manifest_diff(old: Manifest, new: Manifest) -> list[str]:
    """Human-readable lines for what `new` changes from `old` (both shape-valid)."""
    lines = [f"version {old['version']} -> {new['version']}"]
    if old["threshold"] != new["threshold"]:
        lines.append(f"threshold changed from {old['threshold']} to {new['threshold']}")
    lines.append(f"valid {new['issued']} to {new['expires']} (UTC days)")
    earlier = {entry["id"]: entry for entry in old["members"]}
    listed = {entry["id"] for entry in new["members"]}
    for entry in new["members"]:
        previous = earlier.get(entry["id"])
        if previous is None:
            lines.append(f"added {_describe(entry)}")
        else:
            lines.extend(_entry_diff(previous, entry))
    for entry in old["members"]:
        if entry["id"] not in listed:
            lines.append(f"dropped from the list (not allowed): {_describe(entry)}")
    return lines + _routes_diff(old, new)


def _routes_diff(old: Manifest, new: Manifest) -> list[str]:
    before, after = old.get("routes") or {}, new.get("routes") or {}
    if before and not after:
        return ["no routes: every report goes to every member"]
    names = {entry["id"]: entry["name"] for entry in new["members"]}
    lines = ["routes on: a category without a route goes to the admins only"] \
        if after and not before else []
    for category in sorted(set(before) | set(after)):
        if category not in after:
            lines.append(f"route {category} removed: its reports go to the admins only")
        elif before.get(category) != after[category]:
            who = ", ".join(names.get(m, m) for m in after[category])
            lines.append(f"route {category}: {who} and the admins")
    return lines
