// The release vectors (tests/vectors/release.json, protocol §4.8) that
// tests/cli/test_release.py runs against candor/release.py, checked here with
// the browser library's own JCS, SHA-256 and Ed25519: the fingerprints, the
// `prev` links, the named manifests and every signature of the valid chain
// are the same bytes to both implementations; and frontend/src/lib/release.ts,
// the browser twin of the chain rules, reaches every chain's verdict.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { b64u, sha256 } from "../../frontend/src/lib/encoding.js";
import { jcsBytes, without } from "../../frontend/src/lib/jcs.js";
import { fingerprint as manifestFingerprint } from "../../frontend/src/lib/manifest.js";
import { ReleaseInvalid, verifyReleaseChain } from "../../frontend/src/lib/release.js";
import { verifyObject } from "../../frontend/src/lib/sign.js";

const DIR = new URL("../vectors/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, DIR), "utf8"));
const vectors = load("release.json");
const manifests = load("manifest.json").manifests;

const fingerprint = (release) => b64u(sha256(jcsBytes(without(release, "sigs"))));
const signerKey = (release, member) =>
  manifests[`v${release.manifest.version}`].members.find((m) => m.id === member).signing_key;

test("release fingerprints are b64u(H(JCS(release without sigs)))", () => {
  for (const [name, release] of Object.entries(vectors.releases)) {
    assert.equal(fingerprint(release), vectors.fingerprints[name], name);
  }
});

test("each release names its manifest, links the one before and is signed by its admins", () => {
  let previous = null;
  for (const [name, release] of Object.entries(vectors.releases)) {
    const manifest = manifests[`v${release.manifest.version}`];
    assert.equal(manifestFingerprint(manifest), release.manifest.fingerprint, name);
    assert.equal(release.prev, previous === null ? null : fingerprint(previous), name);
    assert.ok(release.sigs.length >= manifest.threshold, name);
    for (const { member, sig } of release.sigs) {
      assert.ok(verifyObject(release, sig, [signerKey(release, member)], "sigs"), `${name}: ${member}`);
    }
    previous = release;
  }
});

test("a release changed after signing no longer verifies", () => {
  const { later } = vectors.chains.find((c) => c.name === "assets changed after signing");
  const [release] = later;
  for (const { member, sig } of release.sigs) {
    assert.ok(!verifyObject(release, sig, [signerKey(release, member)], "sigs"), member);
  }
});

for (const chain of vectors.chains) {
  test(`release chain: ${chain.name}`, () => {
    const anchor = vectors.releases[chain.anchor];
    const follow = () => verifyReleaseChain(anchor, chain.later, Object.values(manifests), chain.today);
    if (chain.latest === null) assert.throws(follow, ReleaseInvalid);
    else assert.equal(follow().version, chain.latest);
  });
}
