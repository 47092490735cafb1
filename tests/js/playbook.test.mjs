// lib/playbook.ts and lib/replies.ts: the operator's playbooks and reply
// templates as the build checks them, a case's progress from its verified
// notes (the last tick of a step decides, forged notes count for nothing,
// due and overdue from the day received), a tick written as a signed note
// whose signature covers its checklist field, and a template filled in the
// reporter's language.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Decrypter } from "age-encryption";
import { checkNote, decodeV1 } from "../../frontend/src/lib/documents.js";
import { fromB64u } from "../../frontend/src/lib/encoding.js";
import { parsePlaybooks, postTick, progress, summary, tickOf } from "../../frontend/src/lib/playbook.js";
import { fillReply, parseReplies } from "../../frontend/src/lib/replies.js";
import { b64u } from "../../frontend/src/lib/encoding.js";
import { publicKey } from "../../frontend/src/lib/sign.js";
import { makeTeam } from "./support/team.mjs";

const read = (name) => JSON.parse(readFileSync(new URL(`../../frontend/${name}`, import.meta.url), "utf8"));
const LANGS = ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"];
const CATEGORIES = read("questionnaire.json")
  .fields.find((f) => f.key === "category")
  .options.map((o) => o.value);
const BOOKS = parsePlaybooks(read("playbooks.json"), LANGS, CATEGORIES);

test("the default playbooks cover the field's categories, each step with an owner and a time target", () => {
  const ids = (c) => BOOKS.playbooks[c].map((s) => s.id);
  assert.deepEqual(ids("account_compromised"), [
    "contain",
    "revoke_sessions",
    "rotate_credentials",
    "contact_platform",
    "check_posts",
    "notify_affected",
  ]);
  assert.deepEqual(ids("confidential_leak"), [
    "preserve_evidence",
    "scope_leak",
    "legal_hold",
    "takedown",
    "holding_statement",
    "notify_affected",
  ]);
  assert.deepEqual(ids("unauthorised_post"), ["capture", "remove", "statement"]);
  assert.deepEqual(ids("harassment"), ["safety_first", "involve_hr", "preserve_evidence"]);
  for (const steps of Object.values(BOOKS.playbooks)) {
    for (const s of steps) {
      assert.ok(BOOKS.owners[s.owner] && s.hours >= 1 && s.text.en && s.text.de, s.id);
    }
  }
});

test("a bad playbook is refused with what and where", () => {
  const bad = (edit) => {
    const raw = structuredClone(read("playbooks.json"));
    edit(raw);
    return () => parsePlaybooks(raw, LANGS, CATEGORIES);
  };
  assert.throws(
    bad((r) => (r.playbooks.nope = r.playbooks.harassment)),
    /"nope" is not a questionnaire category/,
  );
  assert.throws(
    bad((r) => (r.playbooks.harassment[2].hours = 1.5)),
    /harassment\[2\]: hours must be a whole number/,
  );
  assert.throws(
    bad((r) => (r.playbooks.harassment[0].text.de = "\u202eevil")),
    /harassment\[0\]\.text\.de: must be a text/,
  );
  assert.throws(
    bad((r) => (r.extra = 1)),
    /unknown field extra/,
  );
  assert.throws(
    bad((r) => (r.playbooks.harassment[0].owner = "cleaner")),
    /owner must be one of security, legal/,
  );
});

const RECEIVED = "2026-11-30";
const at = (hours) => new Date(Date.parse(`${RECEIVED}T00:00:00Z`) + hours * 3_600_000);
const tickNote = (seq, step, done, when, member = "m_alice", verdict = "ok") => ({
  meta: { seq },
  verdict,
  doc: {
    member,
    checklist: { v: 1, playbook: "confidential_leak", step, done, at: when.toISOString().replace(/\.\d+Z$/, "Z") },
  },
});

