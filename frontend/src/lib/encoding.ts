// Byte encodings used on the wire (protocol §0): strict base64url without
// padding, hex, UTF-8, and SHA-256. Page-agnostic; runs in browsers and node.
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

const B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_INDEX = new Map(Array.from(B64U, (c, i) => [c, i]));

export class EncodingError extends Error {}

/** Byte `i` of `bytes`, where the caller's loop bound proves it exists. */
const at = (bytes: Uint8Array, i: number): number => bytes[i] ?? 0;
const sym = (v: number): string => B64U.charAt(v);

/** b64u(x): base64url without padding. */
export function b64u(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (at(bytes, i) << 16) | (at(bytes, i + 1) << 8) | at(bytes, i + 2);
    out += sym(n >> 18) + sym((n >> 12) & 63) + sym((n >> 6) & 63) + sym(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = at(bytes, i) << 16;
    out += sym(n >> 18) + sym((n >> 12) & 63);
  } else if (rest === 2) {
    const n = (at(bytes, i) << 16) | (at(bytes, i + 1) << 8);
    out += sym(n >> 18) + sym((n >> 12) & 63) + sym((n >> 6) & 63);
  }
  return out;
}

/**
 * Decode strict b64u: rejects `=`, characters outside the alphabet, an
 * impossible length and non-zero trailing bits (protocol §0).
 * @throws {EncodingError}
 */
export function fromB64u(text: unknown): Uint8Array {
  if (typeof text !== "string" || text.length % 4 === 1) throw new EncodingError("bad b64u");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const v = B64U_INDEX.get(c);
    if (v === undefined) throw new EncodingError("bad b64u");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new EncodingError("bad b64u");
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new EncodingError("bad hex");
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const fromUtf8 = (bytes: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(bytes);

/** H(x): SHA-256. Synchronous so it can also hash streams incrementally. */
export const sha256 = (bytes: Uint8Array): Uint8Array => nobleSha256(bytes);
export const sha256Stream = () => nobleSha256.create();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= at(a, i) ^ at(b, i);
  return acc === 0;
}

/** A random id: a prefix (`b_`, `a_`) and b64u of 16 random bytes (protocol §2.2). */
export const randomId = (prefix: string): string => prefix + b64u(randomBytes(16));
