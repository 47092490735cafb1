// API error codes → catalogue keys (protocol §4.1). Unknown codes fall back to
// a generic message, so a server cannot put its own words on the page.
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
  "attachment_missing",
  "throttled",
  "unavailable",
]);

export const errorKey = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && KNOWN.has(code) ? `error.${code}` : "error.unexpected";
};
