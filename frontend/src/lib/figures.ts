// The figures the board asks for (issue 16), computed in the browser from
// the cases the member reads: volumes by category and month, time to
// acknowledge and to give feedback against the deadlines of protocol §4.4
// (EU Directive 2019/1937 art. 9: acknowledge within 7 days, feedback
// within 3 months of the acknowledgement, or of the 7 days when none was
// sent), open, overdue and resolved cases, and the drills with their
// scores. Drills are counted only as drills: every other figure leaves
// them out. Nothing here touches the DOM or the network.
import type { StepState } from "./playbook.js";
import { type CaseStatus, RESOLUTIONS, type Resolution } from "./types.js";

/** Days after receipt to acknowledge (protocol §4.4; chalicelib/domain/cases.py `deadlines`). */
export const ACKNOWLEDGE_DAYS = 7;
/** Calendar months after the acknowledgement (or its deadline) to give feedback (protocol §4.4). */
export const FEEDBACK_MONTHS = 3;

const DAY_MS = 86_400_000;

/** What the figures read of one case: its plaintext dates and status, and its report's category. */
export interface CaseFacts {
  id: string;
  category: string;
  /** UTC days (YYYY-MM-DD), as the server keeps them. */
  received: string;
  acknowledged: string | null;
  feedback: string | null;
  closed: string | null;
  status: CaseStatus;
  resolution: Resolution | null;
  drill: boolean;
}

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Whole days from `a` to `b`. */
export const daysBetween = (a: string, b: string): number => Math.round((dayMs(b) - dayMs(a)) / DAY_MS);

/** Calendar months later, clamped to the month's last day (chalicelib's add_months). */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const month0 = m - 1 + months;
  const year = y + Math.floor(month0 / 12);
  const month = (month0 % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return isoDay(Date.UTC(year, month - 1, Math.min(d, last)));
}

/** A case's deadlines and whether one has passed unmet (chalicelib/domain/cases.py `deadlines`). */
export function deadlinesOf(
  c: Pick<CaseFacts, "received" | "acknowledged" | "feedback" | "status">,
  today: string,
): { acknowledgeBy: string; feedbackBy: string; overdue: boolean } {
  const acknowledgeBy = isoDay(dayMs(c.received) + ACKNOWLEDGE_DAYS * DAY_MS);
  const feedbackBy = addMonths(c.acknowledged ?? acknowledgeBy, FEEDBACK_MONTHS);
  const overdue =
    (today > acknowledgeBy && !c.acknowledged) || (today > feedbackBy && !c.feedback && c.status !== "closed");
  return { acknowledgeBy, feedbackBy, overdue };
}

/** How one deadline was met across the cases: in time, late, missed and still open, pending. */
export interface Timeliness {
  /** Done by the deadline. */
  onTime: number;
  /** Done after the deadline. */
  late: number;
  /** Not done, deadline passed. */
  missed: number;
  /** Not done, deadline still ahead (or not needed any more: closed without feedback). */
  pending: number;
  /** Median days from receipt to the step, over the cases where it was done (null: none). */
  medianDays: number | null;
}

/** The dashboard's numbers. Months are YYYY-MM, every month from the first case to the last. */
export interface Figures {
  months: string[];
  categories: string[];
  /** volumes[category][month]: cases received. */
  volumes: number[][];
  total: number;
  acknowledge: Timeliness;
  feedback: Timeliness;
  /** Median days to acknowledge / give feedback, per month received (null: none done). */
  monthlyAcknowledgeDays: (number | null)[];
  monthlyFeedbackDays: (number | null)[];
  open: number;
  overdue: number;
  closed: number;
  resolutions: Record<Resolution, number>;
  drills: number;
}

/** The median of `values` (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Every month from `first` to `last` (YYYY-MM), both included. */
export function monthRange(first: string, last: string): string[] {
  const months: string[] = [];
  for (let m = first; m <= last; m = addMonths(`${m}-01`, 1).slice(0, 7)) months.push(m);
  return months;
}

function timeliness(done: (string | null)[], due: string[], received: string[], open: boolean[], today: string) {
  const t: Timeliness = { onTime: 0, late: 0, missed: 0, pending: 0, medianDays: null };
  const days: number[] = [];
  done.forEach((day, i) => {
    const by = due[i] ?? "";
    if (day) {
      days.push(daysBetween(received[i] ?? day, day));
      if (day <= by) t.onTime++;
      else t.late++;
    } else if (today > by && open[i]) t.missed++;
    else t.pending++;
  });
  t.medianDays = median(days);
  return t;
}

/**
 * The figures of `cases` on `today`; drills count only in `drills`.
 * `categories` gives the order (the questionnaire's); a category not in it
 * (an old or hand-made report) is listed after them as it is written.
 */
