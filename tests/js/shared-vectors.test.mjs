// The browser twin against the shared vectors in tests/vectors/ that
// tests/test_shared_vectors.py runs against the Python client: documents,
// audit chains, key files, ids and the manifest chain rules. Every verdict
// must match. Where the twins disagree, the vector is listed in
// EXPECTED_FAILURES with the reason; such a vector must still fail, so the
// list shrinks as the twins are fixed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fromB64u, fromHex } from "../../frontend/src/lib/encoding.js";
import * as check from "../../frontend/src/lib/check.js";
import {
  attachmentOk,
  authorKeys,
  checkMessage,
  checkReport,
  findGaps,
  previousMessage,
} from "../../frontend/src/lib/documents.js";
import { entryHash, parseHead, verifyAudit } from "../../frontend/src/lib/audit.js";
import { KeyFileInvalid, KeyFileLocked, keyFromPlaintext, openKeyFile } from "../../frontend/src/lib/keyfile.js";
import { memberSigningKeys, verifyChain } from "../../frontend/src/lib/manifest.js";
import { buildMemberEntry, signManifest } from "../../frontend/src/lib/roster.js";

const DIR = new URL("../vectors/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, DIR), "utf8"));

// "file: vector" (or "ids.json: <kind> *" for every id of a kind) -> why the browser twin disagrees (see /tmp/coord/requests-vectors.md).
const EXPECTED_FAILURES = new Map([]);

/** One vector as a subtest; an expected failure must fail. */
function vector(t, file, name, fn) {
  const why = EXPECTED_FAILURES.get(`${file}: ${name}`) ?? EXPECTED_FAILURES.get(`${file}: ${name.split(" ")[0]} *`);
  if (why === undefined) return t.test(name, fn);
  return t.test(`${name} [expected failure: ${why}]`, async () => {
    // Only a wrong verdict counts: a crash is not the disagreement listed.
    await assert.rejects(
      async () => fn(),
      assert.AssertionError,
      `${file}: ${name} now passes: remove it from EXPECTED_FAILURES`,
    );
  });
}

test("every vector file is run by a JS test", () => {
  const sources = readdirSync(new URL("./", import.meta.url))
    .filter((f) => f.endsWith(".test.mjs"))
    .map((f) => readFileSync(new URL(f, import.meta.url), "utf8"))
    .join("\n");
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
  assert.ok(files.length >= 10, files.join());
  for (const file of files) {
    const stem = file.slice(0, -".json".length);
    const quoted = new RegExp(`["'\`]${stem.replace(/[.-]/g, "\\$&")}(\\.json)?["'\`]`);
    assert.match(sources, quoted, `no tests/js/*.test.mjs reads tests/vectors/${file}`);
  }
});

test("every expected failure names a vector", () => {
  const names = new Set();
  const v = { documents: load("documents.json"), audit: load("audit.json"), keyfile: load("keyfile.json") };
  v.documents.messages.forEach((c) => names.add(`documents.json: ${c.name}`));
  v.documents.reports.forEach((c) => names.add(`documents.json: report ${c.name}`));
  v.audit.cases.forEach((c) => names.add(`audit.json: ${c.name}`));
  [...v.keyfile.files, ...v.keyfile.plaintexts].forEach((c) => names.add(`keyfile.json: ${c.name}`));
  load("manifest-chain.json").cases.forEach((c) => names.add(`manifest-chain.json: ${c.name}`));
  load("ids.json").ids.forEach((c) => names.add(`ids.json: ${c.kind} *`));
  for (const key of EXPECTED_FAILURES.keys()) assert.ok(names.has(key), key);
});

test("documents: messages and notes", async (t) => {
  const v = load("documents.json");
  for (const c of v.messages) {
    await vector(t, "documents.json", c.name, () => {
      const keys = authorKeys(c.document, v.chain, v.reporter_key);
      const route = { from: c.route.from, id: c.route.id };
      const verdict = checkMessage(c.document, c.route.kind, route, v.reply_to, keys);
      assert.equal(verdict === "ok" ? "valid" : verdict, c.verdict);
    });
  }
});

test("documents: reports", async (t) => {
  const v = load("documents.json");
  for (const c of v.reports) {
    await vector(t, "documents.json", `report ${c.name}`, () => {
      const verdict = checkReport(c.document, c.case_reply_to);
      assert.equal(verdict === "ok" ? "valid" : verdict, c.verdict);
    });
  }
});

test("documents: threads (gaps and the previous message)", async (t) => {
  for (const c of load("documents.json").threads) {
    await vector(t, "documents.json", `thread ${c.name}`, () => {
      // A reader keeps the document of a verified message only.
      const items = c.items.map((i) => ({ ...i, doc: i.verdict === "valid" ? { prev: i.prev } : null }));
      assert.deepEqual([...findGaps(items)].sort(), c.gaps);
      const thread = c.items.map((i) => ({ verdict: i.verdict === "valid" ? "ok" : i.verdict, hash: i.hash }));
      assert.equal(previousMessage(thread), c.prev);
    });
  }
});

test("audit chains", async (t) => {
  const v = load("audit.json");
  const keysOf = (member) => memberSigningKeys(v.chain, member);
  for (const c of v.cases) {
    await vector(t, "audit.json", c.name, () => {
      const result = verifyAudit(c.entries, keysOf, c.remembered);
      assert.deepEqual(result.problems, c.problems);
      assert.deepEqual(result.head, c.head);
      if (c.entries.length) assert.equal(entryHash(c.entries.at(-1)), c.head.hash);
    });
  }
});

test("audit head files", async (t) => {
  for (const c of load("audit.json").head_files) {
    await vector(t, "audit.json", `head file ${c.name}`, () => {
      let head = null;
      try {
        head = parseHead(c.data);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
      }
      assert.deepEqual(head, c.head);
    });
  }
});

async function openVerdict(sealed, passphrase) {
  try {
    return { verdict: "open", key: await openKeyFile(sealed, passphrase) };
  } catch (err) {
    if (err instanceof KeyFileLocked) return { verdict: "locked" };
    if (err instanceof KeyFileInvalid) return { verdict: "invalid" };
    throw err;
  }
}

test("key files: sealed", async (t) => {
  const v = load("keyfile.json");
  for (const c of v.files) {
    await vector(t, "keyfile.json", c.name, async () => {
      const { verdict, key } = await openVerdict(fromB64u(c.sealed_b64u), c.passphrase);
      assert.equal(verdict, c.verdict);
      if (c.key) {
        assert.equal(key.member, c.key.member);
        assert.deepEqual(key.identities, c.key.identities);
        assert.deepEqual(key.signingSeed, fromB64u(c.key.signing_seed));
        assert.equal(key.api, c.key.api);
      }
    });
  }
});

test("key files: plaintexts", async (t) => {
  const v = load("keyfile.json");
  for (const c of v.plaintexts) {
    await vector(t, "keyfile.json", c.name, async () => {
      let verdict = "valid";
      try {
        await keyFromPlaintext(fromHex(c.plaintext_hex));
      } catch (err) {
        if (!(err instanceof KeyFileInvalid)) throw err;
        verdict = "invalid";
      }
      assert.equal(verdict, c.verdict);
    });
  }
});

// The browser's checkers of each id kind, as its documents and manifests use them.
const ATTACHMENT = { name: "a", type: "text/plain", size: 1, sha256: "0".repeat(64) };
const ID_CHECKS = {
  m: (value) => check.isMemberId(value),
  a: (value) => attachmentOk({ ...ATTACHMENT, id: value }),
  // A well-formed unsigned message: only the id can make it malformed.
  b: (value) => {
    const doc = { v: 1, type: "note", id: value, case: "x", from: "team", member: "m_" + "A".repeat(20) };
    const verdict = checkMessage({ ...doc, prev: null, text: "", attachments: [] }, "note", { from: "team" }, "", []);
    return verdict !== "malformed";
  },
  c: (value) => {
    assert.equal(typeof check.isCaseId, "function", "frontend/src/lib/check.ts has no isCaseId");
    return check.isCaseId(value);
  },
};

test("ids", async (t) => {
  for (const c of load("ids.json").ids) {
    await vector(t, "ids.json", `${c.kind} ${JSON.stringify(c.value)}`, () =>
      assert.equal(ID_CHECKS[c.kind](c.value), c.valid),
    );
  }
});

test("manifest chain rules", async (t) => {
  const v = load("manifest-chain.json");
  for (const c of v.cases) {
    await vector(t, "manifest-chain.json", c.name, () => {
      const anchor = c.anchor === "v1" ? v.v1 : c.anchor;
      let latest;
      try {
        latest = verifyChain(anchor, c.later, c.today).at(-1).version;
      } catch (err) {
        if (err?.constructor?.name !== "ManifestInvalid") throw err;
        latest = null;
      }
      assert.equal(latest, c.latest);
    });
  }
});

test("manifest rotation, continuity and re-anchor rules", async (t) => {
  for (const c of load("manifest-rotation.json").cases) {
    await vector(t, "manifest-rotation.json", c.name, () => {
      let latest;
      try {
        latest = verifyChain(c.anchor, c.later, c.today).at(-1).version;
      } catch (err) {
        if (err?.constructor?.name !== "ManifestInvalid") throw err;
        latest = null;
      }
      assert.equal(latest, c.latest);
    });
  }
});

// Building what the chain verifies (candor/roster.py's twin): Ed25519 is
// deterministic, so the browser must rebuild manifest.json's entries and sigs.
test("roster: entries and signatures of manifest.json", async (t) => {
  const v = load("manifest.json");
  const seed = (person, generation) => fromHex(v.members[person].signing_seeds_hex[generation - 1]);
  const entry = (version, person) => v.manifests[version].members.find((m) => m.id === v.members[person].id);
  await t.test("carol's entry", () => {
    const carol = entry("v1", "carol");
    assert.deepEqual(buildMemberEntry(carol, seed("carol", 1)), carol);
  });
  await t.test("bob's rotated entry", () => {
    const bob1 = entry("v1", "bob");
    const bob2 = entry("v2", "bob");
    assert.deepEqual(buildMemberEntry(bob2, seed("bob", 2), bob1, seed("bob", 1)), bob2);
  });
  await t.test("v2 signed by alice, then bob", () => {
    const v2 = v.manifests.v2;
    let signed = { ...v2, sigs: [] };
    signed = signManifest(signed, v.members.alice.id, seed("alice", 1));
    signed = signManifest(signed, v.members.bob.id, seed("bob", 1));
    assert.deepEqual(signed, v2);
  });
});
