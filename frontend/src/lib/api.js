// Fetch wrappers for the API of protocol §4. Same origin only; no credentials,
// no referrer, no caching. Errors become ApiError with the server's `code`
// (or "network"/"unexpected"), which pages map to catalogue messages.
import { b64u, fromB64u } from "./encoding.js";

export class ApiError extends Error {
  constructor(status, code, message = "") {
    super(message || code);
    this.status = status;
    this.code = code;
  }
  /** True when retrying the same request may succeed. */
  get retryable() {
    return this.status === 0 || this.status === 503 || this.status === 429;
  }
}

const FETCH_OPTIONS = { credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "error" };

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      ...FETCH_OPTIONS,
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" },
      body: body === undefined ? undefined : JSON.stringify(body),
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
export async function readAnswer(response) {
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    if (response.ok) throw new ApiError(response.status, "unexpected");
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, typeof error.code === "string" ? error.code : "unexpected", error.message);
  }
  return data;
}

export const getJSON = (path) => request("GET", path);
export const postJSON = (path, body) => request("POST", path, body);

/**
 * Retry `call` while it fails with a retryable error, up to `attempts`
 * times, waiting a little longer each time. Requests here are idempotent by
 * design (protocol §4.1), so a retry with the same body is safe.
 */
export async function withRetry(call, { attempts = 4, delayMs = 800, onRetry = () => {} } = {}) {
  for (let i = 1; ; i++) {
    try {
      return await call(i);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.retryable || i >= attempts) throw err;
      onRetry(i, err);
      await new Promise((r) => setTimeout(r, delayMs * i));
    }
  }
}

/** GET a sealed attachment from the URL `fetch` handed out (same origin locally, presigned in the cloud). */
export async function downloadSealed(url) {
  let response;
  try {
    response = await fetch(url, { ...FETCH_OPTIONS, redirect: "follow" });
  } catch {
    throw new ApiError(0, "network");
  }
  if (!response.ok) throw new ApiError(response.status, "not_found");
  return new Uint8Array(await response.arrayBuffer());
}

// Routes (protocol §4.2).
export const fetchManifests = (since) => getJSON(`/v1/manifest?since=${encodeURIComponent(since)}`);
export const createAttachment = (size) => postJSON("/v1/attachments", { size });
export const submitReport = (body) => postJSON("/v1/reports", body);
export const openFollowup = (auth) => postJSON("/v1/followup/open", { auth });
export const rotateReceipt = (body) => postJSON("/v1/followup/rotate", body);
export const fetchThread = (auth, visit) => postJSON("/v1/followup/thread", { auth, visit });
export const fetchBlob = (auth, visit, id) => postJSON("/v1/followup/fetch", { auth, visit, id });
export const postMessage = (body) => postJSON("/v1/followup/messages", body);

export const sealedToWire = (sealed) => b64u(sealed);
export const sealedFromWire = (text) => fromB64u(text);
