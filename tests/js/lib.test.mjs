// Library behaviour not covered by vectors: metadata removal, sealing round
// trips, interop with the Python age module, catalogues, and the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import { stripMetadata } from "../../frontend/src/lib/exif.js";
import {
  decodeDocument,
  encodeDocument,
  findGaps,
  openDocument,
  sealDocument,
  SealFailed,
  sealBytes,
} from "../../frontend/src/lib/documents.js";
import { sealAttachment } from "../../frontend/src/lib/attachments.js";
import { paddedSize, unpadAttachment } from "../../frontend/src/lib/padding.js";
import { openBytes } from "../../frontend/src/lib/documents.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const be16 = (n) => [n >> 8, n & 255];

function jpegWithExif() {
  // TIFF (little endian): IFD0 {Make, GPS pointer}, GPS IFD {GPSLatitude}.
  const tiff = [
    0x49, 0x49, 42, 0, 8, 0, 0, 0, 2, 0, 0x0f, 0x01, 2, 0, 4, 0, 0, 0, 0x41, 0x42, 0x43, 0, 0x25, 0x88, 4, 0, 1, 0, 0,
    0, 38, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  const exif = [...Buffer.from("Exif\0\0"), ...tiff];
  const xmp = [...Buffer.from("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>")];
  const com = [...Buffer.from("taken by me")];
  const dqt = [0, ...new Array(64).fill(1)];
  return new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    ...be16(16),
    ...Buffer.from("JFIF\0"),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    0xff,
    0xe1,
    ...be16(exif.length + 2),
    ...exif,
    0xff,
    0xe1,
    ...be16(xmp.length + 2),
    ...xmp,
    0xff,
    0xfe,
    ...be16(com.length + 2),
    ...com,
    0xff,
    0xdb,
    ...be16(dqt.length + 2),
    ...dqt,
    0xff,
    0xda,
    ...be16(8),
    1,
    1,
    0,
    0,
    63,
    0,
    0x12,
    0x34,
    0xff,
    0x00,
    0x56,
    0xff,
    0xd9,
    ...Buffer.from("trailer"),
  ]);
}

test("JPEG: EXIF with GPS, XMP, comment and trailing data removed and listed", () => {
  const { format, bytes, removed } = stripMetadata(jpegWithExif());
  assert.equal(format, "jpeg");
  for (const f of ["Make", "GPS", "GPSLatitude", "XMP", "Comment", "trailing data"]) assert.ok(removed.includes(f), f);
  const text = Buffer.from(bytes).toString("latin1");
  assert.ok(
    !text.includes("Exif") && !text.includes("xap") && !text.includes("taken by me") && !text.includes("trailer"),
  );
  assert.ok(text.includes("JFIF"));
  assert.deepEqual([...bytes.slice(-2)], [0xff, 0xd9]);
});