test("progress: the last verified tick of each step decides; forged and foreign ticks count for nothing", () => {
  const notes = [
    tickNote(1, "preserve_evidence", true, at(2)),
    tickNote(2, "scope_leak", true, at(3)),
    tickNote(4, "scope_leak", false, at(5), "m_bob"),
    tickNote(3, "legal_hold", true, at(30)),
    tickNote(5, "takedown", true, at(6), "m_mallory", "signature"),
    { meta: { seq: 6 }, verdict: "ok", doc: { member: "m_alice", text: "plain note" } },
    {
      meta: { seq: 7 },
      verdict: "ok",
      doc: { member: "m_alice", checklist: { v: 1, playbook: "harassment", step: "takedown", done: true, at: "x" } },
    },
  ];
  const states = progress(BOOKS, "confidential_leak", RECEIVED, notes, at(25));
  const by = Object.fromEntries(states.map((s) => [s.step.id, s]));
  assert.equal(by.preserve_evidence.done, true);
  assert.equal(by.preserve_evidence.by, "m_alice");
  assert.equal(by.preserve_evidence.late, false);
  // Ticked at seq 2, unticked by Bob at seq 4: open, and past its 24 h.
  assert.equal(by.scope_leak.done, false);
  assert.equal(by.scope_leak.by, "m_bob");
  assert.equal(by.scope_leak.overdue, true);
  // Done after its 24 h target: late, not overdue.
  assert.equal(by.legal_hold.done, true);
  assert.equal(by.legal_hold.late, true);
  assert.equal(by.legal_hold.overdue, false);
  // A forged tick is not a tick.
  assert.equal(by.takedown.done, false);
  assert.equal(by.takedown.overdue, false);
  assert.equal(by.takedown.due.toISOString(), "2026-12-02T00:00:00.000Z");
  assert.deepEqual(summary(states), { done: 2, total: 6, overdue: 2 });
  assert.deepEqual(progress(BOOKS, "other", RECEIVED, notes), []);
  assert.deepEqual(progress(BOOKS, undefined, RECEIVED, notes), []);
});

test("tickOf refuses a checklist field with another shape", () => {
  const ok = { v: 1, playbook: "harassment", step: "involve_hr", done: true, at: "2026-11-30T10:00:00Z" };
  assert.deepEqual(tickOf({ checklist: ok }), ok);
  for (const bad of [
    { ...ok, v: 2 },
    { ...ok, done: "yes" },
    { ...ok, at: "2026-11-30" },
    { ...ok, step: "Involve HR" },
    { ...ok, extra: 1 },
  ]) {
    assert.equal(tickOf({ checklist: bad }), null, JSON.stringify(bad));
  }
});

test("a tick is a note sealed to the access recipients, its signature covering the checklist field", async () => {
  const { members, manifest } = await makeTeam();
  const [alice] = members;
  const detail = { id: "c_x", reply_to: members[1].recipient, access: members.map((m) => m.id) };
  const posted = [];
  const client = { call: async (method, path, opts) => posted.push({ method, path, body: opts.body }) };
  const writer = { key: { member: alice.id, signingSeed: alice.seed }, client };
  const now = new Date("2026-11-30T09:15:42.123Z");
  const tick = { playbook: "confidential_leak", step: "legal_hold", done: true, text: "Checklist: done — Legal hold" };
  await postTick(writer, manifest, { detail, warnings: [] }, tick, now);
  assert.equal(posted.length, 1);
  const { method, path, body } = posted[0];
  assert.equal(`${method} ${path}`, "POST /v1/team/cases/c_x/notes");
  const d = new Decrypter();
  d.addIdentity(members[2].identity);
  const doc = decodeV1(await d.decrypt(fromB64u(body.note)));
  assert.equal(doc.id, body.id);
  assert.equal(doc.type, "note");
  assert.equal(doc.text, tick.text);
  assert.deepEqual(doc.checklist, {
    v: 1,
    playbook: "confidential_leak",
    step: "legal_hold",
    done: true,
    at: "2026-11-30T09:15:42Z",
  });
  const keys = [b64u(publicKey(alice.seed))];
  const route = { from: "team", id: body.id };
  assert.equal(checkNote(doc, route, detail.reply_to, keys), "ok");
  // Changing the tick breaks the signature: who ticked what is signed.
  assert.equal(
    checkNote({ ...doc, checklist: { ...doc.checklist, done: false } }, route, detail.reply_to, keys),
    "signature",
  );
  // A warning that blocks writing writes nothing.
  await assert.rejects(postTick(writer, manifest, { detail, warnings: [{ code: "access" }] }, tick, now));
  assert.equal(posted.length, 1);
});

test("a reply template is filled in the reporter's language, English when it lacks it", () => {
  const replies = parseReplies(read("replies.json"), LANGS);
  const ack = replies.replies.find((r) => r.id === "acknowledge");
  const values = { case: "c_1", received: "2026-11-30", acknowledge_by: "2026-12-07", feedback_by: "2027-03-07" };
  const de = fillReply(ack, "de", values);
  assert.equal(de.lang, "de");
  assert.match(de.text, /^Vielen Dank für Ihre Meldung\..* Bis zum 2027-03-07 /);
  const pl = fillReply(ack, "pl", values);
  assert.equal(pl.lang, "en");
  assert.match(pl.text, /by 2027-03-07\./);
  assert.doesNotMatch(pl.text + de.text, /\{/);
  const bad = { v: 1, replies: [{ id: "x", label: { en: "X" }, text: { en: "Hello {name}" } }] };
  assert.throws(() => parseReplies(bad, LANGS), /replies\[0\]\.text\.en: unknown placeholder \{name\}/);
  const twice = { v: 1, replies: [ack, ack] };
  assert.throws(() => parseReplies(twice, LANGS), /id "acknowledge" appears twice/);
});
