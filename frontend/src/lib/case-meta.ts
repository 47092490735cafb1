// Case metadata the team keeps end to end encrypted (protocol §2.2, "Tags
// and links"): a case's tags and its "same incident as…" links are signed,
// sealed notes whose `tags` or `links` field holds the whole set, and the
// last verified note carrying the field (in `seq` order) decides, as a
// playbook tick does. The server stores such a note like any other, so it
// never sees a tag or which cases belong together.
import { isCaseId, isObject } from "./check.js";
import { sealDocument } from "./documents.js";
import { b64u } from "./encoding.js";
import { daysLeft } from "./manifest-status.js";
import { todayUtc } from "./manifest.js";
import { signDocument } from "./sign.js";
import {
  blocksWriting,
  buildEntry,
  type CaseRead,
  entryRecipients,
  ManifestExpired,
  type Reader,
  readCase,
  type Writer,
} from "./teamops.js";
import type { Manifest } from "./types.js";

export const MAX_TAGS = 20;
export const MAX_TAG = 40;
export const MAX_LINKS = 50;

/** The `tags` field of a note: the case's whole set of tags. */
export interface TagsField {
  v: 1;
  tags: string[];
  /** When the member set them (UTC, to the second), signed with the note. */
  at: string;
}

/** The `links` field of a note: every case the case is the same incident as. */
export interface LinksField {
  v: 1;
  cases: string[];
  at: string;
}

// A tag is shown as text: no control characters, no bidi overrides, no comma (the separator when typed).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069,]/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const isTag = (t: unknown): t is string =>
  typeof t === "string" && t.length >= 1 && t.length <= MAX_TAG && t === t.trim() && !UNSAFE.test(t);

/** A well-formed list of tags: at most MAX_TAGS distinct tags of 1 to MAX_TAG characters. */
export const isTagList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length <= MAX_TAGS && value.every(isTag) && new Set(value).size === value.length;

const isAt = (at: unknown): at is string => typeof at === "string" && AT.test(at) && !Number.isNaN(Date.parse(at));

const shapeIs = (o: Record<string, unknown>, fields: string): boolean =>
  Object.keys(o).sort().join(",") === fields && o.v === 1 && isAt(o.at);

/** The tags field a note document carries, or null (none, or of another shape: an ordinary note). */
export function tagsOf(doc: unknown): TagsField | null {
  if (!isObject(doc) || !isObject(doc.tags)) return null;
  const t = doc.tags;
  return shapeIs(t, "at,tags,v") && isTagList(t.tags) ? (t as unknown as TagsField) : null;
}

/** The links field a note document of case `self` carries, or null (a link to itself is malformed). */
export function linksOf(doc: unknown, self: string): LinksField | null {
  if (!isObject(doc) || !isObject(doc.links)) return null;
  const l = doc.links;
  const cases = l.cases;
  if (!shapeIs(l, "at,cases,v") || !Array.isArray(cases) || cases.length > MAX_LINKS) return null;
  if (!cases.every(isCaseId) || cases.includes(self) || new Set(cases).size !== cases.length) return null;
  return l as unknown as LinksField;
}

/** A note as the metadata reads it: verified notes only (the case view's Shown). */
export interface NoteLike {
  doc: { member: string | null } | null;
  verdict: string;
  meta: { seq: number };
}

/** The field of the last verified note that carries one, with who wrote it; null when none does. */
function latest<T extends { at: string }>(
  notes: readonly NoteLike[],
  read: (doc: unknown) => T | null,
): { field: T; member: string | null } | null {
  let last: { field: T; member: string | null } | null = null;
  for (const note of [...notes].sort((a, b) => a.meta.seq - b.meta.seq)) {
    if (note.verdict !== "ok" || !note.doc) continue;
    const field = read(note.doc);
    if (field) last = { field, member: note.doc.member };
  }
  return last;
}

/** The case's tags now ([] when no verified note set any), with who set them and when. */
export function currentTags(notes: readonly NoteLike[]): { tags: string[]; by: string | null; at: string | null } {
  const last = latest(notes, tagsOf);
  return { tags: last?.field.tags ?? [], by: last?.member ?? null, at: last?.field.at ?? null };
}

