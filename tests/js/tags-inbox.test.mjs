// The inbox's tag filter and a drill's deadlines (console/inbox-sort.ts):
// a tag filter keeps only rows that carry the tag (rows whose tags are not
// known yet are left out), the search words match tags too, and a drill is
// never overdue or due soon, so the overdue filter leaves it out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { drillState, dueState, isDrill, isOverdue, matches, sourceOf } from "../../frontend/src/console/inbox-sort.js";

const NO_FILTER = { status: "", category: "", urgency: "", assignee: "", overdue: false, awaiting: false, words: [] };
const row = (n, tags, summary = {}) => ({
  summary: {
    id: `c_${String(n).padStart(22, "A")}`,
    status: "received",
    received: "2026-11-01",
    updated: "2026-11-01",
    assignee: null,
    access: [],
    acknowledge_by: "2026-11-08",
    feedback_by: "2027-02-01",
    overdue: false,
    report: { id: `b_${String(n).padStart(22, "R")}`, size: 4096 },
    ...summary,
  },
  fields: { summary: `Report ${n}`, category: "other", urgency: "normal", text: `report ${n}`, drill: "" },
  last: null,
  tags,
});

test("the tag filter keeps the rows carrying the tag, and the search words match tags", () => {
  const rows = [row(1, ["leak", "roadmap"]), row(2, ["phishing"]), row(3, null), row(4, [])];
  const shown = (filters) => rows.filter((r) => matches(r, { ...NO_FILTER, ...filters })).map((r) => r.summary.id);
  assert.deepEqual(shown({ tag: "leak" }), [rows[0].summary.id]);
  assert.deepEqual(shown({ tag: "" }).length, 4);
  assert.deepEqual(shown({ tag: "nothing" }), []);
  assert.deepEqual(shown({ words: ["road"] }), [rows[0].summary.id]);
  assert.deepEqual(shown({ words: ["phish", "report"] }), [rows[1].summary.id]);
});

test("a drill is never overdue or due soon here, and the overdue filter leaves it out", () => {
  const late = { overdue: true, acknowledge_by: "2026-11-08" };
  const marked = (r) => ({ ...r, fields: { ...r.fields, drill: "confidential_leak_roadmap" } });
  const drill = marked(row(1, [], { ...late, drill: true }));
  const real = row(2, [], late);
  assert.equal(isDrill(drill), true);
  assert.equal(isDrill(real), false);
  assert.equal(isDrill(marked(row(3, [], { drill: "true" }))), false);
  assert.equal(dueState(drill, "2026-11-30"), null);
  assert.equal(dueState(real, "2026-11-30"), "overdue");
  const soon = marked(row(4, [], { drill: true, acknowledge_by: "2026-12-01" }));
  assert.equal(dueState(soon, "2026-11-30"), null);
  assert.deepEqual(
    [drill, real].filter((r) => matches(r, { ...NO_FILTER, overdue: true })).map((r) => r.summary.id),
    [real.summary.id],
  );
});

test("a drill needs the sealed mark too: the listing's flag alone makes a mismatch, worked as real", () => {
  // The server flags a real report as a drill, and so reports it not overdue (protocol §4.4).
  const flagged = row(1, [], { drill: true, overdue: false, acknowledge_by: "2026-11-08", acknowledged: null });
  assert.equal(drillState(flagged), "mismatch");
  assert.equal(isDrill(flagged), false);
  assert.equal(isOverdue(flagged, "2026-11-30"), true, "judged from its days, as a real case");
  assert.equal(dueState(flagged, "2026-11-30"), "overdue");
  assert.equal(
    isOverdue({ ...flagged, summary: { ...flagged.summary, acknowledged: "2026-11-02" } }, "2026-11-30"),
    false,
  );
  assert.equal(isOverdue(flagged, "2026-11-08"), false);
  // Its report not read (yet, or at all): the flag alone confirms nothing, the days judge it.
  assert.equal(drillState({ ...flagged, fields: null }), "mismatch");
  assert.equal(isOverdue({ ...flagged, fields: null }, "2026-11-30"), true);
  // A report marked as a drill that the listing does not flag: a mismatch, the server's deadlines stand.
  const unflagged = { ...row(2, [], { overdue: true }), fields: { ...row(2, []).fields, drill: "phishing_it_desk" } };
  assert.equal(drillState(unflagged), "mismatch");
  assert.equal(dueState(unflagged, "2026-11-30"), "overdue");
  assert.deepEqual([flagged, unflagged].filter((r) => matches(r, { ...NO_FILTER, overdue: true })).length, 2);
});

test("the source filter tells a page's report from a filed one", () => {
  const page = row(1, []);
  const phone = row(2, [], { source: "phone" });
  const walkIn = row(3, [], { source: "walk-in" });
  assert.deepEqual(
    [page, phone, walkIn].map((r) => sourceOf(r.summary)),
    ["page", "phone", "walk-in"],
  );
  const shown = (source) =>
    [page, phone, walkIn].filter((r) => matches(r, { ...NO_FILTER, source })).map((r) => r.summary.id);
  assert.deepEqual(shown("page"), [page.summary.id]);
  assert.deepEqual(shown("walk-in"), [walkIn.summary.id]);
  assert.equal(shown("").length, 3);
});
