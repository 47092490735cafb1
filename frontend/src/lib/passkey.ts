// Passkey wraps (protocol §5): one more way to open a member's key. A
// passkey's WebAuthn PRF output, through HKDF with a fixed salt, is an age
// X25519 identity; the wrap is the key file's plaintext sealed to it. The
// passphrase-sealed key file stays the recovery path (an scrypt stanza must
// be the only stanza of its file, so a passkey cannot join it). The twin of
// the passkey part of candor/keyfile.py.
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { Decrypter, Encrypter, identityToRecipient } from "age-encryption";
import { b64u, equalBytes, fromB64u } from "./encoding.js";
import { jcsBytes } from "./jcs.js";
import { KeyFileInvalid, KeyFileLocked, keyFromPlaintext, keyPlaintext, type TeamKey } from "./keyfile.js";

/** What the console asks a passkey's PRF to evaluate (`eval.first`). */
export const PRF_INPUT = new TextEncoder().encode("candor/v1/passkey-prf");
const WRAP_SALT = new TextEncoder().encode("candor/v1/passkey-wrap");
// A record's recipient is public (a reseal after a rotation needs it), so
// anyone who can write to the browser profile could name their own there:
// the tag, which only the key's holder can make, is what a reseal trusts.
const RECORD_SALT = new TextEncoder().encode("candor/v1/passkey-record");
const PRF_SIZE = 32;
const INTRO = "age-encryption.org/v1\n";

/**
 * The age X25519 identity of a PRF output: HKDF-SHA-256(ikm = prf, salt =
 * "candor/v1/passkey-wrap", info = "", 32 bytes). @throws {RangeError} unless 32 bytes
 */
export function passkeyIdentity(prf: Uint8Array): string {
  if (prf.length !== PRF_SIZE) throw new RangeError("a PRF output is 32 bytes");
  const scalar = hkdf(sha256, prf, WRAP_SALT, new Uint8Array(0), PRF_SIZE);
  try {
    return bech32.encodeFromBytes("AGE-SECRET-KEY-", scalar).toUpperCase();
  } finally {
    scalar.fill(0);
  }
}

/** The recipient a wrap is sealed to, kept beside it so a rotation reseals without the passkey. */
export const passkeyRecipient = (prf: Uint8Array): Promise<string> => identityToRecipient(passkeyIdentity(prf));

/** The key's plaintext (as in its key file) sealed to a passkey's recipient: a binary age file. */
export async function sealWrap(key: TeamKey, recipient: string): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return encrypter.encrypt(keyPlaintext(key));
}

/** The fields of a console's passkey record that its tag covers (protocol §5). */
export interface RecordFields {
  id: string;
  member: string;
  label: string;
  added: string;
  recipient: string;
}

/**
 * A passkey record's tag (protocol §5): b64u of HMAC-SHA-256 keyed by
 * HKDF-SHA-256(ikm = signing seed, salt = "candor/v1/passkey-record", info =
 * "", 32 bytes) over JCS({id, member, label, added, recipient}).
 */
export function recordTag(key: TeamKey, record: RecordFields): string {
  const { id, member, label, added, recipient } = record;
  const mac = hkdf(sha256, key.signingSeed, RECORD_SALT, new Uint8Array(0), 32);
  try {
    return b64u(hmac(sha256, mac, jcsBytes({ id, member, label, added, recipient })));
  } finally {
    mac.fill(0);
  }
}

/** Whether `tag` is the record's tag under `key` (false for anything not a tag). */
export function recordTagValid(key: TeamKey, record: RecordFields, tag: unknown): boolean {
  let given: Uint8Array;
  try {
    given = fromB64u(tag);
  } catch {
    return false;
  }
  return equalBytes(given, fromB64u(recordTag(key, record)));
}

/** A binary age file whose header holds exactly one X25519 stanza. @throws {KeyFileInvalid} */
function checkWrapHeader(wrap: Uint8Array): void {
  const text = new TextDecoder("latin1").decode(wrap.subarray(0, 256));
  if (!text.startsWith(INTRO)) throw new KeyFileInvalid("a passkey wrap is a binary age file");
  const lines = text.slice(INTRO.length).split("\n");
  const one = /^-> X25519 [A-Za-z0-9+/]{43}$/.test(lines[0] ?? "") && (lines[2] ?? "").startsWith("--- ");
  if (!one) throw new KeyFileInvalid("a passkey wrap has one X25519 stanza");
}

