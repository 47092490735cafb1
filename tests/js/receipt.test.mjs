// The receipt as the follow-up page reads it (issue 19 items 2 and 13): seven
// groups, the group a mistake is in, the last group typed back as proof it
// was saved; and whether a team message waits (teamWaiting).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHex, hex } from "../../frontend/src/lib/encoding.js";
import {
  parseReceipt,
  parseReceiptGroups,
  ReceiptFormatError,
  receiptGroups,
  receiptText,
  sameGroup,
  typoGroup,
} from "../../frontend/src/lib/receipt.js";
import { teamWaiting } from "../../frontend/src/lib/visit.js";

// protocol §8's receipt.
const T = "000102030405060708090a0b0c0d0e";
const TEXT = "000G-40R4-0M30-E209-185G-R38E-D308";
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `text` with the symbol at `position` (0–27, separators not counted) replaced by the next one in the alphabet. */
function substitute(text, position) {
  const symbols = text.replace(/-/g, "");
  const c = symbols[position];
  const other = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length];
  return receiptGroups(symbols.slice(0, position) + other + symbols.slice(position + 1)).join("-");
}

const refusal = (reason, group) => (e) => e instanceof ReceiptFormatError && e.reason === reason && e.group === group;

test("seven groups parse to the receipt, typed loosely", () => {
  assert.equal(receiptText(fromHex(T)), TEXT);
  const groups = TEXT.split("-");
  assert.equal(hex(parseReceiptGroups(groups)), T);
  assert.equal(hex(parseReceiptGroups(groups.map((g) => ` ${g.toLowerCase().replace(/0/g, "o")}-`))), T);
});

test("a single wrong symbol is located in its group, in every position", () => {
  for (let position = 0; position < 28; position++) {
    const typo = substitute(TEXT, position);
    const group = Math.floor(position / 4);
    assert.throws(() => parseReceiptGroups(typo.split("-")), refusal("typo", group), `position ${position}`);
    assert.throws(() => parseReceipt(typo), refusal("typo", group), `position ${position}`);
  }
});

test("two neighbours swapped are located too", () => {
  const symbols = TEXT.replace(/-/g, "");
  // Positions 9 and 10 ("30" of group 3) differ.
  const swapped = symbols.slice(0, 9) + symbols[10] + symbols[9] + symbols.slice(11);
  assert.equal(typoGroup(swapped), 2);
});

test("a receipt with mistakes in several groups names no group", () => {
  const typo = substitute(substitute(TEXT, 1), 25);
  assert.throws(() => parseReceipt(typo), refusal("typo", null));
});

test("a foreign character or a short group names its group", () => {
  const groups = TEXT.split("-");
  assert.throws(() => parseReceiptGroups(groups.with(4, "18U5")), refusal("symbols", 4));
  assert.throws(() => parseReceiptGroups(groups.with(2, "0M3")), refusal("length", 2));
  assert.throws(() => parseReceiptGroups(groups.with(6, "D3088")), refusal("length", 6));
  assert.throws(() => parseReceiptGroups(groups.slice(1)), refusal("length", null));
  // The one-line form: a foreign character's group counts symbols, not separators.
  assert.throws(() => parseReceipt(TEXT.replace("E209", "E2U9")), refusal("symbols", 3));
  assert.throws(() => parseReceipt(TEXT.slice(1)), refusal("length", null));
});

test("the last group typed back: case, look-alikes and separators ignored, nothing else", () => {
  assert.ok(sameGroup("d308", "D308"));
  assert.ok(sameGroup(" D3O8 ", "D308"));
  assert.ok(sameGroup("1B", "LB"));
  assert.ok(!sameGroup("D309", "D308"));
  assert.ok(!sameGroup("", "D308"));
  assert.ok(!sameGroup("D30", "D308"));
  assert.ok(!sameGroup("D3\u00d68", "D308"));
});

const item = (from, day, verdict = "ok") => ({
  listing: { id: "b", seq: 0, from, day },
  seq: 0,
  doc: null,
  hash: null,
  verdict,
  gapBefore: false,
});

test("teamWaiting: verified team messages since the reporter's last one", () => {
  assert.deepEqual(teamWaiting([]), { count: 0, day: null });
  assert.deepEqual(teamWaiting([item("team", "2026-11-01"), item("reporter", "2026-11-02")]), {
    count: 0,
    day: null,
  });
  const thread = [
    item("team", "2026-11-01"),
    item("reporter", "2026-11-02"),
    item("team", "2026-11-03"),
    item("team", "2026-11-04", "signature"),
    item("team", "2026-11-05"),
  ];
  assert.deepEqual(teamWaiting(thread), { count: 2, day: "2026-11-05" });
  assert.deepEqual(teamWaiting([item("team", "2026-11-03")]), { count: 1, day: "2026-11-03" });
});
