// The audit log (protocol §4.6), checked in the browser: every entry links to
// the previous one (prev = b64u(H(JCS(previous entry))), 32 zero bytes for
// the first), seq counts from 1, every member action carries the signed
// request, verified against the member's current and old keys, and what an
// entry says follows from that request by the table the server records with
// (chalicelib/audit_actions.json, bundled): its action, case and query; no
// signed request twice; day_time within the skew of created and never back;
// no unsigned entry but the system actions the table names. The twin of
// candor/audit.py's verify_entries.
import TABLE from "../../../chalicelib/audit_actions.json" with { type: "json" };
import { b64u, sha256 } from "./encoding.js";
import { jcsBytes } from "./jcs.js";
import { parseSignatureInput, verifyRecorded } from "./rfc9421.js";
import { isObject } from "./check.js";
import type { AuditEntry, B64u } from "./types.js";

/** A head of the audit chain: the seq of its newest entry and that entry's hash. */
export interface AuditHead {
  seq: number;
  hash: B64u;
}

/** In candor/audit.py's PROBLEMS order (after "chain"), and "head". */
export type AuditProblem = "chain" | "shape" | "system" | "signature" | "action" | "replay" | "time" | "head";
export type AuditVerdict = "ok" | "system" | "bad";

export interface AuditResult {
  count: number;
  head: AuditHead;
  problems: { seq: number; problem: AuditProblem }[];
  verdicts: AuditVerdict[];
}

export const GENESIS = b64u(new Uint8Array(32));
export const SKEW_SECONDS: number = TABLE.skew_seconds;

export const entryHash = (entry: unknown): B64u => b64u(sha256(jcsBytes(entry)));

// -- the table's rules (chalicelib/domain/audit.py has the same) -----------------------

const ENTRY_FIELDS = "action,case,day_time,member,prev,request,seq";
const REQUEST_FIELDS = "@method,@path,@query,Content-Digest,Signature,Signature-Input";
const IDS: Record<string, string> = TABLE.ids;
const isId = (kind: string, value: unknown): boolean =>
  typeof value === "string" && new RegExp(`^(?:${IDS[kind] ?? "(?!)"})$`).test(value);

interface Route {
  action: string;
  method: string;
  path: string;
  query: Record<string, { ids: string; max: number }>;
  self?: boolean;
}

/** A route's path after any base path, each {name} an id of ids[name]. */
const routePattern = (template: string): RegExp =>
  new RegExp(
    `^${TABLE.base_path}` +
      template
        .split(/\{(\w+)\}/)
        .map((part, i) =>
          i % 2 === 0 ? part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&") : `(?<${part}>${IDS[part] ?? "(?!)"})`,
        )
        .join("") +
      "$",
  );

const ROUTES: [Route, RegExp][] = (TABLE.routes as Route[]).map((r) => [r, routePattern(r.path)]);

const decode = (text: string): string | null => {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
};

/** The signed @query holds exactly the route's parameters, each 1..max distinct ids of its kind. */
function queryFits(spec: Route["query"], query: string): boolean {
  if (!query.startsWith("?")) return false;
  const pairs = query === "?" ? [] : query.slice(1).split("&");
  const params = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? null : decode(pair.slice(0, eq));
    const value = eq < 0 ? null : decode(pair.slice(eq + 1));
    if (name === null || value === null || params.has(name)) return false;
    params.set(name, value);
  }
  const names = Object.keys(spec);
  if (params.size !== names.length || !names.every((n) => params.has(n))) return false;
  return names.every((name) => {
    const rule = spec[name];
    const ids = (params.get(name) ?? "").split(",");
    return (
      rule !== undefined &&
      ids.length >= 1 &&
      ids.length <= rule.max &&
      new Set(ids).size === ids.length &&
      ids.every((id) => isId(rule.ids, id))
    );
  });
}

/** The [action, case] a signed request stands for by the table, or null. */
export function derive(request: Record<string, unknown>, signer: string): [string, string | null] | null {
  const method = request["@method"];
  const path = request["@path"];
  const query = request["@query"];
  if (typeof method !== "string" || typeof path !== "string" || typeof query !== "string") return null;
  for (const [route, pattern] of ROUTES) {
    const match = route.method === method ? pattern.exec(path) : null;
    if (match === null || !queryFits(route.query, query)) continue;
    if (route.self && match.groups?.member !== signer) return null;
    return [route.action, match.groups?.case ?? null];
  }
  return null;
}

