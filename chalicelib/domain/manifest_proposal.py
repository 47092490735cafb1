"""The next manifest version while the admins sign it (protocol §4.5,
"Proposals"): with a threshold above 1, one admin proposes version N + 1
and the others add their signatures from their own console or CLI, with no
file passed around by hand. The server checks every signature it stores;
the client that brings the last one publishes through
``PUT /v1/team/manifest`` as before. Publishing makes the proposal stale.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict

from chalicelib import manifest as mf
from chalicelib import wire
from chalicelib.domain import audit
from chalicelib.domain.cases import Context
from chalicelib.domain.team_roster import Caller, current_manifest
from chalicelib.errors import Conflict, InvalidManifest, Malformed, NotFound
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed


class Proposal(TypedDict):
    """``GET`` and ``PUT /v1/team/manifest/proposal``'s answer."""

    manifest: mf.Manifest
    signed: list[str]
    missing: int


def _answer(proposal: mf.Manifest, head: mf.Manifest) -> Proposal:
    signed = [item["member"] for item in proposal["sigs"]]
    return {"manifest": proposal, "signed": signed,
            "missing": max(0, head["threshold"] - len(signed))}


def _checked(ctx: Context, head: mf.Manifest, body: object) -> mf.Manifest:
    try:
        candidate = mf.verify_proposal(head, body, ctx.today())
        if candidate["issued"] > (ctx.today() + timedelta(days=1)).isoformat():
            raise mf.ManifestInvalid("issued in the future")
    except mf.ManifestInvalid as exc:
        raise InvalidManifest(f"The proposal is not valid: {exc.reason}.") from None
    return candidate


def _merged(stored: mf.Manifest, candidate: mf.Manifest) -> mf.Manifest:
    """The stored proposal with the candidate's new signatures (same bytes)."""
    known = {item["member"] for item in stored["sigs"]}
    extra = [item for item in candidate["sigs"] if item["member"] not in known]
    return {**stored, "sigs": [*stored["sigs"], *extra]}


def propose(ctx: Context, caller: Caller, body: dict[str, Any]) -> Proposal:
    """``PUT /v1/team/manifest/proposal`` (admin): store a candidate for the
    next version, or add its signatures to the stored one of the same bytes.
    Raises Forbidden, Conflict, InvalidManifest."""
    caller.require_admin()
    wire.fields(body, ["manifest"], ["replace"])
    if not isinstance(body.get("replace", False), bool):
        raise Malformed("'replace' must be true or false.")
    head = current_manifest(ctx)
    if head is None:
        raise Conflict("There is no team yet: run candor init.")
    candidate = _checked(ctx, head, body["manifest"])
    item = ctx.store.get(keys.MANIFEST_PROPOSAL)
    stored = item.data if item and item.data["version"] == head["version"] + 1 else None
    if stored is not None and mf.fingerprint(stored) == mf.fingerprint(candidate):
        candidate = _merged(stored, candidate)
    elif stored is not None and not body.get("replace", False):
        raise Conflict(f"Another proposal for version {stored['version']} is being signed "
                       f"(fingerprint {mf.fingerprint(stored)}): sign that one, or replace it.")
    op = keys.MANIFEST_PROPOSAL.put(candidate, expect=item.version if item else ABSENT,
                                    name="proposal")
    try:
        audit.commit(ctx, [op], member=caller.id, action="manifest.propose", case=None,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict("The proposal changed meanwhile; fetch it and sign again.") from None
    return _answer(candidate, head)


def pending(ctx: Context, caller: Caller) -> Proposal:
    """``GET /v1/team/manifest/proposal`` (any member). Raises NotFound when
    none is waiting for the next version."""
    del caller  # authenticated is enough: the proposal is the next public manifest
    head = current_manifest(ctx)
    item = ctx.store.get(keys.MANIFEST_PROPOSAL)
    if head is None or item is None or item.data["version"] != head["version"] + 1:
        raise NotFound("No proposal is waiting for signatures.")
    return _answer(item.data, head)
