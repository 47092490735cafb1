// The console's page-agnostic library against the Python reference:
// RFC 9421 request signatures byte for byte (chalicelib/httpsig.py), key
// files written by candor/keyfile.py, member entries and manifests accepted
// by chalicelib/manifest.py, and the audit chain (chalicelib/domain/audit.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalQuery, signRequest, verifyRecorded } from "../../frontend/src/lib/rfc9421.js";
import { KeyFileInvalid, KeyFileLocked, openKeyFile, rotateKey, sealKeyFile } from "../../frontend/src/lib/keyfile.js";
import {
  buildMemberEntry,
  checkCard,
  manifestDiff,
  nextManifest,
  signManifest,
} from "../../frontend/src/lib/roster.js";
import { entryHash, GENESIS, verifyAudit } from "../../frontend/src/lib/audit.js";
import { consistencyWarnings, buildEntry } from "../../frontend/src/lib/teamops.js";
import {
  blobHash,
  checkMessage as checkEntry,
  Opener,
  reportProblem,
  sealDocument,
} from "../../frontend/src/lib/documents.js";
import { b64u, randomBytes } from "../../frontend/src/lib/encoding.js";
import { generateSeed, publicKey } from "../../frontend/src/lib/sign.js";
import { verifyNext } from "../../frontend/src/lib/manifest.js";
import { makeTeam } from "./support/team.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const PYTHON = join(ROOT, ".venv/bin/python");
const hasPython = existsSync(PYTHON);
const python = (code, ...args) => {
  const out = spawnSync(PYTHON, ["-c", code, ...args], { cwd: ROOT, encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout;
};

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i);
const MEMBER = "m_AAAAAAAAAAAAAAAAAAAA";
const CASES = [
  ["GET", "/v1/team/cases", { status: "received", cursor: "" }, ""],
  ["GET", "/v1/team/audit", { cursor: "a b/ü~*" }, ""],
  ["POST", "/v1/team/cases/c_abc/messages", {}, '{"id":"b_x","message":"AAA","attachments":[]}'],
  ["PUT", "/v1/team/manifest", {}, "{}"],
  ["PATCH", "/stage/v1/team/cases/c_abc", {}, '{"status":"acknowledged"}'],
  ["DELETE", "/v1/team/members/m_x", {}, ""],
];

test(
  "RFC 9421: headers byte for byte as chalicelib.httpsig.sign_request, and verify_recorded accepts them",
  { skip: !hasPython },
  () => {
    const code = `
import json, sys
from chalicelib.httpsig import sign_request, verify_recorded, canonical_query
cases = json.loads(sys.argv[1]); js = json.loads(sys.argv[2]); out = []
for (m, p, q, b), h in zip(cases, js):
    ref = sign_request(m, p, q, b.encode(), member_id="${MEMBER}", seed=bytes(range(32)), created=1764061234, nonce="AAAAAAAAAAAAAAAAAAAAAA")
    rec = {"@method": m, "@path": p, "@query": canonical_query(q), "Content-Digest": h.get("Content-Digest"), "Signature-Input": h["Signature-Input"], "Signature": h["Signature"]}
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    pub = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw()
    out.append([ref, verify_recorded(rec, "${MEMBER}", [pub])])
print(json.dumps(out))`;
    const js = CASES.map(([m, p, q, b]) =>
      signRequest(m, p, q, new TextEncoder().encode(b), {
        memberId: MEMBER,
        seed: SEED,
        created: 1764061234,
        nonce: "AAAAAAAAAAAAAAAAAAAAAA",
      }),
    );
    const ref = JSON.parse(python(code, JSON.stringify(CASES), JSON.stringify(js)));
    ref.forEach(([headers, verified], i) => {
      assert.deepEqual(js[i], headers, CASES[i].join(" "));
      assert.equal(verified, true);
    });
  },
);

test("RFC 9421: recorded requests verify only for their member, key and bytes", () => {
  const key = b64u(publicKey(SEED));
  const h = signRequest("POST", "/v1/team/members", {}, new TextEncoder().encode("{}"), {
    memberId: MEMBER,
    seed: SEED,
  });
  const record = {
    "@method": "POST",
    "@path": "/v1/team/members",
    "@query": "?",
    "Content-Digest": h["Content-Digest"],
    "Signature-Input": h["Signature-Input"],
    Signature: h.Signature,
  };
  assert.equal(verifyRecorded(record, MEMBER, [key]), true);
  assert.equal(verifyRecorded(record, "m_BBBBBBBBBBBBBBBBBBBB", [key]), false);
  assert.equal(verifyRecorded(record, MEMBER, [b64u(publicKey(generateSeed()))]), false);
  assert.equal(verifyRecorded({ ...record, "@path": "/v1/team/manifest" }, MEMBER, [key]), false);
  assert.equal(verifyRecorded({ ...record, "Content-Digest": null }, MEMBER, [key]), false);
  assert.equal(
    verifyRecorded(
      { ...record, "Signature-Input": record["Signature-Input"].replace(';tag="candor/v1"', "") },
      MEMBER,
      [key],
    ),
    false,
  );
  assert.equal(canonicalQuery({}), "?");
  assert.equal(canonicalQuery({ b: "2", a: "x y", c: "" }), "?a=x%20y&b=2");
});

test(
  "key files: open one written by candor/keyfile.py; wrong passphrase; reseal and rotate",
  { skip: !hasPython },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "candor-key-"));
    const path = join(dir, "m.candor-key");
    const info = JSON.parse(
      python(
        `
import json, sys
from candor import keyfile as kf
k = kf.create_keyfile("https://candor.example")
kf.write_keyfile(k, sys.argv[1], "correct horse ü")
print(json.dumps({"member": k.member, "recipient": k.recipient, "signing_key": __import__("chalicelib.b64", fromlist=["x"]).b64u_encode(k.signing_key)}))`,
        path,
      ),
    );
    const bytes = readFileSync(path);
    const key = await openKeyFile(bytes, "correct horse ü");
    assert.equal(key.member, info.member);
    assert.equal(key.recipient, info.recipient);
    assert.equal(key.signingKey, info.signing_key);
    await assert.rejects(openKeyFile(bytes, "wrong"), KeyFileLocked);
    const { rotated, oldSeed } = await rotateKey(key, generateSeed());
    assert.equal(rotated.identities.length, 2);
    assert.equal(rotated.identities[1], key.identities[0]);
    assert.deepEqual(oldSeed, key.signingSeed);
    const resealed = await sealKeyFile(rotated, "new passphrase");
    writeFileSync(join(dir, "rotated.candor-key"), resealed);
    const back = JSON.parse(
      python(
        `
import json, sys
from candor import keyfile as kf
k = kf.open_keyfile(sys.argv[1], "new passphrase")
print(json.dumps({"member": k.member, "n": len(k.identities), "recipient": k.recipient}))`,
        join(dir, "rotated.candor-key"),
      ),
    );
    assert.deepEqual(back, { member: key.member, n: 2, recipient: rotated.recipient });
    // A work factor below 2^18 is refused before any derivation.
    const weak = new TextEncoder().encode(
      "age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\nAAAA\n--- AAAA\n",
    );
    await assert.rejects(openKeyFile(weak, "x"), KeyFileInvalid);
  },
);

