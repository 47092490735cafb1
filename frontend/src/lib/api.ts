// Fetch wrappers for the API of protocol §4. Same origin only; no credentials,
// no referrer, no caching. Errors become ApiError with the server's `code`
// (or "network"/"unexpected"), which pages map to catalogue messages. The one
// retry policy and the one download of sealed attachments live here, for the
// reporter pages and the team's signed client alike.
import type { Listing, UploadTarget } from "./types.js";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message = "") {
    super(message || code);
    this.status = status;
    this.code = code;
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

async function request(method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...FETCH_OPTIONS,
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network");
  }
  return readAnswer(response);
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
    throw new ApiError(response.status, code, typeof error?.message === "string" ? error.message : "");
  }
  return data;
}

export const getJSON = (path: string): Promise<unknown> => request("GET", path);
export const postJSON = (path: string, body: unknown): Promise<unknown> => request("POST", path, body);

/** How often and how patiently a retryable failure is retried, on every page. */
export const RETRY = { attempts: 6, baseMs: 250, capMs: 4000 } as const;

/** The wait before try `attempt + 1`: doubling from RETRY.baseMs, capped, with jitter. */
export const retryDelay = (attempt: number): number =>
  Math.min(RETRY.capMs, RETRY.baseMs * 2 ** attempt) * (0.5 + Math.random());

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
      onRetry(attempt, err);
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
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
