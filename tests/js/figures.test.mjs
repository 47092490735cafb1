// lib/figures.ts: the dashboard's numbers against a scripted history of 200
// cases whose expected figures this test derives from the script itself
// (each case is made on time or late by construction, never by the
// deadline arithmetic under test), drills left out of every figure but
// their own count, the deadlines as the server computes them, and a
// drill's after-action score from its playbook ticks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  addMonths,
  computeFigures,
  deadlinesOf,
  median,
  monthRange,
  scoreDrill,
} from "../../frontend/src/lib/figures.js";
import { parsePlaybooks, progress } from "../../frontend/src/lib/playbook.js";

const read = (name) => JSON.parse(readFileSync(new URL(`../../frontend/${name}`, import.meta.url), "utf8"));
const CATEGORIES = read("questionnaire.json")
  .fields.find((f) => f.key === "category")
  .options.map((o) => o.value);
const RESOLUTIONS = ["substantiated", "unsubstantiated", "referred", "duplicate", "spam", "withdrawn"];
const TODAY = "2026-06-30";

const plusDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const pad = (n) => String(n).padStart(2, "0");
// Days to acknowledge: up to 7 is in time by the directive's definition; null is never.
const ACK_DELAYS = [0, 1, 2, 3, 5, 7, 9, 12, null];
// Days from acknowledgement to feedback: 3 calendar months are 89 to 92 days, so 80 is in time and 100 late.
const FEEDBACK_DELAYS = [10, 40, 80, 100, null];

/** The scripted history: case i's every fact follows from i, with what the figures must say of it. */
function history() {
  const cases = [];
  for (let i = 0; i < 200; i++) {
    const month = i % 12;
    const received = `2025-${pad(month + 1)}-${pad(1 + ((i * 7) % 28))}`;
    const ackDelay = ACK_DELAYS[i % ACK_DELAYS.length];
    const acknowledged = ackDelay === null ? null : plusDays(received, ackDelay);
    const fbDelay = acknowledged ? FEEDBACK_DELAYS[i % FEEDBACK_DELAYS.length] : null;
    const feedback = fbDelay === null ? null : plusDays(acknowledged, fbDelay);
    const closed = feedback !== null && i % 4 === 0;
    cases.push({
      facts: {
        id: `c_${String(i).padStart(22, "A")}`,
        category: CATEGORIES[(i * 5) % CATEGORIES.length],
        received,
        acknowledged,
        feedback,
        closed: closed ? feedback : null,
        status: closed ? "closed" : acknowledged ? "acknowledged" : "received",
        resolution: closed ? RESOLUTIONS[Math.floor(i / 4) % RESOLUTIONS.length] : null,
        drill: false,
      },
      month,
      ackDelay,
      fbDelay,
      closed,
    });
  }
  return cases;
}

// Drills far outside the history's months and in one category: any leak shows in months, volumes or counts.
const DRILLS = [0, 1, 2, 3, 4].map((i) => ({
  id: `c_${String(i).padStart(22, "D")}`,
  category: CATEGORIES[0],
  received: `2027-0${i + 1}-15`,
  acknowledged: null,
  feedback: null,
  closed: null,
  status: "received",
  resolution: null,
  drill: true,
}));

test("the figures of 200 scripted cases are the numbers the script made, and drills count only as drills", () => {
  const script = history();
  const figures = computeFigures([...DRILLS, ...script.map((s) => s.facts)], CATEGORIES, TODAY);
  assert.equal(figures.total, 200);
  assert.equal(figures.drills, 5);
  assert.deepEqual(
    figures.months,
    Array.from({ length: 12 }, (_, m) => `2025-${pad(m + 1)}`),
  );
  assert.deepEqual(figures.categories, CATEGORIES);
  for (const [c, category] of CATEGORIES.entries())
    for (let m = 0; m < 12; m++) {
      const made = script.filter((s) => s.facts.category === category && s.month === m).length;
      assert.equal(figures.volumes[c][m], made, `${category} in month ${m + 1}`);
    }
  const acked = script.filter((s) => s.ackDelay !== null);
  const sortedAck = acked.map((s) => s.ackDelay).sort((a, b) => a - b);
  assert.deepEqual(figures.acknowledge, {
    onTime: acked.filter((s) => s.ackDelay <= 7).length,
    late: acked.filter((s) => s.ackDelay > 7).length,
    missed: 200 - acked.length, // every deadline of the script has passed by TODAY
    pending: 0,
    medianDays: (sortedAck[sortedAck.length / 2 - 1] + sortedAck[sortedAck.length / 2]) / 2,
  });
  const fed = script.filter((s) => s.fbDelay !== null);
  assert.equal(figures.feedback.onTime, fed.filter((s) => s.fbDelay <= 80).length);
  assert.equal(figures.feedback.late, fed.filter((s) => s.fbDelay >= 100).length);
  assert.equal(figures.feedback.missed, script.filter((s) => s.fbDelay === null && !s.closed).length);
  assert.equal(figures.feedback.pending, 0);
  assert.equal(figures.closed, script.filter((s) => s.closed).length);
  assert.equal(figures.open, 200 - figures.closed);
  // Overdue: never acknowledged, or acknowledged and still open without feedback.
  assert.equal(figures.overdue, script.filter((s) => s.ackDelay === null || (s.fbDelay === null && !s.closed)).length);
  for (const r of RESOLUTIONS)
    assert.equal(figures.resolutions[r], script.filter((s) => s.closed && s.facts.resolution === r).length, r);
  assert.ok(
    Object.values(figures.resolutions).every((n) => n > 0),
    "the script closes cases of every resolution",
  );
  for (let m = 0; m < 12; m++) {
    const delays = script.filter((s) => s.month === m && s.ackDelay !== null).map((s) => s.ackDelay);
    assert.equal(figures.monthlyAcknowledgeDays[m], median(delays));
  }
});