test(
  "roster: a card, a rotation and the next manifest verify in JS and in chalicelib.manifest",
  { skip: !hasPython },
  async () => {
    const { members, manifest } = await makeTeam();
    const [alice] = members;
    const newcomer = {
      id: "m_" + b64u(randomBytes(15)),
      name: "Dana New",
      function: "HR",
      role: "reviewer",
      recipient: members[1].recipient,
    };
    const seed = generateSeed();
    const card = checkCard(buildMemberEntry(newcomer, seed));
    assert.throws(() => checkCard({ ...card, name: "Mallory" }));
    const bobSeed = generateSeed();
    const bob = manifest.members[1];
    const rotatedBob = buildMemberEntry({ ...bob }, bobSeed, bob, members[1].seed);
    assert.deepEqual(rotatedBob.old_signing_keys, [bob.signing_key]);
    const roster = [manifest.members[0], rotatedBob, { ...manifest.members[2], removed: true }, card];
    const { unsigned, changes } = nextManifest(manifest, roster);
    assert.deepEqual(changes.map((c) => c.change).sort(), ["added", "removed", "signing_key"]);
    const signed = signManifest(unsigned, alice.id, alice.seed);
    verifyNext(manifest, signed, unsigned.issued);
    const dir = mkdtempSync(join(tmpdir(), "candor-mf-"));
    writeFileSync(join(dir, "a.json"), JSON.stringify(manifest));
    writeFileSync(join(dir, "b.json"), JSON.stringify(signed));
    const out = python(
      `
import json, sys, datetime
from candor import roster
from chalicelib import manifest as mf
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
mf.verify_next_manifest(a, b, datetime.date.fromisoformat(b["issued"]))
print("ok", len(roster.manifest_diff(a, b)))`,
      join(dir, "a.json"),
      join(dir, "b.json"),
    );
    assert.match(out, /^ok /);
    assert.deepEqual(manifestDiff(manifest, manifest), []);
  },
);

