// A release's per-path header changes (protocol §4.8): frontend/src/lib/release.ts
// parses them as candor/release.py does and picks the longest matching
// CloudFront path pattern, as CloudFront's behaviours and `candor serve` do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { headersFor, parseRelease, patternMatches, ReleaseInvalid } from "../../frontend/src/lib/release.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/release.json", import.meta.url), "utf8"));
const base = vectors.releases.r1;
const release = {
  ...base,
  headers: { "Content-Security-Policy": "default-src 'none'", "Permissions-Policy": "usb=()" },
  paths: {
    "console/*": { "Permissions-Policy": "usb=(self)" },
    "assets/*": { "X-Robots-Tag": "noindex" },
    "assets/clean-*.js": { "content-security-policy": "script-src 'wasm-unsafe-eval'" },
    "favicon.sv?": { "X-Robots-Tag": "all" },
  },
};

test("the longest matching pattern changes the headers it names", () => {
  assert.deepEqual(headersFor(release, "console/"), {
    "Content-Security-Policy": "default-src 'none'",
    "Permissions-Policy": "usb=(self)",
  });
  assert.equal(headersFor(release, "console/index.html")["Permissions-Policy"], "usb=(self)");
  assert.deepEqual(headersFor(release, ""), release.headers);
  assert.deepEqual(headersFor(release, "consoles"), release.headers);
  assert.deepEqual(headersFor(release, "assets/clean-1a.js"), {
    "content-security-policy": "script-src 'wasm-unsafe-eval'",
    "Permissions-Policy": "usb=()",
  });
  assert.equal(headersFor(release, "assets/report-1a.js")["X-Robots-Tag"], "noindex");
  assert.equal(headersFor(release, "favicon.svg")["X-Robots-Tag"], "all");
  assert.deepEqual(headersFor(base, "console/"), base.headers);
});

test("patterns are CloudFront's: * any run, ? one character, the rest literal", () => {
  assert.ok(patternMatches("a*b", "a/x/b") && patternMatches("a*b", "ab"));
  assert.ok(!patternMatches("a.b", "axb") && !patternMatches("a?b", "ab"));
  assert.ok(!patternMatches("[a]", "a") && patternMatches("[a]", "[a]"));
});

test("paths is optional, and present only with patterns that change a header", () => {
  assert.equal(parseRelease(release).paths, release.paths);
  assert.equal(parseRelease(base).paths, undefined);
  for (const paths of [{}, { "/console/*": { A: "b" } }, { "../x": { A: "b" } }, { "console/*": {} }, []]) {
    assert.throws(() => parseRelease({ ...release, paths }), ReleaseInvalid, JSON.stringify(paths));
  }
  assert.throws(() => parseRelease({ ...release, extra: 1 }), ReleaseInvalid);
});
