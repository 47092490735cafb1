// Client puzzles (protocol §4.1), the twin of chalicelib/puzzle.py and
// candor/puzzle.py: parse the server's `Candor-Puzzle` challenge, find a
// nonce whose digest over the challenge and this very request starts with
// `bits` zero bits, and write the `Candor-Proof` header. The page runs
// `solve` in a Web Worker (workers/puzzle.ts); node tests run it inline.
import { sha256 } from "@noble/hashes/sha2.js";
import { b64u, concat, fromB64u, randomBytes, sha256 as digest, utf8 } from "./encoding.js";

export const LABEL = "candor/puzzle/v1\u0000";
export const MIN_BITS = 12;
export const MAX_BITS = 30;
export const CHALLENGE_HEADER = "Candor-Puzzle";
export const PROOF_HEADER = "Candor-Proof";
const SEED_BYTES = 16;
const NONCE_BYTES = 8;
const B64U = "[A-Za-z0-9_-]+";
const CHALLENGE = new RegExp(`^seed=(${B64U}), bits=(\\d{1,2})$`);
const PROOF = new RegExp(`^seed=(${B64U}), bits=(\\d{1,2}), nonce=(${B64U})$`);

export interface Challenge {
  seed: Uint8Array;
  bits: number;
}
export interface Proof extends Challenge {
  nonce: Uint8Array;
}
/** One request as sent: the proof binds all three. */
export interface Job extends Challenge {
  method: string;
  path: string;
  body: Uint8Array;
}

export class PuzzleInvalid extends Error {}

function sized(text: string, size: number): Uint8Array {
  const bytes = fromB64u(text);
  if (bytes.length !== size) throw new PuzzleInvalid("wrong size");
  return bytes;
}

function checkedBits(text: string): number {
  const bits = Number(text);
  if (!(bits >= MIN_BITS && bits <= MAX_BITS) || String(bits) !== text) throw new PuzzleInvalid("bits");
  return bits;
}

/** @throws {PuzzleInvalid} for anything but `seed=<b64u 16 bytes>, bits=<n>` */
export function parseChallenge(header: string): Challenge {
  const match = CHALLENGE.exec(header.trim());
  if (!match) throw new PuzzleInvalid("not a puzzle challenge");
  return { seed: sized(match[1] ?? "", SEED_BYTES), bits: checkedBits(match[2] ?? "") };
}

/** @throws {PuzzleInvalid} (or the encoding's error) for a malformed proof header */
export function parseProof(header: string): Proof {
  const match = PROOF.exec(header.trim());
  if (!match) throw new PuzzleInvalid("not a puzzle proof");
  return {
    seed: sized(match[1] ?? "", SEED_BYTES),
    bits: checkedBits(match[2] ?? ""),
    nonce: sized(match[3] ?? "", NONCE_BYTES),
  };
}

export const challengeHeader = (c: Challenge): string => `seed=${b64u(c.seed)}, bits=${c.bits}`;
export const proofHeader = (p: Proof): string => `${challengeHeader(p)}, nonce=${b64u(p.nonce)}`;

/** What the nonce is appended to: the seed and the request it binds. */
export const prefix = (job: Job): Uint8Array =>
  concat(
    utf8(LABEL),
    job.seed,
    utf8(job.method),
    new Uint8Array([0]),
    utf8(job.path),
    new Uint8Array([0]),
    digest(job.body),
  );

export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

export const proofDigest = (job: Job, nonce: Uint8Array): Uint8Array => digest(concat(prefix(job), nonce));

/**
 * Count nonces up from a random start until one solves `job`; `onProgress`
 * hears the tries so far about every 2^16 of them (2^bits on average).
 */
export function solve(job: Job, onProgress: (tries: number) => void = () => undefined): Proof {
  const base = sha256.create().update(prefix(job));
  // One scratch state and output, copied over from `base` for each try:
  // allocation would cost more than the hash.
  const scratch = sha256.create();
  const out = new Uint8Array(32);
  const nonce = randomBytes(NONCE_BYTES);
  nonce[0] = (nonce[0] ?? 0) & 0x7f; // room to count up without wrapping
  const view = new DataView(nonce.buffer, nonce.byteOffset, NONCE_BYTES);
  const start = view.getUint32(4);
  for (let tries = 0; ; tries++) {
    view.setUint32(4, (start + tries) >>> 0);
    if ((start + tries) >>> 0 === 0 && tries > 0) view.setUint32(0, view.getUint32(0) + 1);
    base._cloneInto(scratch).update(nonce).digestInto(out);
    if (leadingZeroBits(out) >= job.bits) {
      return { seed: job.seed, bits: job.bits, nonce: nonce.slice() };
    }
    if ((tries & 0xffff) === 0xffff) onProgress(tries + 1);
  }
}
