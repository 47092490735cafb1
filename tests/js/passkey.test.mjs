// Passkey wraps (protocol §5) in the browser twin against the vectors
// candor/keyfile.py writes (tests/vectors/passkey.json): the identity a PRF
// output gives, and every wrap's verdict; then a wrap sealed here opens in
// Python, so the console's wraps and the CLI's agree both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { b64u, fromB64u, fromHex } from "../../frontend/src/lib/encoding.js";
import { KeyFileInvalid, KeyFileLocked, keyPlaintext } from "../../frontend/src/lib/keyfile.js";
import {
  openWrap,
  PRF_INPUT,
  passkeyIdentity,
  passkeyRecipient,
  recordTag,
  recordTagValid,
  sealWrap,
} from "../../frontend/src/lib/passkey.js";

const v = JSON.parse(readFileSync(new URL("passkey.json", new URL("../vectors/", import.meta.url)), "utf8"));

test("the PRF input is the protocol's", () => {
  assert.equal(new TextDecoder().decode(PRF_INPUT), v.prf_input);
});

test("passkey.json derivations: PRF output to age identity and recipient", async (t) => {
  for (const c of v.derivations) {
    await t.test(c.name, async () => {
      const prf = fromHex(c.prf_hex);
      if (c.error) {
        assert.throws(() => passkeyIdentity(prf), RangeError);
        return;
      }
      assert.equal(passkeyIdentity(prf), c.identity);
      assert.equal(await passkeyRecipient(prf), c.recipient);
    });
  }
});

test("passkey.json wraps: every verdict", async (t) => {
  for (const c of v.wraps) {
    await t.test(c.name, async () => {
      const open = () => openWrap(fromB64u(c.wrap_b64u), fromHex(c.prf_hex));
      if (c.verdict === "open") {
        const key = await open();
        assert.deepEqual(
          { member: key.member, identities: key.identities, api: key.api, seed: b64u(key.signingSeed) },
          { member: c.key.member, identities: c.key.identities, api: c.key.api, seed: c.key.signing_seed },
        );
        return;
      }
      await assert.rejects(open, c.verdict === "locked" ? KeyFileLocked : KeyFileInvalid);
    });
  }
});

test("a wrap sealed here opens in candor/keyfile.py, and only with its PRF output", async () => {
  const wrapped = v.wraps.find((c) => c.verdict === "open");
  const key = await openWrap(fromB64u(wrapped.wrap_b64u), fromHex(wrapped.prf_hex));
  const prf = crypto.getRandomValues(new Uint8Array(32));
  const wrap = await sealWrap(key, await passkeyRecipient(prf));
  assert.deepEqual(keyPlaintext(await openWrap(wrap, prf)), keyPlaintext(key));
  await assert.rejects(() => openWrap(wrap, crypto.getRandomValues(new Uint8Array(32))), KeyFileLocked);
  const python = `
import sys
from candor import keyfile as kf
key = kf.open_passkey_wrap(bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]))
print(key.member)`;
  const hex = (b) => Buffer.from(b).toString("hex");
  const out = execFileSync(".venv/bin/python", ["-c", python, hex(wrap), hex(prf)], { encoding: "utf8" });
  assert.equal(out.trim(), key.member);
});

test("passkey.json record_tags: a record's tag under the opening wrap's key, any field changing it", async (t) => {
  const wrapped = v.wraps.find((c) => c.verdict === "open");
  const key = await openWrap(fromB64u(wrapped.wrap_b64u), fromHex(wrapped.prf_hex));
  const [first] = v.record_tags;
  for (const c of v.record_tags) {
    await t.test(c.name, () => {
      assert.equal(recordTag(key, c.record), c.tag);
      assert.ok(recordTagValid(key, c.record, c.tag));
      assert.equal(recordTagValid(key, c.record, first.tag), c === first);
    });
  }
  assert.equal(recordTagValid(key, first.record, undefined), false);
  assert.equal(recordTagValid(key, first.record, "not b64u!"), false);
  const other = { ...key, signingSeed: new Uint8Array(32) };
  assert.equal(recordTagValid(other, first.record, first.tag), false);
});
