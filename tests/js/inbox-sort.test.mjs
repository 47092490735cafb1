// The inbox's urgency sort and filter, its "awaiting the team" filter and
// its due-soon reading of the deadlines (console/inbox-sort.ts, issue 12):
// pure functions over rows as the inbox keeps them in memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { awaitingTeam, dueState, matches, sortOf } from "../../frontend/src/console/inbox-sort.js";

const LEVELS = ["immediate", "soon", "normal"];
const row = (n, { urgency = "normal", last = null, received = "2026-11-01", ...summary } = {}) => ({
  summary: {
    id: `c_${String(n).padStart(22, "A")}`,
    status: "received",
    received,
    updated: received,
    assignee: null,
    access: [],
    acknowledge_by: "2026-12-20",
    feedback_by: "2027-03-01",
    overdue: false,
    report: { id: `b_${String(n).padStart(22, "R")}`, size: 4096 },
    ...summary,
  },
  fields: urgency === undefined ? null : { summary: `Report ${n}`, category: "other", urgency, text: `report ${n}` },
  last,
});
const NO_FILTER = { status: "", category: "", urgency: "", assignee: "", overdue: false, awaiting: false, words: [] };

test("sorting by urgency puts the questionnaire's most urgent level first, then newest", () => {
  const rows = [
    row(1, { urgency: "normal", received: "2026-11-03" }),
    row(2, { urgency: "", received: "2026-11-04" }),
    row(3, { urgency: "immediate", received: "2026-11-01" }),
    row(4, { urgency: "soon" }),
    row(5, { urgency: "immediate", received: "2026-11-02" }),
  ];
  rows.push({ ...row(6), fields: null });
  const order = rows.sort(sortOf("urgency", LEVELS)).map((r) => Number(r.summary.id.at(-1)));
  assert.deepEqual(order, [5, 3, 4, 1, 2, 6]);
  // Another order is untouched by the levels; an unknown one is newest first.
  assert.equal(sortOf("nonsense", LEVELS), sortOf("received_desc"));
});

test("the urgency filter and the awaiting-the-team filter keep only the matching rows", () => {
  const rows = [row(1, { urgency: "immediate", last: "team" }), row(2, { urgency: "soon", last: "reporter" }), row(3)];
  const keep = (f) => rows.filter((r) => matches(r, { ...NO_FILTER, ...f })).map((r) => r.summary.id.at(-1));
  assert.deepEqual(keep({}), ["1", "2", "3"]);
  assert.deepEqual(keep({ urgency: "immediate" }), ["1"]);
  assert.deepEqual(keep({ urgency: "soon" }), ["2"]);
  assert.deepEqual(keep({ awaiting: true }), ["2"]);
  assert.deepEqual(keep({ awaiting: true, urgency: "immediate" }), []);
  assert.equal(awaitingTeam(rows[0]), false);
  assert.equal(awaitingTeam(rows[2]), false);
});

test("due soon: acknowledgement within 2 days while received, feedback within 14 days while open", () => {
  const today = "2026-11-30";
  const due = (summary) => dueState(row(1, summary), today);
  assert.equal(due({ acknowledge_by: "2026-12-02" }), "acknowledge_soon");
  assert.equal(due({ acknowledge_by: "2026-11-30" }), "acknowledge_soon");
  assert.equal(due({ acknowledge_by: "2026-12-03" }), null);
  // Acknowledged: the acknowledge-by day no longer matters, the feedback-by day does.
  assert.equal(due({ status: "acknowledged", acknowledge_by: "2026-12-01" }), null);
  assert.equal(due({ status: "investigating", feedback_by: "2026-12-14" }), "feedback_soon");
  assert.equal(due({ status: "investigating", feedback_by: "2026-12-15" }), null);
  assert.equal(due({ status: "closed", feedback_by: "2026-12-01" }), null);
  assert.equal(due({ overdue: true, acknowledge_by: "2026-11-20" }), "overdue");
});
