"""The team: members, the signed manifest chain, and who may call what
(protocol §4.3, §4.4, §4.5).

Members live at ``keys.member(id)`` as their manifest entries; the signed
manifests at ``keys.manifest(version)``. The roster is
what the server authenticates against, so a removal takes effect at once;
clients trust keys only through the manifest chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import manifest as mf
from chalicelib import wire
from chalicelib.age.recipient_types import recipient_type
from chalicelib.domain import audit
from chalicelib.domain.cases import Context
from chalicelib.errors import (
    BadSignature,
    ClockSkew,
    Conflict,
    Forbidden,
    InvalidAccess,
    InvalidManifest,
    Malformed,
    NonceReplayed,
    NotFound,
    UnknownMember,
)
from chalicelib.httpsig import (
    NONCE_SECONDS,
    SKEW_SECONDS,
    RecordedRequest,
    RequestView,
    SignatureRefused,
    parse_signature_input,
    verify_request,
)
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ANY, ConditionFailed, Op

_REFUSALS = {"clock_skew": ClockSkew, "bad_signature": BadSignature}


@dataclass(frozen=True)
class Caller:
    """An authenticated team member and the audit record of the request."""

    member: mf.MemberEntry
    request: RecordedRequest
    is_admin: bool = False

    @property
    def id(self) -> str:
        return self.member["id"]

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden()


def authenticate(
    ctx: Context, req: RequestView, base_url: str, *, filing: bool = False
) -> Caller:
    """Verify a team request (protocol §4.3). An intake member may only file
    (``filing``, protocol §4.5, Roles): every other route is refused it, so a
    new route is closed to intake unless it says otherwise. Raises
    BadSignature, ClockSkew, UnknownMember, NonceReplayed, Forbidden."""
    try:
        sig_input = parse_signature_input(req)
        member = ctx.store.get(keys.member(sig_input.keyid))
        if member is None or member.data["removed"]:
            raise UnknownMember()
        key = wire.b64u_decode(member.data["signing_key"])
        record = verify_request(req, sig_input, key, now=ctx.epoch(), base_url=base_url)
    except SignatureRefused as exc:
        raise _REFUSALS[exc.reason]() from None
    # Recorded only after the signature verified, so nobody can burn nonces.
    nonce_key = keys.nonce(sig_input.keyid, sig_input.nonce)
    try:
        # Kept while the signature could still be accepted: created may lie
        # up to SKEW_SECONDS ahead of this clock.
        expires = max(ctx.epoch() + NONCE_SECONDS, sig_input.created + SKEW_SECONDS + 1)
        ctx.store.transact([nonce_key.put({}, expect=ABSENT, expires=expires, name="nonce")])
    except ConditionFailed:
        raise NonceReplayed() from None
    if member.data["role"] == mf.INTAKE and not filing:
        # After the nonce: the refused request is still spent.
        raise Forbidden("An intake member files reports and reads nothing.")
    return Caller(member.data, record, is_admin=_admin(ctx, member.data))


def _admin(ctx: Context, member: mf.MemberEntry) -> bool:
    """Admin in the roster *and* in the published manifest: adding an admin
    to the roster gives no admin powers until the admins' threshold signed a
    manifest that lists them (protocol §4.5). The caller's own entry is
    already loaded: only the head is read, never the whole member list."""
    if member["role"] != "admin" or member["removed"]:
        return False
    head = current_manifest(ctx)
    return head is not None and member["id"] in _admins_of(head["members"])


def _admins_of(entries: Sequence[mf.MemberEntry]) -> set[str]:
    return {m["id"] for m in entries if m["role"] == "admin" and not m["removed"]}


def effective_admins(
    ctx: Context, roster: Sequence[mf.MemberEntry] | None = None,
    manifest: mf.Manifest | None = None,
) -> set[str]:
    """Ids that are admins in the roster and in the manifest (by default the
    stored roster and the published head): only they hold admin powers, and
    only they can sign the next version (protocol §4.5)."""
    head = manifest if manifest is not None else current_manifest(ctx)
    if head is None:
        return set()
    return _admins_of(roster if roster is not None else members(ctx)) & _admins_of(head["members"])


def _require_admins(ctx: Context, left: set[str], threshold: int, what: str, fix: str) -> None:
    """Refuse (409) a change that leaves fewer effective admins than `threshold`."""
    if len(left) < threshold:
        raise Conflict(f"{what} would leave {len(left)} effective admin(s) (admin in the member "
                       f"list and in the published manifest), fewer than the threshold "
                       f"{threshold}: {fix}")


def _published_entry(ctx: Context, member_id: str) -> mf.MemberEntry | None:
    head = current_manifest(ctx)
    return next((m for m in head["members"] if m["id"] == member_id), None) if head else None


# -- members ---------------------------------------------------------------------
def members(ctx: Context) -> list[mf.MemberEntry]:
    return [i.data for i in ctx.store.query(keys.MEMBERS)]


def check_access(ctx: Context, access: Sequence[str], recipient_kind: str) -> None:
    """``access`` names current members of ``recipient_kind``, one an
    effective admin (in the roster and the published manifest, protocol
    §4.5), so that someone can always administer the case, and fits the
    readers of some category under the published manifest's routes.

    Raises InvalidAccess (422).
    """
    if not access:
        raise InvalidAccess()
    entries = [ctx.store.get(keys.member(member_id)) for member_id in access]
    if any(e is None or e.data["removed"] for e in entries):
        raise InvalidAccess("'access' names someone who is not a current member.")
    if not set(access) & effective_admins(ctx):
        raise InvalidAccess("'access' must include at least one admin.")
    if any(e is not None and _kind(e.data["recipient"]) != recipient_kind for e in entries):
        raise InvalidAccess("The recipients are not all of one type.")
    head = current_manifest(ctx)
    if head is not None and not mf.routes_fitting(head, access):
        raise InvalidAccess("'access' fits no route of the published manifest: a report goes "
                            "to its category's route and the admins, minus the reporter's "
                            "exclusions.")


def exclusions_at_submission(ctx: Context, access: Sequence[str]) -> list[str]:
    """The published manifest's current members the reporter left out, as
    far as the server can tell without the category (protocol §4.5, Routes):
    no grant may reach them (protocol §4.4)."""
    head = current_manifest(ctx)
    return sorted(mf.submission_exclusions(head, access)) if head is not None else []


def _kind(recipient: str) -> str:
    return recipient_type(recipient)


def _team_kind(ctx: Context) -> str | None:
    current = [m for m in members(ctx) if not m["removed"]]
    return _kind(current[0]["recipient"]) if current else None


def add_member(ctx: Context, caller: Caller, body: dict[str, Any]) -> mf.MemberEntry:
    """``POST /v1/team/members`` (admin). Raises InvalidManifest, Conflict."""
    caller.require_admin()
    wire.fields(body, sorted(mf.ENTRY_FIELDS))  # unknown or missing fields: 400 (protocol §0)
    try:
        entry = mf.verify_member_entry(body, None)
    except mf.ManifestInvalid as exc:
        raise InvalidManifest(f"The member entry is not valid: {exc.reason}.") from None
    if entry["removed"] or entry["old_signing_keys"] or entry["rotation"] is not None:
        raise InvalidManifest("A new member entry has no history.")
    kind = _team_kind(ctx)
    if kind is not None and _kind(entry["recipient"]) != kind:
        raise InvalidManifest("The member's recipient is not of the team's type.")
    try:
        audit.commit(ctx, [keys.member(entry["id"]).put(entry, expect=ABSENT, name="member")],
                     member=caller.id, action="member.add", case=None, request=caller.request)
    except ConditionFailed:
        raise Conflict("A member with this id exists.") from None
    return entry


def rotate_member(
    ctx: Context, caller: Caller, member_id: str, body: dict[str, Any]
) -> mf.MemberEntry:
    """``PUT /v1/team/members/{id}``: only the member itself re-certifies its
    entry: new keys with ``rotation``, a new name or function, or a new role
    (effective only once a manifest lists it; never to or from intake).
    Raises Forbidden, NotFound, InvalidManifest, Conflict."""
    if caller.id != member_id:
        raise Forbidden("Only the member itself can change its keys.")
    wire.fields(body, sorted(mf.ENTRY_FIELDS))
    current = ctx.store.get(keys.member(member_id))
    if current is None or body.get("id") != member_id:
        raise NotFound()
    try:
        entry = mf.verify_member_entry(body, current.data)
    except mf.ManifestInvalid as exc:
        raise InvalidManifest(f"The member entry is not valid: {exc.reason}.") from None
    if entry["removed"]:
        raise InvalidManifest("A member cannot remove itself this way.")
    if _kind(entry["recipient"]) != _kind(current.data["recipient"]):
        raise InvalidManifest("A key rotation keeps the team's recipient type.")
    _check_change(ctx, current.data, entry)
    try:
        audit.commit(ctx, [current.key.put(entry, expect=current.version, name="member")],
                     member=caller.id, action="member.rotate", case=None,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict() from None
    return entry


def _check_change(ctx: Context, current: mf.MemberEntry, entry: mf.MemberEntry) -> None:
    """One pending change of keys per published version, and no demotion
    below the threshold (protocol §4.5). Raises Conflict."""
    published = _published_entry(ctx, entry["id"])
    try:
        # The member list must stay publishable: the entry must be a valid
        # successor of the published one, so a second rotation (or a
        # re-certification that drops a pending `rotation`) waits for it.
        if published is not None:
            mf.verify_member_entry(entry, published)
    except mf.ManifestInvalid as exc:
        raise Conflict(f"This change cannot follow your published entry ({exc.reason}): your "
                       "last key rotation is not in a published manifest yet; an admin must "
                       "publish the manifest first.") from None
    if mf.INTAKE in (current["role"], entry["role"]) and current["role"] != entry["role"]:
        # An intake key sits on a webhook host: it never promotes itself to a
        # reader, and no reader's key becomes one quietly.
        raise Forbidden("An intake member keeps its role: an admin removes it and adds a "
                        "new member instead.")
    if current["role"] == "admin" and entry["role"] != "admin":
        head = current_manifest(ctx)
        _require_admins(ctx, effective_admins(ctx) - {entry["id"]},
                        head["threshold"] if head else 1, "Stepping down as admin",
                        "promote another admin and publish a manifest that lists them first.")


def remove_member(ctx: Context, caller: Caller, member_id: str) -> None:
    """``DELETE /v1/team/members/{id}`` (admin): listed as removed, at once."""
    caller.require_admin()
    wire.identifier(member_id, "m")
    current = ctx.store.get(keys.member(member_id))
    if current is None:
        raise NotFound()
    if current.data["removed"]:
        return
    others = [m for m in members(ctx) if m["id"] != member_id and not m["removed"]]
    if not any(m["role"] == "admin" for m in others):
        raise Conflict("The last admin cannot be removed.")
    head = current_manifest(ctx)
    _require_admins(ctx, effective_admins(ctx) - {member_id}, head["threshold"] if head else 1,
                    f"Removing {current.data['name']}",
                    "add another admin and publish a manifest that lists them first, or "
                    "publish one with a lower threshold.")
    # The published entry, when there is one: a removed entry must equal the
    # previous version's (protocol §4.5), even if the member rotated since.
    removed = mf.remove_member_entry(_published_entry(ctx, member_id) or current.data)
    try:
        audit.commit(
            ctx, [current.key.put(removed, expect=current.version, name="member")],
            member=caller.id, action="member.remove", case=None, request=caller.request,
        )
    except ConditionFailed:
        raise Conflict() from None


# -- manifests -----------------------------------------------------------------
def manifests(ctx: Context, since: int | None) -> list[mf.Manifest]:
    """Signed manifests after version ``since`` (all without), oldest first."""
    after = keys.manifest_sk(since) if since is not None else None
    return [i.data for i in ctx.store.query(keys.MANIFESTS, after=after)]


def current_manifest(ctx: Context) -> mf.Manifest | None:
    head = ctx.store.get(keys.MANIFEST_HEAD)
    if head is None:
        return None
    item = ctx.store.get(keys.manifest(head.data["version"]))
    return item.data if item else None


def _publish_ops(manifest: mf.Manifest) -> list[Op]:
    """The manifest and the head that names it, conditional on the version
    before: two admins cannot both publish the same version."""
    version = manifest["version"]
    return [keys.manifest(version).put(manifest, expect=ABSENT, name="manifest"),
            keys.MANIFEST_HEAD.put({"version": version},
                                   expect=ABSENT if version == 1 else ANY, name="head")]


def put_manifest(ctx: Context, caller: Caller, body: dict[str, Any]) -> None:
    """``PUT /v1/team/manifest`` (admin): only version current + 1, only valid.
    Version 1 comes only from ``candor init`` (``bootstrap``), never over the
    API. Raises Forbidden, Conflict, InvalidManifest."""
    caller.require_admin()
    wire.fields(body, sorted(mf.MANIFEST_FIELDS), [mf.ROUTES_FIELD])
    current = current_manifest(ctx)
    if current is None:
        raise Conflict("There is no team yet: run candor init.")
    version = body.get("version")
    if not isinstance(version, int) or version != current["version"] + 1:
        raise Conflict(f"The next manifest must be version {current['version'] + 1}.")
    if current["expires"] < ctx.today().isoformat():
        raise Conflict(f"Version {current['version']} expired on {current['expires']}: the "
                       "chain cannot continue; the operator must store a re-anchor "
                       "(docs/operations.md, \"a lapse\").")
    candidate = _checked(ctx, lambda: mf.verify_next_manifest(current, body, ctx.today()))
    _require_admins(ctx, effective_admins(ctx, manifest=candidate), candidate["threshold"],
                    "This manifest", "keep enough admins in the member list and in the "
                    "manifest, or lower its threshold.")
    try:
        audit.commit(ctx, _publish_ops(candidate),
                     member=caller.id, action="manifest.publish", case=None,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict("That manifest version was just published.") from None


def _checked(ctx: Context, verify: Callable[[], mf.Manifest]) -> mf.Manifest:
    """Run a chain check and refuse a manifest dated ahead, which would stay
    valid long past the 90-day rule. Raises InvalidManifest."""
    try:
        candidate = verify()
        if candidate["issued"] > (ctx.today() + timedelta(days=1)).isoformat():
            raise mf.ManifestInvalid("issued in the future")
    except mf.ManifestInvalid as exc:
        raise InvalidManifest(f"The manifest is not valid: {exc.reason}.") from None
    return candidate


def reanchor(ctx: Context, body: object) -> mf.Manifest:
    """The operator stores a re-anchor (protocol §4.5): version head + 1,
    ``"reanchor": true``, signed by ``threshold`` of its own admins. Its
    members become the roster; roster members it leaves out are removed.
    Clients accept it only as a built-in anchor. Raises InvalidManifest,
    Conflict."""
    head = current_manifest(ctx)
    if head is None:
        raise Conflict("There is no team yet: run candor init.")
    anchor = _checked(ctx, lambda: mf.verify_first_manifest(body, ctx.today()))
    if not anchor.get(mf.REANCHOR_FIELD) or anchor["version"] != head["version"] + 1:
        raise InvalidManifest(f"A re-anchor is version {head['version'] + 1} with "
                              "\"reanchor\": true.")
    listed = {m["id"] for m in anchor["members"]}
    dropped = [mf.remove_member_entry(m) for m in members(ctx)
               if m["id"] not in listed and not m["removed"]]
    ops = [*(keys.member(m["id"]).put(m, expect=ANY, name="member")
             for m in [*anchor["members"], *dropped]), *_publish_ops(anchor)]
    try:
        audit.commit(ctx, ops, member=None, action="manifest.reanchor", case=None, request=None)
    except ConditionFailed:
        raise Conflict("That manifest version was just published.") from None
    return anchor


def bootstrap(ctx: Context, body: object) -> None:
    """``candor init``: manifest version 1 and its members, on an empty store.

    Raises InvalidManifest, Conflict.
    """
    if members(ctx) or current_manifest(ctx) is not None:
        raise Conflict("This data directory already has a team.")
    try:
        first = mf.verify_first_manifest(body, ctx.today())
    except mf.ManifestInvalid as exc:
        raise InvalidManifest(f"The manifest is not valid: {exc.reason}.") from None
    # The members, the manifest and its audit entry in one transaction: a
    # crash cannot leave a roster without the manifest that vouches for it.
    try:
        audit.commit(ctx, [*(keys.member(m["id"]).put(m, expect=ABSENT, name="member")
                             for m in first["members"]),
                           *_publish_ops(first)],
                     member=None, action="manifest.publish", case=None, request=None)
    except ConditionFailed:
        raise Conflict("This data directory already has a team.") from None


def since_param(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise Malformed("'since' must be a manifest version.")
    return int(value)
