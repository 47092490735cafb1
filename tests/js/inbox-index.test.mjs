// The personal inbox index (protocol §4.4 "Inbox index", issue 20) with
// real age sealing and Ed25519 signatures: an unlock keeps what the case
// list confirms and decrypts only what is new; a case the member was taken
// off leaves the index; a key rotation, a foreign, forged or replayed index
// and one that disagrees with the case list are refused, so the console
// rebuilds from the reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { Opener, sealDocument } from "../../frontend/src/lib/documents.js";
import { b64u, fromUtf8 } from "../../frontend/src/lib/encoding.js";
import { paddedSize } from "../../frontend/src/lib/padding.js";
import { generateSeed, publicKey, signDocument } from "../../frontend/src/lib/sign.js";
import {
  entryOf,
  fieldsOf,
  IndexRejected,
  openIndex,
  planUnlock,
  reportFields,
  sealIndex,
} from "../../frontend/src/lib/inbox-index.js";

const TODAY = "2026-11-30";
const id = (n) => `c_${String(n).padStart(22, "A")}`;

async function member(name) {
  const identity = await generateX25519Identity();
  const seed = generateSeed();
  return {
    identity,
    owner: {
      member: `m_${name.padEnd(20, "x")}`,
      recipient: await identityToRecipient(identity),
      signingKey: b64u(publicKey(seed)),
      signingSeed: seed,
    },
  };
}

const summary = (n, updated = "2026-11-20") => ({
  id: id(n),
  status: "received",
  received: "2026-11-01",
  updated,
  assignee: null,
  access: [],
  acknowledge_by: "2026-11-08",
  feedback_by: "2027-02-01",
  overdue: false,
  report: { id: `b_${String(n).padStart(22, "R")}`, size: 4096 },
});

const entry = (n, last = null) =>
  entryOf(summary(n), reportFields({ form: { summary: `Report ${n}`, category: "other", urgency: "normal" } }), last);

test("an unlock keeps the confirmed entries, drops cases taken off and decrypts only new ones", async () => {
  const ada = await member("ada");
  const sealed = await sealIndex(ada.owner, [entry(1), entry(2, "reporter"), entry(3)], 4, "2026-11-25");
  const index = await openIndex(new Opener([ada.identity]), sealed, ada.owner, 4, TODAY);
  // Case 2 was taken from Ada (revoked) and is no longer listed; 3 changed since; 4 is new.
  const listing = [summary(1), summary(3, "2026-11-28"), summary(4)];
  const { known, todo } = planUnlock(index, listing, new Map([[id(3), "team"]]));
  assert.deepEqual([...known.keys()].sort(), [id(1), id(3)]);
  assert.equal(known.has(id(2)), false);
  assert.deepEqual(
    todo.map((s) => s.id),
    [id(4)],
  );
  assert.equal(known.get(id(3)).last, "team");
  assert.equal(known.get(id(3)).updated, "2026-11-28");
  assert.equal(known.get(id(1)).summary, "Report 1");
});

test("the index is padded like every document: the server learns only the padded size", async () => {
  const ada = await member("ada");
  for (const count of [1, 40]) {
    const cases = Array.from({ length: count }, (_, n) => entry(n));
    const plain = await new Opener([ada.identity]).bytes(await sealIndex(ada.owner, cases, 1, TODAY));
    const json = fromUtf8(plain).trimEnd();
    assert.equal(plain.length, paddedSize(new TextEncoder().encode(json).length));
    assert.equal(JSON.parse(json).cases.length, count);
  }
});

test("after a key rotation the old index is refused and rebuilt", async () => {
  const old = await member("ada");
  const sealed = await sealIndex(old.owner, [entry(1)], 1, TODAY);
  const rotated = await member("ada");
  // The key file keeps the old identity (it reads older cases): the index still opens, and is refused.
  const opener = new Opener([rotated.identity, old.identity]);
  await assert.rejects(openIndex(opener, sealed, rotated.owner, 1, TODAY), IndexRejected);
});

