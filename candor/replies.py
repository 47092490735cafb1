"""Canned replies and acknowledging every new case: the twin of
frontend/src/lib/replies.ts for ``candor cases ack --all-new``.

The operator's ``frontend/replies.json`` holds reply templates per language;
an acknowledgement is the template with id ``acknowledge`` filled in the
reporter's language (the report's ``lang``, English when the template lacks
it), sent as its own signed message sealed to its own reporter and the team
(protocol §2.2, §2.3, §2.4), after which the case is marked acknowledged.
Each case is read afresh first, so a retry never writes to it twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from candor import teamops
from candor.client import ApiError
from chalicelib.domain.cases import add_months

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "frontend" / "replies.json"
ACKNOWLEDGE = "acknowledge"
PLACEHOLDERS = ("case", "received", "acknowledge_by", "feedback_by")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Step = Literal["send", "status", "none"]
WORDS = {"sent": "acknowledgement sent", "status": "already answered: marked acknowledged",
         "none": "no longer new: nothing sent", "failed": "failed"}


def load(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    """The reply templates as the build checked them (the build refuses a bad file)."""
    replies: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if replies.get("v") != 1 or not isinstance(replies.get("replies"), list):
        raise ValueError(f"{path}: not a v1 replies file")
    return replies


def acknowledgement(replies: Mapping[str, Any]) -> dict[str, Any] | None:
    """The template with id ``acknowledge``, if the operator kept one."""
    return next((r for r in replies["replies"] if r.get("id") == ACKNOWLEDGE), None)


def fill(reply: Mapping[str, Any], lang: str, case: Mapping[str, Any],
         today: date | None = None) -> tuple[str, str]:
    """The template's text in ``lang`` (English when missing), placeholders
    filled from the case: (language used, text), as fillReply. With
    ``today``, for a message acknowledging the case that day, feedback is
    due 3 months after it (protocol §4.4), as ackValues."""
    used = lang if lang in reply["text"] else "en"
    values = {"case": case["id"], **{k: case[k] for k in PLACEHOLDERS[1:]}}
    if today is not None and not case.get("acknowledged"):
        values["feedback_by"] = add_months(today, 3).isoformat()
    text = _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), str(reply["text"][used]))
    return used, text


# Reads of a case whose thread moves on while it is acknowledged, at most.
ACK_TRIES = 3


def ack_step(view: teamops.CaseView) -> Step:
    """Send an acknowledgement, only mark the case (the team wrote already),
    or nothing (not new any more): ackStep in replies.ts."""
    if view.case["status"] != "received":
        return "none"
    wrote = view.case.get("acknowledged") is not None or any(
        m.meta.get("from") == "team" for m in view.messages)
    return "status" if wrote else "send"


def acknowledge(s: teamops.Session, case_id: str, reply: Mapping[str, Any]) -> str:
    """Acknowledge one case: "sent", "status" (marked only) or "none". The
    acknowledgement is stored only after the messages read (``after``,
    protocol §4.4): when another console acknowledged meanwhile (or the
    reporter wrote), the case is read again, so no reporter gets two.
    Raises ApiError, TeamError (nothing is sent when the read fails)."""
    sent = False
    for _ in range(ACK_TRIES):
        view = teamops.read_case(s, case_id)
        step = ack_step(view)
        if step == "none":
            return "sent" if sent else "none"
        if step == "send":
            _, text = fill(reply, str(view.report.get("lang", "en")), view.case, s.today())
            try:
                teamops.write(s, view, "message", text, only_after=True)
            except ApiError as exc:
                if exc.code == "thread_moved":
                    continue  # a message came meanwhile: read the case again
                raise
            sent = True
        try:
            s.api.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "acknowledged"})
        except ApiError as exc:
            if exc.code == "conflict":
                continue  # the case changed meanwhile: read it again (our reply is in it)
            raise
        return "sent" if sent else "status"
    raise teamops.TeamError(f"case {case_id} kept changing while it was acknowledged: try again")


def acknowledge_all(s: teamops.Session, ids: Sequence[str], reply: Mapping[str, Any],
                    report: Callable[[str, str, str | None], None]) -> list[tuple[str, str]]:
    """Acknowledge each case in turn; a failure is reported (with why) and
    does not stop the others. Returns (case, outcome) in order, "failed"
    for those to try again."""
    outcomes = []
    for case_id in ids:
        try:
            outcome, why = acknowledge(s, case_id, reply), None
        except ApiError as exc:
            outcome, why = "failed", f"{exc.code}: {exc.message}"
        except teamops.TeamError as exc:
            outcome, why = "failed", str(exc)
        report(case_id, outcome, why)
        outcomes.append((case_id, outcome))
    return outcomes
