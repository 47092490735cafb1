// The client of the API of protocol §4, the twin of candor/client.py: the
// reporter's anonymous routes and the team's signed ones (TeamClient). Same
// origin only; no credentials, no referrer, no caching. Errors become
// ApiError with the server's `code` (or "network"/"unexpected"), which pages
// map to catalogue messages. The one retry policy and the one download of
// sealed attachments live here, for the reporter pages and the console alike.
import { utf8 } from "./encoding.js";
import { CHALLENGE_HEADER, parseChallenge, PROOF_HEADER, proofHeader, solve, type Job, type Proof } from "./puzzle.js";
import { canonicalQuery, signRequest, type Query } from "./rfc9421.js";
import type {
  AuditEntry,
  AuditPage,
  CaseDetail,
  CasePage,
  CaseStatus,
  CaseSummary,
  Listing,
  MemberEntry,
  ReportsAnswer,
  Resolution,
  UploadTarget,
} from "./types.js";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The answer's Retry-After in seconds, when it had one (protocol §4.1). */
  readonly retryAfter: number | undefined;
  constructor(status: number, code: string, message = "", retryAfter?: number) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
  /** True when retrying the same request may succeed. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 503 || this.status === 429;
  }
}

export const FETCH_OPTIONS = {
  credentials: "omit",
  cache: "no-store",
  referrerPolicy: "no-referrer",
  redirect: "error",
} as const satisfies RequestInit;

export type FetchImpl = (input: string, init: RequestInit) => Promise<Response>;
const defaultFetch: FetchImpl = (input, init) => globalThis.fetch(input, init);

/** Solves a client puzzle (protocol §4.1); the reporter page runs it in a Web Worker. */
export type PuzzleSolver = (job: Job) => Promise<Proof>;
let puzzleSolver: PuzzleSolver = (job) => Promise.resolve(solve(job));
/** How many challenges one request answers before its 429 goes to the caller. */
const PUZZLE_ROUNDS = 3;

/** The solver every anonymous request uses from now on (the page's worker, with its note). */
export function setPuzzleSolver(solver: PuzzleSolver): void {
  puzzleSolver = solver;
}

/**
 * One anonymous request. A 429 with a `Candor-Puzzle` challenge is answered
 * at once with a proof of work bound to the same bytes (protocol §4.1).
 */
async function request(method: string, path: string, body?: unknown): Promise<unknown> {
  const raw = body === undefined ? null : utf8(JSON.stringify(body));
  const headers: Record<string, string> = raw === null ? {} : { "Content-Type": "application/json; charset=utf-8" };
  for (let round = 0; ; round++) {
    let response: Response;
    try {
      response = await fetch(path, { ...FETCH_OPTIONS, method, headers, body: raw as BodyInit | null });
    } catch {
      throw new ApiError(0, "network");
    }
    const challenge = response.status === 429 ? response.headers.get(CHALLENGE_HEADER) : null;
    if (challenge === null || round >= PUZZLE_ROUNDS) return readAnswer(response);
    let job: Job;
    try {
      job = { ...parseChallenge(challenge), method, path: path.split("?")[0] ?? path, body: raw ?? new Uint8Array(0) };
    } catch {
      return readAnswer(response);
    }
    await response.body?.cancel();
    headers[PROOF_HEADER] = proofHeader(await puzzleSolver(job));
  }
}

/** Whole seconds of a Retry-After header; undefined when absent or not a number of seconds. */
function retryAfterOf(response: Response): number | undefined {
  const value = response.headers.get("Retry-After");
  return value !== null && /^\d{1,9}$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * The JSON of an API answer (null for 204), or its protocol §4.1 error.
 * @throws {ApiError}
 */
export async function readAnswer(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    if (response.ok) throw new ApiError(response.status, "unexpected");
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === "string" ? error.code : "unexpected";
    const message = typeof error?.message === "string" ? error.message : "";
    throw new ApiError(response.status, code, message, retryAfterOf(response));
  }
  return data;
}

export const getJSON = (path: string): Promise<unknown> => request("GET", path);
export const postJSON = (path: string, body: unknown): Promise<unknown> => request("POST", path, body);

/**
 * How often and how patiently a retryable failure is retried, on every page:
 * a server's Retry-After is followed up to `retryAfterCapMs` (beyond it, no
 * retry), as the CLI does (protocol §4.1).
 */
export const RETRY = { attempts: 6, baseMs: 250, capMs: 4000, retryAfterCapMs: 20_000 } as const;

/**
 * The wait before try `attempt + 1`: what the server's Retry-After says plus
 * up to a quarter of jitter, or without one doubling from RETRY.baseMs,
 * capped, with jitter; null when the server asks for longer than the cap.
 */
