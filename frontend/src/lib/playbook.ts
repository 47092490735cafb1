// Playbooks (frontend/playbooks.json, built into the console): a checklist
// per questionnaire category, each step with an owner by function and a
// time target in hours from receipt. A tick is a sealed, signed note
// (protocol §2.2 "Checklist ticks") whose `checklist` field names the step;
// the case's progress is the last verified tick of each step, so who ticked
// and when is signed by the member and sealed like any note. Python's twin
// is candor/playbook.py.
import { sealDocument } from "./documents.js";
import { b64u } from "./encoding.js";
import { daysLeft } from "./manifest-status.js";
import { todayUtc } from "./manifest.js";
import { signDocument } from "./sign.js";
import { blocksWriting, buildEntry, type CaseRead, entryRecipients, ManifestExpired, type Writer } from "./teamops.js";
import type { Manifest } from "./types.js";

/** One text per language; "en" is required and the fallback. */
export type Texts = Record<string, string>;

export interface Step {
  id: string;
  owner: string;
  hours: number;
  text: Texts;
}

export interface Playbooks {
  v: 1;
  owners: Record<string, Texts>;
  playbooks: Record<string, Step[]>;
}

const ID = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_HOURS = 24 * 365;
const MAX_TEXT = 500;
// Shown to members as text: no control characters, no bidi overrides.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Check operator texts: an object with "en" and only languages of the catalogues. @throws {Error} */
export function checkTexts(where: string, value: unknown, languages: readonly string[], max = MAX_TEXT): Texts {
  if (!isObject(value) || typeof value.en !== "string")
    throw new Error(`${where}: must be {"en": …, "de": …} with "en"`);
  for (const [lang, text] of Object.entries(value)) {
    if (!languages.includes(lang)) throw new Error(`${where}: no catalogue "${lang}"`);
    if (typeof text !== "string" || !text.trim() || text.length > max || UNSAFE.test(text))
      throw new Error(`${where}.${lang}: must be a text of 1 to ${max} characters without control characters`);
  }
  return value as Texts;
}

function checkStep(where: string, value: unknown, owners: readonly string[], languages: readonly string[]): Step {
  if (!isObject(value)) throw new Error(`${where}: must be {id, owner, hours, text}`);
  const { id, owner, hours, text, ...rest } = value;
  if (Object.keys(rest).length) throw new Error(`${where}: unknown field ${Object.keys(rest).join(", ")}`);
  if (typeof id !== "string" || !ID.test(id)) throw new Error(`${where}: id must be lower-case letters, digits and _`);
  if (typeof owner !== "string" || !owners.includes(owner))
    throw new Error(`${where}: owner must be one of ${owners.join(", ")}`);
  if (typeof hours !== "number" || !Number.isInteger(hours) || hours < 1 || hours > MAX_HOURS)
    throw new Error(`${where}: hours must be a whole number from 1 to ${MAX_HOURS}`);
  return { id, owner, hours, text: checkTexts(`${where}.text`, text, languages) };
}

/**
 * The operator's playbooks, checked: `{"v": 1, "owners": {id: texts},
 * "playbooks": {category: [step…]}}`, every category one of the
 * questionnaire's, step ids unique within a playbook. @throws {Error} saying what is wrong and where
 */
