// A case as a ZIP for counsel (protocol §4.4, "Exports"): the decrypted
// report, thread, notes and attachments as the console verified them, the
// manifest chain it verified them with, a printable summary, and a
// verification sheet (verification.json) with the SHA-256 of every sealed
// blob and every file, each document's verdict, the case's audit entries
// and the export's own entry. `candor export check` (candor/exportcheck.py)
// re-checks the sheet offline. No DOM here: console/export.ts drives it.
import { zipSync } from "fflate";
import { hex, sha256, utf8 } from "./encoding.js";
import type { CaseRead, Shown } from "./teamops.js";
import type { AttachmentEntry, Manifest } from "./types.js";

/** Everything the export holds, gathered by the console. */
export interface ExportInput {
  caseRead: CaseRead & { id: string };
  chain: readonly Manifest[];
  /** The export's audit entry, as POST …/export returned it. */
  entry: Record<string, unknown>;
  /** The case's audit entries the member could read (admins), and whether they could. */
  audit: { entries: Record<string, unknown>[]; complete: boolean };
  /** Decrypted attachments by attachment id. */
  files: ReadonlyMap<string, Uint8Array>;
  /** The printable summary (console/export.ts writes it in the member's language). */
  summaryHtml: string;
  exportedBy: string;
}

export interface SheetDocument {
  kind: "report" | "message" | "note";
  id: string;
  seq: number | null;
  /** The document's file in the export; null when it did not verify (not shown as content). */
  file: string | null;
  /** Lower-case hex SHA-256 of the sealed blob as stored. */
  sealed_sha256: string | null;
  verdict: string;
}

const sha256hex = (bytes: Uint8Array): string => hex(sha256(bytes));

/** A file name with only safe characters (the reporter chose the original). */
export function safeName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    .replace(/[^\p{L}\p{N}._-]+/gu, "_")
    .replace(/^[._]+/, "");
  return cleaned.slice(0, 80) || "file";
}

const pad = (n: number): string => String(n).padStart(3, "0");
const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value, null, 2) + "\n");

function entryFiles(
  items: readonly Shown[],
  dir: string,
  kind: "message" | "note",
): [SheetDocument[], [string, Uint8Array][]] {
  const docs: SheetDocument[] = [];
  const files: [string, Uint8Array][] = [];
  for (const item of items) {
    const file = item.doc ? `${dir}/${pad(item.meta.seq)}-${item.meta.id}.json` : null;
    if (file && item.doc) files.push([file, json(item.doc)]);
    docs.push({
      kind,
      id: item.meta.id,
      seq: item.meta.seq,
      file,
      sealed_sha256: item.sealed ? sha256hex(item.sealed) : null,
      verdict: item.verdict,
    });
  }
  return [docs, files];
}

/** Every attachment entry of the case's verified documents, with its file name in the export. */
export function attachmentFiles(c: CaseRead): { entry: AttachmentEntry; file: string; of: string }[] {
  const all = [
    ...c.report.attachments.map((entry) => ({ entry, of: c.detail.report.id })),
    ...[...c.messages, ...c.notes].flatMap((m) =>
      m.doc ? m.doc.attachments.map((entry) => ({ entry, of: m.meta.id })) : [],
    ),
  ];
  return all.map(({ entry, of }) => ({ entry, of, file: `attachments/${entry.id}-${safeName(entry.name)}` }));
}

/** The export's files (path → bytes), verification.json last; deterministic for the same input. */
export function buildExport(input: ExportInput): Map<string, Uint8Array> {
  const c = input.caseRead;
  const files = new Map<string, Uint8Array>();
  files.set("summary.html", utf8(input.summaryHtml));
  files.set("report.json", json(c.report));
  files.set("manifests.json", json(input.chain));
  const [thread, threadFiles] = entryFiles(c.messages, "thread", "message");
  const [notes, noteFiles] = entryFiles(c.notes, "notes", "note");
  for (const [path, bytes] of [...threadFiles, ...noteFiles]) files.set(path, bytes);
  const attachments = attachmentFiles(c).flatMap(({ entry, file, of }) => {
    const bytes = input.files.get(entry.id);
    if (!bytes) return [];
    files.set(file, bytes);
    return [{ id: entry.id, of, file, sealed_sha256: entry.sha256, size: entry.size }];
  });
  const report: SheetDocument = {
    kind: "report",
    id: c.detail.report.id,
    seq: null,
    file: "report.json",
    sealed_sha256: sha256hex(c.reportSealed),
    verdict: "ok",
  };
  const sheet = {
    v: 1,
    kind: "candor-case-export",
    case: c.detail.id,
    reply_to: c.detail.reply_to,
    received: c.detail.received,
    status: c.detail.status,
    exported_by: input.exportedBy,
    export: input.entry,
    documents: [report, ...thread, ...notes],
    attachments,
    warnings: c.warnings.map((w) => w.code),
    audit: input.audit.entries,
    audit_complete: input.audit.complete,
    files: Object.fromEntries([...files].map(([path, bytes]) => [path, sha256hex(bytes)])),
  };
  files.set("verification.json", json(sheet));
  return files;
}

/** The ZIP of `files`, at a fixed time so the same export gives the same bytes. */
export function zipExport(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files), { mtime: new Date("1980-01-01T00:00:00Z") });
}
