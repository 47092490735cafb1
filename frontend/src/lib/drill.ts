// Drills (issue 16): the operator's scenario library (frontend/drills.json,
// checked by the build and built into the console), the report a drill
// files, and how a report says it is one. The report is sealed like any
// other and filed by an admin through the team filing route with the
// plaintext `drill` flag (protocol §4.4, "Filing"); inside it, the form's
// `drill` names the scenario and `drill_started` the start (UTC, to the
// second), from which the after-action summary times the playbook.
// candor/drill.py is the CLI's twin.
import { checkTexts, textIn, type Texts } from "./playbook.js";

/** The questionnaire's free-text answers a scenario may give. */
export const TEXT_FIELDS = ["summary", "details", "where", "when", "who", "how_learned", "actions_taken"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface Scenario {
  id: string;
  category: string;
  urgency: string;
  ongoing: string;
  answers: Partial<Record<TextField, Texts>> & { summary: Texts };
}

export interface DrillLibrary {
  v: 1;
  scenarios: Scenario[];
}

/** The choices of a questionnaire field a scenario must pick from. */
export type Choices = Record<"category" | "urgency" | "ongoing", readonly string[]>;

const ID = /^[a-z][a-z0-9_]{0,59}$/;

/** A scenario id: lower-case letters, digits and _, starting with a letter, at most 60. */
export const isScenarioId = (value: unknown): value is string => typeof value === "string" && ID.test(value);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkScenario(where: string, raw: unknown, languages: readonly string[], choices: Choices): Scenario {
  if (!isObject(raw)) throw new Error(`${where}: must be {id, category, urgency, ongoing, answers}`);
  const { id, category, urgency, ongoing, answers, ...rest } = raw;
  if (Object.keys(rest).length) throw new Error(`${where}: unknown field ${Object.keys(rest).join(", ")}`);
  if (typeof id !== "string" || !ID.test(id)) throw new Error(`${where}: id must be lower-case letters, digits and _`);
  for (const [key, value] of Object.entries({ category, urgency, ongoing }) as [keyof Choices, unknown][])
    if (typeof value !== "string" || !choices[key].includes(value))
      throw new Error(`${where}: ${key} must be one of ${choices[key].join(", ")}`);
  if (!isObject(answers) || !("summary" in answers)) throw new Error(`${where}: answers must include summary`);
  const checked: Record<string, Texts> = {};
  for (const [key, texts] of Object.entries(answers)) {
    if (!(TEXT_FIELDS as readonly string[]).includes(key))
      throw new Error(`${where}: answers.${key} is not a text answer (${TEXT_FIELDS.join(", ")})`);
    checked[key] = checkTexts(`${where}.answers.${key}`, texts, languages, 2000);
  }
  return {
    id,
    category: category as string,
    urgency: urgency as string,
    ongoing: ongoing as string,
    answers: checked as Scenario["answers"],
  };
}

/**
 * The operator's scenario library, checked: `{"v": 1, "scenarios": [...]}`,
 * ids unique, choices from the questionnaire, texts in catalogue languages
 * with English. @throws {Error} saying what is wrong and where
 */
export function parseDrills(raw: unknown, languages: readonly string[], choices: Choices): DrillLibrary {
  if (!isObject(raw) || raw.v !== 1 || !Array.isArray(raw.scenarios) || !raw.scenarios.length)
    throw new Error('drills: must be {"v": 1, "scenarios": [...]} with at least one scenario');
  const extra = Object.keys(raw).filter((k) => k !== "v" && k !== "scenarios");
  if (extra.length) throw new Error(`drills: unknown field ${extra.join(", ")}`);
  const scenarios = raw.scenarios.map((s, i) => checkScenario(`drills: scenarios[${i}]`, s, languages, choices));
  const ids = scenarios.map((s) => s.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`drills: scenario id "${twice}" appears twice`);
  return { v: 1, scenarios };
}

const secondUtc = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The report's answers in `lang` (English where the scenario lacks it), marked as a drill started `now`. */
export function drillForm(s: Scenario, lang: string, now: Date): Record<string, string> {
  const form: Record<string, string> = { category: s.category, urgency: s.urgency, ongoing: s.ongoing };
  for (const [key, texts] of Object.entries(s.answers)) form[key] = texts[lang] ?? texts.en ?? "";
  form.drill = s.id;
  form.drill_started = secondUtc(now);
  return form;
}

/** What a report's form says of its drill: null for a real report (or a malformed mark). */
export function drillOf(form: Readonly<Record<string, string>>): { scenario: string; started: string } | null {
  const { drill: scenario, drill_started: started } = form;
  if (!scenario || !started || !ID.test(scenario)) return null;
  // A real instant, to the second (no 30 February, no 24:00), as candor/drill.py's drill_of.
  const at = Date.parse(started);
  if (Number.isNaN(at) || started < "0001" || new Date(at).toISOString() !== started.replace("Z", ".000Z")) return null;
  return { scenario, started };
}

/** The form keys of a drill's mark: the case view shows them as the drill, not as the reporter's answers. */
export const MARK_KEYS: readonly string[] = ["drill", "drill_started"];

/**
 * What a case is, from both of its words: the listing's plaintext flag
 * (the server's) and the sealed report's mark (drillOf). A drill needs
 * both; when only one says so, one of them was tampered with (a server
 * hiding a real report from the deadlines, or a report dressed up as
 * practice) and the case is to be worked as a real one.
 */
export type DrillCheck =
  | { kind: "real" }
  | { kind: "drill"; scenario: string; started: string }
  | { kind: "mismatch"; by: "listing" | "report" };

export function drillCheck(flag: unknown, form: Readonly<Record<string, string>>): DrillCheck {
  const mark = drillOf(form);
  const listed = flag === true;
  if (listed && mark) return { kind: "drill", ...mark };
  if (listed) return { kind: "mismatch", by: "listing" };
  if (mark) return { kind: "mismatch", by: "report" };
  return { kind: "real" };
}

/** A scenario's title (its summary) in `lang`, English where the library lacks it; null for an unknown id. */
export function scenarioTitle(library: Pick<DrillLibrary, "scenarios">, id: string, lang: string): string | null {
  const s = library.scenarios.find((x) => x.id === id);
  return s ? textIn(s.answers.summary, lang) : null;
}
