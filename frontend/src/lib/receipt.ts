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

/** Why a typed receipt was refused: "symbols" (a character outside the alphabet), "length", "typo" (check mismatch). */
export type ReceiptFormatReason = "symbols" | "length" | "typo";

export class ReceiptFormatError extends Error {
  readonly reason: ReceiptFormatReason;
  constructor(reason: ReceiptFormatReason) {
    super(`receipt ${reason}`);
    this.reason = reason;
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

/**
 * Parse a typed receipt: separators are dropped, letters upper-cased, I and L
 * read as 1 and O as 0; anything else is refused.
 * @throws {ReceiptFormatError} reason "symbols", "length" or "typo".
 */
export function parseReceipt(text: string): Uint8Array {
  const stripped = text.replace(SEPARATORS, "");
  // Only ASCII letters and digits: case-mapping others (ı → I, full-width ０) would let look-alikes through.
  if (!/^[0-9A-Za-z]*$/.test(stripped)) throw new ReceiptFormatError("symbols");
  const symbols = stripped.toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0");
  if (Array.from(symbols).some((c) => !ALPHABET.includes(c))) throw new ReceiptFormatError("symbols");
  if (symbols.length !== 28) throw new ReceiptFormatError("length");
  let value = 0n;
  for (const c of symbols.slice(0, 24)) value = (value << 5n) | BigInt(ALPHABET.indexOf(c));
  const receipt = new Uint8Array(RECEIPT_BYTES);
  for (let i = RECEIPT_BYTES - 1; i >= 0; i--) {
    receipt[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  if (checkSymbols(receipt) !== symbols.slice(24)) throw new ReceiptFormatError("typo");
  return receipt;
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
