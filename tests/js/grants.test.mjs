// The browser twin against tests/vectors/grants.json, which
// tests/test_grant_vectors.py runs against the Python client and Debian's
// age: an assembled file decrypts with age-encryption for the granted member,
// and a header under another file key fails (protocol §4.4 "Grants").
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Decrypter } from "age-encryption";
import { assemble, headerEnd, readable } from "../../frontend/src/lib/grants.js";
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
