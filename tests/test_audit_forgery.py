"""Random audit chains, forged as a compromised server could (protocol §4.6,
issue 13 finding 1): an entry saying another action or case than its signed
request, a signed request recorded twice, entries relinked in another order,
an unsigned entry the protocol does not name. candor/audit.py refuses every
one and accepts the honest chain it was made from; the same chains go to the
browser's verifier (tests/test_audit_forgery_js.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.audit import verify_entries
from chalicelib.b64 import b64u_encode
from chalicelib.domain.audit import GENESIS, TABLE, entry_hash
from chalicelib.httpsig import canonical_query, sign_request

T0 = 1780000000
SEEDS = [hashlib.sha256(f"forgery member {i}".encode()).digest() for i in range(2)]
MEMBERS = ["m_" + b64u_encode(bytes([40 + i]) * 15) for i in range(2)]
CASES = ["c_" + b64u_encode(bytes([60 + i]) * 16) for i in range(3)]
BLOB = "b_" + b64u_encode(bytes([70]) * 16)
NOTICE = "n_" + b64u_encode(bytes([78]) * 16)
ACTIONS = sorted({r["action"] for r in TABLE["routes"]})


def _public(seed: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return b64u_encode(raw)


MANIFEST = {"members": [{"id": m, "signing_key": _public(s), "old_signing_keys": []}
                        for m, s in zip(MEMBERS, SEEDS, strict=True)]}


@dataclass(frozen=True)
class Step:
    """One honest action: a route of the table (None: a retention purge)."""

    route: int | None
    signer: int
    case: int
    target: int  # the member a member route names


def _day_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed_entry(step: Step, n: int) -> dict[str, Any]:
    route = TABLE["routes"][step.route or 0]
    signer, case = MEMBERS[step.signer], CASES[step.case]
    target = signer if route.get("self") else MEMBERS[step.target]
    path = route["path"].format(case=case, blob=BLOB, member=target, notice=NOTICE)
    query = {"cases": f"{case},{CASES[(step.case + 1) % 3]}"} if route["query"] else {}
    created = T0 + 10 * n
    headers = sign_request(route["method"], path, query, b"{}", member_id=signer,
                           seed=SEEDS[step.signer], created=created,
                           nonce=b64u_encode(hashlib.sha256(f"nonce {n}".encode()).digest()[:16]))
    request = {"@method": route["method"], "@path": path, "@query": canonical_query(query),
               "Content-Digest": headers.get("Content-Digest"),
               "Signature-Input": headers["Signature-Input"], "Signature": headers["Signature"]}
    return {"seq": n, "prev": "", "day_time": _day_time(created), "member": signer,
            "action": route["action"], "case": case if "{case}" in route["path"] else None,
            "request": request}


def _entry(step: Step, n: int) -> dict[str, Any]:
    if step.route is None:
        return {"seq": n, "prev": "", "day_time": _day_time(T0 + 10 * n), "member": None,
                "action": "case.purge", "case": CASES[step.case], "request": None}
    return _signed_entry(step, n)


def link(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Renumber and rehash, as a server rewriting the chain would."""
    out, prev = [], GENESIS
    for seq, entry in enumerate(entries, start=1):
        out.append({**entry, "seq": seq, "prev": prev})
        prev = entry_hash(out[-1])
    return out


steps = st.builds(Step, st.one_of(st.none(), st.integers(0, len(TABLE["routes"]) - 1)),
                  st.integers(0, 1), st.integers(0, 2), st.integers(0, 1))


@st.composite
def honest_chains(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Version 1 of the manifest first (``candor init``), then member actions
    and retention purges, ten seconds apart."""
    first = {"seq": 1, "prev": "", "day_time": _day_time(T0), "member": None,
             "action": "manifest.publish", "case": None, "request": None}
    chosen = draw(st.lists(steps, min_size=1, max_size=6))
    return link([first, *(_entry(s, n) for n, s in enumerate(chosen, start=2))])


def _signed_at(draw: st.DrawFn, chain: list[dict[str, Any]]) -> int | None:
    signed = [i for i, e in enumerate(chain) if e["request"] is not None]
    return draw(st.sampled_from(signed)) if signed else None


def forge(draw: st.DrawFn, chain: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """A signed entry made to say another action or case."""
    at = _signed_at(draw, chain)
    if at is None:
        return None
    said = (chain[at]["action"], chain[at]["case"])
    other = draw(st.tuples(st.sampled_from(ACTIONS), st.sampled_from([None, *CASES]))
                 .filter(lambda pair: pair != said))
    chain[at] = {**chain[at], "action": other[0], "case": other[1]}
    return link(chain) if draw(st.booleans()) else chain


def duplicate(draw: st.DrawFn, chain: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """A signed request recorded a second time, anywhere after the first."""
    at = _signed_at(draw, chain)
    if at is None:
        return None
    where = draw(st.integers(at + 1, len(chain)))
    return link([*chain[:where], chain[at], *chain[where:]])


def reorder(draw: st.DrawFn, chain: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The same entries in another order, relinked or not."""
    if len(chain) < 2:
        return None
    order = draw(st.permutations(range(len(chain))).filter(lambda p: list(p) != sorted(p)))
    moved = [chain[i] for i in order]
    return link(moved) if draw(st.booleans()) else moved


UNSIGNED = [
    *((action, case) for action in ACTIONS if action not in ("case.purge", "manifest.publish")
      for case in (None, CASES[0])),
    ("case.purge", None), ("case.purge", MEMBERS[0]), ("manifest.publish", CASES[0]),
]


def unsigned(draw: st.DrawFn, chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An entry with member and request null that the protocol does not name
    (manifest.publish is named only as the first entry)."""
    late_publish = draw(st.booleans())
    action, case = ("manifest.publish", None) if late_publish else draw(st.sampled_from(UNSIGNED))
    where = draw(st.integers(1 if late_publish else 0, len(chain)))
    before = chain[where - 1]["day_time"] if where else _day_time(T0)
    forged = {"seq": 0, "prev": "", "day_time": before, "member": None, "action": action,
              "case": case, "request": None}
    return link([*chain[:where], forged, *chain[where:]])


FORGERIES: dict[str, Callable[[st.DrawFn, list[dict[str, Any]]], list[dict[str, Any]] | None]] = {
    "forged": forge, "duplicated": duplicate, "reordered": reorder, "unsigned": unsigned,
}


@st.composite
def forged_chains(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(kind, honest chain, the chain after one or more forgeries)."""
    honest = draw(honest_chains())
    kinds = draw(st.lists(st.sampled_from(sorted(FORGERIES)), min_size=1, max_size=3))
    chain = list(honest)
    applied: list[str] = []
    for kind in kinds:
        changed = FORGERIES[kind](draw, list(chain))
        if changed is not None:
            chain, applied = changed, [*applied, kind]
    if chain == honest:  # nothing to misuse, too short to reorder, or reordered back
        chain, applied = unsigned(draw, chain), ["unsigned"]
    return "+".join(applied), honest, chain


@settings(max_examples=150, deadline=None)
@given(forged_chains())
def test_every_forged_chain_is_refused(case: tuple[str, Any, Any]) -> None:
    kind, honest, forged = case
    assert verify_entries(honest, MANIFEST).problems == []
    assert verify_entries(forged, MANIFEST).problems != [], kind
