"""Drills (issue 16): a synthetic report from the operator's scenario
library (``frontend/drills.json``, built into the console too), filed by
an admin through the team filing route (protocol §4.4, "Filing") with the
plaintext ``drill`` flag, so deadlines, the digest and the figures leave it
out while the audit keeps it. Inside the sealed report the form carries
``drill`` (the scenario's id) and ``drill_started`` (UTC, to the second),
so the team reading it knows it is practice and the after-action summary
times the playbook from the start. lib/drill.ts is the console's twin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from candor.client import ApiClient
from candor.reporter import Submission, submit

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "frontend" / "drills.json"
# The questionnaire's free-text answers a scenario may give (frontend/questionnaire.json).
TEXT_FIELDS = ("summary", "details", "where", "when", "who", "how_learned", "actions_taken")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class ScenarioUnknown(ValueError):
    """No scenario of that id in the library."""


def load_library(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    """The scenario library, shape-checked (the build checks it fully:
    languages and categories). Raises ValueError."""
    try:
        library = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the drill scenarios {path}: {exc}") from None
    scenarios = library.get("scenarios") if isinstance(library, dict) else None
    if library.get("v") != 1 or not isinstance(scenarios, list) or not scenarios:
        raise ValueError(f'{path}: must be {{"v": 1, "scenarios": [...]}}')
    for s in scenarios:
        if not isinstance(s, dict) or not _ID.fullmatch(str(s.get("id"))):
            raise ValueError(f"{path}: a scenario without a valid id")
        answers = s.get("answers")
        if not isinstance(answers, dict) or "summary" not in answers or {*answers} - {*TEXT_FIELDS}:
            fields = ", ".join(TEXT_FIELDS)
            raise ValueError(f"{path}: {s['id']}: answers must be texts of {fields}")
    return dict(library)


def scenario(library: Mapping[str, Any], scenario_id: str) -> dict[str, Any]:
    """Raises ScenarioUnknown."""
    for s in library["scenarios"]:
        if s["id"] == scenario_id:
            return dict(s)
    raise ScenarioUnknown(f"no drill scenario {scenario_id!r}")


_STARTED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", re.ASCII)


def is_scenario_id(value: object) -> bool:
    """A scenario id: lower-case letters, digits and _, starting with a letter, at most 60."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def drill_of(form: Mapping[str, Any]) -> str | None:
    """The scenario of a report form's drill mark (``drill`` and
    ``drill_started``, as lib/drill.ts drillOf); None for a real report or
    a malformed mark."""
    scenario, started = form.get("drill"), form.get("drill_started")
    if not is_scenario_id(scenario) or not isinstance(started, str):
        return None
    if not _STARTED.fullmatch(started):
        return None
    try:
        datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return str(scenario)


def drill_form(s: Mapping[str, Any], lang: str, started: datetime) -> dict[str, str]:
    """The report's answers in ``lang`` (English where the scenario lacks
    it), marked as a drill of ``s`` started at ``started``."""
    form = {"category": s["category"], "urgency": s["urgency"], "ongoing": s["ongoing"]}
    for key, texts in s["answers"].items():
        form[key] = texts.get(lang) or texts["en"]
    form["drill"] = s["id"]
    form["drill_started"] = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return form


def start(
    api: ApiClient, manifest: Mapping[str, Any], s: Mapping[str, Any], *,
    lang: str = "en", today: date | None = None, now: datetime | None = None,
) -> Submission:
    """File a drill of scenario ``s`` as the admin of ``api``: sealed as the
    page seals a report, with source ``drill`` and the plaintext flag. The
    server refuses (403) a member who is not an admin."""
    started = now or datetime.now(UTC)
    form = drill_form(s, lang, started)
    return submit(api, manifest, form, lang=lang, today=today or started.date(),
                  filed={"source": "drill", "drill": True})
