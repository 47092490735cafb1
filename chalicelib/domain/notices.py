"""Signed staff notices (protocol §4.9): a short text the team shows on the
reporter page, signed by `threshold` admins of the current manifest, as a
manifest or a release is (protocol §4.5, §4.8).

The server stores and lists notices; it can withhold one (an admin
withdraws a notice by deleting it) but cannot forge or alter one: the page
checks every signature against the manifest chain built into it and shows
only valid, unexpired notices naming the newest manifest it verified.

The document checks here are the ones the clients use too
(``candor.notice``, frontend/src/lib/notice.ts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, TypedDict, cast

from chalicelib import manifest as mf
from chalicelib import wire
from chalicelib.domain import audit
from chalicelib.domain.cases import Context
from chalicelib.domain.team_roster import Caller, current_manifest
from chalicelib.errors import Conflict, InvalidManifest, Malformed, NotFound
from chalicelib.manifest_shape import check_dates, check_sigs_shape, require
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed

KIND = "candor-notice"
FIELDS = frozenset({"v", "kind", "id", "issued", "expires", "manifest", "text", "sigs"})
# The page's catalogues (frontend/i18n/*.json); "en" is the fallback every page has.
LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt")
MAX_TEXT = 500  # code points per language
MAX_NOTICES = 20  # served at once: a page shows them all
ID = re.compile(r"n_[A-Za-z0-9_-]{22}")  # "n_" + b64u(16 bytes)
_HASH = re.compile(r"[A-Za-z0-9_-]{43}")
# As protocol §4.5's labels: nothing that hides or reorders text on a screen
# (C0/C1 controls, bidirectional controls, line separators).
_DISGUISING = frozenset(
    [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
    + list("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e")
    + list("\u2066\u2067\u2068\u2069")
)  # fmt: skip


class ManifestRef(TypedDict):
    version: int
    fingerprint: str


class Notice(TypedDict):
    """A notice as the protocol writes it (protocol §4.9)."""

    v: int
    kind: str
    id: str
    issued: str
    expires: str
    manifest: ManifestRef
    text: dict[str, str]
    sigs: list[mf.ManifestSig]


class NoticeInvalid(ValueError):
    """A notice breaks protocol §4.9; the message names the rule."""


def _check_text(text: object) -> None:
    require(isinstance(text, Mapping) and "en" in text, "text has no en")
    assert isinstance(text, Mapping)
    for lang, value in text.items():
        require(lang in LANGUAGES, f"text: {lang!r} is not a language of the page")
        require(isinstance(value, str) and value.strip() != "", f"text {lang} is empty")
        require(unicodedata.is_normalized("NFC", value), f"text {lang} is not NFC")
        require(not _DISGUISING.intersection(value), f"text {lang} holds a control character")
        require(len(value) <= MAX_TEXT, f"text {lang} is longer than {MAX_TEXT} characters")
        require(value.encode("utf-8", "replace").decode() == value, f"text {lang} is not Unicode")


def parse_notice(notice: object) -> Notice:
    """Check everything in a notice that needs no manifest. Raises NoticeInvalid."""
    try:
        require(isinstance(notice, Mapping), "notice is not an object")
        doc = cast(Mapping[str, Any], notice)
        require(set(doc) == FIELDS, "notice does not have exactly the protocol fields")
        require(doc["v"] == 1 and doc["kind"] == KIND, f"v is not 1 or kind is not {KIND}")
        require(isinstance(doc["id"], str) and bool(ID.fullmatch(doc["id"])), "bad id")
        check_dates(doc)
        ref = doc["manifest"]
        require(isinstance(ref, Mapping) and set(ref) == {"version", "fingerprint"},
                "bad manifest")
        require(type(ref["version"]) is int and ref["version"] >= 1, "bad manifest version")
        require(isinstance(ref["fingerprint"], str) and bool(_HASH.fullmatch(ref["fingerprint"])),
                "bad manifest fingerprint")
        _check_text(doc["text"])
        check_sigs_shape(doc["sigs"])
    except mf.ManifestInvalid as exc:
        raise NoticeInvalid(f"notice: {exc.reason}") from None
    return cast(Notice, notice)


def verify_notice(notice: object, authority: mf.Manifest, *, partial: bool = False,
                  today: date | None = None) -> Notice:
    """`notice` names `authority` (trusted) and `threshold` of its admins
    signed it (any number if `partial`); unexpired on `today` when given.
    Raises NoticeInvalid."""
    checked = parse_notice(notice)
    ref = checked["manifest"]
    try:
        require(ref["version"] == authority["version"]
                and ref["fingerprint"] == mf.fingerprint(authority),
                f"names manifest version {ref['version']}, not the current one")
        mf.verify_admin_sigs(checked, authority, partial=partial)
        if today is not None:
            require(today <= date.fromisoformat(checked["expires"]),
                    f"expired on {checked['expires']}")
    except mf.ManifestInvalid as exc:
        raise NoticeInvalid(f"notice {checked['id']}: {exc.reason}") from None
    return checked


# --- the routes ----------------------------------------------------------------


def publish(ctx: Context, caller: Caller, body: dict[str, Any]) -> Notice:
    """``POST /v1/team/notices`` (admin): store a notice signed by the
    threshold of the current manifest. Raises Forbidden, Conflict,
    InvalidManifest (422: the notice is not valid)."""
    caller.require_admin()
    wire.fields(body, sorted(FIELDS))  # a body that is no notice at all: 400, as for manifests
    head = current_manifest(ctx)
    if head is None:
        raise Conflict("There is no team yet: run candor init.")
    today = ctx.today()
    try:
        notice = verify_notice(body, head, today=today)
        if notice["issued"] > (today + timedelta(days=1)).isoformat():
            raise NoticeInvalid(f"notice {notice['id']}: issued in the future")
    except NoticeInvalid as exc:
        raise InvalidManifest(f"The notice is not valid: {exc}.") from None
    if len(current(ctx)) >= MAX_NOTICES:
        raise Conflict(f"{MAX_NOTICES} notices are already published: withdraw one first.")
    op = keys.notice(notice["id"]).put(notice, expect=ABSENT, name="notice")
    try:
        audit.commit(ctx, [op], member=caller.id, action="notice.publish", case=None,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict(f"Notice {notice['id']} is already published.") from None
    return notice


def withdraw(ctx: Context, caller: Caller, notice_id: str) -> None:
    """``DELETE /v1/team/notices/{id}`` (admin). Raises Forbidden, NotFound."""
    caller.require_admin()
    if not ID.fullmatch(notice_id):
        raise Malformed("The notice id is not a valid n_ id.")
    key = keys.notice(notice_id)
    item = ctx.store.get(key)
    if item is None:
        raise NotFound("No such notice.")
    try:
        audit.commit(ctx, [key.delete(expect=item.version, name="notice")], member=caller.id,
                     action="notice.withdraw", case=None, request=caller.request)
    except ConditionFailed:
        raise NotFound("No such notice.") from None


def current(ctx: Context) -> list[Notice]:
    """``GET /v1/notices`` (anyone): the stored notices not yet expired, as
    stored. The server does not vouch for them: each reader verifies."""
    today = ctx.today().isoformat()
    stored = [item.data for item in ctx.store.query(keys.NOTICES)]
    return sorted((n for n in stored if str(n.get("expires", "")) >= today),
                  key=lambda n: (str(n.get("issued", "")), str(n.get("id", ""))))