/**
 * Open a wrap with the passkey's PRF output.
 * @throws {KeyFileInvalid} not one X25519 stanza in a binary age file, or a bad plaintext
 * @throws {KeyFileLocked} this PRF output does not open it (another passkey, a damaged wrap)
 */
export async function openWrap(wrap: Uint8Array, prf: Uint8Array): Promise<TeamKey> {
  const identity = passkeyIdentity(prf);
  checkWrapHeader(wrap);
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  let plaintext: Uint8Array;
  try {
    plaintext = await decrypter.decrypt(wrap);
  } catch {
    throw new KeyFileLocked("locked");
  }
  return keyFromPlaintext(plaintext);
}

// --- WebAuthn ------------------------------------------------------------------

/**
 * Why a passkey did not open the key; the console says each in words:
 * no WebAuthn here, a refused or cancelled prompt (or no stored passkey
 * answered), an authenticator without PRF, a passkey that opens no wrap.
 */
export type PasskeyFailure = "unavailable" | "refused" | "no_prf" | "wrong";

export class PasskeyError extends Error {
  constructor(readonly failure: PasskeyFailure) {
    super(failure);
  }
}

/** A passkey's credential id and its PRF output for PRF_INPUT. */
export interface PrfAnswer {
  id: Uint8Array;
  prf: Uint8Array;
}

const random = (n: number): Uint8Array<ArrayBuffer> => crypto.getRandomValues(new Uint8Array(n));
const WAIT_MS = 120_000;

function webauthn(): CredentialsContainer {
  if (typeof PublicKeyCredential === "undefined" || !("credentials" in navigator)) {
    throw new PasskeyError("unavailable");
  }
  return navigator.credentials;
}

/** The PRF's first output as 32 bytes. @throws {PasskeyError} no_prf */
function firstOutput(credential: PublicKeyCredential): Uint8Array {
  const first = credential.getClientExtensionResults().prf?.results?.first;
  let bytes: Uint8Array | undefined;
  if (first instanceof ArrayBuffer) bytes = new Uint8Array(first.slice(0));
  else if (first && ArrayBuffer.isView(first))
    bytes = new Uint8Array(first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength));
  if (bytes?.length !== PRF_SIZE) throw new PasskeyError("no_prf");
  return bytes;
}

async function ask<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // NotAllowedError covers a cancelled prompt, no matching passkey and a
    // Permissions-Policy refusal alike: WebAuthn does not tell them apart.
    throw new PasskeyError(err instanceof DOMException && err.name === "NotSupportedError" ? "unavailable" : "refused");
  }
}

/**
 * Ask one of the passkeys `ids` (credential ids) for its PRF output; user
 * verification is required (the PRF needs it).
 * @throws {PasskeyError}
 */
export async function passkeyPrf(ids: readonly Uint8Array[]): Promise<PrfAnswer> {
  const container = webauthn();
  const credential = await ask(() =>
    container.get({
      publicKey: {
        challenge: random(32), // no server checks an assertion: the PRF output is what counts
        allowCredentials: ids.map((id) => ({ type: "public-key", id: new Uint8Array(id) })),
        userVerification: "required",
        timeout: WAIT_MS,
        extensions: { prf: { eval: { first: PRF_INPUT } } },
      },
    }),
  );
  if (!(credential instanceof PublicKeyCredential)) throw new PasskeyError("refused");
  return { id: new Uint8Array(credential.rawId), prf: firstOutput(credential) };
}

/**
 * Create a discoverable passkey for this origin named `label`, and its PRF
 * output (from the creation when the authenticator evaluates it then, else
 * from a second prompt). @throws {PasskeyError}
 */
export async function createPasskey(label: string): Promise<PrfAnswer> {
  const container = webauthn();
  const credential = await ask(() =>
    container.create({
      publicKey: {
        rp: { name: "Candor" },
        // A random user id: the member id is not the authenticator's business.
        user: { id: random(16), name: label, displayName: label },
        challenge: random(32),
        pubKeyCredParams: [-8, -7, -257].map((alg) => ({ type: "public-key", alg })),
        authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
        timeout: WAIT_MS,
        extensions: { prf: { eval: { first: PRF_INPUT } } },
      },
    }),
  );
  if (!(credential instanceof PublicKeyCredential)) throw new PasskeyError("refused");
  const id = new Uint8Array(credential.rawId);
  const prf = credential.getClientExtensionResults().prf;
  if (prf?.results?.first) return { id, prf: firstOutput(credential) };
  if (!prf?.enabled) throw new PasskeyError("no_prf");
  return passkeyPrf([id]);
}
