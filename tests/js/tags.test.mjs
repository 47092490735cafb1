// lib/case-meta.ts, lib/replies.ts's bulk parts and the inbox index's tags
// (protocol §2.2 "Tags and links", §4.4 "Inbox index"): the last verified
// tags or links note decides and forged ones count for nothing; a note is
// sealed to the team alone with a signature covering the field; typed tags
// are normalised; an acknowledgement is sent only to a case nobody answered;
// a batch goes on past a failure and lists it; and the index carries tags.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { checkNote, decodeV1, Opener } from "../../frontend/src/lib/documents.js";
import { b64u, fromB64u } from "../../frontend/src/lib/encoding.js";
import { currentLinks, currentTags, linksOf, parseTags, postMeta, tagsOf } from "../../frontend/src/lib/case-meta.js";
import { entryOf, IndexRejected, openIndex, reportFields, sealIndex } from "../../frontend/src/lib/inbox-index.js";
import { ackStep, ackValues, alreadySent, eachCase } from "../../frontend/src/lib/replies.js";
import { generateSeed, publicKey, signDocument } from "../../frontend/src/lib/sign.js";
import { makeTeam } from "./support/team.mjs";

const AT = "2026-11-30T09:15:42Z";
const caseId = (n) => `c_${String(n).padStart(22, "A")}`;
const note = (seq, field, verdict = "ok", member = "m_ada") => ({ meta: { seq }, verdict, doc: { member, ...field } });

test("the last verified tags note decides; a forged or malformed one counts for nothing", () => {
  const notes = [
    note(3, { tags: { v: 1, tags: ["press"], at: AT } }, "signature"),
    note(1, { tags: { v: 1, tags: ["leak", "roadmap"], at: AT } }),
    note(2, { tags: { v: 1, tags: ["leak"], at: AT } }, "ok", "m_bob"),
    note(4, { tags: { v: 1, tags: ["Bad, comma"], at: AT } }),
    note(5, { text: "an ordinary note" }),
  ];
  assert.deepEqual(currentTags(notes), { tags: ["leak"], by: "m_bob", at: AT });
  assert.deepEqual(currentTags([]), { tags: [], by: null, at: null });
  // A later empty set removes every tag.
  assert.deepEqual(currentTags([...notes, note(6, { tags: { v: 1, tags: [], at: AT } })]).tags, []);
});

