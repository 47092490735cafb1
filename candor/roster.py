"""Writing the team roster: member cards, the next manifest, signatures (protocol §4.5).

Only clients write a roster; the server checks what they send with the
chain rules in `chalicelib.manifest`, so this module never ships to Lambda.
It also answers the clients' questions about a manifest they already
trust (checked with `verify_chain`): whom a case is encrypted to, and which
keys a member's signatures may use.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from chalicelib import signing
from chalicelib.b64 import b64u_decode, b64u_encode
from chalicelib.manifest import (
    MAX_LIFETIME_DAYS,
    Manifest,
    MemberEntry,
    certified_bytes,
    parse_manifest,
    verify_member_entry,
)

__all__ = [
    "access_recipients",
    "build_member_entry",
    "manifest_diff",
    "member_public_keys",
    "sign_manifest",
    "unsigned_manifest",
]

Entry = Mapping[str, Any]


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
) -> Manifest:
    """Return a manifest with no signatures yet. Raises ManifestInvalid."""
    manifest = {
        "v": 1, "version": version, "issued": issued.isoformat(),
        "expires": (issued + timedelta(days=lifetime_days)).isoformat(),
        "threshold": threshold, "members": [dict(entry) for entry in members], "sigs": [],
    }  # fmt: skip
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


def access_recipients(manifest: Mapping[str, Any], access: Iterable[str]) -> list[str]:
    """The current recipients of the members in `access` (protocol §2.4).

    Raises ValueError for an unknown or removed member.
    """
    entries = {entry["id"]: entry for entry in manifest["members"]}
    recipients = []
    for member in access:
        entry = entries.get(member)
        if entry is None or entry["removed"]:
            raise ValueError(f"{member} is not a current member")
        recipients.append(entry["recipient"])
    return recipients


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
    return lines