export function computeFigures(cases: readonly CaseFacts[], categories: readonly string[], today: string): Figures {
  const real = cases.filter((c) => !c.drill);
  const received = real.map((c) => c.received).sort();
  const first = received[0];
  const last = received.at(-1);
  const months = first && last ? monthRange(first.slice(0, 7), last.slice(0, 7)) : [];
  const extra = [...new Set(real.map((c) => c.category))].filter((c) => !categories.includes(c)).sort();
  const cats = [...categories, ...extra];
  const volumes = cats.map((cat) =>
    months.map((m) => real.filter((c) => c.category === cat && c.received.startsWith(m)).length),
  );
  const due = real.map((c) => deadlinesOf(c, today));
  const resolutions = Object.fromEntries(RESOLUTIONS.map((r) => [r, 0])) as Record<Resolution, number>;
  for (const c of real) if (c.status === "closed" && c.resolution) resolutions[c.resolution]++;
  const perMonth = (step: (c: CaseFacts) => string | null) =>
    months.map((m) =>
      median(
        real.flatMap((c) => {
          const day = step(c);
          return c.received.startsWith(m) && day ? [daysBetween(c.received, day)] : [];
        }),
      ),
    );
  const days = real.map((c) => c.received);
  return {
    months,
    categories: cats,
    volumes,
    total: real.length,
    acknowledge: timeliness(
      real.map((c) => c.acknowledged),
      due.map((d) => d.acknowledgeBy),
      days,
      real.map(() => true),
      today,
    ),
    feedback: timeliness(
      real.map((c) => c.feedback),
      due.map((d) => d.feedbackBy),
      days,
      real.map((c) => c.status !== "closed"),
      today,
    ),
    monthlyAcknowledgeDays: perMonth((c) => c.acknowledged),
    monthlyFeedbackDays: perMonth((c) => c.feedback),
    open: real.filter((c) => c.status !== "closed").length,
    overdue: due.filter((d) => d.overdue).length,
    closed: real.filter((c) => c.status === "closed").length,
    resolutions,
    drills: cases.length - real.length,
  };
}

// -- drills: the after-action summary and its score -------------------------------

/** A playbook step of a drill, timed from the drill's start rather than from the day received. */
export interface DrillStep {
  id: string;
  due: string;
  done: boolean;
  at: string | null;
  /** Done after its due time. */
  late: boolean;
  /** Not done and past due. */
  overdue: boolean;
}

/** The after-action summary of one drill. */
export interface DrillScore {
  id: string;
  scenario: string;
  category: string;
  started: string;
  /** Days from receipt to the acknowledgement (null: not acknowledged). */
  acknowledgeDays: number | null;
  /** Acknowledged after ACKNOWLEDGE_DAYS, or not yet and past it. */
  acknowledgeLate: boolean;
  steps: DrillStep[];
  done: number;
  /** Targets met (the acknowledgement and each step done in time) out of all, in whole percent. */
  score: number;
}

/**
 * Score a drill from its case facts and playbook progress (lib/playbook
 * `progress`). A drill starts at a time of day, not at midnight, so each
 * step falls due `hours` after `started` (its note ticks are timed to the
 * second); the acknowledgement keeps the legal 7 days, counted in days as
 * the server keeps them.
 */
export function scoreDrill(
  facts: Pick<CaseFacts, "id" | "category" | "received" | "acknowledged">,
  drill: { scenario: string; started: string },
  states: readonly StepState[],
  now: Date,
): DrillScore {
  const start = Date.parse(drill.started);
  const steps = states.map((s): DrillStep => {
    const due = start + s.step.hours * 3_600_000;
    return {
      id: s.step.id,
      due: new Date(due).toISOString(),
      done: s.done,
      at: s.at,
      late: s.done && s.at !== null && Date.parse(s.at) > due,
      overdue: !s.done && now.getTime() > due,
    };
  });
  const acknowledgeDays = facts.acknowledged ? daysBetween(facts.received, facts.acknowledged) : null;
  const ackBy = deadlinesOf({ ...facts, feedback: null, status: "received" }, "").acknowledgeBy;
  const acknowledgeLate = facts.acknowledged ? facts.acknowledged > ackBy : isoDay(now.getTime()) > ackBy;
  const met = (facts.acknowledged && !acknowledgeLate ? 1 : 0) + steps.filter((s) => s.done && !s.late).length;
  return {
    id: facts.id,
    scenario: drill.scenario,
    category: facts.category,
    started: drill.started,
    acknowledgeDays,
    acknowledgeLate,
    steps,
    done: steps.filter((s) => s.done).length,
    score: Math.round((100 * met) / (steps.length + 1)),
  };
}