test("PNG: text chunks, eXIf and tIME removed and listed", () => {
  const chunk = (type, data) => [...be32(data.length), ...Buffer.from(type), ...data, 0, 0, 0, 0];
  const be32 = (n) => [n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  const png = new Uint8Array([
    0x89,
    ...Buffer.from("PNG\r\n\x1a\n"),
    ...chunk("IHDR", new Array(13).fill(0)),
    ...chunk("tEXt", [...Buffer.from("Author\0Jane Doe")]),
    ...chunk("tIME", new Array(7).fill(1)),
    ...chunk("IDAT", [1, 2, 3]),
    ...chunk("IEND", []),
  ]);
  const { format, bytes, removed } = stripMetadata(png);
  assert.equal(format, "png");
  assert.deepEqual(removed.sort(), ["tEXt: Author", "tIME"]);
  assert.ok(!Buffer.from(bytes).toString("latin1").includes("Jane"));
});

test("other files pass unchanged", () => {
  const pdf = new TextEncoder().encode("%PDF-1.7 ...");
  assert.deepEqual(stripMetadata(pdf), { format: null, bytes: pdf, removed: [] });
});

test("documents seal, open and refuse mixed recipient types", async () => {
  const pq = await generateHybridIdentity();
  const x = await generateX25519Identity();
  const doc = { v: 1, type: "report", form: { summary: "x" } };
  const sealed = await sealDocument(doc, [await identityToRecipient(pq)]);
  assert.deepEqual(await openDocument(sealed, [pq]), doc);
  assert.equal(encodeDocument(doc).length, 4096);
  await assert.rejects(
    sealBytes(new Uint8Array(1), [await identityToRecipient(pq), await identityToRecipient(x)]),
    SealFailed,
  );
  await assert.rejects(sealBytes(new Uint8Array(1), []), SealFailed);
  await assert.rejects(sealBytes(new Uint8Array(1), ["age1notarecipient"]), SealFailed);
});

test("attachments stream through padding and sealing", async () => {
  const id = await generateHybridIdentity();
  const data = new Uint8Array(100000).map((_, i) => i & 255);
  const sealed = await sealAttachment(new Blob([data]), [await identityToRecipient(id)]);
  const bytes = new Uint8Array(await sealed.blob.arrayBuffer());
  assert.equal(sealed.sha256, createHash("sha256").update(bytes).digest("hex"));
  const plain = await openBytes(bytes, [id]);
  assert.equal(plain.length, paddedSize(data.length));
  assert.deepEqual(unpadAttachment(plain, data.length), data);
});

test("gaps: a missing seq or an unknown prev", () => {
  const e = (seq, hash, prev) => ({ seq, hash, doc: { prev } });
  assert.deepEqual([...findGaps([e(1, "a", null), e(2, "b", "a")])], []);
  assert.deepEqual([...findGaps([e(1, "a", null), e(3, "c", "a")])], [1]);
  assert.deepEqual([...findGaps([e(1, "a", null), e(2, "b", "zz")])], [1]);
  assert.deepEqual([...findGaps([e(2, "b", null)])], [0]);
});

test(
  "a blob sealed in JS opens with the Python age module",
  { skip: !existsSync(join(ROOT, "candor/age/api.py")) && "no candor.age yet" },
  async () => {
    const id = await generateHybridIdentity();
    const dir = mkdtempSync(join(tmpdir(), "candor-interop-"));
    const doc = { v: 1, type: "message", text: "héllo" };
    writeFileSync(join(dir, "blob"), await sealDocument(doc, [await identityToRecipient(id)]));
    const py = `
import sys
from candor.age.api import decrypt_bytes
from candor.age.keys import parse_identity
data = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(decrypt_bytes([parse_identity(sys.argv[2])], data))`;
    const out = spawnSync(join(ROOT, ".venv/bin/python"), ["-c", py, join(dir, "blob"), id], { cwd: ROOT });
    assert.equal(out.status, 0, out.stderr.toString());
    assert.deepEqual(decodeDocument(new Uint8Array(out.stdout)), doc);
  },
);

const I18N = join(ROOT, "frontend/i18n");
const CATALOGUES = Object.fromEntries(
  readdirSync(I18N)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [basename(f, ".json"), JSON.parse(readFileSync(join(I18N, f), "utf8"))]),
);
const paramsOf = (text) => new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));