test("tags and links fields of another shape make an ordinary note", () => {
  const ok = { v: 1, tags: ["a"], at: AT };
  assert.deepEqual(tagsOf({ tags: ok }), ok);
  for (const bad of [
    { ...ok, v: 2 },
    { ...ok, extra: 1 },
    { ...ok, at: "yesterday" },
    { ...ok, tags: ["a", "a"] },
    { ...ok, tags: [""] },
    { ...ok, tags: [" a"] },
    { ...ok, tags: ["x".repeat(41)] },
    { ...ok, tags: ["a\u202eb"] },
    { ...ok, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    { ...ok, tags: "a" },
  ])
    assert.equal(tagsOf({ tags: bad }), null, JSON.stringify(bad));
  const links = { v: 1, cases: [caseId(2)], at: AT };
  assert.deepEqual(linksOf({ links }, caseId(1)), links);
  assert.equal(linksOf({ links }, caseId(2)), null, "a link to itself");
  assert.equal(linksOf({ links: { ...links, cases: ["c_short"] } }, caseId(1)), null);
  assert.equal(linksOf({ links: { ...links, cases: [caseId(2), caseId(2)] } }, caseId(1)), null);
  const linked = [note(1, { links }), note(2, { links: { ...links, cases: [caseId(3)] } }, "signature")];
  assert.deepEqual(currentLinks(linked, caseId(1)), [caseId(2)]);
});

test("typed tags are trimmed, lower-cased and deduplicated; bad ones are refused", () => {
  assert.deepEqual(parseTags(" Leak ,roadmap,, LEAK ,  Press   office "), ["leak", "roadmap", "press office"]);
  assert.deepEqual(parseTags(""), []);
  assert.throws(() => parseTags("x".repeat(41)));
  assert.throws(() => parseTags("a\u0007b"));
  assert.throws(() => parseTags(Array.from({ length: 21 }, (_, i) => `t${i}`).join(",")));
});

async function writeMeta(meta) {
  const { members, manifest } = await makeTeam();
  const [alice] = members;
  const detail = { id: caseId(1), reply_to: members[1].recipient, access: members.map((m) => m.id) };
  const posted = [];
  const client = { call: async (method, path, opts) => posted.push({ method, path, body: opts.body }) };
  const writer = { key: { member: alice.id, signingSeed: alice.seed }, client };
  await postMeta(writer, manifest, { detail, warnings: [] }, meta, "Tags: leak", new Date("2026-11-30T09:15:42.5Z"));
  return { members, detail, posted, alice, writer, manifest };
}

test("a tags note is sealed to the team, signed over its tags field", async () => {
  const { members, detail, posted, alice } = await writeMeta({ tags: ["leak"] });
  assert.equal(posted.length, 1);
  const { method, path, body } = posted[0];
  assert.equal(`${method} ${path}`, `POST /v1/team/cases/${caseId(1)}/notes`);
  const d = new Decrypter();
  d.addIdentity(members[2].identity);
  const doc = decodeV1(await d.decrypt(fromB64u(body.note)));
  assert.deepEqual(doc.tags, { v: 1, tags: ["leak"], at: AT });
  assert.equal(doc.type, "note");
  const keys = [b64u(publicKey(alice.seed))];
  const route = { from: "team", id: body.id };
  assert.equal(checkNote(doc, route, detail.reply_to, keys), "ok");
  assert.equal(
    checkNote({ ...doc, tags: { ...doc.tags, tags: ["other"] } }, route, detail.reply_to, keys),
    "signature",
  );
  // Sealed to the access recipients: exactly one stanza per member, none for the reporter's reply_to.
  const header = new TextDecoder().decode(fromB64u(body.note).slice(0, 4000));
  assert.equal((header.match(/^-> /gm) ?? []).length, members.length);
});

test("a links note sorts its cases, and a malformed set or a blocked case writes nothing", async () => {
  const { members, posted } = await writeMeta({ links: [caseId(3), caseId(2)] });
  const d = new Decrypter();
  d.addIdentity(members[0].identity);
  const doc = decodeV1(await d.decrypt(fromB64u(posted[0].body.note)));
  assert.deepEqual(doc.links.cases, [caseId(2), caseId(3)]);
  await assert.rejects(writeMeta({ links: [caseId(1)] }), /malformed/);
  await assert.rejects(writeMeta({ tags: ["a,b"] }), /malformed/);
  const { writer, manifest, detail } = await writeMeta({ tags: [] });
  const before = writer.client;
  let calls = 0;
  writer.client = { call: async () => calls++ };
  await assert.rejects(postMeta(writer, manifest, { detail, warnings: [{ code: "access" }] }, { tags: [] }, "x"));
  assert.equal(calls, 0);
  writer.client = before;
});

test("an acknowledgement goes only to a new case nobody answered", () => {
  const c = (status, acknowledged, ...from) => ({
    detail: { status, acknowledged },
    messages: from.map((f) => ({ meta: { from: f } })),
  });
  assert.equal(ackStep(c("received", null)), "send");
  assert.equal(ackStep(c("received", null, "reporter")), "send");
  assert.equal(ackStep(c("received", "2026-11-30", "team")), "status");
  assert.equal(ackStep(c("received", null, "team")), "status");
  assert.equal(ackStep(c("acknowledged", "2026-11-30", "team")), "none");
  assert.equal(ackStep(c("closed", null)), "none");
});

test("a batch goes on past a failure, reports each case once and keeps the order", async () => {
  const seen = [];
  const outcomes = await eachCase(
    ["a", "b", "c", "d"],
    async (id) => {
      await new Promise((r) => setTimeout(r, id === "a" ? 20 : 1));
      if (id === "b") throw new Error("503");
      return "sent";
    },
    (o, done) => seen.push([o.case, o.result, done]),
  );
  assert.deepEqual(
    outcomes.map((o) => [o.case, o.result]),
    [
      ["a", "sent"],
      ["b", "failed"],
      ["c", "sent"],
      ["d", "sent"],
    ],
  );
  assert.equal(outcomes[1].error.message, "503");
  assert.deepEqual(
    seen.map((s) => s[2]),
    [1, 2, 3, 4],
  );
  assert.deepEqual(seen.map((s) => s[0]).sort(), ["a", "b", "c", "d"]);
});

test("a reply composed once is not sent again to a thread that holds it", () => {
  const m = (text, member = "m_ada", verdict = "ok", from = "team") => ({ verdict, doc: { from, member, text } });
  assert.equal(alreadySent([m("Hello")], "m_ada", "Hello"), true);
  assert.equal(alreadySent([m("Hello", "m_bob")], "m_ada", "Hello"), false);
  assert.equal(alreadySent([m("Hello", "m_ada", "signature")], "m_ada", "Hello"), false);
  assert.equal(alreadySent([m("Hello", null, "ok", "reporter")], "m_ada", "Hello"), false);
});

test("the inbox index carries each case's tags, and refuses malformed ones", async () => {
  const identity = await generateX25519Identity();
  const seed = generateSeed();
  const owner = {
    member: "m_" + "a".repeat(20),
    recipient: await identityToRecipient(identity),
    signingKey: b64u(publicKey(seed)),
    signingSeed: seed,
  };
  const summary = (n) => ({ id: caseId(n), updated: "2026-11-20", report: { id: `b_${"R".repeat(22)}` } });
  const fields = reportFields({ form: { summary: "S", category: "other", urgency: "normal" } });
  const entries = [entryOf(summary(1), fields, null, ["leak"]), entryOf(summary(2), fields, null, null)];
  assert.equal("tags" in entries[1], false, "unknown tags are left out");
  const opener = new Opener([identity]);
  const index = await openIndex(opener, await sealIndex(owner, entries, 1, "2026-11-30"), owner, 1, "2026-11-30");
  assert.deepEqual(index.cases[0].tags, ["leak"]);
  const bad = { ...entries[0], tags: ["a,b"] };
  // A forged-looking entry, signed by the owner, is still refused for its shape.
  const doc = signDocument(
    {
      v: 1,
      type: "inbox-index",
      member: owner.member,
      recipient: owner.recipient,
      seq: 1,
      cursor: "2026-11-30",
      cases: [bad],
    },
    seed,
  );
  const { sealDocument } = await import("../../frontend/src/lib/documents.js");
  await assert.rejects(
    openIndex(opener, await sealDocument(doc, [owner.recipient]), owner, 1, "2026-11-30"),
    IndexRejected,
  );
});

test("an acknowledgement promises feedback by the day it is due once acknowledged", () => {
  const d = {
    id: "c_1",
    received: "2026-11-25",
    acknowledge_by: "2026-12-02",
    feedback_by: "2027-03-02",
    acknowledged: null,
  };
  // Acknowledged on 30 November: feedback within 3 months of that day, not of the acknowledge-by day.
  assert.equal(ackValues(d, "2026-11-30").feedback_by, "2027-02-28");
  assert.equal(ackValues(d, "2026-11-30").acknowledge_by, "2026-12-02");
  // Already acknowledged (the team wrote before): the case's own day stands.
  assert.equal(ackValues({ ...d, acknowledged: "2026-11-26" }, "2026-11-30").feedback_by, "2027-03-02");
});
