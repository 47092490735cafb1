// Team filing (protocol §4.4, "Filing") without a browser: lib/intake.ts seals
// exactly as the page does and filingApi posts that very body, signed by the
// member's client, to the team route with its source; an intake member is
// never among the readers (protocol §4.5, Roles).
import { test } from "node:test";
import assert from "node:assert/strict";
import { filingApi, prepareCase, submitCase } from "../../frontend/src/lib/intake.js";
import { fromB64u } from "../../frontend/src/lib/encoding.js";
import { Opener } from "../../frontend/src/lib/documents.js";
import { makeMember, manifestBody, memberEntry, signManifest } from "./support/team.mjs";

const FORM = { category: "account_compromised", summary: "Caller: our account posts spam" };

async function teamWithIntake() {
  const members = [
    await makeMember("Alice Admin", "Legal", "admin"),
    await makeMember("Bob Reviewer", "Communications", "reviewer"),
    await makeMember("Ivy Intake", "Monitoring", "intake"),
  ];
  const manifest = signManifest(
    manifestBody(
      1,
      members.map((m) => memberEntry(m)),
    ),
    [members[0]],
  );
  return { members, manifest };
}

/** A team client that records the call and answers as the server does. */
function recorder() {
  const calls = [];
  return {
    calls,
    call: async (method, path, options) => {
      calls.push({ method, path, body: options.body });
      return { received: "2026-11-30", status: "received" };
    },
  };
}

test("a filed report is the page's body, signed to the team route with its source", async () => {
  const { members, manifest } = await teamWithIntake();
  const [alice, bob, ivy] = members;
  const prepared = await prepareCase(manifest, [], FORM.category);
  assert.deepEqual(prepared.access, [alice.id, bob.id]); // never the intake member
  const client = recorder();
  const filed = await submitCase(prepared, { form: FORM, lang: "en", files: [] }, filingApi(client, "phone"));
  assert.equal(filed.received, "2026-11-30");
  const [{ method, path, body }] = client.calls;
  assert.deepEqual([method, path], ["POST", "/v1/team/reports"]);
  assert.equal(body.source, "phone");
  assert.equal("drill" in body, false);
  assert.deepEqual(Object.keys(body).sort(), [
    "access",
    "attachments",
    "reply_to",
    "report",
    "sealed_identity",
    "source",
    "token_id",
  ]);
  // Each reader opens the report; the intake member cannot.
  for (const reader of [alice, bob]) {
    const doc = await new Opener([reader.identity]).document(fromB64u(body.report));
    assert.deepEqual(doc.form, FORM);
  }
  await assert.rejects(new Opener([ivy.identity]).document(fromB64u(body.report)));
});

test("a drill carries the plaintext flag", async () => {
  const { manifest } = await teamWithIntake();
  const client = recorder();
  await submitCase(
    await prepareCase(manifest, [], null),
    { form: { summary: "Drill: leaked roadmap" }, lang: "en", files: [] },
    filingApi(client, "drill", true),
  );
  assert.equal(client.calls[0].body.source, "drill");
  assert.equal(client.calls[0].body.drill, true);
});
