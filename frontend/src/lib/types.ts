// The wire documents of protocol §2 and §4, typed once for every view. The
// shapes are what the checkers in documents.ts, manifest.ts and audit.ts
// accept: a value of one of these types has passed its checker (or was
// built here), anything fresh from the network is `unknown` until then.

/** A JSON value as parsed from the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

/** b64u text (protocol §0). */
export type B64u = string;

// -- documents (protocol §2.2) ------------------------------------------------------

/** An attachment as a report, message or note lists it. */
export interface AttachmentEntry {
  id: string;
  name: string;
  type: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Hex SHA-256 of the sealed bytes. */
  sha256: string;
}

export interface ReportDoc {
  v: 1;
  type: "report";
  form: Record<string, string>;
  reply_to: string;
  reporter_key: B64u;
  access: string[];
  manifest: number;
  attachments: AttachmentEntry[];
  lang: string;
}

export type EntryKind = "message" | "note";
export type Author = "reporter" | "team";

/** A message or a note (protocol §2.2, §2.3); `sig` covers JCS of the rest. */
export interface MessageDoc {
  v: 1;
  type: EntryKind;
  id: string;
  case: B64u;
  from: Author;
  member: string | null;
  prev: B64u | null;
  text: string;
  attachments: AttachmentEntry[];
  sig: B64u;
}

/** The case state sealed to recipient(kek) (protocol §3.2). */
export interface CaseState {
  v: 1;
  identity: string;
  sign: B64u;
  access: string[];
  manifest: number;
  report: B64u;
}

// -- the manifest (protocol §4.5) -------------------------------------------------

/** An intake member files reports and reads nothing (protocol §4.5, Roles). */
export type Role = "admin" | "reviewer" | "intake";

export interface MemberEntry {
  id: string;
  name: string;
  function: string;
  role: Role;
  recipient: string;
  signing_key: B64u;
  old_signing_keys: B64u[];
  removed: boolean;
  cert: B64u;
  rotation: B64u | null;
}

export interface ManifestSignature {
  member: string;
  sig: B64u;
}

export interface Manifest {
  v: 1;
  version: number;
  issued: string;
  expires: string;
  threshold: number;
  members: MemberEntry[];
  sigs: ManifestSignature[];
  /** Only on a re-anchor: accepted as a built-in anchor, never through the chain (protocol §4.5). */
  reanchor?: true;
  /** Questionnaire category id → member ids who receive its reports (protocol §4.5, Routes). */
  routes?: Record<string, string[]>;
}

export type RecipientType = "mlkem768x25519" | "x25519";

// -- cases (protocol §4.4) --------------------------------------------------------

/** Every case status, in the order a case moves through them (protocol §4.4). */
export const CASE_STATUSES = ["received", "acknowledged", "investigating", "closed"] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const isCaseStatus = (value: unknown): value is CaseStatus =>
  typeof value === "string" && (CASE_STATUSES as readonly string[]).includes(value);

/** Which statuses a case may move to from each (protocol §4.4; chalicelib's TRANSITIONS). */
export const CASE_TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  received: ["acknowledged", "investigating", "closed"],
  acknowledged: ["investigating", "closed"],
  investigating: ["closed"],
  closed: ["investigating"],
};

/** How a closed case was resolved (protocol §4.4). */
export const RESOLUTIONS = ["substantiated", "unsubstantiated", "referred", "duplicate", "spam", "withdrawn"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

// -- the API's answers (protocol §4.2, §4.4; chalicelib/domain/answers.py) --------
// Their shapes are the server's word: what matters in them is sealed or
// signed, and checked after decryption.

/** An attachment as a case or entry lists it. */
export interface AttachmentRef {
  id: string;
  size: number;
}

/** How the server lists a message or note of a thread (EntrySummary). */
export interface Listing {
  id: string;
  seq: number;
  day?: string;
  from: Author;
  size?: number;
  attachments?: AttachmentRef[];
  /** The team's listing only. */
  member?: string | null;
}

export interface ReportRef {
  id: string;
  size: number;
  attachments?: AttachmentRef[];
}

/** One case of GET /v1/team/cases. */
export interface CaseSummary {
  id: string;
  status: CaseStatus;
  received: string;
  updated: string;
  assignee: string | null;
  access: string[];
  acknowledge_by: string;
  feedback_by: string;
  overdue: boolean;
  report: ReportRef;
  /** How a closed case was resolved; null while it is open. */
  resolution: Resolution | null;
  /** The days it was acknowledged, given feedback and closed (UTC, YYYY-MM-DD); null until then. */
  acknowledged: string | null;
  feedback: string | null;
  closed: string | null;
  /** A filed report's channel (protocol §4.4, "Filing"); absent for the reporter page's reports. */
  source?: string;
  /**
   * A filed report's plaintext drill flag. Only the server's word: a case is
   * a drill when its sealed report says so too (lib/drill.ts drillCheck).
   */
  drill?: boolean;
}

export interface CasePage {
  cases: CaseSummary[];
  cursor: string | null;
}

/** GET /v1/team/cases/{id} (CaseView in Python). */
export interface CaseDetail extends CaseSummary {
  legal_hold: boolean;
  reply_to: string;
  messages: Listing[];
  notes: Listing[];
}

/** GET /v1/team/reports. */
export interface ReportsAnswer {
  reports: { case: string; id: string; sealed: string }[];
  missing: string[];
  more: string[];
}

/** POST …/messages or …/notes. */
export interface EntryAnswer {
  id: string;
  seq: number;
  day: string;
}

/** Where the API says to PUT a sealed attachment. */
export interface UploadTarget {
  method?: string;
  url: string;
  headers?: Record<string, string>;
}

// -- the audit log (protocol §4.6) ------------------------------------------------

/** A recorded signed request: the signature headers and components. */
export type RecordedRequest = Record<string, unknown>;

export interface AuditEntry {
  seq: number;
  prev: B64u;
  day_time: string;
  member: string | null;
  action: string;
  case: string | null;
  request: RecordedRequest | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  cursor: string | null;
}