test("audit: chain links, request signatures and the table's rules; a changed entry or remembered head is caught", () => {
  const key = b64u(publicKey(SEED));
  const caseId = `c_${"A".repeat(22)}`;
  const T = 1780000000;
  const at = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  const entries = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= 3; seq++) {
    const path = `/v1/team/cases/${caseId}`;
    const h = signRequest("GET", path, {}, new Uint8Array(0), { memberId: MEMBER, seed: SEED, created: T + seq });
    const request =
      seq === 1
        ? null
        : {
            "@method": "GET",
            "@path": path,
            "@query": "?",
            "Content-Digest": null,
            "Signature-Input": h["Signature-Input"],
            Signature: h.Signature,
          };
    const entry = {
      seq,
      prev,
      day_time: at(T + seq),
      member: seq === 1 ? null : MEMBER,
      action: seq === 1 ? "manifest.publish" : "case.read",
      case: seq === 1 ? null : caseId,
      request,
    };
    entries.push(entry);
    prev = entryHash(entry);
  }
  const keysOf = (id) => (id === MEMBER ? [key] : []);
  const ok = verifyAudit(entries, keysOf);
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.verdicts, ["system", "ok", "ok"]);
  assert.deepEqual(ok.head, { seq: 3, hash: prev });
  // A signed read recorded as a purge: the table says it is a read, and the link breaks.
  const edited = entries.map((e) => (e.seq === 2 ? { ...e, action: "case.purge" } : e));
  assert.deepEqual(verifyAudit(edited, keysOf).problems, [
    { seq: 2, problem: "action" },
    { seq: 3, problem: "chain" },
  ]);
  const forged = entries.map((e) => (e.seq === 3 ? { ...e, request: { ...e.request, "@path": "/v1/team/audit" } } : e));
  assert.deepEqual(verifyAudit(forged, keysOf).problems, [{ seq: 3, problem: "signature" }]);
  assert.deepEqual(verifyAudit(entries.slice(0, 2), keysOf, ok.head).problems, [{ seq: 3, problem: "head" }]);
});

test("teamops: entries verify for their author only; a tampered case blocks writing", async () => {
  const { members, manifest } = await makeTeam();
  const [alice, bob] = members;
  const replyTo = members[2].recipient;
  const report = {
    v: 1,
    type: "report",
    form: { summary: "x" },
    reply_to: replyTo,
    reporter_key: b64u(publicKey(generateSeed())),
    access: manifest.members.map((m) => m.id),
    manifest: 1,
    attachments: [],
    lang: "en",
  };
  assert.equal(reportProblem(report, replyTo), null);
  const detail = { reply_to: replyTo, access: report.access };
  assert.deepEqual(consistencyWarnings([manifest], detail, report), []);
  assert.deepEqual(
    consistencyWarnings([manifest], { ...detail, reply_to: alice.recipient }, report).map((w) => w.code),
    ["report"],
  );
  // A member taken off is no mismatch (protocol §4.4); one put on without a grant is.
  assert.deepEqual(consistencyWarnings([manifest], { ...detail, access: report.access.slice(1) }, report), []);
  assert.deepEqual(
    consistencyWarnings([manifest], { ...detail, access: [...report.access, "m_" + "A".repeat(20)] }, report).map(
      (w) => w.code,
    ),
    ["access"],
  );
  const doc = buildEntry({
    kind: "message",
    replyTo,
    member: alice.id,
    prev: null,
    text: "hello",
    attachments: [],
    seed: alice.seed,
  });
  const listing = { id: doc.id, from: "team" };
  const keys = [b64u(publicKey(alice.seed))];
  assert.equal(checkEntry(doc, "message", listing, replyTo, keys), "ok");
  assert.equal(checkEntry(doc, "note", listing, replyTo, keys), "route");
  assert.equal(checkEntry({ ...doc, text: "changed" }, "message", listing, replyTo, keys), "signature");
  assert.equal(checkEntry(doc, "message", listing, replyTo, [b64u(publicKey(bob.seed))]), "signature");
  assert.equal(checkEntry(doc, "message", listing, alice.recipient, keys), "case");
  // The opener decrypts with a stanza hint, right or wrong.
  const sealed = await sealDocument(
    doc,
    manifest.members.map((m) => m.recipient),
  );
  const opener = new Opener([bob.identity]);
  for (const hint of [-1, 0, 1, 2, 7]) assert.equal((await opener.document(sealed, hint)).id, doc.id);
  assert.equal(typeof blobHash(sealed), "string");
});
