// Plural forms (frontend/src/lib/i18n.ts): the catalogue's form for a count
// is the one CLDR gives for that language. The expected categories below
// are written out from the CLDR rules, not asked of Intl, so a wrong rule
// or a wrong lookup fails. The catalogues are the real ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Catalogue } from "../../frontend/src/lib/i18n.js";

const I18N = new URL("../../frontend/i18n/", import.meta.url).pathname;
const CATALOGUES = Object.fromEntries(
  readdirSync(I18N)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [basename(f, ".json"), JSON.parse(readFileSync(join(I18N, f), "utf8"))]),
);

/** What t() must show for `key` with `args`: the catalogue's `form`, its {parameters} filled in. */
function expected(lang, key, form, args) {
  const text = CATALOGUES[lang][`${key}.${form}`];
  assert.ok(text, `${lang} has no ${key}.${form}`);
  const number = new Intl.NumberFormat(lang);
  return text.replace(/\{(\w+)\}/g, (m, name) =>
    typeof args[name] === "number" ? number.format(args[name]) : (args[name] ?? m),
  );
}

// Polish: one = 1; few = 2–4, 22–24, 32–34… (but not 12–14); many = 0, 5–21, 25–31…; other = fractions.
const POLISH = [
  [1, "one"],
  [2, "few"],
  [4, "few"],
  [5, "many"],
  [12, "many"],
  [14, "many"],
  [21, "many"],
  [22, "few"],
  [24, "few"],
  [25, "many"],
  [0, "many"],
  [102, "few"],
  [112, "many"],
  [1.5, "other"],
];

// Arabic: zero = 0; one = 1; two = 2; few = 3–10 (mod 100); many = 11–99 (mod 100); other = 100–102…
const ARABIC = [
  [0, "zero"],
  [1, "one"],
  [2, "two"],
  [3, "few"],
  [10, "few"],
  [11, "many"],
  [99, "many"],
  [100, "other"],
  [101, "other"],
  [103, "few"],
  [111, "many"],
];

for (const [lang, cases] of [
  ["pl", POLISH],
  ["ar", ARABIC],
]) {
  test(`plural forms in ${lang} follow CLDR`, () => {
    const i18n = new Catalogue(CATALOGUES, lang);
    assert.equal(i18n.lang, lang);
    for (const [n, form] of cases) {
      assert.equal(i18n.pluralCategory(n), form, `${lang} ${n}`);
      // Chosen by n …
      const days = { n, date: "2026-12-01", version: 3 };
      assert.equal(i18n.t("console.banner.text", days), expected(lang, "console.banner.text", form, days));
      // … or by total in "{shown} of {total}" messages.
      const shown = { shown: 1, total: n };
      assert.equal(i18n.t("console.inbox.count", shown), expected(lang, "console.inbox.count", form, shown));
    }
  });
}

test("Polish forms differ where the grammar does: 1 sprawa, 2 sprawy, 5 spraw", () => {
  const pl = new Catalogue(CATALOGUES, "pl");
  const loaded = (n) => pl.t("console.inbox.loaded", { total: n, seconds: "0,5" });
  // (\b is ASCII-only in JavaScript: the words are matched between spaces.)
  assert.ok(loaded(1).includes(" 1 sprawę "), loaded(1));
  assert.ok(loaded(3).includes(" 3 sprawy "), loaded(3));
  assert.ok(loaded(5).includes(" 5 spraw "), loaded(5));
  assert.ok(loaded(22).includes(" 22 sprawy "), loaded(22));
});

test("Arabic spells out one and two, and keeps the number from three", () => {
  const ar = new Catalogue(CATALOGUES, "ar");
  const missing = (n) => ar.t("console.team.proposal.missing", { n, names: "Ada" });
  assert.ok(missing(1).includes("توقيع واحد"));
  assert.ok(missing(2).includes("توقيعان"));
  assert.ok(missing(3).includes(`${new Intl.NumberFormat("ar").format(3)} توقيعات`));
  assert.ok(missing(11).includes(`${new Intl.NumberFormat("ar").format(11)} توقيعًا`));
});

test("English: one case, not 1 cases; numbers written in the catalogue's language", () => {
  const en = new Catalogue(CATALOGUES, "en");
  assert.equal(en.t("console.inbox.count", { shown: 1, total: 1 }), "Showing 1 of 1 case");
  assert.equal(en.t("console.inbox.count", { shown: 2, total: 2 }), "Showing 2 of 2 cases");
  assert.equal(en.t("console.inbox.count", { shown: 0, total: 0 }), "Showing 0 of 0 cases");
  assert.equal(en.t("console.inbox.count", { shown: 1234, total: 1234 }), "Showing 1,234 of 1,234 cases");
  const de = new Catalogue(CATALOGUES, "de");
  assert.equal(de.t("console.inbox.count", { shown: 1234, total: 1234 }), "1.234 von 1.234 Fällen angezeigt");
});

test("a catalogue missing a form falls back to its own 'other', then to English", () => {
  const i18n = new Catalogue(
    {
      en: { "k.one": "one thing", "k.other": "{n} things" },
      pl: { "k.one": "jedna rzecz", "k.other": "{n} rzeczy" },
    },
    "pl",
  );
  assert.equal(i18n.t("k", { n: 1 }), "jedna rzecz");
  assert.equal(i18n.t("k", { n: 5 }), "5 rzeczy"); // many is absent: pl's other
  const bare = new Catalogue({ en: { "k.one": "one thing", "k.other": "{n} things" }, pl: {} }, "pl");
  assert.equal(bare.t("k", { n: 1 }), "one thing");
  assert.equal(bare.t("k", { n: 5 }), "5 things");
});

test("the browser's first language with a catalogue wins, else English", () => {
  const pick = (wanted) => new Catalogue(CATALOGUES, wanted).lang;
  assert.equal(pick(["pl-PL", "en-US"]), "pl");
  assert.equal(pick(["ja-JP", "ar-EG", "en"]), "ar");
  assert.equal(pick(["pt-BR"]), "pt" in CATALOGUES ? "pt" : "en");
  assert.equal(pick(["ja", "zh-TW"]), "en");
  assert.equal(pick(["constructor"]), "en");
  const ar = new Catalogue(CATALOGUES, "ar");
  assert.equal(ar.direction(), "rtl");
  assert.equal(ar.direction("pl"), "ltr");
  assert.equal(ar.nameOf("pl"), "Polski");
});
