// Reporter-controlled names as labels and file names (protocol §6): the
// browser twin against tests/vectors/labels.json (candor/labels.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rotatedKeyFileName } from "../../frontend/src/lib/keyfile.js";
import { MAX_LABEL, plainLabel, plainText, safeFileName } from "../../frontend/src/lib/labels.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/labels.json", import.meta.url), "utf8"));

test("labels.json", async (t) => {
  for (const c of vectors.cases) {
    await t.test(c.name, () => {
      assert.equal(plainLabel(c.input), c.label);
      assert.equal(safeFileName(c.input), c.file_name);
      assert.equal(plainText(c.input), c.text);
    });
  }
});

test("a spoofed extension shows as it is, and labels are bounded", () => {
  assert.ok(safeFileName("invoice\u202efdp.exe").endsWith(".exe"));
  assert.equal(Array.from(plainLabel("y".repeat(500))).length, MAX_LABEL);
});

test("rotated key file names", async (t) => {
  for (const c of vectors.key_file_names) {
    await t.test(c.name, () => assert.equal(rotatedKeyFileName(c.name, c.day), c.file_name));
  }
});
