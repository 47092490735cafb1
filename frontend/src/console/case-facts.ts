// What the figures and the drills read of every case the member sees: the
// listing (with the plaintext `drill` flag of a filed report, protocol
// §4.4 "Filing"), each case's record (the days it was acknowledged, given
// feedback and closed, and how: GET /v1/team/cases/{id}, one audited
// case.read each) and its report's answers: the inbox's category where it
// has one (decrypted, or kept in its index), else the report decrypted
// here, fetched 50 a request (a drill's always: its mark is in the report).
// Everything stays in this tab's memory and is dropped on lock.
import { getCase, listCases } from "../lib/api.js";
import { drillOf } from "../lib/drill.js";
import { fromB64u } from "../lib/encoding.js";
import { type CaseFacts, type DrillScore, scoreDrill } from "../lib/figures.js";
import { type Playbooks, progress } from "../lib/playbook.js";
import { fetchSealedReports, pool, readCase } from "../lib/teamops.js";
import { type CaseDetail, type CaseSummary, isCaseStatus, RESOLUTIONS, type Resolution } from "../lib/types.js";
import { current, onLock, session } from "./session.js";
import { formOf } from "./views.js";

/** A listed case as the team filing route adds to it (absent for the page's reports). */
export type FiledSummary = CaseSummary & { drill?: boolean; source?: string };

export interface LoadedCase {
  summary: FiledSummary;
  detail: CaseDetail;
  /** The report's answers (empty when it could not be opened). */
  form: Record<string, string>;
}

// Requests in flight at once; GET /v1/team/reports takes up to 50 cases.
const PARALLEL = 4;
const BATCH = 50;

/** Records by case id and `updated` (a changed case is read again); answers by report id. */
let details = new Map<string, CaseDetail>();
let forms = new Map<string, Record<string, string>>();
onLock(() => {
  details = new Map();
  forms = new Map();
});

/** What the inbox already knows of a case's report: its category (null: not decrypted yet). */
export type KnownCategory = (caseId: string, reportId: string) => string | null;

async function readForms(summaries: readonly FiledSummary[], known: KnownCategory): Promise<void> {
  const todo: CaseSummary[] = [];
  for (const s of summaries) {
    if (forms.has(s.report.id)) continue;
    // A drill's mark is in its report, which the inbox does not keep: those are opened here.
    const category = s.drill === true ? null : known(s.id, s.report.id);
    if (category !== null) {
      forms.set(s.report.id, { category });
      continue;
    }
    const cached = session.cases.get(s.id);
    if (cached?.detail.report.id === s.report.id) forms.set(s.report.id, formOf(cached.report));
    else todo.push(s);
  }
  const batches = Array.from({ length: Math.ceil(todo.length / BATCH) }, (_, i) =>
    todo.slice(i * BATCH, (i + 1) * BATCH),
  );
  const { client, opener, key } = current();
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
  });
}

/**
 * Every case the member sees (`only` those), with its record and its
 * report's answers (only the category where `known` gives it).
 * `progress(done, total)` follows the records read.
 */
export async function loadCases(
  progress: (done: number, total: number) => void,
  only: (s: FiledSummary) => boolean = () => true,
  known: KnownCategory = () => null,
): Promise<LoadedCase[]> {
  const { client } = current();
  const summaries = ((await listCases(client)) as FiledSummary[]).filter(only);
  let done = 0;
  progress(done, summaries.length);
  await pool(summaries, PARALLEL, async (s) => {
    const key = `${s.id} ${s.updated}`;
    if (!details.has(key)) details.set(key, await getCase(client, s.id));
    progress(++done, summaries.length);
  });
  await readForms(summaries, known);
  return summaries.flatMap((summary) => {
    const detail = details.get(`${summary.id} ${summary.updated}`);
    return detail ? [{ summary, detail, form: forms.get(summary.report.id) ?? {} }] : [];
  });
}

const isResolution = (value: unknown): value is Resolution =>
  typeof value === "string" && (RESOLUTIONS as readonly string[]).includes(value);

/**
 * A drill: flagged so in the listing and marked so inside the sealed
 * report. Both must say it: the server cannot hide a real report from the
 * figures by flagging it, nor a crafted report by marking itself.
 */
export const isDrill = (c: LoadedCase): boolean => c.summary.drill === true && drillOf(c.form) !== null;

/** A case as the figures count it. */
export function factsOf(c: LoadedCase): CaseFacts {
  const d = c.detail;
  return {
    id: d.id,
    category: c.form.category ?? "",
    received: d.received,
    acknowledged: d.acknowledged,
    feedback: d.feedback,
    closed: d.closed,
    status: isCaseStatus(d.status) ? d.status : "received",
    resolution: isResolution(d.resolution) ? d.resolution : null,
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
  const read = await readCase(current(), c.detail.id, null);
  const states = progress(books, c.form.category, read.detail.received, read.notes, now);
  return scoreDrill(factsOf({ ...c, detail: read.detail }), mark, states, now);
}

/** Every drill's after-action summary, the latest first. */
export async function drillScores(cases: readonly LoadedCase[], books: Playbooks): Promise<DrillScore[]> {
  const scores: DrillScore[] = [];
  await pool(cases.filter(isDrill), PARALLEL, async (c) => {
    scores.push(await drillScoreOf(c, books));
  });
  return scores.sort((a, b) => (a.started < b.started ? 1 : -1));
}
