// The inbox's use of the member's personal index (lib/inbox-index.ts,
// protocol §4.4 "Inbox index"): the index route lists the member's cases
// in large pages, the first with the index, which is verified once per
// unlock, applied page by page, and written back after a load that learned
// something. Any disagreement with the case list fails closed: the rows the
// index filled are decrypted from their reports like the rest.
import {
  changedSides,
  entryOf,
  fieldsOf,
  getIndexPage,
  type IndexEntry,
  type IndexOwner,
  type IndexPage,
  IndexRejected,
  planUnlock,
  type ReportFields,
  saveIndex,
  type Side,
  type StoredIndex,
  storedIndex,
} from "../lib/inbox-index.js";
import { todayUtc } from "../lib/manifest.js";
import type { CaseSummary } from "../lib/types.js";
import { current } from "./session.js";

/** The part of an inbox row the index reads and fills. */
export interface IndexedRow {
  summary: CaseSummary;
  fields: ReportFields | null;
  last: Side;
  /** Where `fields` came from this load: the index, or the report. */
  source: "index" | "report" | null;
  /** The case's tags as this member last read them (protocol §2.2 "Tags and links"; null: not known). */
  tags: string[] | null;
}

const owner = (): IndexOwner => {
  const { key } = current();
  return { member: key.member, recipient: key.recipient, signingKey: key.signingKey, signingSeed: key.signingSeed };
};

export type IndexUse = "warm" | "cold" | "refused";

const sameEntry = (a: IndexEntry, b: IndexEntry | undefined): boolean =>
  a.report === b?.report &&
  a.updated === b.updated &&
  a.last === b.last &&
  a.summary === b.summary &&
  a.drill === b.drill &&
  JSON.stringify(a.tags ?? null) === JSON.stringify(b.tags ?? null);

export class InboxSync {
  private stored: StoredIndex | null = null;
  /** What the server holds now, as this console knows it (null: nothing usable). */
  private base: Map<string, IndexEntry> | null = null;

  /** How this unlock started: from a verified index, from none, or from a refused one. */
  use: IndexUse = "cold";

  /** One page of the member's cases; the first page's index is verified (once per unlock). */
  async page(cursor: string): Promise<IndexPage> {
    const { client, opener } = current();
    const page = await getIndexPage(client, cursor);
    if (!cursor && !this.stored) {
      this.stored = await storedIndex(opener, owner(), page, todayUtc());
      this.base = this.stored.index ? new Map(this.stored.index.cases.map((e) => [e.case, e])) : null;
      this.use = this.stored.index ? "warm" : this.stored.refused ? "refused" : "cold";
    }
    this.changed = changedSides(page.cases);
    return page;
  }

  private changed = new Map<string, Side>();

  /**
   * Fill what the index knows of one page's rows still lacking their
   * report; the rows returned must be decrypted. A refusal (planUnlock)
   * drops the index and hands back every row it had filled, too.
   */
  apply(todo: readonly IndexedRow[], all: Iterable<IndexedRow>): IndexedRow[] {
    const stored = this.stored;
    const changed = this.changed;
    for (const row of todo) if (changed.has(row.summary.id)) row.last = changed.get(row.summary.id) ?? null;
    if (!stored?.index) return [...todo];
    try {
      const { known } = planUnlock(
        stored.index,
        todo.map((r) => r.summary),
        changed,
      );
      const stale = new Map(stored.index.cases.map((e) => [e.case, e]));
      for (const row of todo) {
        const entry = known.get(row.summary.id);
        if (!entry) {
          // Read again for its drill mark (planUnlock): what the index knew of it stays.
          const old = stale.get(row.summary.id);
          if (old?.report === row.summary.report.id) {
            if (!changed.has(row.summary.id)) row.last = old.last;
            row.tags ??= old.tags ?? null;
          }
          continue;
        }
        row.fields = fieldsOf(entry);
        row.last = entry.last;
        // Tags this console learned since the index was written are newer than the index's.
        row.tags ??= entry.tags ?? null;
        row.source = "index";
      }
      return todo.filter((r) => r.source !== "index");
    } catch (err) {
      if (!(err instanceof IndexRejected)) throw err;
      stored.index = null;
      stored.refused = err.message;
      this.base = null;
      const filled = [...all].filter((r) => r.source === "index");
      for (const row of filled) {
        row.fields = null;
        row.source = null;
      }
      return [...new Set([...todo, ...filled])];
    }
  }

  /**
   * Write the index of `rows` when it differs from what the server holds
   * (a new case, a changed one, a case gone, or a refused index).
   */
  async save(rows: readonly IndexedRow[]): Promise<"saved" | "unchanged"> {
    const stored = this.stored;
    if (!stored) return "unchanged";
    const entries = new Map<string, IndexEntry>();
    for (const row of rows)
      if (row.fields) entries.set(row.summary.id, entryOf(row.summary, row.fields, row.last, row.tags));
    const base = this.base;
    const same = base?.size === entries.size && [...entries.values()].every((e) => sameEntry(e, base.get(e.case)));
    if (same) return "unchanged";
    const listed = new Set(rows.map((r) => r.summary.id));
    const { client, opener } = current();
    stored.version = await saveIndex(client, opener, owner(), entries, listed, stored.version, todayUtc());
    this.base = entries;
    return "saved";
  }
}
