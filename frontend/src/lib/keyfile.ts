// The team key file (protocol §5), opened in the browser: an age file sealed
// with an scrypt passphrase (work factor 2^18..2^20) whose plaintext is
// {"v": 1, "member", "identities": [current, …older], "signing_seed", "api"}.
// The twin of candor/keyfile.py. Keys live only in the returned object.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { base64nopad } from "@scure/base";
import {
  armor,
  Decrypter,
  Encrypter,
  generateHybridIdentity,
  generateX25519Identity,
  type Identity,
  identityToRecipient,
  type Stanza,
} from "age-encryption";
import { b64u, fromB64u, fromUtf8 } from "./encoding.js";
import { jcsBytes } from "./jcs.js";
import { publicKey } from "./sign.js";
import { parseStrict } from "./strict-json.js";
import { isMemberId, isObject } from "./check.js";
import type { RecipientType } from "./types.js";

/** A member's key in memory (never stored by the page). */
export interface TeamKey {
  member: string;
  /** Age identities, the current first; older ones read older cases. */
  identities: string[];
  signingSeed: Uint8Array;
  api: string;
  recipient: string;
  signingKey: string;
}

export const MIN_WORK_FACTOR = 18;
export const MAX_WORK_FACTOR = 20;
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

/** The passphrase does not open the file, or the file is damaged. Says no more. */
export class KeyFileLocked extends Error {}
/** The file opened but is not a v1 key file, or its work factor is out of range. */
export class KeyFileInvalid extends Error {}

function binary(bytes: Uint8Array): Uint8Array {
  const head = new TextDecoder().decode(bytes.subarray(0, ARMOR_BEGIN.length));
  if (head !== ARMOR_BEGIN) return bytes;
  try {
    return armor.decode(new TextDecoder().decode(bytes));
  } catch {
    throw new KeyFileLocked("damaged");
  }
}

/** The scrypt work factor of a passphrase-sealed age file, checked before the expensive derivation. */
export function workFactor(sealed: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(sealed.subarray(0, 512));
  const lines = text.split("\n");
  if (lines[0] !== "age-encryption.org/v1") throw new KeyFileLocked("not an age file");
  // An age header is printable ASCII: anything else is a damaged file, as Python's age parser says.
  if (lines.slice(1, 4).some((line) => !/^[\x20-\x7e]*$/.test(line))) throw new KeyFileLocked("damaged");
  const stanza = /^-> scrypt [A-Za-z0-9+/]{22} ([1-9][0-9]*)$/.exec(lines[1] ?? "");
  // A second stanza would follow the scrypt stanza's body line.
  if (!stanza?.[1] || !(lines[3] ?? "").startsWith("--- "))
    throw new KeyFileInvalid("not a passphrase-sealed key file");
  const n = Number(stanza[1]);
  if (n < MIN_WORK_FACTOR || n > MAX_WORK_FACTOR) throw new KeyFileInvalid("work factor");
  return n;
}

const identityType = (identity: string): RecipientType =>
  identity.startsWith("AGE-SECRET-KEY-PQ-1") ? "mlkem768x25519" : "x25519";

/** Check the plaintext's fields and return the key in memory. @throws {KeyFileInvalid} */
export async function keyFromPlaintext(plaintext: Uint8Array): Promise<TeamKey> {
  let data: unknown;
  try {
    data = parseStrict(fromUtf8(plaintext));
  } catch {
    throw new KeyFileInvalid("not JSON");
  }
  if (!isObject(data) || data.v !== 1 || !isMemberId(data.member) || typeof data.api !== "string") {
    throw new KeyFileInvalid("fields");
  }
  const identities = identitiesOf(data.identities);
  let signingSeed: Uint8Array;
  try {
    signingSeed = fromB64u(data.signing_seed);
  } catch {
    throw new KeyFileInvalid("signing_seed");
  }
  if (signingSeed.length !== 32) throw new KeyFileInvalid("signing_seed");
  let recipient: string;
  try {
    // Every identity must parse (older ones read older cases); the first gives the recipient.
    const recipients = await Promise.all(identities.map((i) => identityToRecipient(i)));
    recipient = recipients[0] ?? "";
  } catch {
    throw new KeyFileInvalid("identity");
  }
  return {
    member: data.member,
    identities: [...identities],
    signingSeed,
    api: data.api,
    recipient,
    signingKey: b64u(publicKey(signingSeed)),
  };
}

/** The age identities of a key file: a non-empty list of one type. @throws {KeyFileInvalid} */
function identitiesOf(value: unknown): [string, ...string[]] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((i) => typeof i === "string" && /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(i)) &&
    new Set((value as string[]).map(identityType)).size === 1;
  if (!ok) throw new KeyFileInvalid("fields");
  return value as [string, ...string[]];
}

/**
 * scrypt(passphrase, salt, N = 2^logN, r = 8, p = 1) to 32 bytes, done
 * elsewhere than typage's own call: the console runs it in a worker.
 */
