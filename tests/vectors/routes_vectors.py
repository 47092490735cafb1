"""manifest-routes.json: a manifest's optional `routes` (protocol §4.5,
Routes), who a report of each category is sealed to, which categories an
`access` list fits, and who counts as excluded.

Imported by generate_vectors.py, or run alone:
    .venv/bin/python tests/vectors/routes_vectors.py
`routed` follows `v1` (manifest.json's v1); each `invalid` candidate must
fail as v1's successor (Python's reason is informative only). Ids are the
people's member ids in manifest.json.
"""

from datetime import date
from typing import Any

import generate_vectors as gv

from candor import roster
from chalicelib import manifest as mf

ROUTES = {
    "harassment": ["carol"],
    "account_compromised": ["dave", "carol"],
    "confidential_leak": ["dave"],
}
STRANGER = "m_" + "Z" * 20


def _ids(*people: str) -> list[str]:
    return [gv._member_id(p) for p in people]


def _successor(members: list[Any], routes: Any) -> Any:
    unsigned = gv._manifest(2, "2026-03-01", members, 1, routes=routes)
    return gv._signed(unsigned, ("alice", 1))


def _invalid(members: list[Any], removed: list[Any], intake: list[Any]) -> list[dict[str, Any]]:
    carol, dave = _ids("carol", "dave")
    many = {f"c{i}": [dave] for i in range(65)}
    cases = [
        ("empty routes", "routes names 1 to 64 categories", members, {}),
        ("routes not an object", "routes is an object", members, [["harassment", [carol]]]),
        ("too many routes", "at most 64 categories", members, many),
        ("upper-case category", "category ids are a-z, 0-9, _", members, {"Harassment": [carol]}),
        ("empty category", "category ids are 1 to 64 characters", members, {"": [carol]}),
        ("route not a list", "a route is a list of member ids", members, {"harassment": carol}),
        ("empty route", "a route names someone", members, {"harassment": []}),
        ("member twice", "a route names each member once", members,
         {"harassment": [carol, carol]}),
        ("unknown member", "a route names members of the manifest", members,
         {"harassment": [STRANGER]}),
        ("removed member", "a route names current members only", removed,
         {"harassment": [carol]}),
        ("intake member", "a route never names an intake member", intake,
         {"harassment": [dave]}),
    ]  # fmt: skip
    return [{"name": name, "why": why, "candidate": _successor(m, routes)}
            for name, why, m, routes in cases]  # fmt: skip


def _cases(routed: Any) -> dict[str, Any]:
    categories = [None, "other", "harassment", "account_compromised", "confidential_leak"]
    readers = [{"category": c, "readers": mf.route_readers(routed, c)} for c in categories]
    accesses = [_ids("alice", "bob", "carol"), _ids("alice"), _ids("alice", "carol", "dave"),
                _ids("alice", "carol"), _ids("bob", "dave", "carol"), [STRANGER]]  # fmt: skip
    fitting = [{"access": a, "fitting": mf.routes_fitting(routed, a),
                "submission_exclusions": sorted(mf.submission_exclusions(routed, a))}
               for a in accesses]  # fmt: skip
    exclusions = [{"access": a, "category": c,
                   "reporter_exclusions": sorted(mf.reporter_exclusions(routed, a, c))}
                  for a in accesses[:4] for c in ("harassment", "other")]  # fmt: skip
    return {"readers": readers, "fitting": fitting, "exclusions": exclusions}


def generate() -> None:
    chain = gv._valid_chain()
    v1 = chain["v1"]
    members = [*v1["members"], gv._entry("dave")]
    removed = [*v1["members"][:2], mf.remove_member_entry(v1["members"][2]), gv._entry("dave")]
    routes = {c: _ids(*people) for c, people in ROUTES.items()}
    routed = _successor(members, routes)
    today = date.fromisoformat(gv.TODAY)
    mf.verify_next_manifest(v1, routed, today)
    intake = [*v1["members"], gv._entry("dave", role="intake")]
    invalid = _invalid(members, removed, intake)
    for case in invalid:
        reason = gv._reason(lambda c=case: mf.verify_next_manifest(v1, c["candidate"], today))
        assert reason is not None, case["name"]
        case["python_reason"] = reason
    removal = [*routed["members"][:2], mf.remove_member_entry(routed["members"][2]),
               routed["members"][3]]
    kept = {"members": removal, "routes": routed["routes"],
            "kept": roster.kept_routes(routed["routes"], removal)}
    unrouted = {"readers": mf.route_readers(v1, "harassment"),
                "fitting": mf.routes_fitting(v1, _ids("alice"))}  # fmt: skip
    # An intake member files reports and reads none (protocol §4.5, Roles).
    with_intake = gv._signed(gv._manifest(2, "2026-03-01", intake, 1), ("alice", 1))
    mf.verify_next_manifest(v1, with_intake, today)
    intake_case = {"manifest": with_intake, "readers": mf.route_readers(with_intake, None),
                   "fitting": mf.routes_fitting(with_intake, _ids("alice", "dave"))}
    gv._write("manifest-routes.json", {
        "description": "protocol §4.5, Routes. routed is a valid successor of v1 with "
        "routes; each invalid candidate must fail as v1's successor. readers: who a "
        "report of the category is sealed to before exclusions (category null: none "
        "given). fitting: the categories (null: any without a route) whose readers hold "
        "access, and the union of what access lacks under each (what the server records "
        "as excluded). exclusions: the category's readers that access lacks. unrouted: "
        "v1 (no routes) for category harassment and access [alice]. kept: the routes the "
        "next version built from members keeps (carol removed). intake: a successor "
        "of v1 where dave is an intake member, who reads no report (readers without "
        "routes), so an access naming dave fits nothing. Order matters in "
        "readers (manifest order) and fitting (null, then categories sorted). "
        "python_reason is informative only.",
        "today": gv.TODAY, "v1": v1, "routed": routed, "invalid": invalid,
        **_cases(routed), "unrouted": unrouted, "kept": kept, "intake": intake_case,
    })  # fmt: skip


if __name__ == "__main__":
    generate()
