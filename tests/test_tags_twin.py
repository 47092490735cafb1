"""The Python and browser twins agree (protocol §2.2 "Tags and links",
§4.4 "Inbox index"): the same tag lists are well formed for
candor/inboxindex.py and lib/case-meta.ts, so an index entry one writes the
other keeps; candor/drill.py and lib/drill.ts read the same drill mark in
a report's form (what an entry's ``drill`` keeps); and candor/replies.py
fills an acknowledgement exactly as
lib/replies.ts does, in the reporter's language, English otherwise, with
feedback due 3 months after the day it acknowledges."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from candor import drill, inboxindex, replies

ROOT = Path(__file__).resolve().parents[1]

TAG_LISTS: list[Any] = [
    [], ["leak"], ["leak", "roadmap"], ["press office"], ["ünïcødé", "العربية"], ["x" * 40],
    [f"t{i}" for i in range(20)],
    ["leak", "leak"], [""], [" leak"], ["leak "], ["x" * 41], ["a,b"], ["a\u202eb"], ["a\nb"],
    ["a\u0085b"], [f"t{i}" for i in range(21)], "leak", [1], None, ["leak\n"],
]
MARK = {"drill": "confidential_leak_roadmap", "drill_started": "2026-11-29T09:15:00Z"}
FORMS: list[dict[str, str]] = [
    MARK, {**MARK, "summary": "x"},
    {"drill": "phishing_it_desk", "drill_started": "2028-02-29T23:59:59Z"},
    {"drill": "confidential_leak_roadmap"}, {"drill_started": MARK["drill_started"]}, {},
    {**MARK, "drill": "Not_an_id"}, {**MARK, "drill": "x" * 61}, {**MARK, "drill": ""},
    {**MARK, "drill_started": "2026-11-29T09:15:00"},
    {**MARK, "drill_started": "2026-11-29 09:15:00Z"},
    {**MARK, "drill_started": "2026-02-30T09:15:00Z"},
    {**MARK, "drill_started": "2026-11-29T24:00:00Z"},
    {**MARK, "drill_started": "2026-11-29T09:60:00Z"},
    {**MARK, "drill_started": "2027-02-29T00:00:00Z"},
    {**MARK, "drill_started": "2026-11-29T09:15:00.000Z"},
    {**MARK, "drill": "confidential_leak_roadmap\n"},
    {**MARK, "drill_started": "2026-11-29T09:15:00Z\n"},
    {**MARK, "drill_started": "0000-01-01T00:00:00Z"},
    {**MARK, "drill_started": "2026-11-29T09:15:0\u0661Z"},
]
CASE = {"id": "c_" + "A" * 22, "received": "2026-11-25", "acknowledge_by": "2026-12-02",
        "feedback_by": "2027-03-02", "acknowledged": None}

JS = """
import { readFileSync } from "node:fs";
import { isTagList } from "./frontend/src/lib/case-meta.ts";
import { ackValues, fillReply, parseReplies } from "./frontend/src/lib/replies.ts";
import { drillOf } from "./frontend/src/lib/drill.ts";
const input = JSON.parse(readFileSync(0, "utf8"));
const raw = JSON.parse(readFileSync("frontend/replies.json", "utf8"));
const ack = parseReplies(raw, ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"]).replies
  .find((r) => r.id === "acknowledge");
console.log(JSON.stringify({
  tags: input.lists.map((l) => isTagList(l)),
  drills: input.forms.map((f) => drillOf(f)?.scenario ?? null),
  filled: input.langs.map((lang) => fillReply(ack, lang, ackValues(input.case, input.today))),
}));
"""


def test_python_and_browser_agree_on_tags_drill_marks_and_acknowledgements() -> None:
    langs = ["de", "en", "pl"]
    result = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", JS],
        input=json.dumps({"lists": TAG_LISTS, "forms": FORMS, "langs": langs, "case": CASE,
                          "today": "2026-11-30"}),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    js = json.loads(result.stdout)
    assert js["tags"] == [inboxindex.is_tag_list(t) for t in TAG_LISTS]
    assert js["tags"][:7] == [True] * 7 and not any(js["tags"][7:])
    assert js["drills"] == [drill.drill_of(f) for f in FORMS]
    assert js["drills"][:3] == [MARK["drill"], MARK["drill"], "phishing_it_desk"]
    assert not any(js["drills"][3:])
    ack = replies.acknowledgement(replies.load())
    assert ack is not None
    py = [dict(zip(("lang", "text"), replies.fill(ack, lang, CASE, date(2026, 11, 30)),
                   strict=True)) for lang in langs]
    assert js["filled"] == py
    assert [f["lang"] for f in py] == ["de", "en", "en"]
    assert "Bis zum 2027-02-28 " in py[0]["text"]