export type Derive = (passphrase: string, salt: Uint8Array, logN: number) => Promise<Uint8Array>;

/** The derivation failed to run (not a wrong passphrase): the caller may retry another way. */
export class DeriveFailed extends Error {}

const SCRYPT_LABEL = new TextEncoder().encode("age-encryption.org/v1/scrypt");

/**
 * age's scrypt identity (age spec, "The scrypt recipient type"; typage's
 * ScryptIdentity) with the derivation handed to `derive`. workFactor()
 * has checked that the stanza is the only one and its work factor.
 */
class DerivedScryptIdentity implements Identity {
  /** Why `derive` failed, if it did. */
  failure: string | null = null;

  constructor(
    private readonly passphrase: string,
    private readonly derive: Derive,
  ) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const [stanza] = stanzas;
    if (stanzas.length !== 1 || stanza?.args[0] !== "scrypt" || stanza.args.length !== 3) return null;
    const salt = base64nopad.decode(stanza.args[1] ?? "");
    if (salt.length !== 16 || stanza.body.length !== 32) throw new Error("invalid scrypt stanza");
    let key: Uint8Array;
    try {
      key = await this.derive(this.passphrase, new Uint8Array([...SCRYPT_LABEL, ...salt]), Number(stanza.args[2]));
    } catch (err) {
      this.failure = err instanceof Error ? err.message : "derive failed";
      throw err;
    }
    try {
      return chacha20poly1305(key, new Uint8Array(12)).decrypt(stanza.body);
    } catch {
      return null; // another passphrase
    } finally {
      key.fill(0);
    }
  }
}

/**
 * Open a key file's bytes with the passphrase; `derive` runs scrypt (by
 * default typage does, on this thread).
 * @throws {KeyFileLocked} wrong passphrase or damaged file
 * @throws {KeyFileInvalid} work factor outside 18..20 or a bad plaintext
 * @throws {DeriveFailed} `derive` itself failed
 */
export async function openKeyFile(bytes: Uint8Array, passphrase: string, derive?: Derive): Promise<TeamKey> {
  const sealed = binary(bytes);
  workFactor(sealed);
  const decrypter = new Decrypter();
  const identity = derive ? new DerivedScryptIdentity(passphrase, derive) : null;
  if (identity) decrypter.addIdentity(identity);
  else decrypter.addPassphrase(passphrase);
  let plaintext: Uint8Array;
  try {
    plaintext = await decrypter.decrypt(sealed);
  } catch {
    if (identity?.failure) throw new DeriveFailed(identity.failure);
    throw new KeyFileLocked("locked");
  }
  return keyFromPlaintext(plaintext);
}

/** The plaintext Python writes: JCS of the five fields. */
export const keyPlaintext = (key: Pick<TeamKey, "member" | "identities" | "signingSeed" | "api">): Uint8Array =>
  jcsBytes({ v: 1, member: key.member, identities: key.identities, signing_seed: b64u(key.signingSeed), api: key.api });

/** Seal a key in memory as a key file (binary age, scrypt at `logN`). */
export async function sealKeyFile(
  key: TeamKey,
  passphrase: string,
  logN: number = MIN_WORK_FACTOR,
): Promise<Uint8Array> {
  if (logN < MIN_WORK_FACTOR || logN > MAX_WORK_FACTOR) throw new RangeError("work factor");
  const encrypter = new Encrypter();
  encrypter.setPassphrase(passphrase);
  encrypter.setScryptWorkFactor(logN);
  return encrypter.encrypt(keyPlaintext(key));
}

/**
 * New identity (first; older ones kept to read older cases) and new
 * signing seed. Returns the rotated key and the old seed, which signs the
 * member entry's `rotation` (protocol §4.5).
 */
export async function rotateKey(key: TeamKey, newSeed: Uint8Array): Promise<{ rotated: TeamKey; oldSeed: Uint8Array }> {
  const identity =
    identityType(key.identities[0] ?? "") === "x25519"
      ? await generateX25519Identity()
      : await generateHybridIdentity();
  const rotated = await keyFromPlaintext(
    keyPlaintext({ ...key, identities: [identity, ...key.identities], signingSeed: newSeed }),
  );
  return { rotated, oldSeed: key.signingSeed };
}

/**
 * A member's name as a file name: lower-case letters and digits in words
 * joined by "-" ("Jürgen O'Neil" -> "jürgen-o-neil"); twin of candor/keyfile.py key_file_stem.
 */
export function keyFileStem(name: string): string {
  const words = Array.from(name, (c) => (/[\p{L}\p{N}]/u.test(c) ? c.toLowerCase() : " "))
    .join("")
    .split(/\s+/)
    .filter(Boolean);
  return words.join("-") || "member";
}

/** `<name>-<date>.candor-key` for the key file a rotation writes (issue 19); `day` is YYYY-MM-DD. */
export const rotatedKeyFileName = (name: string, day: string): string => `${keyFileStem(name)}-${day}.candor-key`;
