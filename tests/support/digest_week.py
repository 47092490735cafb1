"""A scripted week for the team's daily digest (issue 12).

Reports, reporter messages and team answers happen at set hours; the
scheduled job runs every hour at half past, twice in the digest's hour, as
Lambda or ``candor serve`` would. ``EXPECTED`` is what each day's digest
must count, worked out by hand below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from candor import teamops
from candor.receipt import Receipt
from candor.reporter import follow_up, submit
from chalicelib.config import Digest
from chalicelib.domain import notify
from tests.support.team import Api

DAY, HOUR = 86400, 3600
SCHEDULE = Digest(hour=9, zone="Europe/Berlin")
CATEGORY = "harassment"
SECRET = "the finance director's second ledger"
LABELS = {
    "New reports since the last digest": "new",
    "Reporter messages waiting for an answer": "awaiting",
    f"Acknowledgements due within {notify.ACKNOWLEDGE_SOON_DAYS} days or overdue": "acknowledge",
    f"Feedback due within {notify.FEEDBACK_SOON_DAYS} days or overdue": "feedback",
}

# The manifest (valid 90 days from the day the tests started) expires
# during the second week, so every digest warns of it.
# Day 0 is 80 days after case X was received and acknowledged, so X's
# feedback (3 months after) falls due within 14 days; the other cases'
# acknowledgement is due on day 7 (received day 0) or day 11 (E, day 4).
# The digest goes out at 09:30 Europe/Berlin, 07:30 or 08:30 UTC.
#   day 0: first digest counts every case: X, A (03:30), B (07:30)
#   day 1: C (10:30) and D (23:30) were received on day 0, after the digest;
#          A's reporter wrote at 05:30
#   day 2: the team answered A at 12:30; B's reporter wrote twice at 06:30, 07:30
#   day 3: the same
#   day 4: E at 02:30; X's feedback was given at 14:30 on day 3
#   day 5: B, C and D have their acknowledgement due on day 7: within 2 days
#   day 6: X's reporter wrote at 20:30 on day 5
EXPECTED = [
    {"new": 3, "awaiting": 0, "acknowledge": 0, "feedback": 1},
    {"new": 2, "awaiting": 1, "acknowledge": 0, "feedback": 1},
    {"new": 0, "awaiting": 1, "acknowledge": 0, "feedback": 1},
    {"new": 0, "awaiting": 1, "acknowledge": 0, "feedback": 1},
    {"new": 1, "awaiting": 1, "acknowledge": 0, "feedback": 0},
    {"new": 0, "awaiting": 1, "acknowledge": 3, "feedback": 0},
    {"new": 0, "awaiting": 2, "acknowledge": 3, "feedback": 0},
]


@dataclass
class Week:
    """What the script did: when each digest went out and every secret."""

    api: Api
    sent_at: list[datetime] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    case_ids: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.api.ctx.clock()

    def report(self, name: str) -> None:
        before = {c.sk for c in self.api.store.query("cases")}
        form = {"category": CATEGORY, "summary": f"{SECRET} ({name})"}
        sub = submit(self.api.anonymous, self.api.team.manifest, form,
                     today=self.api.ctx.today())
        [self.case_ids[name]] = {c.sk for c in self.api.store.query("cases")} - before
        self.receipts[name] = sub.receipt

    def reporter_writes(self, name: str) -> None:
        visit = follow_up(self.api.anonymous, self.receipts[name], self.api.team.manifest)
        visit.send(f"{SECRET}: more from {name}", today=self.api.ctx.today())
        self.receipts[name] = visit.receipt

    def team_answers(self, name: str) -> None:
        ada = self.api.team.admin
        s = teamops.Session(self.api.as_member(ada), ada.key, self.api.team.manifest,
                            today=self.api.ctx.today)
        teamops.write(s, teamops.read_case(s, self.case_ids[name]), "message", "Noted.")


EVENTS: dict[tuple[int, int], Callable[[Week], None]] = {
    (0, 3): lambda w: w.report("A"),
    (0, 7): lambda w: w.report("B"),
    (0, 10): lambda w: w.report("C"),
    (0, 23): lambda w: w.report("D"),
    (1, 5): lambda w: w.reporter_writes("A"),
    (1, 12): lambda w: w.team_answers("A"),
    (2, 6): lambda w: w.reporter_writes("B"),
    (2, 7): lambda w: w.reporter_writes("B"),
    (3, 14): lambda w: w.team_answers("X"),
    (4, 2): lambda w: w.report("E"),
    (5, 20): lambda w: w.reporter_writes("X"),
}


def play(api: Api, publish: Callable[[str, str], None]) -> Week:
    """Run the week from the next midnight UTC, 80 days after case X."""
    week = Week(api)
    api.clock.now = float(-(-int(api.clock.now) // DAY) * DAY) + 10 * HOUR
    week.report("X")
    week.team_answers("X")  # acknowledged the day it came in
    start = api.clock.now - 10 * HOUR + 80 * DAY

    def recorded(subject: str, text: str) -> None:
        week.sent_at.append(week.now())
        week.texts.append(text)
        publish(subject, text)

    for hour in range(7 * 24):
        api.clock.now = start + hour * HOUR + 30 * 60
        if (action := EVENTS.get(divmod(hour, 24))) is not None:
            action(week)
        for _ in range(2 if week.now().astimezone(SCHEDULE.tz()).hour == SCHEDULE.hour else 1):
            notify.run(api.ctx, recorded, SCHEDULE)
    return week


def counts_of(text: str) -> dict[str, int]:
    """The counts of a digest; fails on any line that is not a known one."""
    lines = text.rstrip("\n").split("\n")
    assert lines[:2] == [
        "Candor daily digest: counts only. Open the review console to read the cases.", ""]
    manifest = re.fullmatch(r"Team manifest: expires in (\d+) days? \(\d{4}-\d\d-\d\d\): "
                            r"an admin must renew it \(candor manifest renew\)\.", lines[-1])
    assert manifest, lines[-1]
    found = {"manifest": int(manifest[1])}
    for line in lines[2:-1]:
        label, _, count = line.rpartition(": ")
        assert label in LABELS and count.isdigit(), line
        found[LABELS[label]] = int(count)
    return found


def check_sent(week: Week, texts: list[str]) -> None:
    """One digest a day, in the digest's hour, with the expected counts and
    nothing else: no case id, no content, no category, no time of day."""
    assert [t.astimezone(SCHEDULE.tz()).hour for t in week.sent_at] == [SCHEDULE.hour] * 7
    assert len({t.date() for t in week.sent_at}) == 7
    # The manifest (90 days at most) issued on the day the tests started
    # expires in the week's second week.
    expires = date.fromisoformat(week.api.team.manifest["expires"])
    expected = [{**counts, "manifest": (expires - at.date()).days}
                for counts, at in zip(EXPECTED, week.sent_at, strict=True)]
    assert [counts_of(t) for t in texts] == expected
    assert all(0 < n["manifest"] <= notify.EXPIRY_WARN_DAYS for n in expected)
    for text in texts:
        for needle in [*week.case_ids.values(), SECRET, CATEGORY, "ledger"]:
            assert needle not in text
        assert not re.search(r"\d:\d\d|\b(am|pm|UTC|GMT)\b|o'clock", text, re.IGNORECASE)
