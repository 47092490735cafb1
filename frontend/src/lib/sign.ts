// Ed25519 signatures over JCS (protocol §2.3, §4.5). Verification is strict
// RFC 8032 (zip215 off) so the browser accepts exactly what Python accepts.
import { ed25519 } from "@noble/curves/ed25519.js";
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

/** True when `signature` over `message` verifies for any of `keys` (b64u Ed25519 public keys). */
export function verifyBytes(message: Uint8Array, signature: Uint8Array, keys: readonly B64u[]): boolean {
  return keys.some((key) => {
    try {
      const pub = fromB64u(key);
      return pub.length === 32 && ed25519.verify(signature, message, pub, { zip215: false });
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
