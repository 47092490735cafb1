// Small predicates the checkers share (documents.ts, manifest.ts, audit.ts,
// keyfile.ts): what a parsed JSON value is, before it is given a wire type.
import { fromB64u } from "./encoding.js";

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** An integer JSON can carry exactly (protocol §0). */
export const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

export const isString = (value: unknown): value is string => typeof value === "string";

/** True when `value` is b64u of exactly `size` bytes. */
export function b64uOfSize(value: unknown, size: number): boolean {
  try {
    return fromB64u(value).length === size;
  } catch {
    return false;
  }
}

/** "m_" + b64u(15 bytes) (protocol §4.4). */
export const MEMBER_ID = /^m_[A-Za-z0-9_-]{20}$/;
export const isMemberId = (value: unknown): value is string => typeof value === "string" && MEMBER_ID.test(value);

/** "c_" + b64u(16 bytes): a case id (protocol §4.4), checked before it goes into a request path. */
export const CASE_ID = /^c_[A-Za-z0-9_-]{22}$/;
export const isCaseId = (value: unknown): value is string => typeof value === "string" && CASE_ID.test(value);
