// lib/drill.ts as the case view reads a case: a drill only when the
// listing's plaintext flag and the sealed report's mark both say so, a
// warning naming which one speaks alone, and the scenario's title in the
// console's language (English where the library lacks it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { drillCheck, MARK_KEYS, scenarioTitle } from "../../frontend/src/lib/drill.js";

const MARKED = { summary: "Roadmap leaked", drill: "confidential_leak_roadmap", drill_started: "2026-11-30T09:15:42Z" };
const REAL = { summary: "Roadmap leaked" };

test("a case is a drill when the listing flags it and the sealed report is marked", () => {
  assert.deepEqual(drillCheck(true, MARKED), {
    kind: "drill",
    scenario: "confidential_leak_roadmap",
    started: "2026-11-30T09:15:42Z",
  });
  assert.deepEqual(drillCheck(undefined, REAL), { kind: "real" });
  assert.deepEqual(drillCheck(false, REAL), { kind: "real" });
});

test("a flag or a mark alone is a mismatch that names who speaks alone", () => {
  assert.deepEqual(drillCheck(true, REAL), { kind: "mismatch", by: "listing" });
  assert.deepEqual(drillCheck(false, MARKED), { kind: "mismatch", by: "report" });
  assert.deepEqual(drillCheck(undefined, MARKED), { kind: "mismatch", by: "report" });
  // Only `true` flags a drill: the listing is the server's word, not a truthy value.
  assert.deepEqual(drillCheck("true", MARKED), { kind: "mismatch", by: "report" });
  // A malformed mark is no mark.
  assert.deepEqual(drillCheck(true, { ...MARKED, drill_started: "yesterday" }), { kind: "mismatch", by: "listing" });
});

test("the mark's keys are the two a drill's form adds", () => {
  assert.deepEqual([...MARK_KEYS].sort(), ["drill", "drill_started"]);
});

test("a scenario's title is its summary in the language asked, else English; null when unknown", () => {
  const library = { scenarios: [{ id: "a", answers: { summary: { en: "Leak", de: "Leck" } } }] };
  assert.equal(scenarioTitle(library, "a", "de"), "Leck");
  assert.equal(scenarioTitle(library, "a", "sv"), "Leak");
  assert.equal(scenarioTitle(library, "b", "en"), null);
});
