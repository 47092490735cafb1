// Canned replies (frontend/replies.json, built into the console): reply
// templates per language, chosen in the reporter's language (the report's
// `lang`, English when the template lacks it) and filled in with the case's
// values. The filled text goes through the ordinary compose path, so it is
// signed and sealed like any reply (protocol §2.2, §2.3).
import { ApiError, type CasePatch, patchCase } from "./api.js";
import { addMonths, FEEDBACK_MONTHS } from "./figures.js";
import { todayUtc } from "./manifest.js";
import { checkTexts, textIn, type Texts } from "./playbook.js";
import { postEntry, readCase, type Reader, type Writer } from "./teamops.js";
import type { CaseDetail, Manifest } from "./types.js";

export interface Reply {
  id: string;
  label: Texts;
  text: Texts;
}

export interface Replies {
  v: 1;
  replies: Reply[];
}

/** The placeholders a template may use. */
export const PLACEHOLDERS = ["case", "received", "acknowledge_by", "feedback_by"] as const;
export type Values = Record<(typeof PLACEHOLDERS)[number], string>;

const ID = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_REPLY = 5000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkReply(where: string, value: unknown, languages: readonly string[]): Reply {
  if (!isObject(value)) throw new Error(`${where}: must be {id, label, text}`);
  const { id, label, text, ...rest } = value;
  if (Object.keys(rest).length) throw new Error(`${where}: unknown field ${Object.keys(rest).join(", ")}`);
  if (typeof id !== "string" || !ID.test(id)) throw new Error(`${where}: id must be lower-case letters, digits and _`);
  const texts = checkTexts(`${where}.text`, text, languages, MAX_REPLY);
  for (const [lang, t] of Object.entries(texts)) {
    const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? "").filter((p) => !isPlaceholder(p));
    if (unknown.length)
      throw new Error(
        `${where}.text.${lang}: unknown placeholder {${unknown[0] ?? ""}} (use ${PLACEHOLDERS.join(", ")})`,
      );
  }
  return { id, label: checkTexts(`${where}.label`, label, languages, 100), text: texts };
}

const isPlaceholder = (p: string): p is (typeof PLACEHOLDERS)[number] =>
  (PLACEHOLDERS as readonly string[]).includes(p);

/** The operator's reply templates, checked. @throws {Error} saying what is wrong and where */
export function parseReplies(raw: unknown, languages: readonly string[]): Replies {
  if (!isObject(raw) || raw.v !== 1 || !Array.isArray(raw.replies) || Object.keys(raw).length !== 2)
    throw new Error('replies: must be {"v": 1, "replies": [{id, label, text}…]}');
  const replies = raw.replies.map((r, i) => checkReply(`replies[${i}]`, r, languages));
  const ids = replies.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`replies: id "${twice}" appears twice`);
  return { v: 1, replies };
}

/** The template's text in the reporter's language (English when missing), placeholders filled in. */
export function fillReply(reply: Reply, reporterLang: string, values: Values): { lang: string; text: string } {
  const lang = reporterLang in reply.text ? reporterLang : "en";
  const text = textIn(reply.text, lang).replace(/\{([a-z_]+)\}/g, (m, p: string) => (isPlaceholder(p) ? values[p] : m));
  return { lang, text };
}

// -- acknowledging many cases at once ("Acknowledge all new") ---------------------------

/** The template an acknowledgement uses: the one with id "acknowledge", if the operator kept it. */
export const ACKNOWLEDGE = "acknowledge";
export const acknowledgement = (replies: Replies): Reply | undefined =>
  replies.replies.find((r) => r.id === ACKNOWLEDGE);

/** A case as the acknowledgement decides it: its status, and whether the team already wrote to the reporter. */
export interface AckState {
  detail: { status: string; acknowledged: string | null };
  messages: readonly { meta: { from: string } }[];
}

/**
 * What acknowledging a case takes, decided from the case as read just
 * now: "send" the message (and mark it acknowledged), only mark it
 * ("status": the team wrote already, so nothing is sent twice), or
 * nothing ("none": not new any more).
 */
export function ackStep(c: AckState): "send" | "status" | "none" {
  if (c.detail.status !== "received") return "none";
  const wrote = c.detail.acknowledged !== null || c.messages.some((m) => m.meta.from === "team");
  return wrote ? "status" : "send";
}

/** One case's outcome: the task's result, or why it failed. */
export type Outcome<R> = { case: string; result: R } | { case: string; result: "failed"; error: unknown };
export type AckResult = "sent" | "status" | "none";

/**
 * Run `task` on each case, a few at a time; each outcome is reported as it
 * comes and a failure does not stop the others. Resolves to the outcomes
 * in the order of `ids`.
 */
