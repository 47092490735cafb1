// The inbox's reading of reports (protocol §4.4) and the member's personal
// inbox index (protocol §4.9): the twin of candor/inboxindex.py. A report
// opens to the few fields the inbox lists; the index keeps those fields per
// case, sealed to the member's own recipient, so that an unlock decrypts one
// blob plus the cases new or changed since it was written.
import { type Decoded, Opener, OpenFailed } from "./documents.js";
import { fromB64u } from "./encoding.js";

/** What the inbox lists of one report (its answers, as text). */
export interface ReportFields {
  summary: string;
  category: string;
  urgency: string;
  /** Every text answer, lower case, for the search box (not kept in the index). */
  text: string;
}

/** A decrypted report and what the inbox lists of it. */
export interface OpenedReport {
  report: Decoded;
  fields: ReportFields;
}

/** The text answers of a report's form (none when it has no form). */
export function formAnswers(report: unknown): Record<string, string> {
  const form = typeof report === "object" && report !== null && "form" in report ? report.form : null;
  if (typeof form !== "object" || form === null) return {};
  return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The inbox's fields of a decoded report (empty strings for missing answers). */
export function reportFields(report: unknown): ReportFields {
  const form = formAnswers(report);
  return {
    summary: (form.summary ?? "").slice(0, 200),
    category: form.category ?? "",
    urgency: form.urgency ?? "",
    text: Object.values(form).join("\n").toLowerCase(),
  };
}

/**
 * Open one sealed report with the member's identities (the stanza at
 * `hint`, the member's index in the case's access list, tried first).
 * @throws {OpenFailed} not readable with these identities, or not a v1 document
 */
export async function openReport(opener: Opener, sealed: Uint8Array, hint: number): Promise<OpenedReport> {
  const report = await opener.document(sealed, hint);
  return { report, fields: reportFields(report) };
}

/** A decrypt worker's job: one sealed report, as the API sent it (b64u: decoding is work too). */
export interface DecryptJob {
  job: number;
  sealed: string;
  hint: number;
}

/** A decrypt worker's answer to one job: the report, or why it failed ("unreadable": OpenFailed). */
export type DecryptReply =
  | { job: number; report: Decoded; fields: ReportFields; sealed: Uint8Array }
  | { job: number; failed: "unreadable" | "error"; sealed: Uint8Array };

/** Run one job (in a worker, or on the page when workers are refused). */
export async function runDecryptJob(opener: Opener, { job, sealed: text, hint }: DecryptJob): Promise<DecryptReply> {
  let sealed: Uint8Array = new Uint8Array(0);
  try {
    sealed = fromB64u(text);
    const { report, fields } = await openReport(opener, sealed, hint);
    return { job, report, fields, sealed };
  } catch (err) {
    return { job, failed: err instanceof OpenFailed ? "unreadable" : "error", sealed };
  }
}
