// Receipts (protocol §3.1): 15 random bytes, shown as 28 symbols in seven
// groups of four, with 4 check symbols so typos are caught locally.
import { bech32 } from "@scure/base";
import { identityToRecipient } from "age-encryption";
import { b64u, concat, randomBytes, sha256, utf8 } from "./encoding.js";

export const RECEIPT_BYTES = 15;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECK_LABEL = utf8("candor/v1 receipt check");
const AUTH_INFO = "candor/v1 receipt auth";
const KEK_INFO = "candor/v1 receipt key";
// What people type between groups: whitespace and - _ . , : ; / | and dash-like characters.
const SEPARATORS = /[\s\-_.,:;/|\u2010-\u2015\u2212\u30fc]/gu;

export const RECEIPT_GROUPS = 7;
export const GROUP_SYMBOLS = 4;
const RECEIPT_SYMBOLS = RECEIPT_GROUPS * GROUP_SYMBOLS;

/** Why a typed receipt was refused: "symbols" (a character outside the alphabet), "length", "typo" (check mismatch). */
export type ReceiptFormatReason = "symbols" | "length" | "typo";

export class ReceiptFormatError extends Error {
  readonly reason: ReceiptFormatReason;
  /** The group (0–6) the error is in, when it can be told; null otherwise. */
  readonly group: number | null;
  constructor(reason: ReceiptFormatReason, group: number | null = null) {
    super(group === null ? `receipt ${reason}` : `receipt ${reason} in group ${String(group + 1)}`);
    this.reason = reason;
    this.group = group;
  }
}

export const generateReceipt = (): Uint8Array => randomBytes(RECEIPT_BYTES);

function toSymbols(value: bigint, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) {
    out = ALPHABET.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

const bytesToBigInt = (bytes: Uint8Array): bigint => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);

function checkSymbols(receipt: Uint8Array): string {
  const h = sha256(concat(CHECK_LABEL, receipt));
  const [h0 = 0, h1 = 0, h2 = 0] = h;
  const first20 = (BigInt(h0) << 12n) | (BigInt(h1) << 4n) | BigInt(h2 >> 4);
  return toSymbols(first20, 4);
}

/** The text form: seven groups of four symbols joined by "-". */
export function receiptText(receipt: Uint8Array): string {
  if (receipt.length !== RECEIPT_BYTES) throw new RangeError("a receipt is 15 bytes");
  const symbols = toSymbols(bytesToBigInt(receipt), 24) + checkSymbols(receipt);
  return receiptGroups(symbols).join("-");
}

export const receiptGroups = (symbols: string): string[] => symbols.replace(/-/g, "").match(/.{4}/g) ?? [];

/** Typed text without the separators people put between groups. */
export const stripSeparators = (text: string): string => text.replace(SEPARATORS, "");

/**
 * Typed symbols as the alphabet spells them: letters upper-cased, I and L
 * read as 1 and O as 0. @returns the symbols, or the index of the first
 * character that is not one.
 */
function normalise(stripped: string): string | number {
  let out = "";
  for (const [i, c] of Array.from(stripped).entries()) {
    // Only ASCII letters and digits: case-mapping others (ı → I, full-width ０) would let look-alikes through.
    const symbol = /^[0-9A-Za-z]$/.test(c) ? c.toUpperCase().replace(/[IL]/, "1").replace("O", "0") : "";
    if (!symbol || !ALPHABET.includes(symbol)) return i;
    out += symbol;
  }
  return out;
}