test("cases still within their deadlines are pending, not missed", () => {
  const fresh = { ...history()[8].facts, received: "2026-06-28", acknowledged: null, feedback: null };
  const figures = computeFigures([fresh], CATEGORIES, TODAY);
  assert.deepEqual([figures.acknowledge.pending, figures.acknowledge.missed, figures.overdue], [1, 0, 0]);
  assert.equal(figures.acknowledge.medianDays, null);
});

test("a category the questionnaire lacks is listed after its categories", () => {
  const odd = { ...history()[0].facts, category: "zz_old" };
  assert.deepEqual(computeFigures([odd], CATEGORIES, TODAY).categories, [...CATEGORIES, "zz_old"]);
});

test("no cases: no months, zeros", () => {
  const figures = computeFigures(DRILLS, CATEGORIES, TODAY);
  assert.deepEqual([figures.months, figures.total, figures.drills, figures.open], [[], 0, 5, 0]);
});

test("deadlines are the server's: 7 days, then 3 calendar months clamped to the month's end", () => {
  assert.equal(addMonths("2025-11-30", 3), "2026-02-28");
  assert.equal(addMonths("2023-11-30", 3), "2024-02-29");
  assert.equal(addMonths("2025-10-31", 3), "2026-01-31");
  assert.deepEqual(monthRange("2025-11", "2026-02"), ["2025-11", "2025-12", "2026-01", "2026-02"]);
  const c = { received: "2026-01-26", acknowledged: null, feedback: null, status: "received" };
  assert.deepEqual(deadlinesOf(c, "2026-02-02"), {
    acknowledgeBy: "2026-02-02",
    feedbackBy: "2026-05-02",
    overdue: false,
  });
  assert.equal(deadlinesOf(c, "2026-02-03").overdue, true);
  const acked = { ...c, acknowledged: "2026-01-30" };
  assert.deepEqual(deadlinesOf(acked, "2026-04-30"), {
    acknowledgeBy: "2026-02-02",
    feedbackBy: "2026-04-30",
    overdue: false,
  });
  assert.equal(deadlinesOf(acked, "2026-05-01").overdue, true);
  assert.equal(deadlinesOf({ ...acked, status: "closed" }, "2026-05-01").overdue, false);
});

test("a drill's score: steps timed from its start, the acknowledgement in days, late steps named", () => {
  const books = parsePlaybooks(
    read("playbooks.json"),
    ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"],
    CATEGORIES,
  );
  const steps = books.playbooks.confidential_leak;
  const started = "2026-06-30T15:00:00Z";
  const startMs = Date.parse(started);
  const at = (step, extraMs) => new Date(startMs + step.hours * 3_600_000 + extraMs).toISOString().slice(0, 19) + "Z";
  // The first step ticked a minute before it fell due, the second an hour after; the rest not done.
  const ticks = [
    { step: steps[0], at: at(steps[0], -60_000) },
    { step: steps[1], at: at(steps[1], 3_600_000) },
  ];
  const notes = ticks.map((t, seq) => ({
    verdict: "ok",
    meta: { seq },
    doc: { member: "m_x", checklist: { v: 1, playbook: "confidential_leak", step: t.step.id, done: true, at: t.at } },
  }));
  const states = progress(books, "confidential_leak", "2026-06-30", notes, new Date(startMs + 3_600_000));
  const facts = { id: DRILLS[0].id, category: "confidential_leak", received: "2026-06-30", acknowledged: "2026-06-30" };
  const now = new Date(startMs + steps[2].hours * 3_600_000 + 1);
  const score = scoreDrill(facts, { scenario: "leak_roadmap", started }, states, now);
  assert.equal(score.acknowledgeDays, 0);
  assert.equal(score.acknowledgeLate, false);
  assert.equal(score.done, 2);
  assert.deepEqual(
    score.steps.slice(0, 3).map((s) => [s.id, s.done, s.late, s.overdue]),
    [
      [steps[0].id, true, false, false],
      [steps[1].id, true, true, false],
      [steps[2].id, false, false, true],
    ],
  );
  // Met: the acknowledgement and the first step, of 1 + every step.
  assert.equal(score.score, Math.round((100 * 2) / (steps.length + 1)));
  const unacked = scoreDrill(
    { ...facts, acknowledged: null },
    { scenario: "x", started },
    states,
    new Date("2026-07-08T00:00:00Z"),
  );
  assert.deepEqual([unacked.acknowledgeDays, unacked.acknowledgeLate], [null, true]);
});
