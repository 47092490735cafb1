// The JS lib against the vectors the Python side publishes in tests/vectors/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { b64u, fromHex, hex, sha256, utf8 } from "../../frontend/src/lib/encoding.js";
import { jcs } from "../../frontend/src/lib/jcs.js";
import { parseStrict } from "../../frontend/src/lib/strict-json.js";
import { padme, paddedSize, unpadAttachment } from "../../frontend/src/lib/padding.js";
import { deriveReceipt, parseReceipt, receiptText } from "../../frontend/src/lib/receipt.js";
import { publicKey, signObject, verifyDocument } from "../../frontend/src/lib/sign.js";
import { fingerprint, verifyBuiltIn, verifyChain, verifyNext } from "../../frontend/src/lib/manifest.js";
import { decodeDocument } from "../../frontend/src/lib/documents.js";

const vectors = (name) => JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), "utf8"));

test("receipts", async (t) => {
  const v = vectors("receipt");
  for (const r of v.receipts) {
    await t.test(r.name, async () => {
      const T = fromHex(r.T);
      assert.equal(receiptText(T), r.text);
      const d = await deriveReceipt(T);
      assert.equal(d.auth, r.auth);
      assert.equal(d.token_id ?? d.tokenId, r.token_id);
      if (r.kek) assert.equal(hex(d.kek), r.kek);
      if (r.kek_identity) assert.equal(d.kekIdentity, r.kek_identity);
      if (r.kek_recipient_sha256) assert.equal(hex(sha256(utf8(d.kekRecipient))), r.kek_recipient_sha256);
      if (r.kek_recipient_length) assert.equal(d.kekRecipient.length, r.kek_recipient_length);
      if (r.kek_recipient_prefix) assert.ok(d.kekRecipient.startsWith(r.kek_recipient_prefix));
    });
  }
  for (const p of v.parse) {
    await t.test(`parse: ${p.name}`, () => {
      if (p.error) {
        assert.throws(
          () => parseReceipt(p.input),
          (e) => (e.reason === "typo" ? "typo" : "malformed") === p.error,
        );
      } else {
        assert.equal(hex(parseReceipt(p.input)), p.T);
      }
    });
  }
});

test("padding", async (t) => {
  const v = vectors("padding");
  for (const c of v.padme) await t.test(`padme ${c.L}`, () => assert.equal(padme(c.L), c.padme));
  for (const c of v.padded_length ?? [])
    await t.test(`padded ${c.n ?? c.L}`, () => assert.equal(paddedSize(c.n ?? c.L), c.padded));
  for (const c of v.documents ?? []) {
    await t.test(`document: ${c.name}`, () => {
      const bytes = new Uint8Array([
        ...fromHex(c.head_hex),
        ...new Array(c.tail_count).fill(parseInt(c.tail_byte_hex, 16)),
      ]);
      if (c.document === null || c.valid === false) assert.throws(() => decodeDocument(bytes));
      else assert.deepEqual(decodeDocument(bytes), c.document);
    });
  }
  for (const c of v.attachments ?? []) {
    await t.test(`attachment: ${c.name}`, () => {
      const bytes = new Uint8Array([...fromHex(c.head_hex), ...new Array(c.zero_count).fill(0)]);
      if (c.output_hex === null) assert.throws(() => unpadAttachment(bytes, c.size));
      else assert.equal(hex(unpadAttachment(bytes, c.size)), c.output_hex);
    });
  }
});

test("jcs", async (t) => {
  const v = vectors("jcs");
  for (const c of v.valid) await t.test(c.name, () => assert.equal(jcs(c.input), c.output));
  for (const c of v.invalid ?? []) {
    // JSON.parse turns 1e3 into the integer 1000: a JS canonicaliser never
    // sees the exponent. What the browser refuses it with is the strict
    // parser every decrypted document goes through.
    const parsed = JSON.parse(c.input_json);
    const indistinguishable =
      JSON.stringify(parsed) !== c.input_json && !/\./.test(c.input_json) && !/\\u[dD][89a-fA-F]/.test(c.input_json);
    await t.test(`invalid: ${c.name}`, () =>
      assert.throws(() => (indistinguishable ? parseStrict(c.input_json) : jcs(parsed))),
    );
  }
});

test("signing", () => {
  const v = vectors("signing");
  const seed = fromHex(v.seed_hex);
  assert.equal(b64u(publicKey(seed)), v.public_key);
  assert.equal(jcs({ ...v.document }), v.signed_bytes);
  assert.equal(signObject(v.document, seed), v.sig);
  assert.ok(verifyDocument(v.signed_document, [v.public_key]));
  assert.ok(!verifyDocument({ ...v.signed_document, text: "changed" }, [v.public_key]));
});

test("manifests", async (t) => {
  const v = vectors("manifest");
  const m = v.manifests;
  for (const [name, fp] of Object.entries(v.fingerprints)) {
    await t.test(`fingerprint ${name}`, () => assert.equal(fingerprint(m[name]), fp));
  }
  for (const a of v.valid_anchors) {
    await t.test(`anchor ${a.name}`, () => verifyBuiltIn(m[a.name], a.today));
  }
  for (const c of v.first_invalid) {
    await t.test(`first invalid: ${c.name}`, () => assert.throws(() => verifyBuiltIn(c.manifest, c.today ?? v.today)));
  }
  for (const c of v.next_invalid) {
    await t.test(`next invalid: ${c.name}`, () =>
      assert.throws(() => verifyNext(m.v1, c.candidate, c.today ?? v.today)),
    );
  }
  for (const c of v.chains) {
    await t.test(`chain: ${c.name}`, () => {
      const later = c.later.map((x) => (typeof x === "object" ? x : m[`v${x}`]));
      if (c.latest === null) assert.throws(() => verifyChain(m.v1, later, c.today));
      else assert.equal(verifyChain(m.v1, later, c.today).at(-1).version, c.latest);
    });
  }
});
