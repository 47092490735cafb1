// openKeyFile with the scrypt derivation handed elsewhere (the console runs
// it in a Web Worker, frontend/src/workers/scrypt.ts): the same key as
// typage's own scrypt, age's label and salt and the file's work factor
// passed to it, a wrong passphrase still "locked", and a derivation that
// fails to run told apart from a wrong passphrase.
import { test } from "node:test";
import assert from "node:assert/strict";
import { scrypt } from "@noble/hashes/scrypt.js";
import { generateX25519Identity } from "age-encryption";
import {
  DeriveFailed,
  KeyFileLocked,
  keyFromPlaintext,
  keyPlaintext,
  openKeyFile,
  sealKeyFile,
} from "../../frontend/src/lib/keyfile.js";

const PASSPHRASE = "correct horse battery staple";
const LABEL = new TextEncoder().encode("age-encryption.org/v1/scrypt");

async function sealed() {
  const key = await keyFromPlaintext(
    keyPlaintext({
      member: "m_AAAAAAAAAAAAAAAAAAAA",
      identities: [await generateX25519Identity()],
      signingSeed: Uint8Array.from({ length: 32 }, (_, i) => i),
      api: "https://candor.example/v1/",
    }),
  );
  return { key, file: await sealKeyFile(key, PASSPHRASE) };
}

const derivations = [];
const noble = async (passphrase, salt, logN) => {
  derivations.push({ salt, logN });
  return scrypt(passphrase, salt, { N: 2 ** logN, r: 8, p: 1, dkLen: 32 });
};

test("a handed-over derivation opens the key file as typage's own scrypt does", async () => {
  const { key, file } = await sealed();
  const opened = await openKeyFile(file, PASSPHRASE, noble);
  assert.deepEqual(opened, await openKeyFile(file, PASSPHRASE));
  assert.deepEqual(opened, key);
  assert.equal(derivations.length, 1);
  const [{ salt, logN }] = derivations;
  assert.equal(logN, 18);
  assert.deepEqual(salt.subarray(0, LABEL.length), LABEL);
  assert.equal(salt.length, LABEL.length + 16);
  // The salt is the file's: the stanza line names it in unpadded base64.
  const stanza = new TextDecoder().decode(file.subarray(0, 200)).split("\n")[1];
  assert.equal(
    stanza,
    `-> scrypt ${Buffer.from(salt.subarray(LABEL.length)).toString("base64").replace(/=+$/, "")} 18`,
  );
});

test("a wrong passphrase through the derivation is locked, a failed derivation is not", async () => {
  const { file } = await sealed();
  await assert.rejects(openKeyFile(file, PASSPHRASE + "!", noble), KeyFileLocked);
  const broken = async () => {
    throw new Error("worker refused");
  };
  await assert.rejects(openKeyFile(file, PASSPHRASE, broken), (err) => {
    assert.ok(err instanceof DeriveFailed && !(err instanceof KeyFileLocked));
    assert.match(err.message, /worker refused/);
    return true;
  });
});