export function parsePlaybooks(raw: unknown, languages: readonly string[], categories: readonly string[]): Playbooks {
  if (!isObject(raw) || raw.v !== 1) throw new Error('playbooks: must be {"v": 1, "owners": …, "playbooks": …}');
  const { owners, playbooks, ...rest } = raw;
  const extra = Object.keys(rest).filter((k) => k !== "v");
  if (extra.length) throw new Error(`playbooks: unknown field ${extra.join(", ")}`);
  if (!isObject(owners) || !isObject(playbooks)) throw new Error("playbooks: owners and playbooks must be objects");
  for (const [id, texts] of Object.entries(owners)) {
    if (!ID.test(id)) throw new Error(`playbooks: owner id "${id}" must be lower-case letters, digits and _`);
    checkTexts(`playbooks: owners.${id}`, texts, languages, 100);
  }
  const out: Record<string, Step[]> = {};
  for (const [category, steps] of Object.entries(playbooks)) {
    if (!categories.includes(category))
      throw new Error(`playbooks: "${category}" is not a questionnaire category (${categories.join(", ")})`);
    if (!Array.isArray(steps) || !steps.length) throw new Error(`playbooks: ${category} must be a non-empty list`);
    out[category] = steps.map((s, i) => checkStep(`playbooks: ${category}[${i}]`, s, Object.keys(owners), languages));
    const ids = out[category].map((s) => s.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Error(`playbooks: ${category}: step id "${twice}" appears twice`);
  }
  return { v: 1, owners: owners as Record<string, Texts>, playbooks: out };
}

/** The text in `lang`, else English. */
export const textIn = (texts: Texts, lang: string): string => texts[lang] ?? texts.en ?? "";

// -- ticks (protocol §2.2, "Checklist ticks") ----------------------------------------------

/** The `checklist` field of a tick note. */
export interface Tick {
  v: 1;
  playbook: string;
  step: string;
  done: boolean;
  /** When the member ticked (UTC, to the second), signed with the note. */
  at: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The tick a note document carries, or null for an ordinary note or a malformed field. */
export function tickOf(doc: unknown): Tick | null {
  if (!isObject(doc) || !isObject(doc.checklist)) return null;
  const t = doc.checklist;
  const fields = Object.keys(t).sort().join(",");
  if (fields !== "at,done,playbook,step,v" || t.v !== 1) return null;
  if (typeof t.playbook !== "string" || !ID.test(t.playbook) || typeof t.step !== "string" || !ID.test(t.step))
    return null;
  if (typeof t.done !== "boolean" || typeof t.at !== "string" || !AT.test(t.at) || Number.isNaN(Date.parse(t.at)))
    return null;
  return t as unknown as Tick;
}

/** A note as progress reads it: verified notes only (the case view's Shown). */
export interface NoteLike {
  doc: { member: string | null; checklist?: unknown } | null;
  verdict: string;
  meta: { seq: number };
}

export interface StepState {
  step: Step;
  /** Due: `hours` after the start (00:00 UTC) of the day received, since the server keeps only the day. */
  due: Date;
  done: boolean;
  /** Who ticked or unticked last, and when (null when nobody did). */
  by: string | null;
  at: string | null;
  /** Not done and past due. */
  overdue: boolean;
  /** Done, but after it was due. */
  late: boolean;
}

/** Each step of `category`'s playbook with its state from the case's verified notes; [] without a playbook. */
export function progress(
  books: Playbooks,
  category: string | undefined,
  received: string,
  notes: readonly NoteLike[],
  now: Date = new Date(),
): StepState[] {
  const steps = category ? books.playbooks[category] : undefined;
  if (!steps || !category) return [];
  const start = Date.parse(`${received}T00:00:00Z`);
  const last = new Map<string, { tick: Tick; member: string | null }>();
  // Notes in seq order: the last verified tick of a step decides (a later untick undoes an earlier tick).
  for (const note of [...notes].sort((a, b) => a.meta.seq - b.meta.seq)) {
    if (note.verdict !== "ok" || !note.doc) continue;
    const tick = tickOf(note.doc);
    if (tick?.playbook === category) last.set(tick.step, { tick, member: note.doc.member });
  }
  return steps.map((step) => {
    const due = new Date(start + step.hours * 3_600_000);
    const found = last.get(step.id);
    const done = found?.tick.done ?? false;
    const at = found?.tick.at ?? null;
    return {
      step,
      due,
      done,
      by: found?.member ?? null,
      at,
      overdue: !done && now.getTime() > due.getTime(),
      late: done && at !== null && Date.parse(at) > due.getTime(),
    };
  });
}

/** "3/6, 1 overdue" in numbers. */
export function summary(states: readonly StepState[]): { done: number; total: number; overdue: number } {
  return {
    done: states.filter((s) => s.done).length,
    total: states.length,
    overdue: states.filter((s) => s.overdue).length,
  };
}

const secondUtc = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Write a tick (done) or an untick as a signed note sealed to the case's
 * access recipients (protocol §2.2, §2.3, §2.4): the document is a note
 * with a `checklist` field, signed over all its fields, whose `text` says
 * the same for readers that know no playbooks.
 */
export async function postTick(
  writer: Writer,
  manifest: Manifest,
  thread: Pick<CaseRead, "detail" | "warnings">,
  tick: { playbook: string; step: string; done: boolean; text: string },
  now: Date = new Date(),
): Promise<{ dropped: string[] }> {
  const { detail } = thread;
  if (blocksWriting(thread.warnings)) throw new Error("the stored case does not match the sealed report");
  if (daysLeft(manifest, todayUtc()) < 0) throw new ManifestExpired(manifest);
  const { recipients, dropped } = entryRecipients(manifest, detail, "note");
  const { member, signingSeed: seed } = writer.key;
  const base = buildEntry({
    kind: "note",
    replyTo: detail.reply_to,
    member,
    prev: null,
    text: tick.text,
    attachments: [],
    seed,
  });
  const unsigned: Omit<typeof base, "sig"> & { sig?: string } = { ...base };
  delete unsigned.sig;
  const checklist: Tick = { v: 1, playbook: tick.playbook, step: tick.step, done: tick.done, at: secondUtc(now) };
  const doc = signDocument({ ...unsigned, checklist }, seed);
  const sealed = await sealDocument(doc, recipients);
  await writer.client.call("POST", `/v1/team/cases/${detail.id}/notes`, {
    body: { id: doc.id, note: b64u(sealed), attachments: [] },
  });
  return { dropped };
}
