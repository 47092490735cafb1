// The reporter page's rules that need no browser: removed metadata named by
// kind, the attachment limit checked before any sealing, each send refusal
// mapped to its own text, and the build's site settings (contacts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metadataKinds } from "../../frontend/src/lib/exif.js";
import { fileFits, largestFile, MAX_SEALED_FILE_BYTES, sealedSizeBound } from "../../frontend/src/lib/intake.js";
import { ApiError } from "../../frontend/src/lib/api.js";
import { UploadCancelled, UploadFailed } from "../../frontend/src/lib/attachments.js";
import { SealFailed } from "../../frontend/src/lib/documents.js";
import { paddedSize } from "../../frontend/src/lib/padding.js";
import { sendError } from "../../frontend/src/page/errors.js";

const ROOT = new URL("../../", import.meta.url).pathname;

test("removed metadata: kinds in plain words, most revealing first, each once", () => {
  const removed = ["Make", "GPS", "GPSLatitude", "DateTimeOriginal", "tEXt: Author", "0x9999", "Model", "XMP"];
  assert.deepEqual(metadataKinds(removed), ["location", "device", "time", "text", "other"]);
  assert.deepEqual(metadataKinds(["CameraOwnerName", "ImageUniqueID"]), ["person", "identifier"]);
  assert.deepEqual(metadataKinds([]), []);
});

test("attachment limit: the bound covers padding and age overhead; the largest file fits, one byte more does not", () => {
  for (const size of [0, 1, 4096, 65536, 10_000_000]) assert.ok(sealedSizeBound(size) > paddedSize(Math.max(size, 1)));
  const largest = largestFile();
  assert.ok(fileFits(largest) && !fileFits(largest + 1));
  assert.ok(largest > 0.9 * MAX_SEALED_FILE_BYTES && largest < MAX_SEALED_FILE_BYTES);
  assert.equal(fileFits(Math.floor(1.1 * 2 ** 30)), false);
});

test("send refusals: specific per step, Try again only where it can help", () => {
  assert.deepEqual(sendError(new ApiError(413, "too_large"), "file"), { key: "error.file_too_large", retry: false });
  assert.deepEqual(sendError(new ApiError(413, "too_large"), "report"), {
    key: "error.report_too_large",
    retry: false,
  });
  assert.deepEqual(sendError(new ApiError(422, "invalid_access"), "report"), {
    key: "error.invalid_access",
    retry: false,
  });
  assert.deepEqual(sendError(new ApiError(0, "network"), "file"), { key: "error.network", retry: true });
  // A cancel is the reporter's own choice, not a network failure.
  assert.deepEqual(sendError(new UploadCancelled(), "file"), { key: "error.upload_cancelled", retry: true });
  assert.deepEqual(sendError(new ApiError(418, "teapot"), "report"), { key: "error.unexpected", retry: true });
  assert.deepEqual(sendError(new UploadFailed(413), "upload"), { key: "error.file_too_large", retry: false });
  assert.deepEqual(sendError(new UploadFailed(403), "upload"), { key: "error.upload_expired", retry: true });
  assert.deepEqual(sendError(new UploadFailed(0), "upload"), { key: "error.upload", retry: true });
  assert.deepEqual(sendError(new SealFailed("x"), "seal"), { key: "error.seal", retry: true });
});

test("build: site settings refuse unknown fields, languages without a catalogue and control characters", () => {
  const dir = mkdtempSync(join(tmpdir(), "candor-site-"));
  const build = (site) => {
    const path = join(dir, "site.json");
    writeFileSync(path, JSON.stringify(site));
    // No manifest: the settings are read first, so a bad one fails before the manifest is needed.
    return spawnSync(
      "node",
      ["frontend/build.mjs", "--manifest", join(dir, "none.json"), "--site", path, "--out", join(dir, "out")],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
  };
  assert.match(build({ v: 1, contact: null, extra: 1 }).stderr, /site settings/);
  assert.match(build({ v: 1, contact: { xx: "x" }, outside_contact: null }).stderr, /no catalogue "xx"/);
  // Every catalogue language is accepted (the build then stops at the missing manifest, not at the settings).
  const everyLanguage = {
    en: "Hotline",
    de: "Hotline",
    fr: "Ligne",
    es: "Línea",
    it: "Linea",
    nl: "Lijn",
    pl: "Linia",
    pt: "Linha",
    ar: "خط",
  };
  const accepted = build({ v: 1, contact: everyLanguage, outside_contact: { pl: "Rada", ar: "مجلس" } });
  assert.doesNotMatch(accepted.stderr, /site settings/);
  assert.match(accepted.stderr, /none\.json/);
  assert.match(build({ v: 1, contact: "call\u202e us", outside_contact: null }).stderr, /site settings: contact/);
  // The organisation's logo is a PNG or SVG file in frontend/, never a path out of it; its name is required.
  assert.match(build({ v: 1, organisation: { name: "X", logo: "../package.json" } }).stderr, /organisation\.logo/);
  assert.match(build({ v: 1, organisation: { name: "X", logo: "missing.svg" } }).stderr, /organisation\.logo/);
  assert.match(build({ v: 1, organisation: { logo: null } }).stderr, /organisation has only name/);
  assert.match(build({ v: 1, organisation: { name: { xx: "X" }, logo: null } }).stderr, /no catalogue "xx"/);
});
