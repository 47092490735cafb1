// API error codes → catalogue keys (protocol §4.1). Unknown codes fall back to
// a generic message, so a server cannot put its own words on the page.
import { ApiError } from "../lib/api.js";
import { UploadCancelled, UploadFailed } from "../lib/attachments.js";
import { SealFailed } from "../lib/documents.js";

const KNOWN = new Set([
  "network",
  "malformed",
  "receipt_unknown",
  "rotate_first",
  "token_in_use",
  "attachment_claimed",
  "thread_full",
  "conflict",
  "too_large",
  "invalid_blob",
  "invalid_access",
  "attachment_missing",
  "not_found",
  "unsupported_media_type",
  "throttled",
  "unavailable",
]);

export const errorKey = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && KNOWN.has(code) ? `error.${code}` : "error.unexpected";
};

/** Where a report's send failed: sealing, a file's upload slot or upload, or the report itself. */
export type SendPhase = "seal" | "file" | "upload" | "report";

/** Refusals that fail the same way when repeated: only "Back to edit" can help. */
const FINAL = new Set(["error.invalid_access", "error.token_in_use", "error.report_too_large", "error.file_too_large"]);

/**
 * The catalogue key for a failed send of the report page, specific to the
 * step that failed (a file too large is not a report too large), and
 * whether "Try again" can help.
 */
export function sendError(err: unknown, phase: SendPhase): { key: string; retry: boolean } {
  let key: string;
  if (err instanceof SealFailed) key = "error.seal";
  else if (err instanceof UploadCancelled) key = "error.upload_cancelled";
  else if (err instanceof UploadFailed) key = uploadKey(err.status);
  else if (err instanceof ApiError && err.code === "too_large") {
    key = phase === "report" ? "error.report_too_large" : "error.file_too_large";
  } else if (err instanceof ApiError) key = errorKey(err);
  else key = "error.unexpected";
  return { key, retry: !FINAL.has(key) };
}

/** An upload's HTTP status (0: the network) → catalogue key. */
function uploadKey(status: number): string {
  if (status === 0) return "error.upload";
  if (status === 413) return "error.file_too_large";
  if (status === 403 || status === 404 || status === 410) return "error.upload_expired";
  return status === 429 || status >= 500 ? "error.unavailable" : "error.upload";
}
