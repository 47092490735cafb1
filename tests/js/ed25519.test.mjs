// Protocol §2.3's strict Ed25519 rule in the browser's library against
// tests/vectors/ed25519.json, the file tests/test_ed25519_vectors.py runs
// against chalicelib/signing.py and chalicelib/httpsig.py: every verdict,
// and each invalid case refused for its flag at parse time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { b64u, fromHex } from "../../frontend/src/lib/encoding.js";
import { strictPublicKey, strictSignature, verifyBytes } from "../../frontend/src/lib/sign.js";

const DIR = new URL("../vectors/", import.meta.url);
const VECTORS = JSON.parse(readFileSync(new URL("ed25519.json", DIR), "utf8"));
const KEY_FLAGS = new Set(["SmallOrderPublicKey", "NonCanonicalPublicKey", "InvalidPublicKey"]);
const SIG_FLAGS = new Set(["SmallOrderR", "NonCanonicalR", "NonCanonicalS"]);

test("the vectors tell strict from lenient", () => {
  const lenient = VECTORS.tests.filter((c) => c.result === "invalid" && c.openssl_accepts);
  const flags = new Set(lenient.flatMap((c) => c.flags));
  for (const flag of ["SmallOrderPublicKey", "NonCanonicalPublicKey", "SmallOrderR"]) assert.ok(flags.has(flag), flag);
});

for (const c of VECTORS.tests) {
  test(`${c.tcId} ${c.name}`, () => {
    const [pk, msg, sig] = [fromHex(c.pk), fromHex(c.msg), fromHex(c.sig)];
    assert.equal(verifyBytes(msg, sig, [b64u(pk)]), c.result === "valid");
    assert.equal(strictPublicKey(pk), !c.flags.some((f) => KEY_FLAGS.has(f)));
    assert.equal(strictSignature(sig), !c.flags.some((f) => SIG_FLAGS.has(f)));
  });
}