/** `YYYY-MM-DDTHH:MM:SSZ` as seconds since the epoch, or null. */
export function dayTimeSeconds(dayTime: unknown): number | null {
  if (typeof dayTime !== "string" || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/.test(dayTime))
    return null;
  const ms = Date.parse(dayTime);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== dayTime.replace("Z", ".000Z")) return null;
  return ms / 1000;
}

/** An unsigned entry of exactly a shape the table's `system` names. */
export function isSystemEntry(entry: AuditEntry): boolean {
  if (entry.member !== null || entry.request !== null) return false;
  return (TABLE.system as { action: string; case: string | null; seq: number | null }[]).some(
    (shape) =>
      entry.action === shape.action &&
      (shape.case === null ? entry.case === null : isId(shape.case, entry.case)) &&
      (shape.seq === null || entry.seq === shape.seq),
  );
}

// -- checking a chain ---------------------------------------------------------------------

interface Walk {
  keysOf: (memberId: string) => readonly B64u[];
  seen: Set<string>; // keyid and nonce of the signed requests before
  lastTime: number | null;
}

const sameKeys = (value: unknown, fields: string): boolean =>
  isObject(value) && Object.keys(value).sort().join() === fields;

function entryProblems(walk: Walk, entry: AuditEntry): AuditProblem[] {
  const record = entry.request;
  if (!sameKeys(entry, ENTRY_FIELDS) || (isObject(record) && !sameKeys(record, REQUEST_FIELDS))) return ["shape"];
  const time = dayTimeSeconds(entry.day_time);
  const inOrder = time !== null && (walk.lastTime === null || time >= walk.lastTime);
  if (time !== null) walk.lastTime = time;
  if (entry.member === null && record === null) {
    return [...(isSystemEntry(entry) ? [] : (["system"] as const)), ...(inOrder ? [] : (["time"] as const))];
  }
  const member = typeof entry.member === "string" ? entry.member : null;
  const keys = member === null ? [] : walk.keysOf(member);
  const signed = isObject(record) ? parseSignatureInput(record["Signature-Input"], String(record["@method"])) : null;
  if (
    member === null ||
    keys.length === 0 ||
    !isObject(record) ||
    signed === null ||
    !verifyRecorded(record, member, keys)
  ) {
    return ["signature"];
  }
  const problems: AuditProblem[] = [];
  const derived = derive(record, member);
  if (derived?.[0] !== entry.action || derived[1] !== entry.case) problems.push("action");
  const once = `${String(signed.params.keyid)} ${String(signed.params.nonce)}`;
  if (walk.seen.has(once)) problems.push("replay");
  walk.seen.add(once);
  const created = Number(signed.params.created);
  if (!inOrder || Math.abs(time - created) > SKEW_SECONDS) problems.push("time");
  return problems;
}

/**
 * Check `entries` (all of them, by seq). `keysOf(memberId)` gives the b64u
 * signing keys the manifest chain ever listed for a member. `remembered`
 * ({seq, hash}) is a head seen before, which must still be there.
 * Returns {count, head: {seq, hash}, problems: [{seq, problem}], verdicts}
 * where seq is the entry's position, problem an AuditProblem, and
 * verdicts[i] is "ok", "system" or "bad" for entry i.
 */
export function verifyAudit(
  entries: readonly AuditEntry[],
  keysOf: (memberId: string) => readonly B64u[],
  remembered: AuditHead | null = null,
): AuditResult {
  const problems: AuditResult["problems"] = [];
  const verdicts: AuditVerdict[] = [];
  const walk: Walk = { keysOf, seen: new Set(), lastTime: null };
  let prev = GENESIS;
  entries.forEach((entry, i) => {
    const found: AuditProblem[] = entry.seq === i + 1 && entry.prev === prev ? [] : ["chain"];
    prev = entryHash(entry);
    found.push(...entryProblems(walk, entry));
    problems.push(...found.map((problem) => ({ seq: i + 1, problem })));
    verdicts.push(found.length ? "bad" : entry.member === null ? "system" : "ok");
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
