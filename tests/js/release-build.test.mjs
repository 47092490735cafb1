// An admin's own build against a release proposal (protocol §4.8, issue 17):
// frontend/src/lib/release.ts's compareBuild hashes every file of the build
// folder and marks each as matching, differing, missing or extra, as
// candor/release.py's site_difference compares a site, so that the console
// can offer a signature backed by the admin's rebuild rather than by the
// files the server serves. Hashes here come from node:crypto, independently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildPath, compareBuild } from "../../frontend/src/lib/release.js";

const enc = new TextEncoder();
const hash = (bytes) => createHash("sha256").update(bytes).digest("base64url");
const site = {
  "index.html": enc.encode("<!doctype html><title>Report</title>"),
  "assets/report-AAAA.js": enc.encode("console.log('report');\n"),
  "console/index.html": enc.encode("<!doctype html><title>Console</title>"),
};
const headers = { "Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "DENY" };
const paths = { "console/*": { "Permissions-Policy": "publickey-credentials-get=(self)" } };
const release = {
  v: 1,
  kind: "candor-release",
  version: 3,
  issued: "2026-11-30",
  expires: "2027-02-28",
  prev: "A".repeat(43),
  manifest: { version: 2, fingerprint: "B".repeat(43) },
  assets: Object.fromEntries(Object.entries(site).map(([p, b]) => [p, hash(b)])),
  headers,
  paths,
  sigs: [],
};
// The build's header set, as frontend/build.mjs writes it: caching included, keys in another order.
const headersJson = enc.encode(
  JSON.stringify({
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
    paths: { "console/*": { "Permissions-Policy": "publickey-credentials-get=(self)", "cache-control": "no-store" } },
    "Content-Security-Policy": "default-src 'none'",
  }),
);
const folder = (files) => Object.entries(files).map(([path, bytes]) => ({ path, bytes }));
const build = {
  ...site,
  "headers.json": headersJson,
  "release.json": enc.encode("{}"),
  "releases/2.json": enc.encode("{}"),
};
const states = (result) => Object.fromEntries([...result.files].map(([p, f]) => [p, f.state]));

test("an identical build matches every file and the headers; release documents are not files", () => {
  const result = compareBuild(release, folder(build));
  assert.deepEqual(states(result), {
    "assets/report-AAAA.js": "match",
    "console/index.html": "match",
    "index.html": "match",
  });
  assert.equal(result.headers, "match");
  assert.equal(result.first, null);
  assert.equal(result.files.get("index.html").hash, release.assets["index.html"]);
});

test("one changed byte makes that file differ, named first", () => {
  const changed = Uint8Array.from(site["assets/report-AAAA.js"]);
  changed[changed.length - 1] ^= 1;
  const result = compareBuild(release, folder({ ...build, "assets/report-AAAA.js": changed }));
  assert.equal(states(result)["assets/report-AAAA.js"], "differs");
  assert.equal(result.files.get("assets/report-AAAA.js").hash, hash(changed));
  assert.equal(states(result)["index.html"], "match");
  assert.equal(result.first, "assets/report-AAAA.js");
});

test("a file the release lists and the build lacks is missing", () => {
  const rest = folder(build).filter((file) => file.path !== "console/index.html");
  const result = compareBuild(release, rest);
  assert.equal(states(result)["console/index.html"], "missing");
  assert.equal(result.first, "console/index.html");
});

test("a file the build holds and the release does not list is extra", () => {
  const result = compareBuild(release, folder({ ...build, "assets/old-ZZZZ.js": enc.encode("old") }));
  assert.equal(states(result)["assets/old-ZZZZ.js"], "extra");
  assert.equal(result.files.get("assets/old-ZZZZ.js").hash, hash(enc.encode("old")));
  assert.equal(result.first, "assets/old-ZZZZ.js");
});

test("headers.json missing, changed or unreadable blocks an otherwise identical build", () => {
  const bare = folder(build).filter((file) => file.path !== "headers.json");
  assert.equal(compareBuild(release, bare).headers, "missing");
  assert.equal(compareBuild(release, bare).first, "headers.json");
  const other = enc.encode(JSON.stringify({ ...headers, paths: { "console/*": { "Permissions-Policy": "usb=()" } } }));
  assert.equal(compareBuild(release, folder({ ...build, "headers.json": other })).headers, "differs");
  const noPaths = enc.encode(JSON.stringify(headers));
  assert.equal(compareBuild(release, folder({ ...build, "headers.json": noPaths })).headers, "differs");
  assert.equal(compareBuild(release, folder({ ...build, "headers.json": enc.encode("{") })).headers, "differs");
  assert.equal(
    compareBuild({ ...release, paths: undefined }, folder({ ...build, "headers.json": noPaths })).headers,
    "match",
  );
});

test("a folder's relative paths lose the folder's own name", () => {
  assert.equal(buildPath("rebuilt/assets/report-AAAA.js"), "assets/report-AAAA.js");
  assert.equal(buildPath("site/index.html"), "index.html");
});
