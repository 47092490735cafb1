// JCS (RFC 8785) for the values Candor signs and hashes (protocol §0): strings,
// integers, booleans, null, arrays and objects. Keys sort by UTF-16 code
// units, which is what RFC 8785 specifies and what Array.prototype.sort does.
import { utf8 } from "./encoding.js";

export function jcs(value: unknown): string {
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new TypeError("JCS refuses lone surrogates");
    return JSON.stringify(value);
  }
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("JCS here holds integers only");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return "{" + keys.map((k) => jcs(k) + ":" + jcs(record[k])).join(",") + "}";
  }
  throw new TypeError(`JCS cannot encode ${typeof value}`);
}

export const jcsBytes = (value: unknown): Uint8Array => utf8(jcs(value));

/** A shallow copy of `obj` without `keys` (e.g. a document without "sig"). */
export function without<T extends object>(obj: T, ...keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k))) as Partial<T>;
}
