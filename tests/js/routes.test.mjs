// The JS twin of the manifest's routes (protocol §4.5, Routes) against
// tests/vectors/manifest-routes.json, which the Python side publishes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { verifyNext } from "../../frontend/src/lib/manifest.js";
import { keptRoutes, reporterExclusions, routeReaders, routesFitting } from "../../frontend/src/lib/routes.js";

const FILE = "manifest-routes.json";
const v = JSON.parse(readFileSync(new URL(`../vectors/${FILE}`, import.meta.url), "utf8"));

test("a routed successor verifies", () => {
  assert.deepEqual(verifyNext(v.v1, v.routed, v.today).routes, v.routed.routes);
});

for (const c of v.invalid) {
  test(`invalid routes: ${c.name}`, () => assert.throws(() => verifyNext(v.v1, c.candidate, v.today)));
}

test("readers, fitting categories and exclusions", () => {
  for (const c of v.readers) assert.deepEqual(routeReaders(v.routed, c.category), c.readers);
  for (const c of v.fitting) assert.deepEqual(routesFitting(v.routed, c.access), c.fitting);
  for (const c of v.exclusions) {
    assert.deepEqual([...reporterExclusions(v.routed, c.access, c.category)].sort(), c.reporter_exclusions);
  }
});

test("without routes everyone reads everything", () => {
  assert.deepEqual(routeReaders(v.v1, "harassment"), v.unrouted.readers);
  assert.deepEqual(routesFitting(v.v1, [v.unrouted.readers[0]]), v.unrouted.fitting);
});

test("the next version keeps routes to current members", () => {
  assert.deepEqual(keptRoutes(v.kept.routes, v.kept.members), v.kept.kept);
});

test("an intake member reads no report (protocol §4.5, Roles)", () => {
  const manifest = verifyNext(v.v1, v.intake.manifest, v.today);
  assert.deepEqual(routeReaders(manifest, null), v.intake.readers);
  const dave = manifest.members.find((m) => m.role === "intake").id;
  assert.deepEqual(routesFitting(manifest, [v.intake.readers[0], dave]), v.intake.fitting);
  assert.equal(v.intake.fitting.length, 0);
});