/** The receipt the 28 symbols spell, or null when its check symbols do not match. */
function decodeSymbols(symbols: string): Uint8Array | null {
  let value = 0n;
  for (const c of symbols.slice(0, 24)) value = (value << 5n) | BigInt(ALPHABET.indexOf(c));
  const receipt = new Uint8Array(RECEIPT_BYTES);
  for (let i = RECEIPT_BYTES - 1; i >= 0; i--) {
    receipt[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return checkSymbols(receipt) === symbols.slice(24) ? receipt : null;
}

/**
 * The group a typo is in, when one change explains it: a single wrong
 * symbol or two neighbours swapped that would make the check match, all in
 * one group. Null when no such change, or changes in several groups, fit.
 */
export function typoGroup(symbols: string): number | null {
  const groups = new Set<number>();
  const fits = (candidate: string, position: number): void => {
    if (decodeSymbols(candidate) !== null) groups.add(Math.floor(position / GROUP_SYMBOLS));
  };
  for (let p = 0; p < symbols.length; p++) {
    const [before, after] = [symbols.slice(0, p), symbols.slice(p + 1)];
    for (const c of ALPHABET) if (c !== symbols[p]) fits(before + c + after, p);
    const [a = "", b = ""] = [symbols[p], symbols[p + 1]];
    if (b && a !== b) fits(before + b + a + symbols.slice(p + 2), p);
  }
  const [only] = groups;
  return groups.size === 1 && only !== undefined ? only : null;
}

/** Decode checked symbols. @throws {ReceiptFormatError} "typo", with the group when one change explains it. */
function fromSymbols(symbols: string): Uint8Array {
  const receipt = decodeSymbols(symbols);
  if (receipt === null) throw new ReceiptFormatError("typo", typoGroup(symbols));
  return receipt;
}

/**
 * Parse a typed receipt: separators are dropped, letters upper-cased, I and L
 * read as 1 and O as 0; anything else is refused.
 * @throws {ReceiptFormatError} reason "symbols", "length" or "typo" (with the group when it can be told).
 */
export function parseReceipt(text: string): Uint8Array {
  const symbols = normalise(stripSeparators(text));
  if (typeof symbols === "number") throw new ReceiptFormatError("symbols", Math.floor(symbols / GROUP_SYMBOLS));
  if (symbols.length !== RECEIPT_SYMBOLS) throw new ReceiptFormatError("length");
  return fromSymbols(symbols);
}

/**
 * Parse a receipt typed as seven groups (one field each): the error names
 * the first group with a foreign character or not four symbols long, or
 * the group a typo is in.
 * @throws {ReceiptFormatError}
 */
export function parseReceiptGroups(groups: readonly string[]): Uint8Array {
  if (groups.length !== RECEIPT_GROUPS) throw new ReceiptFormatError("length");
  const symbols = groups.map((g) => normalise(stripSeparators(g)));
  const foreign = symbols.findIndex((s) => typeof s === "number");
  if (foreign >= 0) throw new ReceiptFormatError("symbols", foreign);
  const short = symbols.findIndex((s) => typeof s === "string" && s.length !== GROUP_SYMBOLS);
  if (short >= 0) throw new ReceiptFormatError("length", short);
  return fromSymbols(symbols.join(""));
}

/** Whether `typed` is `group` as a reporter may type it (case, look-alikes and separators ignored). */
export function sameGroup(typed: string, group: string): boolean {
  const a = normalise(stripSeparators(typed));
  const b = normalise(group);
  return typeof a === "string" && a.length > 0 && a === b;
}

async function hkdf(ikm: Uint8Array, info: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ikm as BufferSource, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(info) as BufferSource },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * Everything derived from a receipt: `auth` (b64u, the only value that
 * travels), `tokenId` (b64u H(auth)), `kek`, its age identity and recipient.
 */
export interface DerivedReceipt {
  auth: string;
  tokenId: string;
  kek: Uint8Array;
  kekIdentity: string;
  kekRecipient: string;
}

export async function deriveReceipt(receipt: Uint8Array): Promise<DerivedReceipt> {
  const auth = await hkdf(receipt, AUTH_INFO);
  const kek = await hkdf(receipt, KEK_INFO);
  const kekIdentity = bech32.encodeFromBytes("age-secret-key-pq-", kek).toUpperCase();
  return {
    auth: b64u(auth),
    tokenId: b64u(sha256(auth)),
    kek,
    kekIdentity,
    kekRecipient: await identityToRecipient(kekIdentity),
  };
}
