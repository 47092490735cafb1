// The manifest's lifecycle in the browser library (protocol §4.5, revision 4),
// the twin of tests/test_manifest.py's lifecycle tests: an expired head stays
// readable, renewal and re-anchors, removed members left out of new entries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fromHex } from "../../frontend/src/lib/encoding.js";
import { chainStatus, daysLeft } from "../../frontend/src/lib/manifest-status.js";
import {
  ManifestInvalid,
  recipientsForAccess,
  verifyBuiltIn,
  verifyChain,
  verifyNext,
} from "../../frontend/src/lib/manifest.js";
import { buildMemberEntry, reanchorManifest, renewManifest, signManifest } from "../../frontend/src/lib/roster.js";
import { entryRecipients, ManifestExpired, postEntry } from "../../frontend/src/lib/teamops.js";
import { pendingProposal, proposeManifest, signProposal } from "../../frontend/src/lib/proposals.js";
import { ApiError } from "../../frontend/src/lib/api.js";
import { checkPartial, nextManifest } from "../../frontend/src/lib/roster.js";

const v = JSON.parse(readFileSync(new URL("../vectors/manifest.json", import.meta.url), "utf8"));
const { v1, v2, v3 } = v.manifests;
const seed = (person, generation = 1) => fromHex(v.members[person].signing_seeds_hex[generation - 1]);
const id = (person) => v.members[person].id;
const entry = (manifest, person) => manifest.members.find((m) => m.id === id(person));
const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

test("chainStatus marks an expired head instead of refusing it", () => {
  const last = chainStatus(v1, [v2, v3], v3.expires);
  assert.deepEqual([last.newest.version, last.expired, last.daysLeft, last.warn], [3, false, 0, true]);
  const after = chainStatus(v1, [v2, v3], addDays(v3.expires, 2));
  assert.deepEqual([after.expired, after.daysLeft], [true, -2]);
  assert.equal(chainStatus(v1, [v2, v3], addDays(v3.expires, -31)).warn, false);
  assert.throws(() => verifyChain(v1, [v2, v3], addDays(v3.expires, 1)), ManifestInvalid);
  assert.throws(() => chainStatus(v1, [v3], v3.expires), ManifestInvalid);
  assert.equal(daysLeft(v3, v3.issued), 90);
});

test("renewal keeps the members and takes over a pending rotation", () => {
  const dave = entry(v3, "dave");
  const dave2 = buildMemberEntry({ ...dave }, seed("dave", 2), dave, seed("dave", 1));
  const renamed = { ...entry(v3, "alice"), name: "Someone Else" };
  const { unsigned } = renewManifest(v3, [dave2, renamed], v3.expires);
  assert.deepEqual(
    unsigned.members.map((m) => m.id),
    v3.members.map((m) => m.id),
  );
  // unsignedManifest copies the entries: compare by value.
  assert.deepEqual(
    unsigned.members.find((m) => m.id === id("dave")),
    dave2,
  );
  assert.equal(unsigned.members.find((m) => m.id === id("alice")).name, entry(v3, "alice").name);
  assert.equal(unsigned.threshold, v3.threshold);
  const signed = signManifest(signManifest(unsigned, id("dave"), seed("dave", 2)), id("bob"), seed("bob", 2));
  assert.equal(verifyNext(v3, signed, v3.expires).version, 4);
  // nextManifest checks the candidate as it builds it: after a lapse only a re-anchor helps.
  assert.throws(
    () => renewManifest(v3, [], addDays(v3.expires, 1)),
    (err) => err.reason === "issued after expiry",
  );
});

test("a re-anchor is accepted only as the built-in anchor", () => {
  const lapse = addDays(v3.expires, 10);
  const anchor = signManifest(reanchorManifest(4, v3.members, 1, lapse), id("dave"), seed("dave"));
  assert.equal(verifyBuiltIn(anchor, lapse).version, 4);
  assert.throws(() => verifyChain(v1, [v2, v3, anchor], lapse), ManifestInvalid);
  const byReviewer = signManifest(reanchorManifest(4, v3.members, 1, lapse), id("carol"), seed("carol"));
  assert.throws(() => verifyBuiltIn(byReviewer, lapse), ManifestInvalid);
});

test("removed members are left out of new entries, and named", () => {
  const access = [id("alice"), id("carol")]; // carol was removed in v2
  const alice = entry(v2, "alice").recipient;
  assert.deepEqual(recipientsForAccess(v2, access), { recipients: [alice], dropped: [id("carol")] });
  const stored = { reply_to: "age1reply", access };
  assert.deepEqual(entryRecipients(v2, stored, "message"), {
    recipients: [alice, "age1reply"],
    dropped: [id("carol")],
  });
  assert.deepEqual(entryRecipients(v2, stored, "note").recipients, [alice]);
  assert.throws(() => recipientsForAccess(v2, [id("carol")]), ManifestInvalid);
});

test("writing stops once the manifest expired, before anything is sent", async () => {
  const client = {
    call: () => assert.fail("nothing may be sent"),
  };
  const thread = { detail: { id: "c_x", reply_to: "age1reply", access: [id("alice")] }, messages: [], warnings: [] };
  await assert.rejects(
    postEntry(
      { key: { member: id("alice"), signingSeed: seed("alice") }, client },
      v3,
      thread,
      {
        kind: "note",
        text: "late",
        files: [],
      },
      addDays(v3.expires, 1),
    ),
    ManifestExpired,
  );
});

/** The proposal routes as the server keeps them: same bytes merge signatures. */
function fakeServer() {
  const state = { proposal: null, published: [] };
  const call = async (method, path, { body } = {}) => {
    if (path === "/v1/team/manifest") return (state.published.push(body), {});
    if (method === "GET") {
      if (!state.proposal) throw new ApiError(404, "not_found", "none", false);
      return { manifest: state.proposal };
    }
    const known = new Set((state.proposal?.sigs ?? []).map((s) => s.member));
    const extra = body.manifest.sigs.filter((s) => !known.has(s.member));
    state.proposal = { ...body.manifest, sigs: [...(state.proposal?.sigs ?? []), ...extra] };
    return { manifest: state.proposal };
  };
  return { state, client: { call } };
}

test("threshold 2: a proposal signed from two clients, the last one publishes", async () => {
  const { state, client } = fakeServer();
  const today = "2026-03-20";
  const alice = { key: { member: id("alice"), signingSeed: seed("alice") }, client };
  const bob = { key: { member: id("bob"), signingSeed: seed("bob", 2) }, client };
  assert.equal(await pendingProposal(client, v2, today), null);
  const { unsigned } = nextManifest(v2, v2.members, today);
  const first = await proposeManifest(alice, v2, unsigned, false, today);
  assert.deepEqual([first.signed, first.missing, first.published], [[id("alice")], 1, false]);
  assert.deepEqual(state.published, []);
  const done = await signProposal(bob, v2, today);
  assert.deepEqual([done.signed, done.missing, done.published], [[id("alice"), id("bob")], 0, true]);
  assert.equal(verifyNext(v2, state.published[0], today).version, 3);
});

test("a partial signature by a rotated admin's new key counts", () => {
  // v1 -> v2 rotates bob: his gen-2 key signs v2, linked by the rotation.
  const partial = { ...v2, sigs: v2.sigs.filter((s) => s.member === id("bob")) };
  assert.deepEqual(checkPartial(v1, partial, v.today), { signers: [id("bob")], missing: 0 });
});
