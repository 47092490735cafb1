"""``candor cases ack --all-new`` against ``candor serve`` (issue 16): each
new case gets its own acknowledgement, the template in its reporter's
language, which the reporter decrypts and verifies; a case the team already
answered is marked and not written to; run again, nothing is sent twice."""

from __future__ import annotations

import json
from pathlib import Path

from candor import teamops
from candor.client import ApiClient, HttpTransport
from candor.reporter import follow_up, submit
from tests.cli.test_team_cli import candor
from tests.support.live import LiveServer

FORM = {"category": "data_leak", "summary": "Roadmap on a forum", "details": "Seen today."}


def test_every_new_case_acknowledged_once_in_its_reporters_language(
    live_api: LiveServer, tmp_path: Path
) -> None:
    ada, grace, _ = live_api.team
    reporter = ApiClient(HttpTransport(live_api.url))
    submit(reporter, live_api.manifest, FORM)
    s = live_api.session(grace)
    (answered,) = (c["id"] for c in s.get("/v1/team/cases")["cases"])
    live_api.reply_as(grace, answered, "We are on it.")
    german = submit(reporter, live_api.manifest, FORM, lang="de")
    english = submit(reporter, live_api.manifest, FORM, lang="en")
    ids = [c["id"] for c in s.get("/v1/team/cases")["cases"]]

    done = candor(live_api, ada, "cases", "ack", "--all-new").stdout
    assert "3 acknowledged, 0 failed" in done
    assert done.count("acknowledgement sent") == 2
    assert f"{answered}: already answered: marked acknowledged" in done
    for case_id in ids:
        view = teamops.read_case(s, case_id)
        team = [m for m in view.messages if m.meta["from"] == "team"]
        assert len(team) == 1 and team[0].ok and view.case["status"] == "acknowledged"

    due = {teamops.read_case(s, i).case["feedback_by"] for i in ids if i != answered}
    for sub, opening, promise in ((german, "Vielen Dank", "Bis zum {} "), (english, "Thank you",
                                                                           "by {}.")):
        messages = follow_up(reporter, sub.receipt, live_api.manifest).read_messages(
            live_api.manifest)
        ((doc, ok),) = messages
        assert ok and doc["member"] == ada.member_id and doc["text"].startswith(opening)
        # Feedback promised by the day it is due now that the case is acknowledged.
        assert any(promise.format(day) in doc["text"] for day in due), doc["text"]

    again = candor(live_api, ada, "cases", "ack", "--all-new").stdout
    assert "0 acknowledged, 0 failed" in again
    assert sum(len(teamops.read_case(s, i).messages) for i in ids) == 3

    # Without an acknowledgement template nothing is read or sent.
    empty = tmp_path / "replies.json"
    empty.write_text(json.dumps({"v": 1, "replies": []}))
    refused = candor(live_api, ada, "cases", "ack", "--all-new", "--replies", str(empty), ok=False)
    assert "no acknowledgement template" in refused.stderr
