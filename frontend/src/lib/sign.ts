// Ed25519 signatures over JCS (protocol §2.3, §4.5). Verification follows
// protocol §2.3's one strict rule, as chalicelib/signing.py does: canonical
// keys and R not of small order, S below L, then the cofactorless equation
// (noble's own verify is cofactored and allows a small-order R).
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { b64u, fromB64u } from "./encoding.js";
import { jcsBytes, without } from "./jcs.js";
import type { B64u } from "./types.js";

export const generateSeed = (): Uint8Array => ed25519.utils.randomSecretKey();
export const publicKey = (seed: Uint8Array): Uint8Array => ed25519.getPublicKey(seed);

/** b64u of the signature of JCS(obj without the given keys). */
export function signObject(obj: object, seed: Uint8Array, ...omit: string[]): B64u {
  return b64u(ed25519.sign(jcsBytes(without(obj, ...omit)), seed));
}

/** True when `sig` (b64u) verifies over JCS(obj without keys) for any of `keys` (b64u). */
export function verifyObject(obj: object, sig: unknown, keys: readonly B64u[], ...omit: string[]): boolean {
  let sigBytes: Uint8Array;
  try {
    sigBytes = fromB64u(sig);
  } catch {
    return false;
  }
  if (sigBytes.length !== 64) return false;
  return verifyBytes(jcsBytes(without(obj, ...omit)), sigBytes, keys);
}

const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

/** The point of a canonical encoding (y < p, no sign bit on x = 0) that is
 * not of small order, else null. */
function strictPoint(encoded: Uint8Array): EdPoint | null {
  if (encoded.length !== 32) return null;
  try {
    const point = Point.fromBytes(encoded, false);
    return point.isSmallOrder() ? null : point;
  } catch {
    return null;
  }
}

const littleEndian = (bytes: Uint8Array): bigint => bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);

/** Whether `key` passes protocol §2.3's parse-time rule for public keys. */
export const strictPublicKey = (key: Uint8Array): boolean => strictPoint(key) !== null;

/** Whether `signature` passes protocol §2.3's parse-time rule: R canonical
 * and not of small order, S below the group order. */
export const strictSignature = (signature: Uint8Array): boolean =>
  signature.length === 64 &&
  littleEndian(signature.subarray(32)) < ORDER &&
  strictPoint(signature.subarray(0, 32)) !== null;

/** Protocol §2.3: the strict rule, then [S]B - [k]A must encode to R's bytes. */
function verifyStrict(message: Uint8Array, signature: Uint8Array, key: Uint8Array): boolean {
  const pub = strictPoint(key);
  if (pub === null || !strictSignature(signature)) return false;
  const r = signature.subarray(0, 32);
  const k = littleEndian(sha512(new Uint8Array([...r, ...key, ...message]))) % ORDER;
  const s = littleEndian(signature.subarray(32));
  const expected = Point.BASE.multiplyUnsafe(s).subtract(pub.multiplyUnsafe(k)).toBytes();
  return expected.every((byte, i) => byte === r[i]);
}

/** True when `signature` over `message` verifies for any of `keys` (b64u Ed25519 public keys). */
export function verifyBytes(message: Uint8Array, signature: Uint8Array, keys: readonly B64u[]): boolean {
  return keys.some((key) => {
    try {
      return verifyStrict(message, signature, fromB64u(key));
    } catch {
      return false;
    }
  });
}

/** Sign a message or note document: returns a copy with "sig" set. */
export const signDocument = <T extends object>(doc: T, seed: Uint8Array): T & { sig: B64u } => ({
  ...doc,
  sig: signObject(doc, seed, "sig"),
});
export const verifyDocument = (doc: { sig?: unknown }, keys: readonly B64u[]): boolean =>
  typeof doc.sig === "string" && verifyObject(doc, doc.sig, keys, "sig");