export async function eachCase<R>(
  ids: readonly string[],
  task: (id: string) => Promise<R>,
  report: (outcome: Outcome<R>, done: number) => void,
  limit = 2,
): Promise<Outcome<R>[]> {
  const outcomes = new Map<string, Outcome<R>>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
      let outcome: Outcome<R>;
      try {
        outcome = { case: id, result: await task(id) };
      } catch (error) {
        outcome = { case: id, result: "failed", error };
      }
      outcomes.set(id, outcome);
      report(outcome, outcomes.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, ids.length) }, worker));
  return ids.flatMap((id) => {
    const o = outcomes.get(id);
    return o ? [o] : [];
  });
}

/** The placeholders' values for a case. */
export const valuesOf = (d: Pick<CaseDetail, "id" | "received" | "acknowledge_by" | "feedback_by">): Values => ({
  case: d.id,
  received: d.received,
  acknowledge_by: d.acknowledge_by,
  feedback_by: d.feedback_by,
});

/**
 * The placeholders' values for a message that acknowledges the case
 * `today`: feedback is then due FEEDBACK_MONTHS after today (protocol §4.4),
 * not after the acknowledge-by day an unacknowledged case shows, so the
 * reporter is not promised a day later than the team's deadline.
 */
export const ackValues = (
  d: Pick<CaseDetail, "id" | "received" | "acknowledge_by" | "feedback_by" | "acknowledged">,
  today: string,
): Values => ({ ...valuesOf(d), feedback_by: d.acknowledged ? d.feedback_by : addMonths(today, FEEDBACK_MONTHS) });

/**
 * Acknowledge one case: read it afresh (checking every message), and as
 * ackStep decides, send the template filled in the reporter's language as
 * its own signed reply sealed to its own reporter (postEntry, protocol
 * §2.3, §2.4), then mark the case acknowledged. The reply is stored only
 * after the messages read (`after`, protocol §4.4): when another console
 * acknowledged meanwhile (or the reporter wrote), the case is read again,
 * so no reporter gets two. `seen` hears the case as
 * it is at the end (for the inbox). @throws what readCase, postEntry and
 * patchCase throw; nothing is sent when the read fails
 */
export async function acknowledgeCase(
  team: Reader & Writer,
  manifest: Manifest,
  id: string,
  reply: Reply,
  seen: (detail: CaseDetail) => void = () => undefined,
): Promise<AckResult> {
  let sent = false;
  for (let tries = 0; tries < ACK_TRIES; tries++) {
    const read = await readCase(team, id, null);
    const step = ackStep(read);
    if (step === "none") return sent ? "sent" : "none";
    if (step === "send") {
      const { text } = fillReply(reply, read.report.lang, ackValues(read.detail, todayUtc()));
      try {
        await postEntry(team, manifest, read, { kind: "message", text, files: [], onlyAfter: true });
      } catch (err) {
        if (isThreadMoved(err)) continue; // a message came meanwhile: read the case again
        throw err;
      }
      sent = true;
    }
    const body: CasePatch = { status: "acknowledged" };
    try {
      seen(await patchCase(team.client, id, body));
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") continue; // changed meanwhile: read it again
      throw err;
    }
    return sent ? "sent" : "status";
  }
  throw new Error(`case ${id} kept changing while it was acknowledged: try again`);
}

/** Reads of a case whose thread moves on while it is acknowledged, at most. */
const ACK_TRIES = 3;

/** The server refused an entry for a newer one than its writer read (`after`, protocol §4.4). */
export const isThreadMoved = (err: unknown): boolean => err instanceof ApiError && err.code === "thread_moved";

/** A verified reply of `member` with this text is in the thread already (a retry after a lost answer). */
export const alreadySent = (
  thread: readonly { verdict: string; doc: { from: string; member: string | null; text: string } | null }[],
  member: string,
  text: string,
): boolean =>
  thread.some((m) => m.verdict === "ok" && m.doc?.from === "team" && m.doc.member === member && m.doc.text === text);

/**
 * Send one text to one case's reporter as its own reply (a reply composed
 * once for linked cases): read afresh, skipped ("already") when this
 * member's same reply verifies in the thread, else signed and sealed to
 * that reporter alone with the team (postEntry). `seen` hears the case
 * read. @throws what readCase and postEntry throw
 */
export async function replyToCase(
  team: Reader & Writer,
  manifest: Manifest,
  id: string,
  text: string,
  seen: (detail: CaseDetail) => void = () => undefined,
): Promise<"sent" | "already"> {
  const read = await readCase(team, id, null);
  seen(read.detail);
  if (alreadySent(read.messages, team.key.member, text)) return "already";
  await postEntry(team, manifest, read, { kind: "message", text, files: [] });
  return "sent";
}
