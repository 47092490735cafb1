// HEIC photos without a browser: the metadata a real HEIC carries (made by
// libheif's own encoder, Debian's heif-enc, through the browser tests'
// maker tests/browser/metadata_files.py) is named from its Exif and XMP
// items; a damaged file names nothing and throws nothing; where the decoder
// cannot run (node: no OffscreenCanvas, no built decoder) the photo is named
// as a HEIC this page cannot clean; a photo redrawn as JPEG goes under a
// .jpg name and image/jpeg. The decoding itself is Chromium's test
// (tests/browser/test_metadata_heic.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { heifMetadata } from "../../frontend/src/lib/clean/heif-items.js";
import { cleanFile, sentAs } from "../../frontend/src/lib/clean/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A HEIC with make, model, GPS and XMP, from heif-enc (tests/browser/metadata_files.py). */
function heicWithGps() {
  const code = "import sys\nfrom tests.browser import metadata_files as m\nsys.stdout.buffer.write(m.heic_with_gps())";
  const run = spawnSync(join(ROOT, ".venv/bin/python"), ["-c", code], { cwd: ROOT, maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, String(run.stderr));
  return new Uint8Array(run.stdout);
}

const heic = heicWithGps();

test("a HEIC's Exif fields and XMP are named, as the other image cleaners name them", () => {
  const names = heifMetadata(heic);
  for (const name of ["Make", "Model", "GPS", "GPSLatitude", "GPSLongitude", "XMP"]) {
    assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
  }
});

test("a HEIC whose boxes do not parse names nothing and throws nothing", () => {
  assert.deepEqual(heifMetadata(heic.subarray(0, 40)), []);
  assert.deepEqual(heifMetadata(new Uint8Array(3)), []);
  // Cut after the meta box: the items are listed, but the Exif item's bytes are gone.
  const view = new DataView(heic.buffer, heic.byteOffset);
  const ftyp = view.getUint32(0);
  assert.equal(String.fromCharCode(...heic.subarray(ftyp + 4, ftyp + 8)), "meta");
  const cut = heic.subarray(0, ftyp + view.getUint32(ftyp));
  assert.deepEqual(heifMetadata(cut).sort(), ["Exif", "XMP"]);
});

test("where the decoder cannot run, a HEIC is named as one this page cannot clean", async () => {
  assert.deepEqual(await cleanFile(new Blob([heic])), { cannot: "heic" });
});

test("a photo redrawn as JPEG is sent as .jpg and image/jpeg; any other file under its own name", () => {
  const jpeg = { format: "jpeg", bytes: new Uint8Array(1), removed: ["GPS"], reencoded: true };
  assert.deepEqual(sentAs({ name: "IMG_0001.HEIC", type: "image/heic" }, jpeg), {
    name: "IMG_0001.jpg",
    type: "image/jpeg",
  });
  assert.deepEqual(sentAs({ name: "photo", type: "" }, jpeg), { name: "photo.jpg", type: "image/jpeg" });
  const cleaned = { format: "png", bytes: new Uint8Array(1), removed: [] };
  assert.deepEqual(sentAs({ name: "a.png", type: "image/png" }, cleaned), { name: "a.png", type: "image/png" });
  assert.deepEqual(sentAs({ name: "a.bin", type: "" }, cleaned), { name: "a.bin", type: "image/png" });
});