/** The cases case `self` is linked to now ([] when no verified note linked any). */
export function currentLinks(notes: readonly NoteLike[], self: string): string[] {
  return latest(notes, (doc) => linksOf(doc, self))?.field.cases ?? [];
}

/**
 * Tags as a member typed them, comma-separated: trimmed, inner spaces
 * collapsed, lower case, empty ones and repeats dropped.
 * @throws {Error} for a tag over MAX_TAG characters, with a control character, or more than MAX_TAGS
 */
export function parseTags(typed: string): string[] {
  const tags = [
    ...new Set(
      typed
        .split(",")
        .map((t) => t.normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (tags.length > MAX_TAGS) throw new Error(`at most ${MAX_TAGS} tags`);
  if (!tags.every((t) => isTag(t))) throw new Error(`a tag has 1 to ${MAX_TAG} characters without control characters`);
  return tags;
}

const secondUtc = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The metadata a note carries: the whole set of tags, or of linked cases. */
export type Meta = { tags: string[] } | { links: string[] };

/**
 * Write a case's tags or links as a signed note sealed to the case's access
 * recipients (protocol §2.2, §2.3, §2.4): `sig` covers the field, and the
 * note's `text` says the same in words for readers that know no such field.
 * @throws {Error} when writing is refused | {ManifestExpired} | {SealFailed} | {ApiError}
 */
export async function postMeta(
  writer: Writer,
  manifest: Manifest,
  thread: Pick<CaseRead, "detail" | "warnings">,
  meta: Meta,
  text: string,
  now: Date = new Date(),
): Promise<{ dropped: string[] }> {
  const { detail } = thread;
  if (blocksWriting(thread.warnings)) throw new Error("the stored case does not match the sealed report");
  if (daysLeft(manifest, todayUtc()) < 0) throw new ManifestExpired(manifest);
  const at = secondUtc(now);
  const field =
    "tags" in meta ? { tags: { v: 1, tags: meta.tags, at } } : { links: { v: 1, cases: [...meta.links].sort(), at } };
  if ("tags" in field ? !tagsOf(field) : !linksOf(field, detail.id)) throw new Error("malformed tags or links");
  const { recipients, dropped } = entryRecipients(manifest, detail, "note");
  const { member, signingSeed: seed } = writer.key;
  const base = buildEntry({ kind: "note", replyTo: detail.reply_to, member, prev: null, text, attachments: [], seed });
  const unsigned: Omit<typeof base, "sig"> & { sig?: string } = { ...base };
  delete unsigned.sig;
  const doc = signDocument({ ...unsigned, ...field }, seed);
  const sealed = await sealDocument(doc, recipients);
  await writer.client.call("POST", `/v1/team/cases/${detail.id}/notes`, {
    body: { id: doc.id, note: b64u(sealed), attachments: [] },
  });
  return { dropped };
}

/**
 * Link two cases as the same incident, or unlink them: a links note on
 * each side (protocol §2.2, "Tags and links"), each the side's whole set
 * with the other case added or taken out. The other case is read afresh
 * for its set; a side whose set is already right is not written again, so
 * a retry after a half-done link writes only what is missing. `text`
 * gives each note's words from its set.
 * @throws what readCase and postMeta throw
 */
export async function setLink(
  team: Reader & Writer,
  manifest: Manifest,
  here: Pick<CaseRead, "detail" | "warnings" | "notes">,
  other: string,
  on: boolean,
  text: (links: readonly string[]) => string,
): Promise<void> {
  const self = here.detail.id;
  if (other === self) throw new Error("a case is not linked to itself");
  const there = await readCase(team, other, null);
  const sides: [Pick<CaseRead, "detail" | "warnings" | "notes">, string][] = [
    [here, other],
    [there, self],
  ];
  for (const [side, add] of sides) {
    const now = currentLinks(side.notes, side.detail.id);
    if (now.includes(add) === on) continue;
    const links = on ? [...now, add] : now.filter((c) => c !== add);
    await postMeta(team, manifest, side, { links }, text(links));
  }
}
