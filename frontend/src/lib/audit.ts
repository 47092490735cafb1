// The audit log (protocol §4.6), checked in the browser: every entry links to
// the previous one (prev = b64u(H(JCS(previous entry))), 32 zero bytes for
// the first), seq counts from 1, and every member action carries the signed
// request, verified against the member's current and old keys. The twin of
// candor/teamops.py's verify_audit.
import { b64u, sha256 } from "./encoding.js";
import { jcsBytes } from "./jcs.js";
import { verifyRecorded } from "./rfc9421.js";
import { isObject } from "./check.js";
import type { AuditEntry, B64u } from "./types.js";

/** A head of the audit chain: the seq of its newest entry and that entry's hash. */
export interface AuditHead {
  seq: number;
  hash: B64u;
}

export type AuditProblem = "chain" | "signature" | "head";
export type AuditVerdict = "ok" | "system" | "bad";

export interface AuditResult {
  count: number;
  head: AuditHead;
  problems: { seq: number; problem: AuditProblem }[];
  verdicts: AuditVerdict[];
}

export const GENESIS = b64u(new Uint8Array(32));

export const entryHash = (entry: unknown): B64u => b64u(sha256(jcsBytes(entry)));

/**
 * Check `entries` (all of them, by seq). `keysOf(memberId)` gives the b64u
 * signing keys the manifest chain ever listed for a member. `remembered`
 * ({seq, hash}) is a head seen before, which must still be there.
 * Returns {count, head: {seq, hash}, problems: [{seq, problem}], verdicts}
 * where problem is "chain", "signature" or "head" and verdicts[i] is
 * "ok", "system" or "bad" for entry i.
 */
export function verifyAudit(
  entries: readonly AuditEntry[],
  keysOf: (memberId: string) => readonly B64u[],
  remembered: AuditHead | null = null,
): AuditResult {
  const problems: AuditResult["problems"] = [];
  const verdicts: AuditVerdict[] = [];
  let prev = GENESIS;
  entries.forEach((entry, i) => {
    let verdict: AuditVerdict = "ok";
    if (entry.seq !== i + 1 || entry.prev !== prev) {
      problems.push({ seq: i + 1, problem: "chain" });
      verdict = "bad";
    }
    prev = entryHash(entry);
    if (entry.member === null && entry.request === null) {
      if (verdict === "ok") verdict = "system";
    } else {
      const member = typeof entry.member === "string" ? entry.member : null;
      const keys = member === null ? [] : keysOf(member);
      const record = entry.request;
      if (member === null || keys.length === 0 || !isObject(record) || !verifyRecorded(record, member, keys)) {
        problems.push({ seq: entry.seq, problem: "signature" });
        verdict = "bad";
      }
    }
    verdicts.push(verdict);
  });
  if (remembered && (remembered.seq > entries.length || entryHash(entries[remembered.seq - 1]) !== remembered.hash)) {
    problems.push({ seq: remembered.seq, problem: "head" });
  }
  return { count: entries.length, head: { seq: entries.length, hash: prev }, problems, verdicts };
}

// -- the last head seen, kept by the admin as a small file ------------------------------
// Nothing is stored in the browser (protocol §6), so "remember the last head
// seen" (protocol §4.6) is a file the admin saves and later checks against.

export const HEAD_TYPE = "candor/audit-head";

/** The JSON text of a head file: {v, type, seq, hash, day_time}. */
export function headFile(head: AuditHead, dayTime?: string | null): string {
  return (
    JSON.stringify({ v: 1, type: HEAD_TYPE, seq: head.seq, hash: head.hash, day_time: dayTime ?? null }, null, 2) + "\n"
  );
}

/** A head ({seq, hash}) from a parsed head file. @throws {TypeError} not a head file */
export function parseHead(data: unknown): AuditHead {
  const ok =
    isObject(data) &&
    data.v === 1 &&
    data.type === HEAD_TYPE &&
    typeof data.seq === "number" &&
    Number.isSafeInteger(data.seq) &&
    data.seq >= 1 &&
    typeof data.hash === "string" &&
    /^[A-Za-z0-9_-]{43}$/.test(data.hash);
  if (!ok) throw new TypeError("not an audit head file");
  return { seq: data.seq as number, hash: data.hash as string };
}

/** True when entry `head.seq` of `entries` still hashes to `head.hash`. */
export const headInChain = (entries: readonly AuditEntry[], head: AuditHead): boolean =>
  head.seq <= entries.length && entryHash(entries[head.seq - 1]) === head.hash;
