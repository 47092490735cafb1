// What the console's build adds to build.ts: the drill scenario library
// (frontend/drills.json), checked by the console's own parser so a bad file
// fails the build, and the console's style sheet with the chart library's
// rules first (uPlot's CSS, bundled: the strict CSP allows no style from
// anywhere but the site's own sheets).
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { type DrillLibrary, parseDrills } from "./src/lib/drill.js";

interface Field {
  key: string;
  options?: { value: string }[];
}

const choices = (questionnaire: unknown, key: string): string[] =>
  ((questionnaire as { fields?: Field[] }).fields ?? []).find((f) => f.key === key)?.options?.map((o) => o.value) ?? [];

/** The operator's drill scenarios (none when the file is absent). @throws {Error} saying what is wrong */
export function readDrills(path: string, languages: readonly string[], questionnaire: unknown): DrillLibrary {
  if (!existsSync(path)) return { v: 1, scenarios: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`drills (${path}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseDrills(raw, languages, {
    category: choices(questionnaire, "category"),
    urgency: choices(questionnaire, "urgency"),
    ongoing: choices(questionnaire, "ongoing"),
  });
}

/** The console's style sheet: uPlot's rules, then console.css (which may refine them). */
export function consoleCss(consoleSheet: string): Buffer {
  const uplot = createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css");
  return Buffer.concat([readFileSync(uplot), Buffer.from("\n"), readFileSync(consoleSheet)]);
}
