// lib/case-export.ts: the export's files and verification sheet from a case
// as the console read it: every file listed with its SHA-256, a document
// that did not verify listed with its verdict and no file, attachments
// under safe names, and the same input giving the same ZIP bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { unzipSync } from "fflate";
import { attachmentFiles, buildExport, safeName, zipExport } from "../../frontend/src/lib/case-export.js";

const sha = (b) => createHash("sha256").update(b).digest("hex");
const bytes = (s) => new TextEncoder().encode(s);
const att = {
  id: "a_" + "A".repeat(22),
  name: "../Road map (Q3).pdf",
  type: "application/pdf",
  size: 3,
  sha256: "0".repeat(64),
};
const shown = (seq, id, doc, verdict = "ok") => ({
  meta: { id, seq, from: "team", day: "2026-11-30" },
  doc,
  sealed: bytes(`sealed ${id}`),
  verdict,
});
const caseRead = {
  id: "c_1",
  detail: { id: "c_1", reply_to: "age1x", received: "2026-11-30", status: "received", report: { id: "b_report" } },
  report: { v: 1, type: "report", form: { category: "confidential_leak" }, attachments: [att], lang: "de" },
  reportSealed: bytes("sealed report"),
  messages: [shown(1, "b_m1", { text: "hello", member: "m_a", attachments: [] })],
  notes: [shown(1, "b_n1", null, "signature")],
  warnings: [],
  hint: 0,
};
const input = {
  caseRead,
  chain: [{ v: 1, version: 1 }],
  entry: { seq: 9, action: "case.export", case: "c_1" },
  audit: { entries: [], complete: false },
  files: new Map([[att.id, bytes("pdf")]]),
  summaryHtml: "<!doctype html><title>Case c_1</title>",
  exportedBy: "m_a",
};

test("every file is in the sheet with its hash; an unverified note is listed without a file", () => {
  const files = buildExport(input);
  const sheet = JSON.parse(new TextDecoder().decode(files.get("verification.json")));
  const names = [...files.keys()].filter((n) => n !== "verification.json").sort();
  assert.deepEqual(Object.keys(sheet.files).sort(), names);
  for (const n of names) assert.equal(sheet.files[n], sha(files.get(n)));
  assert.deepEqual(
    sheet.documents.map((d) => [d.kind, d.file, d.verdict]),
    [
      ["report", "report.json", "ok"],
      ["message", "thread/001-b_m1.json", "ok"],
      ["note", null, "signature"],
    ],
  );
  assert.equal(sheet.documents[0].sealed_sha256, sha(bytes("sealed report")));
  assert.deepEqual(sheet.attachments, [
    { id: att.id, of: "b_report", file: `attachments/${att.id}-Road_map_Q3_.pdf`, sealed_sha256: att.sha256, size: 3 },
  ]);
  assert.equal(sheet.export.action, "case.export");
});

test("the same export gives the same ZIP, which unzips to the files", () => {
  const a = zipExport(buildExport(input));
  const b = zipExport(buildExport(input));
  assert.deepEqual(a, b);
  const files = unzipSync(a);
  assert.equal(new TextDecoder().decode(files[`attachments/${att.id}-Road_map_Q3_.pdf`]), "pdf");
});

test("names from the reporter never leave the attachments folder", () => {
  assert.equal(safeName("../../etc/passwd"), "etc_passwd");
  assert.equal(safeName("..."), "file");
  assert.equal(safeName("Bericht ü.pdf"), "Bericht_ü.pdf");
  assert.ok(attachmentFiles(caseRead).every((a) => a.file.startsWith("attachments/a_")));
});
