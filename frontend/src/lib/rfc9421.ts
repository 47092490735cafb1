// Team request signatures: the RFC 9421 profile of protocol §4.3, byte for byte
// what chalicelib/httpsig.py signs and verifies. One signature labelled
// "candor" covering exactly "@method" "@path" "@query" (plus
// "content-digest" for a body method), parameters created, keyid, alg,
// nonce, tag in that order (the order http-message-signatures writes).
import { ed25519 } from "@noble/curves/ed25519.js";
import { isMemberId } from "./check.js";
import { verifyBytes } from "./sign.js";
import { b64u, randomBytes, sha256, utf8 } from "./encoding.js";
import type { B64u, RecordedRequest } from "./types.js";

/** Query parameters of a team request; empty, null and undefined values are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

export const LABEL = "candor";
export const TAG = "candor/v1";
export const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const PARAM_NAMES = ["alg", "created", "keyid", "nonce", "tag"];

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Percent-encode outside RFC 3986 unreserved characters (Python's quote(safe="-._~")). */
function percentEncode(text: string): string {
  let out = "";
  for (const ch of text) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of utf8(ch)) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** `?` and the non-empty parameters sorted by name (protocol §4.3). */
export function canonicalQuery(params: Query = {}): string {
  const pairs = Object.entries(params)
    .filter(([, v]) => v !== "" && v !== null && v !== undefined)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return "?" + pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export const contentDigest = (body: Uint8Array): string => `sha-256=:${toBase64(sha256(body))}:`;

export const componentsFor = (method: string): string[] =>
  BODY_METHODS.has(method) ? ["@method", "@path", "@query", "content-digest"] : ["@method", "@path", "@query"];

interface SignatureParams {
  created: number;
  keyid: string;
  nonce: string;
}

function signatureParams(components: readonly string[], { created, keyid, nonce }: SignatureParams): string {
  const list = components.map((c) => `"${c}"`).join(" ");
  return `(${list});created=${created};keyid="${keyid}";alg="ed25519";nonce="${nonce}";tag="${TAG}"`;
}

/** The RFC 9421 signature base (section 2.5) for our profile. */
interface Components {
  method: string;
  path: string;
  query: string;
  digest: string | null | undefined;
}

export function signatureBase({ method, path, query, digest }: Components, params: string): Uint8Array {
  const lines = [`"@method": ${method}`, `"@path": ${path}`, `"@query": ${query}`];
  if (BODY_METHODS.has(method)) lines.push(`"content-digest": ${digest ?? ""}`);
  lines.push(`"@signature-params": ${params}`);
  const base = lines.join("\n");

  if (!/^[\x00-\x7f]*$/.test(base)) throw new TypeError("the signature base must be ASCII");
  return utf8(base);
}

/**
 * The headers that sign a team request: Content-Digest (body methods),
 * Signature-Input, Signature. `path` includes any base path; `query` is an
 * object of parameters (empty values are left out, as the client leaves
 * them out of the URL).
 */
export interface Signer {
  memberId: string;
  seed: Uint8Array;
  created?: number;
  nonce?: string;
}

export function signRequest(
  method: string,
  path: string,
  query: Query,
  body: Uint8Array | null | undefined,
  { memberId, seed, created, nonce }: Signer,
): Record<string, string> {
  const when = created ?? Math.floor(Date.now() / 1000);
  const params = signatureParams(componentsFor(method), {
    created: when,
    keyid: memberId,
    nonce: nonce ?? b64u(randomBytes(16)),
  });
  const digest = BODY_METHODS.has(method) ? contentDigest(body ?? new Uint8Array(0)) : null;
  const base = signatureBase({ method, path, query: canonicalQuery(query), digest }, params);
  const headers: Record<string, string> = {};
  if (digest !== null) headers["Content-Digest"] = digest;
  headers["Signature-Input"] = `${LABEL}=${params}`;
  headers.Signature = `${LABEL}=:${toBase64(ed25519.sign(base, seed))}:`;
  return headers;
}

/** A recorded component: its text, or "" for anything else (which then fails to verify). */
const text = (value: unknown): string => (typeof value === "string" ? value : "");

const NONCE = /^[A-Za-z0-9_-]{22}$/;
const INPUT = /^candor=\(((?:"[^"\\]+")(?: "[^"\\]+")*)\)((?:;[a-z]+=(?:[0-9]+|"[^"\\]*"))+)$/;

/** Parse a recorded Signature-Input against the profile; null when it does not fit. */
export interface ParsedInput {
  components: string[];
  params: Record<string, string | number>;
  serialized: string;
}

export function parseSignatureInput(value: unknown, method: string): ParsedInput | null {
  const text = typeof value === "string" ? value : "";
  const m = INPUT.exec(text);
  if (!m?.[1] || !m[2]) return null;
  const components = m[1].split(" ").map((c) => c.slice(1, -1));
  if (components.join(" ") !== componentsFor(method).join(" ")) return null;
  const params: Record<string, string | number> = {};
  for (const part of m[2].slice(1).split(";")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq);
    if (name in params) return null;
    const raw = part.slice(eq + 1);
    params[name] = raw.startsWith('"') ? raw.slice(1, -1) : Number(raw);
  }
  if (Object.keys(params).sort().join() !== PARAM_NAMES.join()) return null;
  if (params.alg !== "ed25519" || params.tag !== TAG || !Number.isSafeInteger(params.created)) return null;
  if (typeof params.keyid !== "string" || typeof params.nonce !== "string") return null;
  // protocol §4.3: the nonce is b64u of 16 bytes, the keyid a member id.
  if (!NONCE.test(params.nonce) || !isMemberId(params.keyid)) return null;
  return { components, params, serialized: text.slice(LABEL.length + 1) };
}

/**
 * Whether an audit entry's recorded request (protocol §4.6) carries a valid
 * "candor" signature by `memberId` under one of `publicKeys` (b64u).
 * Clock skew and nonces are not rechecked: the server did, at the time.
 */
export function verifyRecorded(record: RecordedRequest, memberId: string, publicKeys: readonly B64u[]): boolean {
  try {
    const method = text(record["@method"]);
    const parsed = parseSignatureInput(record["Signature-Input"], method);
    if (parsed?.params.keyid !== memberId) return false;
    const sig = /^candor=:([A-Za-z0-9+/]+={0,2}):$/.exec(text(record.Signature));
    if (!sig?.[1]) return false;
    const signature = fromBase64(sig[1]);
    if (signature.length !== 64) return false;
    const digest = record["Content-Digest"];
    if (BODY_METHODS.has(method) && typeof digest !== "string") return false;
    const base = signatureBase(
      {
        method,
        path: text(record["@path"]),
        query: text(record["@query"]),
        digest: typeof digest === "string" ? digest : null,
      },
      parsed.serialized,
    );
    return verifyBytes(base, signature, publicKeys);
  } catch {
    return false;
  }
}
