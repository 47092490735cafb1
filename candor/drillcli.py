"""``candor drill list|start``: practice the response (issue 16).

``list`` prints the scenario library; ``start`` files a drill of one
scenario as the admin whose key is given (candor/drill.py): the team then
works it in the console like any case, and its after-action summary shows
there. A drill never counts towards deadlines, the digest or the figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from candor import drill
from candor.output import emit_json, out, print_table
from candor.teamcli import common, group, run, session

COLUMNS = ("id", "category", "urgency", "summary")


def _library(args: argparse.Namespace) -> dict[str, object]:
    return drill.load_library(Path(args.scenarios)) if args.scenarios else drill.load_library()


def drill_list(args: argparse.Namespace) -> int:
    scenarios = _library(args)["scenarios"]
    assert isinstance(scenarios, list)
    rows = [(s["id"], s["category"], s["urgency"], s["answers"]["summary"].get(args.lang)
             or s["answers"]["summary"]["en"]) for s in scenarios]
    if args.json:
        emit_json([dict(zip(COLUMNS, r, strict=True)) for r in rows])
    else:
        print_table(COLUMNS, rows)
    return 0


def drill_start(args: argparse.Namespace) -> int:
    s = session(args)
    scenario = drill.scenario(_library(args), args.scenario)
    sub = drill.start(s.api, s.manifest, scenario, lang=args.lang, today=s.today())
    out.print(f"drill {scenario['id']} filed on {sub.answer['received']}: open it in the "
              "console's inbox (marked as a drill) and work its playbook", markup=False)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = group(sub, "drill", "practise the response with a synthetic case (admins)")
    p = cmd.add_parser("list", help="the drill scenarios")
    p.add_argument("--lang", default="en")
    p.add_argument("--scenarios", help="a scenario library (default: frontend/drills.json)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run(drill_list))
    p = cmd.add_parser("start", help="file a drill of one scenario (admins only)")
    common(p)
    p.add_argument("scenario", help="the scenario's id (candor drill list)")
    p.add_argument("--lang", default="en", help="the report's language (default en)")
    p.add_argument("--scenarios", help="a scenario library (default: frontend/drills.json)")
    p.set_defaults(func=run(drill_start))
