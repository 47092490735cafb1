// lib/drill.ts: the operator's scenario library as the build checks it (the
// shipped one passes, each kind of mistake is named), the report a drill
// files (answers in the chosen language, English where missing, marked
// with the scenario and start) and how a report reads as a drill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { drillForm, drillOf, parseDrills } from "../../frontend/src/lib/drill.js";

const read = (name) => JSON.parse(readFileSync(new URL(`../../frontend/${name}`, import.meta.url), "utf8"));
const LANGS = ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"];
const fields = read("questionnaire.json").fields;
const options = (key) => fields.find((f) => f.key === key).options.map((o) => o.value);
const CHOICES = { category: options("category"), urgency: options("urgency"), ongoing: options("ongoing") };
const SHIPPED = read("drills.json");

test("the shipped library has several scenarios for every category, each text in every catalogue language", () => {
  const library = parseDrills(SHIPPED, LANGS, CHOICES);
  for (const category of CHOICES.category)
    assert.ok(library.scenarios.filter((s) => s.category === category).length >= 2, category);
  for (const s of library.scenarios)
    for (const texts of Object.values(s.answers)) assert.deepEqual(Object.keys(texts).sort(), LANGS);
});

const broken = (edit) => {
  const copy = structuredClone(SHIPPED);
  edit(copy);
  return copy;
};
const BAD = [
  ["a category the questionnaire lacks", (d) => (d.scenarios[0].category = "fire"), /category must be one of/],
  ["an unknown answer", (d) => (d.scenarios[0].answers.salary = { en: "x" }), /answers.salary is not a text answer/],
  ["no English", (d) => delete d.scenarios[0].answers.summary.en, /answers.summary: must be/],
  ["a language without catalogue", (d) => (d.scenarios[0].answers.summary.xx = "x"), /no catalogue "xx"/],
  ["a duplicate id", (d) => (d.scenarios[1].id = d.scenarios[0].id), /appears twice/],
  ["an unknown field", (d) => (d.scenarios[0].score = 3), /unknown field score/],
  ["no scenarios", (d) => (d.scenarios = []), /at least one scenario/],
];
for (const [name, edit, message] of BAD)
  test(`the build refuses a library with ${name}`, () => {
    assert.throws(() => parseDrills(broken(edit), LANGS, CHOICES), message);
  });

test("a drill's report: answers in the chosen language or English, marked with its scenario and start", () => {
  const library = parseDrills(SHIPPED, LANGS, CHOICES);
  const s = library.scenarios[0];
  const now = new Date("2026-11-30T09:15:42.123Z");
  const de = drillForm(s, "de", now);
  assert.equal(de.summary, s.answers.summary.de);
  assert.equal(de.category, s.category);
  assert.deepEqual([de.drill, de.drill_started], [s.id, "2026-11-30T09:15:42Z"]);
  assert.equal(drillForm(s, "pl", now).summary, s.answers.summary.pl);
  assert.equal(drillForm(s, "sv", now).summary, s.answers.summary.en);
  assert.deepEqual(drillOf(de), { scenario: s.id, started: "2026-11-30T09:15:42Z" });
  assert.equal(drillOf({ summary: "a real report" }), null);
  assert.equal(drillOf({ ...de, drill_started: "yesterday" }), null);
});
