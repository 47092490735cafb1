// Console features checked without a browser: collecting admin signatures
// on the next manifest when the threshold is above 1 (against
// chalicelib.manifest.verify_next_manifest), and the audit head file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  addSignature,
  checkPartial,
  manifestDiff,
  nextManifest,
  renewManifest,
  signManifest,
} from "../../frontend/src/lib/roster.js";
import { entryHash, GENESIS, headFile, headInChain, parseHead, verifyAudit } from "../../frontend/src/lib/audit.js";
import { ManifestInvalid, verifyBuiltIn, verifyNext } from "../../frontend/src/lib/manifest.js";
import { b64u } from "../../frontend/src/lib/encoding.js";
import { makeTeam, manifestBody, memberEntry, signManifest as signWith } from "./support/team.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const PYTHON = join(ROOT, ".venv/bin/python");
const hasPython = existsSync(PYTHON);

/** What chalicelib.manifest.verify_next_manifest says of each candidate: "ok" or the error. */
function pythonVerdicts(current, candidates) {
  const dir = mkdtempSync(join(tmpdir(), "candor-threshold-"));
  writeFileSync(join(dir, "current.json"), JSON.stringify(current));
  writeFileSync(join(dir, "candidates.json"), JSON.stringify(candidates));
  const code = `
import json, sys, datetime
from chalicelib import manifest as mf
current = json.load(open(sys.argv[1])); out = []
for c in json.load(open(sys.argv[2])):
    try:
        mf.verify_next_manifest(current, c, datetime.date.fromisoformat(c["issued"]))
        out.append("ok")
    except mf.ManifestInvalid as e:
        out.append(str(e))
print(json.dumps(out))`;
  const run = spawnSync(PYTHON, ["-c", code, join(dir, "current.json"), join(dir, "candidates.json")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

async function thresholdTwo() {
  const { members } = await makeTeam();
  const [alice, bob, carol] = members; // alice and carol are admins
  const current = signWith(
    manifestBody(
      1,
      members.map((m) => memberEntry(m)),
      { threshold: 2 },
    ),
    [alice, carol],
  );
  verifyBuiltIn(current);
  const roster = [current.members[0], current.members[1], { ...current.members[2] }];
  roster[1] = { ...roster[1], removed: true };
  const { unsigned } = nextManifest(current, roster);
  return { alice, bob, carol, current, unsigned };
}

test(
  "threshold 2: one admin's signature is kept and checked, the second publishes; Python agrees",
  { skip: !hasPython },
  async () => {
    const { alice, bob, carol, current, unsigned } = await thresholdTwo();
    assert.deepEqual(checkPartial(current, unsigned), { signers: [], missing: 2 });

    const first = addSignature(current, unsigned, alice.id, alice.seed);
    assert.equal(first.missing, 1);
    assert.deepEqual(first.signers, [alice.id]);
    // The file goes through JSON to the next admin.
    const handed = JSON.parse(JSON.stringify(first.manifest));
    assert.deepEqual(checkPartial(current, handed), { signers: [alice.id], missing: 1 });
    assert.throws(
      () => addSignature(current, handed, alice.id, alice.seed),
      (e) => e instanceof ManifestInvalid && e.reason === "already signed",
    );
    // A reviewer's signature never counts, and the server would refuse it.
    assert.throws(() => addSignature(current, handed, bob.id, bob.seed), ManifestInvalid);
    const second = addSignature(current, handed, carol.id, carol.seed);
    assert.equal(second.missing, 0);
    assert.deepEqual(second.signers, [alice.id, carol.id]);
    verifyNext(current, second.manifest, second.manifest.issued);

    // Changed after the first signature, signed by a non-admin, or signed twice: refused before anyone signs.
    const edited = { ...handed, members: handed.members.map((m, i) => (i === 0 ? { ...m, function: "Finance" } : m)) };
    assert.throws(() => checkPartial(current, edited), ManifestInvalid);
    const byReviewer = signManifest(unsigned, bob.id, bob.seed);
    assert.throws(
      () => checkPartial(current, byReviewer),
      (e) => e.reason === "signed by a non-admin",
    );
    const twice = { ...handed, sigs: [...handed.sigs, ...handed.sigs] };
    assert.throws(
      () => checkPartial(current, twice),
      (e) => e.reason === "signed twice",
    );
    const badSig = { ...handed, sigs: [{ member: alice.id, sig: b64u(new Uint8Array(64)) }] };
    assert.throws(
      () => checkPartial(current, badSig),
      (e) => e.reason === "bad signature",
    );

    const verdicts = pythonVerdicts(current, [unsigned, handed, second.manifest, edited, byReviewer, badSig]);
    assert.equal(verdicts[2], "ok");
    for (const [i, v] of verdicts.entries()) if (i !== 2) assert.notEqual(v, "ok", `candidate ${i}`);
    assert.match(verdicts[1], /fewer than 2/);
  },
);

test("threshold 1: the first admin's signature publishes", async () => {
  const { members, manifest } = await makeTeam();
  const { unsigned } = nextManifest(manifest, manifest.members);
  const { missing, manifest: signed } = addSignature(manifest, unsigned, members[0].id, members[0].seed);
  assert.equal(missing, 0);
  verifyNext(manifest, signed, signed.issued);
});

/** candor.roster.next_manifest of `current` with `roster`, issued `issued` (the Python twin). */
function pythonNext(current, roster, issued) {
  const code = `
import json, sys, datetime
from candor import roster
current, members = json.load(sys.stdin)
print(json.dumps(roster.next_manifest(current, members, datetime.date.fromisoformat(sys.argv[1]))))`;
  const run = spawnSync(PYTHON, ["-c", code, issued], {
    cwd: ROOT,
    encoding: "utf8",
    input: JSON.stringify([current, roster]),
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** candor.roster.manifest_diff's lines about routes, for each [old, new] pair. */
function pythonRouteLines(pairs) {
  const code = `
import json, sys
from candor import roster
print(json.dumps([[l for l in roster.manifest_diff(a, b) if l.startswith(("route", "no routes"))]
                  for a, b in json.load(sys.stdin)]))`;
  const run = spawnSync(PYTHON, ["-c", code], { cwd: ROOT, encoding: "utf8", input: JSON.stringify(pairs) });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** The console's route changes worded as candor/roster.py words them. */
const asPython = (c) =>
  ({
    routes_on: "routes on: a category without a route goes to the admins only",
    routes_off: "no routes: every report goes to every member",
    route: `route ${c.from}: ${c.to} and the admins`,
    route_removed: `route ${c.from} removed: its reports go to the admins only`,
  })[c.change];

test(
  "an admin sees the route changes before signing, as candor/roster.py lists them",
  { skip: !hasPython },
  async () => {
    const { manifest } = await makeTeam();
    const [alice, bob, carol] = manifest.members.map((m) => m.id);
    const routed = { ...manifest, routes: { harassment: [bob, carol], it_security: [bob] } };
    const pairs = [
      [manifest, routed],
      [routed, { ...routed, routes: { harassment: [carol], zz: [alice] } }],
      [routed, manifest],
      [routed, routed],
    ];
    const console_ = pairs.map(([a, b]) =>
      manifestDiff(a, b)
        .map(asPython)
        .filter((line) => line !== undefined),
    );
    assert.deepEqual(console_, pythonRouteLines(pairs));
    assert.deepEqual(console_[1], [
      "route harassment: Carol Admin and the admins",
      "route it_security removed: its reports go to the admins only",
      "route zz: Alice Admin and the admins",
    ]);
    assert.deepEqual(console_[3], []);
  },
);

test(
  "publishing or renewing from the console keeps the routes, as candor/roster.py does",
  { skip: !hasPython },
  async () => {
    const { members } = await makeTeam();
    const [alice, bob, carol] = members;
    const routes = { harassment: [bob.id, carol.id], it_security: [bob.id] };
    const current = signWith(
      {
        ...manifestBody(
          1,
          members.map((m) => memberEntry(m)),
        ),
        routes,
      },
      [alice],
    );
    verifyBuiltIn(current);

    // Same members: every route stays, and the version the admin signs is valid.
    const { unsigned } = nextManifest(current, current.members);
    assert.deepEqual(unsigned.routes, routes);
    assert.deepEqual(renewManifest(current, current.members).unsigned.routes, routes);
    const { manifest: signed } = addSignature(current, unsigned, alice.id, alice.seed);
    assert.deepEqual(pythonVerdicts(current, [signed]), ["ok"]);

    // Bob removed: he leaves both routes, and the route he alone held goes.
    const roster = current.members.map((m) => (m.id === bob.id ? { ...m, removed: true } : m));
    const next = nextManifest(current, roster).unsigned;
    assert.deepEqual(next.routes, { harassment: [carol.id] });
    assert.deepEqual(next, pythonNext(current, roster, next.issued));

    // No route left: no routes field, as Python writes it.
    const bare = current.members.map((m) => (m.id === alice.id ? m : { ...m, removed: true }));
    const none = nextManifest({ ...current, routes: { harassment: [bob.id] } }, bare).unsigned;
    assert.equal("routes" in none, false);
  },
);

test("audit head file: round trip; a head still in the chain, a rewritten or cut chain", () => {
  const entries = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= 4; seq++) {
    const entry = {
      seq,
      prev,
      day_time: `2026-01-0${seq}T00:00:00Z`,
      member: null,
      action: "case.purge",
      case: `c_${"A".repeat(21)}${seq}`,
      request: null,
    };
    entries.push(entry);
    prev = entryHash(entry);
  }
  const { head } = verifyAudit(entries.slice(0, 3), () => []);
  const saved = parseHead(JSON.parse(headFile(head, entries[2].day_time)));
  assert.deepEqual(saved, { seq: 3, hash: entryHash(entries[2]) });
  assert.equal(headInChain(entries, saved), true);
  assert.deepEqual(verifyAudit(entries, () => [], saved).problems, []);
  const rewritten = entries.map((e) => (e.seq === 2 ? { ...e, case: `c_${"B".repeat(22)}` } : e));
  // A rewrite that re-links the chain still loses the saved head.
  let link = GENESIS;
  const relinked = rewritten.map((e) => {
    const f = { ...e, prev: link };
    link = entryHash(f);
    return f;
  });
  assert.deepEqual(verifyAudit(relinked, () => []).problems, []);
  assert.equal(headInChain(relinked, saved), false);
  assert.equal(headInChain(entries.slice(0, 2), saved), false);
  for (const bad of [
    {},
    { ...JSON.parse(headFile(head)), seq: 0 },
    { ...JSON.parse(headFile(head)), type: "x" },
    { ...JSON.parse(headFile(head)), hash: "x" },
  ]) {
    assert.throws(() => parseHead(bad), TypeError);
  }
});