export function retryDelay(attempt: number, retryAfter?: number): number | null {
  if (retryAfter !== undefined) {
    const ms = retryAfter * 1000;
    return ms > RETRY.retryAfterCapMs ? null : ms * (1 + Math.random() / 4);
  }
  return Math.min(RETRY.capMs, RETRY.baseMs * 2 ** attempt) * (0.5 + Math.random());
}

/**
 * Retry `call` while it fails with a retryable error (network, 429, 503), up
 * to RETRY.attempts times. Requests are idempotent by design (protocol §4.1),
 * so a retry with the same body is safe; signed calls sign each try anew.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  onRetry: (attempt: number, err: ApiError) => void = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.retryable || attempt >= RETRY.attempts) throw err;
      const delay = retryDelay(attempt, err.retryAfter);
      if (delay === null) throw err;
      onRetry(attempt, err);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * GET a sealed attachment from the URL the API handed out (same origin
 * locally, presigned in the cloud): unsigned, redirects followed.
 * @throws {ApiError} status 0 for the network, "not_found" otherwise
 */
export async function downloadSealed(url: string, fetchImpl: FetchImpl = defaultFetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...FETCH_OPTIONS, redirect: "follow" });
  } catch {
    throw new ApiError(0, "network");
  }
  if (!response.ok) throw new ApiError(response.status, "not_found");
  return new Uint8Array(await response.arrayBuffer());
}

// -- answers of the reporter routes (protocol §4.2) -------------------------------
// The server's answers are taken at their word for their shape, as before:
// everything that matters is sealed or signed and checked after decryption.

export interface ManifestsAnswer {
  manifests?: unknown[];
}
export interface AttachmentAnswer {
  id: string;
  upload: UploadTarget;
}
export interface SubmitAnswer {
  received: string;
  status: string;
}
export interface OpenAnswer {
  sealed_identity: string;
  status: string;
  received?: string;
  updated?: string | null;
  acknowledge_by?: string | null;
  feedback_by?: string | null;
  [field: string]: unknown;
}
export interface ThreadAnswer {
  report: Listing;
  messages: Listing[];
}
export interface BlobAnswer {
  sealed?: string;
  url?: string;
}
export interface PostedAnswer {
  id: string;
  seq: number;
  day?: string;
}

// Routes (protocol §4.2).
export const fetchManifests = async (since: number): Promise<ManifestsAnswer> =>
  (await getJSON(`/v1/manifest?since=${encodeURIComponent(since)}`)) as ManifestsAnswer;
export const createAttachment = async (size: number): Promise<AttachmentAnswer> =>
  (await postJSON("/v1/attachments", { size })) as AttachmentAnswer;

// Resumable uploads (protocol §4.2): above the server's threshold an
// attachment is announced with `parts` instead of `upload`, and goes up part
// by part to URLs asked for a few at a time, then is completed.

/** How the server cut an announced attachment: parts of `size` bytes (the last shorter), `count` of them. */
export interface PartsPlan {
  size: number;
  count: number;
}
/** POST /v1/attachments: one `upload` URL, or a `parts` plan. */
export interface AnnouncedAttachment {
  id: string;
  upload?: UploadTarget;
  parts?: PartsPlan;
}
/** One part's upload URL, good for 15 minutes. */
export interface PartTarget extends UploadTarget {
  number: number;
}
/** The most part URLs one request may ask for. */
export const PART_URLS_PER_REQUEST = 16;

export const announceAttachment = async (size: number): Promise<AnnouncedAttachment> =>
  (await postJSON("/v1/attachments", { size })) as AnnouncedAttachment;
export const requestParts = async (id: string, numbers: readonly number[]): Promise<PartTarget[]> =>
  ((await postJSON(`/v1/attachments/${encodeURIComponent(id)}/parts`, { numbers })) as { parts: PartTarget[] }).parts;
export const completeAttachment = async (id: string): Promise<void> => {
  await postJSON(`/v1/attachments/${encodeURIComponent(id)}/complete`, {});
};
export const submitReport = async (body: object): Promise<SubmitAnswer> =>
  (await postJSON("/v1/reports", body)) as SubmitAnswer;
export const openFollowup = async (auth: string): Promise<OpenAnswer> =>
  (await postJSON("/v1/followup/open", { auth })) as OpenAnswer;
export const rotateReceipt = async (body: object): Promise<unknown> => postJSON("/v1/followup/rotate", body);
export const fetchThread = async (auth: string, visit: string): Promise<ThreadAnswer> =>
  (await postJSON("/v1/followup/thread", { auth, visit })) as ThreadAnswer;
export const fetchBlob = async (auth: string, visit: string, id: string): Promise<BlobAnswer> =>
  (await postJSON("/v1/followup/fetch", { auth, visit, id })) as BlobAnswer;
export const postMessage = async (body: object): Promise<PostedAnswer> =>
  (await postJSON("/v1/followup/messages", body)) as PostedAnswer;

