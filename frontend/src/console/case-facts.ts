// What the figures and the drills read of every case the member sees: the
// listing, which gives each case's days (received, acknowledged, given
// feedback, closed), its resolution and, for a filed report, the plaintext
// `drill` flag (protocol §4.4), and its report's answers: the inbox's
// category where it has one (decrypted, or kept in its index), else the
// report decrypted here, fetched 50 a request (a drill's always: its mark
// is in the report). Everything stays in this tab's memory and is dropped
// on lock.
import { listCases } from "../lib/api.js";
import { drillCheck, drillOf } from "../lib/drill.js";
import { fromB64u } from "../lib/encoding.js";
import { type CaseFacts, type DrillScore, scoreDrill } from "../lib/figures.js";
import { type Playbooks, progress } from "../lib/playbook.js";
import { fetchSealedReports, pool, readCase } from "../lib/teamops.js";
import { type CaseSummary, isCaseStatus, RESOLUTIONS, type Resolution } from "../lib/types.js";
import { current, onLock, session } from "./session.js";
import { formOf } from "./views.js";

/** The days a case was acknowledged, given feedback and closed, and how (the listing and the case say them). */
export type CaseDays = Pick<
  CaseSummary,
  "id" | "status" | "resolution" | "received" | "acknowledged" | "feedback" | "closed"
>;

export interface LoadedCase {
  summary: CaseSummary;
  /** The report's answers (only the category when the inbox gave it; empty when it could not be opened). */
  form: Record<string, string>;
}

/** What the inbox already knows of a case's report: its category (null: not decrypted yet). */
export type KnownCategory = (caseId: string, reportId: string) => string | null;

// Requests in flight at once; GET /v1/team/reports takes up to 50 cases.
const PARALLEL = 4;
const BATCH = 50;

/** Answers by report id (a report never changes). */
let forms = new Map<string, Record<string, string>>();
onLock(() => {
  forms = new Map();
});

/** The summaries whose report's answers are not known yet. */
function unknownForms(summaries: readonly CaseSummary[], known: KnownCategory): CaseSummary[] {
  const todo: CaseSummary[] = [];
  for (const s of summaries) {
    if (forms.has(s.report.id)) continue;
    // A drill's mark is in its report, which the inbox does not keep: those are opened here.
    const category = s.drill === true ? null : known(s.id, s.report.id);
    const cached = session.cases.get(s.id);
    if (category !== null) forms.set(s.report.id, { category });
    else if (cached?.detail.report.id === s.report.id) forms.set(s.report.id, formOf(cached.report));
    else todo.push(s);
  }
  return todo;
}

async function readForms(todo: readonly CaseSummary[], progress: (done: number, total: number) => void) {
  const batches = Array.from({ length: Math.ceil(todo.length / BATCH) }, (_, i) =>
    todo.slice(i * BATCH, (i + 1) * BATCH),
  );
  const { client, opener, key } = current();
  let done = 0;
  progress(done, todo.length);
  await pool(batches, PARALLEL, async (batch) => {
    const byCase = new Map(batch.map((s) => [s.id, s]));
    for (const [id, sealed] of await fetchSealedReports(client, [...byCase.keys()])) {
      const s = byCase.get(id);
      if (!s) continue;
      let form: Record<string, string> = {};
      try {
        if (sealed) form = formOf(await opener.document(fromB64u(sealed), s.access.indexOf(key.member)));
      } catch {
        // An unreadable report counts with no category; the inbox names it.
      }
      forms.set(s.report.id, form);
    }
    progress((done += batch.length), todo.length);
  });
}

/**
 * Every case the member sees (`only` those), with its report's answers
 * (only the category where `known` gives it). `progress(done, total)`
 * follows the reports opened here.
 */
export async function loadCases(
  progress: (done: number, total: number) => void,
  only: (s: CaseSummary) => boolean = () => true,
  known: KnownCategory = () => null,
): Promise<LoadedCase[]> {
  const summaries = (await listCases(current().client)).filter(only);
  await readForms(unknownForms(summaries, known), progress);
  return summaries.map((summary) => ({ summary, form: forms.get(summary.report.id) ?? {} }));
}

const isResolution = (value: unknown): value is Resolution =>
  typeof value === "string" && (RESOLUTIONS as readonly string[]).includes(value);

/**
 * A drill: flagged so in the listing and marked so inside the sealed
 * report. Both must say it: the server cannot hide a real report from the
 * figures by flagging it, nor a crafted report by marking itself.
 */
export const isDrill = (c: LoadedCase): boolean => drillCheck(c.summary.drill, c.form).kind === "drill";

/** A case as the figures count it, from its days (the listing's, or a freshly read case's). */
export function factsOf(c: LoadedCase, days: CaseDays = c.summary): CaseFacts {
  return {
    id: days.id,
    category: c.form.category ?? "",
    received: days.received,
    acknowledged: days.acknowledged,
    feedback: days.feedback,
    closed: days.closed,
    status: isCaseStatus(days.status) ? days.status : "received",
    resolution: isResolution(days.resolution) ? days.resolution : null,
    drill: isDrill(c),
  };
}

/**
 * A drill's after-action summary: its case read in full (the playbook's
 * ticks are sealed notes) and scored from the drill's start.
 * @throws {Error} when `c` is no drill
 */
export async function drillScoreOf(c: LoadedCase, books: Playbooks, now: Date = new Date()): Promise<DrillScore> {
  const mark = drillOf(c.form);
  if (!mark || !isDrill(c)) throw new Error("not a drill");
  const read = await readCase(current(), c.summary.id, null);
  const states = progress(books, c.form.category, read.detail.received, read.notes, now);
  return scoreDrill(factsOf(c, read.detail), mark, states, now);
}

/** Every drill's after-action summary, the latest first. */
export async function drillScores(cases: readonly LoadedCase[], books: Playbooks): Promise<DrillScore[]> {
  const scores: DrillScore[] = [];
  await pool(cases.filter(isDrill), PARALLEL, async (c) => {
    scores.push(await drillScoreOf(c, books));
  });
  return scores.sort((a, b) => (a.started < b.started ? 1 : -1));
}
