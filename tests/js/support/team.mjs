// A test team and its signed manifests (protocol §4.5), made in JS so the page
// can be built and tested before the Python CLI exists.
//   node --import tsx tests/js/support/team.mjs OUT_DIR   → OUT_DIR/manifest.json, OUT_DIR/team.json
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import { b64u, randomBytes } from "../../../frontend/src/lib/encoding.js";
import { generateSeed, publicKey, signObject } from "../../../frontend/src/lib/sign.js";

export async function makeMember(name, fn, role, type = "mlkem768x25519") {
  const identity = type === "x25519" ? await generateX25519Identity() : await generateHybridIdentity();
  const seed = generateSeed();
  return {
    id: "m_" + b64u(randomBytes(15)),
    name,
    function: fn,
    role,
    identity,
    seed,
    recipient: await identityToRecipient(identity),
  };
}

/** A member entry with its cert (and rotation when `previousSeed` is given). */
export function memberEntry(m, { removed = false, oldKeys = [], previousSeed = null } = {}) {
  const entry = {
    id: m.id,
    name: m.name,
    function: m.function,
    role: m.role,
    recipient: m.recipient,
    signing_key: b64u(publicKey(m.seed)),
    old_signing_keys: oldKeys,
    removed,
  };
  entry.cert = signObject(entry, m.seed);
  entry.rotation = previousSeed ? signObject(without(entry, "cert"), previousSeed) : null;
  return entry;
}

const without = (o, k) => {
  const c = { ...o };
  delete c[k];
  return c;
};

export function signManifest(body, signers) {
  return { ...body, sigs: signers.map((s) => ({ member: s.id, sig: signObject(body, s.seed) })) };
}

export function manifestBody(version, entries, { issued = today(), days = 90, threshold = 1 } = {}) {
  return { v: 1, version, issued, expires: addDays(issued, days), threshold, members: entries };
}

export const today = () => new Date().toISOString().slice(0, 10);
export const addDays = (day, n) => new Date(Date.parse(day + "T00:00:00Z") + n * 86400000).toISOString().slice(0, 10);

export async function makeTeam(type = "mlkem768x25519") {
  const members = [
    await makeMember("Alice Admin", "Legal", "admin", type),
    await makeMember("Bob Reviewer", "Communications", "reviewer", type),
    await makeMember("Carol Admin", "Security", "admin", type),
  ];
  const manifest = signManifest(
    manifestBody(
      1,
      members.map((m) => memberEntry(m)),
    ),
    members.filter((m) => m.role === "admin"),
  );
  return { members, manifest };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const out = process.argv[2];
  mkdirSync(out, { recursive: true });
  const { members, manifest } = await makeTeam(process.argv[3] ?? "mlkem768x25519");
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(
    join(out, "team.json"),
    JSON.stringify(
      members.map((m) => ({ ...m, seed: b64u(m.seed) })),
      null,
      2,
    ),
  );
}
