// The notice vectors (tests/vectors/notice.json, protocol §4.9) that
// tests/test_notice_vectors.py runs against chalicelib/domain/notices.py,
// checked here against frontend/src/lib/notice.ts, the reporter page's twin:
// every case reaches the same verdict, and a listing keeps only valid ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { NoticeInvalid, noticeText, validNotices, verifyNotice } from "../../frontend/src/lib/notice.js";

const DIR = new URL("../vectors/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, DIR), "utf8"));
const vectors = load("notice.json");
const authority = load("manifest.json").manifests[vectors.authority];

for (const c of vectors.cases) {
  test(`notice: ${c.name}`, () => {
    if (c.valid) {
      assert.deepEqual(verifyNotice(c.notice, authority, c.today), c.notice);
    } else {
      assert.throws(() => verifyNotice(c.notice, authority, c.today), NoticeInvalid);
    }
  });
}

test("a listing keeps the valid notices, in order, and drops the others", () => {
  const today = "2026-03-15";
  const listed = vectors.cases.filter((c) => c.today === today).map((c) => c.notice);
  const kept = validNotices({ notices: listed }, authority, today);
  const expected = vectors.cases.filter((c) => c.today === today && c.valid).map((c) => c.notice);
  assert.deepEqual(kept, expected);
  assert.ok(kept.length >= 2 && kept.length < listed.length);
  assert.deepEqual(validNotices({ notices: "nope" }, authority, today), []);
});

test("a notice is shown in the page's language, else in English", () => {
  const notice = vectors.cases.find((c) => c.name === "valid, two admins").notice;
  assert.equal(noticeText(notice, "pl"), notice.text.pl);
  assert.equal(noticeText(notice, "de"), notice.text.en);
});
