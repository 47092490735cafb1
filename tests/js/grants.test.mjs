// The browser twin against tests/vectors/grants.json, which
// tests/test_grant_vectors.py runs against the Python client and Debian's
// age: an assembled file decrypts with age-encryption for the granted member,
// and a header under another file key fails (protocol §4.4 "Grants").
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import {
  accessProblems,
  assemble,
  checkGrantable,
  excluded,
  exclusionChain,
  GrantRefused,
  headerEnd,
  makeGrantHeader,
  readable,
} from "../../frontend/src/lib/grants.js";
import { consistencyWarnings } from "../../frontend/src/lib/teamops.js";
import { fromB64u } from "../../frontend/src/lib/encoding.js";

const DIR = new URL("../vectors/", import.meta.url);
const V = JSON.parse(readFileSync(new URL("grants.json", DIR), "utf8"));
const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

for (const c of V.cases) {
  test(`grants.json: ${c.name}`, async () => {
    const assembled = assemble(fromB64u(c.header), fromB64u(c.sealed));
    assert.equal(sha(assembled), c.assembled_sha256);
    const { stored, mine } = readable({ sealed: c.sealed, header: c.header });
    assert.deepEqual(mine, assembled);
    assert.deepEqual(stored, fromB64u(c.sealed));
    const d = new Decrypter();
    d.addIdentity(c.identity);
    if (c.valid) {
      assert.equal(sha(await d.decrypt(assembled)), c.plaintext_sha256);
    } else {
      await assert.rejects(d.decrypt(assembled));
    }
    await assert.rejects(d.decrypt(fromB64u(c.sealed))); // the stored blob is someone else's
  });
}

test("a blob without a header cannot be assembled", () => {
  const header = fromB64u(V.cases[0].header);
  assert.equal(headerEnd(header), header.length);
  assert.equal(headerEnd(new Uint8Array([1, 2, 3])), -1);
  assert.throws(() => assemble(header, new TextEncoder().encode("not age")));
});

const A = V.access;
for (const c of A.cases) {
  test(`grants.json: access ${c.name}`, () => {
    const detail = { reply_to: A.reply_to, access: c.access, grants: c.grants };
    const problems = accessProblems(A.chain, detail, A.report);
    assert.deepEqual(problems.map((p) => p.split(" ", 1)[0]).sort(), c.problems);
    // The console's check blocks writing exactly then (protocol §4.5).
    const blocked = consistencyWarnings(A.chain, detail, { ...A.report }).some((w) => w.code === "access");
    assert.equal(blocked, c.problems.length > 0);
  });
}

test("the reporter's exclusions come from the report's manifest version", () => {
  assert.equal(excluded({ ...A.report, manifest: 99 }, A.chain), null);
  const left = excluded(A.report, A.chain);
  assert.equal(left.size, 1); // C: in version 1 and not in the report's access
});

// The browser makes grant headers too: a granted member grants onward, from
// the header they read with; age-encryption and Debian's age decrypt the result.
for (const c of V.cases.filter((v) => v.valid)) {
  test(`grants.json: granted onward from ${c.name}`, async () => {
    const sealed = fromB64u(c.sealed);
    const mine = assemble(fromB64u(c.header), sealed);
    const pq = c.identity.startsWith("AGE-SECRET-KEY-PQ-");
    const next = pq ? await generateHybridIdentity() : await generateX25519Identity();
    const header = await makeGrantHeader(mine, [c.identity], await identityToRecipient(next));
    assert.equal(headerEnd(header), header.length);
    const theirs = assemble(header, sealed);
    const d = new Decrypter();
    d.addIdentity(next);
    assert.equal(sha(await d.decrypt(theirs)), c.plaintext_sha256);
    if (!pq) {
      const dir = mkdtempSync(join(tmpdir(), "candor-grant-"));
      writeFileSync(join(dir, "key.txt"), next + "\n");
      const age = spawnSync("age", ["-d", "-i", join(dir, "key.txt")], { input: theirs });
      assert.equal(age.status, 0, String(age.stderr));
      assert.equal(sha(age.stdout), c.plaintext_sha256);
    }
    // Someone who cannot open the blob cannot grant it.
    await assert.rejects(makeGrantHeader(sealed, [c.identity], await identityToRecipient(next)));
  });
}

