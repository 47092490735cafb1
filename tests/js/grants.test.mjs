// The browser twin against tests/vectors/grants.json, which
// tests/test_grant_vectors.py runs against the Python client and Debian's
// age: an assembled file decrypts with age-encryption for the granted member,
// and a header under another file key fails (protocol §4.4 "Grants").
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Decrypter } from "age-encryption";
import { accessProblems, assemble, excluded, headerEnd, readable } from "../../frontend/src/lib/grants.js";
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
