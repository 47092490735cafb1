// The inbox's use of the member's personal index (lib/inbox-index.ts,
// protocol §4.4 "Inbox index"): read and verified once per unlock, applied
// page by page to the listing, and written back after a load that learned
// something. Any disagreement with the case list fails closed: the rows the
// index filled are decrypted from their reports like the rest.
import {
  entryOf,
  fieldsOf,
  type IndexEntry,
  type IndexOwner,
  IndexRejected,
  loadIndex,
  planUnlock,
  type ReportFields,
  saveIndex,
  type Side,
  type StoredIndex,
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
}

const owner = (): IndexOwner => {
  const { key } = current();
  return { member: key.member, recipient: key.recipient, signingKey: key.signingKey, signingSeed: key.signingSeed };
};

export type IndexUse = "warm" | "cold" | "refused";

const sameEntry = (a: IndexEntry, b: IndexEntry | undefined): boolean =>
  a.report === b?.report && a.updated === b.updated && a.last === b.last && a.summary === b.summary;

export class InboxSync {
  private stored: StoredIndex | null = null;
  /** What the server holds now, as this console knows it (null: nothing usable). */
  private base: Map<string, IndexEntry> | null = null;

  /** Read and verify the stored index (once per unlock). */
  async start(): Promise<IndexUse> {
    if (this.stored) return "warm";
    const { client, opener } = current();
    this.stored = await loadIndex(client, opener, owner(), todayUtc());
    this.base = this.stored.index ? new Map(this.stored.index.cases.map((e) => [e.case, e])) : null;
    return this.stored.index ? "warm" : this.stored.refused ? "refused" : "cold";
  }

  /**
   * Fill what the index knows of one page's rows still lacking their
   * report; the rows returned must be decrypted. A refusal (planUnlock)
   * drops the index and hands back every row it had filled, too.
   */
  apply(todo: readonly IndexedRow[], all: Iterable<IndexedRow>): IndexedRow[] {
    const stored = this.stored;
    for (const row of todo) row.last = stored?.changed.get(row.summary.id) ?? row.last;
    if (!stored?.index) return [...todo];
    try {
      const { known } = planUnlock(
        stored.index,
        todo.map((r) => r.summary),
        stored.changed,
      );
      for (const row of todo) {
        const entry = known.get(row.summary.id);
        if (!entry) continue;
        row.fields = fieldsOf(entry);
        row.last = entry.last;
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
    for (const row of rows) if (row.fields) entries.set(row.summary.id, entryOf(row.summary, row.fields, row.last));
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
