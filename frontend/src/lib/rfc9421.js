// Team request signatures: the RFC 9421 profile of protocol §4.3, byte for byte
// what chalicelib/httpsig.py signs and verifies. One signature labelled
// "candor" covering exactly "@method" "@path" "@query" (plus
// "content-digest" for a body method), parameters created, keyid, alg,
// nonce, tag in that order (the order http-message-signatures writes).
import { ed25519 } from "@noble/curves/ed25519.js";
import { b64u, fromB64u, randomBytes, sha256, utf8 } from "./encoding.js";

export const LABEL = "candor";
export const TAG = "candor/v1";
export const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const PARAM_NAMES = ["alg", "created", "keyid", "nonce", "tag"];

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Percent-encode outside RFC 3986 unreserved characters (Python's quote(safe="-._~")). */
function percentEncode(text) {
  let out = "";
  for (const ch of text) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of utf8(ch)) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** `?` and the non-empty parameters sorted by name (protocol §4.3). */
export function canonicalQuery(params = {}) {
  const pairs = Object.entries(params)
    .filter(([, v]) => v !== "" && v !== null && v !== undefined)
    .map(([k, v]) => [k, String(v)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return "?" + pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");
}

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export const contentDigest = (body) => `sha-256=:${toBase64(sha256(body))}:`;

export const componentsFor = (method) =>
  BODY_METHODS.has(method) ? ["@method", "@path", "@query", "content-digest"] : ["@method", "@path", "@query"];

function signatureParams(components, { created, keyid, nonce }) {
  const list = components.map((c) => `"${c}"`).join(" ");
  return `(${list});created=${created};keyid="${keyid}";alg="ed25519";nonce="${nonce}";tag="${TAG}"`;
}

/** The RFC 9421 signature base (section 2.5) for our profile. */
export function signatureBase({ method, path, query, digest }, params) {
  const lines = [`"@method": ${method}`, `"@path": ${path}`, `"@query": ${query}`];
  if (BODY_METHODS.has(method)) lines.push(`"content-digest": ${digest}`);
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
export function signRequest(method, path, query, body, { memberId, seed, created, nonce }) {
  const when = created ?? Math.floor(Date.now() / 1000);
  const params = signatureParams(componentsFor(method), { created: when, keyid: memberId, nonce: nonce ?? b64u(randomBytes(16)) });
  const digest = BODY_METHODS.has(method) ? contentDigest(body ?? new Uint8Array(0)) : null;
  const base = signatureBase({ method, path, query: canonicalQuery(query), digest }, params);
  const headers = {};
  if (digest !== null) headers["Content-Digest"] = digest;
  headers["Signature-Input"] = `${LABEL}=${params}`;
  headers["Signature"] = `${LABEL}=:${toBase64(ed25519.sign(base, seed))}:`;
  return headers;
}

const INPUT = /^candor=\(((?:"[^"\\]+")(?: "[^"\\]+")*)\)((?:;[a-z]+=(?:[0-9]+|"[^"\\]*"))+)$/;

/** Parse a recorded Signature-Input against the profile; null when it does not fit. */
export function parseSignatureInput(value, method) {
  const m = INPUT.exec(String(value ?? ""));
  if (!m) return null;
  const components = m[1].split(" ").map((c) => c.slice(1, -1));
  if (components.join(" ") !== componentsFor(method).join(" ")) return null;
  const params = {};
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
  if (params.nonce.length < 16 || params.nonce.length > 64) return null;
  return { components, params, serialized: value.slice(LABEL.length + 1) };
}

/**
 * Whether an audit entry's recorded request (protocol §4.6) carries a valid
 * "candor" signature by `memberId` under one of `publicKeys` (b64u).
 * Clock skew and nonces are not rechecked: the server did, at the time.
 */
export function verifyRecorded(record, memberId, publicKeys) {
  try {
    const method = String(record["@method"]);
    const parsed = parseSignatureInput(record["Signature-Input"], method);
    if (parsed === null || parsed.params.keyid !== memberId) return false;
    const sig = /^candor=:([A-Za-z0-9+/]+={0,2}):$/.exec(String(record.Signature ?? ""));
    if (!sig) return false;
    const signature = fromBase64(sig[1]);
    if (signature.length !== 64) return false;
    const digest = record["Content-Digest"];
    if (BODY_METHODS.has(method) && typeof digest !== "string") return false;
    const base = signatureBase(
      { method, path: String(record["@path"]), query: String(record["@query"]), digest },
      parsed.serialized,
    );
    return publicKeys.some((key) => {
      try {
        const pub = fromB64u(key);
        return pub.length === 32 && ed25519.verify(signature, base, pub, { zip215: false });
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