/** The reporter routes as one object, so tests can stand in for the server. */
export interface ReporterApi {
  openFollowup: typeof openFollowup;
  rotateReceipt: typeof rotateReceipt;
  fetchThread: typeof fetchThread;
  fetchBlob: typeof fetchBlob;
  postMessage: typeof postMessage;
  createAttachment: typeof createAttachment;
  submitReport: typeof submitReport;
  downloadSealed?: typeof downloadSealed;
}

// -- the team's signed routes (protocol §4.3, §4.4) ----------------------------------

/** The signing part of an opened key file (keyfile.ts's TeamKey). */
export interface SigningKey {
  member: string;
  signingSeed: Uint8Array;
}

export interface TeamClientOptions {
  /** The API's base path ("" when the API is at /v1 of this origin). */
  base?: string;
  fetchImpl?: FetchImpl;
  /** Called before each request goes out (the console's idle timer). */
  onCall?: () => void;
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
}

/** Signed JSON calls to the team routes (protocol §4.4), same origin. */
export class TeamClient {
  readonly key: SigningKey;
  readonly base: string;
  private readonly fetchImpl: FetchImpl;
  private readonly onCall: () => void;

  constructor(key: SigningKey, options: TeamClientOptions = {}) {
    this.key = key;
    this.base = options.base ?? "";
    this.fetchImpl = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.onCall = options.onCall ?? (() => undefined);
  }

  /**
   * One signed request, retried by api.ts's withRetry while the API is
   * throttled or unavailable (signed anew each time: a new nonce; protocol
   * §4.1 makes retries safe). Returns the parsed answer (null for 204).
   * @throws {ApiError}
   */
  call(method: string, path: string, options: CallOptions = {}): Promise<unknown> {
    return withRetry(() => this.once(method, path, options));
  }

  async once(method: string, path: string, { query = {}, body }: CallOptions = {}): Promise<unknown> {
    const raw = body === undefined ? new Uint8Array(0) : utf8(JSON.stringify(body));
    const fullPath = this.base + path;
    const headers: Record<string, string> = signRequest(method, fullPath, query, raw, {
      memberId: this.key.member,
      seed: this.key.signingSeed,
    });
    if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
    const qs = canonicalQuery(query);
    this.onCall();
    let response: Response;
    try {
      response = await this.fetchImpl(fullPath + (qs === "?" ? "" : qs), {
        ...FETCH_OPTIONS,
        method,
        headers,
        body: body === undefined ? null : (raw as BodyInit),
      });
    } catch {
      throw new ApiError(0, "network");
    }
    return readAnswer(response);
  }

  get(path: string, query?: Query): Promise<unknown> {
    return this.call("GET", path, query === undefined ? {} : { query });
  }
}

// The casts below give the server's JSON its documented shape (types.ts); a
// field that is missing shows as a rendering fault, never as trusted content.

async function pages<T>(client: TeamClient, path: string, items: (page: unknown) => T[]): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  do {
    const page = await client.get(path, { cursor });
    out.push(...items(page));
    cursor = (page as { cursor?: string | null }).cursor ?? "";
  } while (cursor);
  return out;
}

/** Every case the member may see (GET /v1/team/cases, all pages). */
export const listCases = (client: TeamClient): Promise<CaseSummary[]> =>
  pages(client, "/v1/team/cases", (page) => (page as CasePage).cases);

/** The whole audit log (GET /v1/team/audit, all pages). */
export const listAudit = (client: TeamClient): Promise<AuditEntry[]> =>
  pages(client, "/v1/team/audit", (page) => (page as AuditPage).entries);

export const getCase = async (client: TeamClient, id: string): Promise<CaseDetail> =>
  (await client.get(`/v1/team/cases/${id}`)) as CaseDetail;

export const getReports = async (client: TeamClient, ids: readonly string[]): Promise<ReportsAnswer> =>
  (await client.get("/v1/team/reports", { cases: ids.join(",") })) as ReportsAnswer;

/** GET …/blobs/{id}: the sealed bytes (b64u) of a document, or a download URL for an attachment. */
export const getBlob = async (client: TeamClient, caseId: string, blobId: string): Promise<BlobAnswer> =>
  (await client.get(`/v1/team/cases/${caseId}/blobs/${blobId}`)) as BlobAnswer;

export const listMembers = async (client: TeamClient): Promise<MemberEntry[]> =>
  ((await client.get("/v1/team/members")) as { members: MemberEntry[] }).members;

export interface CasePatch {
  status?: CaseStatus;
  resolution?: Resolution;
  assignee?: string | null;
  legal_hold?: boolean;
}

/** PATCH /v1/team/cases/{id}: the case as it is now. */
export const patchCase = async (client: TeamClient, id: string, body: CasePatch): Promise<CaseDetail> =>
  (await client.call("PATCH", `/v1/team/cases/${id}`, { body })) as CaseDetail;