test("a foreign, forged or replayed index is refused", async () => {
  const ada = await member("ada");
  const grace = await member("grace");
  const opener = new Opener([ada.identity]);
  // Grace's own index, served to Ada: not readable with Ada's keys.
  const foreign = await sealIndex(grace.owner, [entry(1)], 1, TODAY);
  await assert.rejects(openIndex(opener, foreign, ada.owner, 1, TODAY), IndexRejected);
  // Anyone can seal to Ada's recipient; only Ada can sign as Ada.
  const doc = { v: 1, type: "inbox-index", ...ada.owner, seq: 1, cursor: TODAY, cases: [entry(1)] };
  delete doc.signingKey;
  delete doc.signingSeed;
  const forged = await sealDocument(signDocument(doc, grace.owner.signingSeed), [ada.owner.recipient]);
  await assert.rejects(openIndex(opener, forged, ada.owner, 1, TODAY), IndexRejected);
  const genuine = await sealDocument(signDocument(doc, ada.owner.signingSeed), [ada.owner.recipient]);
  assert.equal((await openIndex(opener, genuine, ada.owner, 1, TODAY)).cases.length, 1);
  // Version 1 served again as if it were version 2.
  await assert.rejects(openIndex(opener, genuine, ada.owner, 2, TODAY), IndexRejected);
  // Written "tomorrow".
  const ahead = await sealIndex(ada.owner, [entry(1)], 1, "2026-12-01");
  await assert.rejects(openIndex(opener, ahead, ada.owner, 1, TODAY), IndexRejected);
});

test("an index that disagrees with the case list fails closed", async () => {
  const ada = await member("ada");
  const opener = new Opener([ada.identity]);
  const index = await openIndex(opener, await sealIndex(ada.owner, [entry(1)], 1, TODAY), ada.owner, 1, TODAY);
  const otherReport = { ...summary(1), report: { id: `b_${"Z".repeat(22)}`, size: 4096 } };
  assert.throws(() => planUnlock(index, [otherReport], new Map()), IndexRejected);
  assert.throws(() => planUnlock(index, [summary(1, "2026-11-01")], new Map()), IndexRejected);
  assert.equal(planUnlock(index, [summary(1)], new Map()).known.size, 1);
});

test("an entry keeps the report's sealed drill mark; a flagged case without one is decrypted again", async () => {
  const ada = await member("ada");
  const opener = new Opener([ada.identity]);
  const mark = { drill: "confidential_leak_roadmap", drill_started: "2026-11-29T09:00:00Z" };
  const drillFields = reportFields({ form: { summary: "Drill", category: "leak", urgency: "soon", ...mark } });
  assert.equal(drillFields.drill, "confidential_leak_roadmap");
  assert.equal(
    reportFields({ form: { summary: "x", drill: "confidential_leak_roadmap" } }).drill,
    "",
    "no start: no mark",
  );
  const flagged = (n) => ({ ...summary(n), drill: true });
  const drillEntry = entryOf(flagged(1), drillFields, null);
  assert.equal(drillEntry.drill, "confidential_leak_roadmap");
  assert.equal("drill" in entry(2), false);
  const index = await openIndex(
    opener,
    await sealIndex(ada.owner, [drillEntry, entry(2), entry(3)], 1, TODAY),
    ada.owner,
    1,
    TODAY,
  );
  assert.equal(fieldsOf(index.cases[0]).drill, "confidential_leak_roadmap");
  // Case 2 is flagged now but its entry has no mark (an older index, or a flag the report does not back).
  const { known, todo } = planUnlock(index, [flagged(1), flagged(2), summary(3)], new Map());
  assert.deepEqual([...known.keys()].sort(), [id(1), id(3)]);
  assert.deepEqual(
    todo.map((s) => s.id),
    [id(2)],
  );
  // A malformed mark makes the index malformed.
  const bad = await sealIndex(ada.owner, [{ ...drillEntry, drill: "Not An Id" }], 1, TODAY);
  await assert.rejects(openIndex(opener, bad, ada.owner, 1, TODAY), IndexRejected);
});
