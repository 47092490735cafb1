"""The Python and browser twins agree (protocol §2.2 "Tags and links",
§4.4 "Inbox index"): the same tag lists are well formed for
candor/inboxindex.py and lib/case-meta.ts, so an index entry one writes the
other keeps; and candor/replies.py fills an acknowledgement exactly as
lib/replies.ts does, in the reporter's language, English otherwise, with
feedback due 3 months after the day it acknowledges."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from candor import inboxindex, replies

ROOT = Path(__file__).resolve().parents[1]

TAG_LISTS: list[Any] = [
    [], ["leak"], ["leak", "roadmap"], ["press office"], ["ünïcødé", "العربية"], ["x" * 40],
    [f"t{i}" for i in range(20)],
    ["leak", "leak"], [""], [" leak"], ["leak "], ["x" * 41], ["a,b"], ["a\u202eb"], ["a\nb"],
    ["a\u0085b"], [f"t{i}" for i in range(21)], "leak", [1], None,
]
CASE = {"id": "c_" + "A" * 22, "received": "2026-11-25", "acknowledge_by": "2026-12-02",
        "feedback_by": "2027-03-02", "acknowledged": None}

JS = """
import { readFileSync } from "node:fs";
import { isTagList } from "./frontend/src/lib/case-meta.ts";
import { ackValues, fillReply, parseReplies } from "./frontend/src/lib/replies.ts";
const input = JSON.parse(readFileSync(0, "utf8"));
const raw = JSON.parse(readFileSync("frontend/replies.json", "utf8"));
const ack = parseReplies(raw, ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"]).replies
  .find((r) => r.id === "acknowledge");
console.log(JSON.stringify({
  tags: input.lists.map((l) => isTagList(l)),
  filled: input.langs.map((lang) => fillReply(ack, lang, ackValues(input.case, input.today))),
}));
"""


def test_python_and_browser_agree_on_tags_and_acknowledgements() -> None:
    langs = ["de", "en", "pl"]
    result = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", JS],
        input=json.dumps({"lists": TAG_LISTS, "langs": langs, "case": CASE,
                          "today": "2026-11-30"}),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    js = json.loads(result.stdout)
    assert js["tags"] == [inboxindex.is_tag_list(t) for t in TAG_LISTS]
    assert js["tags"][:7] == [True] * 7 and not any(js["tags"][7:])
    ack = replies.acknowledgement(replies.load())
    assert ack is not None
    py = [dict(zip(("lang", "text"), replies.fill(ack, lang, CASE, date(2026, 11, 30)),
                   strict=True)) for lang in langs]
    assert js["filled"] == py
    assert [f["lang"] for f in py] == ["de", "en", "en"]
    assert "Bis zum 2027-02-28 " in py[0]["text"]