test("a report older than the console's anchor names its exclusions from the server's earlier versions", async () => {
  const [v1, v2] = A.chain;
  const ids = A.report.access; // A and B; C was in version 1 and left out
  const c = v1.members.find((m) => !ids.includes(m.id)).id;
  const detail = { id: "c_x", reply_to: A.reply_to, access: ids, grants: [] };
  const served = (manifests) => async () =>
    new Response(JSON.stringify({ manifests }), { headers: { "content-type": "application/json; charset=utf-8" } });
  const real = globalThis.fetch;
  try {
    globalThis.fetch = served([v1, v2]);
    const known = await exclusionChain([v2], A.report);
    assert.deepEqual(
      known.map((m) => m.version),
      [1, 2],
    );
    assert.throws(
      () => checkGrantable(known, detail, A.report, c),
      (e) => e instanceof GrantRefused && e.reason === "excluded",
    );
    globalThis.fetch = served([v2]); // a server that withholds version 1: no grant at all
    const withheld = await exclusionChain([v2], A.report);
    assert.throws(
      () => checkGrantable(withheld, detail, A.report, c),
      (e) => e instanceof GrantRefused && e.reason === "unknown_version",
    );
  } finally {
    globalThis.fetch = real;
  }
});

// Routes (protocol §4.5): only the category's readers that `access` lacks
// were excluded; a member outside the route may be granted the case.
const R = JSON.parse(readFileSync(new URL("manifest-routes.json", DIR), "utf8"));

test("with routes the reporter excluded only the category's readers that access lacks", () => {
  const sealedWith = (access, category) => ({ access, manifest: R.routed.version, form: { category } });
  for (const c of R.exclusions) {
    const left = excluded(sealedWith(c.access, c.category), [R.routed]);
    assert.deepEqual([...left].sort(), c.reporter_exclusions, `${c.category} ${c.access}`);
  }
  const [alice, bob, carol, dave] = R.routed.members.map((m) => m.id);
  // A harassment report to the admins and HR (Carol): Dave was never offered it.
  const report = sealedWith([alice, bob, carol], "harassment");
  const detail = { id: "c_x", reply_to: A.reply_to, access: report.access, grants: [] };
  assert.equal(checkGrantable([R.routed], detail, report, dave).id, dave);
  // Carol left out by the reporter: refused, as without routes.
  const without = sealedWith([alice, bob], "harassment");
  assert.throws(
    () => checkGrantable([R.routed], { ...detail, access: without.access }, without, carol),
    (e) => e instanceof GrantRefused && e.reason === "excluded",
  );
  // No category (or no form): the admins' readers only, never more.
  assert.deepEqual([...excluded({ access: [alice], manifest: 2 }, [R.routed])], [bob]);
  // Without routes, everyone outside access was excluded.
  const v1 = { access: [alice], manifest: R.v1.version, form: { category: "harassment" } };
  assert.deepEqual(
    [...excluded(v1, [R.v1])].sort(),
    R.v1.members
      .filter((m) => m.id !== alice)
      .map((m) => m.id)
      .sort(),
  );
});

test("an intake member is never granted a case (protocol §4.5, Roles)", () => {
  const manifest = R.intake.manifest;
  const dave = manifest.members.find((m) => m.role === "intake").id;
  const report = { access: R.intake.readers, manifest: manifest.version, form: { category: "other" } };
  const detail = { id: "c_x", reply_to: A.reply_to, access: report.access, grants: [] };
  assert.deepEqual([...excluded(report, [manifest])], []); // never offered, so not excluded
  assert.throws(
    () => checkGrantable([manifest], detail, report, dave),
    (e) => e instanceof GrantRefused && e.reason === "not_member",
  );
});