test("catalogues: every key in every language, plural forms by Intl.PluralRules, same {parameters}", () => {
  const en = CATALOGUES.en;
  assert.ok(Object.keys(CATALOGUES).length >= 9, Object.keys(CATALOGUES).join(" "));
  // A message with plural forms: English has "key.one" and "key.other".
  const plural = new Set(
    Object.keys(en)
      .filter((k) => k.endsWith(".one") && `${k.slice(0, -4)}.other` in en)
      .map((k) => k.slice(0, -4)),
  );
  assert.ok(plural.has("console.inbox.count"));
  const isForm = (key) => plural.has(key.slice(0, key.lastIndexOf(".")));
  for (const [lang, catalogue] of Object.entries(CATALOGUES)) {
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const expected = [
      ...Object.keys(en).filter((k) => !isForm(k)),
      ...[...plural].flatMap((base) => categories.map((c) => `${base}.${c}`)),
    ];
    assert.deepEqual(Object.keys(catalogue).sort(), expected.sort(), lang);
    assert.ok(["ltr", "rtl"].includes(catalogue["lang.dir"]), lang);
    for (const [key, text] of Object.entries(catalogue)) {
      assert.equal(typeof text, "string", `${lang} ${key}`);
      assert.ok(text.trim() !== "", `${lang} ${key}`);
      const english = isForm(key) ? en[`${key.slice(0, key.lastIndexOf("."))}.other`] : en[key];
      const [own, theirs] = [paramsOf(text), paramsOf(english)];
      // A plural form may spell its number out ("one message"); any other text names every parameter.
      for (const p of own) assert.ok(theirs.has(p), `${lang} ${key}: {${p}} is not in en`);
      if (!isForm(key)) for (const p of theirs) assert.ok(own.has(p), `${lang} ${key}: {${p}} missing`);
    }
  }
  assert.equal(CATALOGUES.ar["lang.dir"], "rtl");
  for (const page of ["index.html", "followup.html"]) {
    const html = readFileSync(join(ROOT, "frontend", page), "utf8");
    for (const [, key] of html.matchAll(/data-i18n="([^"]+)"/g)) assert.ok(key in en, `${page}: ${key}`);
    for (const [, key] of html.matchAll(/:([a-z_.0-9]+)"/g))
      if (key.includes(".")) assert.ok(key in en, `${page}: ${key}`);
    // Every text field: spellcheck and autocomplete off (protocol §6).
    for (const [tag] of html.matchAll(/<(input type="text"|textarea)[^>]*>/g)) {
      assert.match(tag, /spellcheck="false"/);
      assert.match(tag, /autocomplete="off"/);
    }
  }
  const q = JSON.parse(readFileSync(join(ROOT, "frontend/questionnaire.json"), "utf8"));
  const texts = [
    q.title,
    ...q.fields.flatMap((f) => [f.label, f.hint, ...(f.options ?? []).map((o) => o.label)]),
  ].filter(Boolean);
  for (const t of texts) for (const lang in CATALOGUES) assert.ok(t[lang], `${lang}: ${JSON.stringify(t)}`);
});

test("build: hashed bundles with SRI, no inline code, headers", () => {
  const dir = mkdtempSync(join(tmpdir(), "candor-build-"));
  execFileSync("node", ["--import", "tsx", "tests/js/support/team.mjs", dir], { cwd: ROOT });
  execFileSync("node", ["frontend/build.mjs", "--manifest", join(dir, "manifest.json"), "--out", join(dir, "site")], {
    cwd: ROOT,
  });
  for (const page of ["index.html", "followup.html"]) {
    const html = readFileSync(join(dir, "site", page), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)" integrity="(sha384-[^"]+)"/g)];
    assert.equal(refs.length, 2, page);
    for (const [, path, integrity] of refs) {
      const digest =
        "sha384-" +
        createHash("sha384")
          .update(readFileSync(join(dir, "site", path)))
          .digest("base64");
      assert.equal(digest, integrity);
    }
    assert.doesNotMatch(html.replace(/<noscript>[\s\S]*?<\/noscript>/, ""), /<script(?![^>]*src=)|style=|\son\w+=/);
  }
  const headers = JSON.parse(readFileSync(join(dir, "site", "headers.json"), "utf8"));
  assert.match(headers["Content-Security-Policy"], /default-src 'none'/);
  assert.doesNotMatch(headers["Content-Security-Policy"], /unsafe/);
  assert.equal(headers["Referrer-Policy"], "no-referrer");
  assert.equal(headers["X-Content-Type-Options"], "nosniff");
  const bundle = readFileSync(
    join(
      dir,
      "site",
      [...readFileSync(join(dir, "site", "index.html"), "utf8").matchAll(/src="(assets\/report-[^"]+)"/g)][0][1],
    ),
    "utf8",
  );
  assert.ok(
    bundle.includes(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).members[0].id),
    "manifest embedded",
  );
});
