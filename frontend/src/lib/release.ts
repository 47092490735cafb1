// Signed releases of the pages (protocol §4.8): the twin of candor/release.py's
// chain rules, so that a page can check the release.json served beside it
// against the admins of its manifest chain. The rules are the manifest's
// (succession, continuity, expiry, admin threshold), taken from manifest.ts.
import { isInt, isObject } from "./check.js";
import { b64u, sha256 } from "./encoding.js";
import { jcsBytes, without } from "./jcs.js";
import {
  checkAdminSignatures,
  checkSuccession,
  checkUnexpired,
  fingerprint as manifestFingerprint,
  MAX_LIFETIME_DAYS,
  DAY_MS,
  parseDay,
  walk,
} from "./manifest.js";
import type { Manifest } from "./types.js";

export const RELEASE_KIND = "candor-release";
const FIELDS = ["assets", "expires", "headers", "issued", "kind", "manifest", "prev", "sigs", "v", "version"];
// Per-path header changes: absent when there are none (candor/release.py's PATHS).
const PATHS = "paths";
const MAX_PATHS = 20;
// A CloudFront path pattern without its leading "/": `*` any run of characters, `?` one.
const PATTERN = /^[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*(\/[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*)*\/?$/;
// Plain segments, none starting with a dot: no "..", no hidden file, no host.
const PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const HASH = /^[A-Za-z0-9_-]{43}$/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;

export interface Release {
  v: 1;
  kind: typeof RELEASE_KIND;
  version: number;
  issued: string;
  expires: string;
  prev: string | null;
  manifest: { version: number; fingerprint: string };
  assets: Record<string, string>;
  headers: Record<string, string>;
  paths?: Record<string, Record<string, string>>;
  sigs: { member: string; sig: string }[];
}

export class ReleaseInvalid extends Error {
  override name = "ReleaseInvalid";
}

/** `b64u(H(JCS(release without sigs)))`: the next release's `prev`, shown for comparison. */
export const releaseFingerprint = (release: Release): string => b64u(sha256(jcsBytes(without(release, "sigs"))));

const sameKeys = (obj: object, keys: readonly string[]): boolean =>
  JSON.stringify(Object.keys(obj).sort()) === JSON.stringify(keys);

const isHash = (value: unknown): boolean => typeof value === "string" && HASH.test(value);

function checkHeaders(headers: unknown): void {
  if (!isObject(headers)) throw new ReleaseInvalid("headers");
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || typeof value !== "string" || !HEADER_VALUE.test(value)) {
      throw new ReleaseInvalid(`header ${name}`);
    }
  }
}

function checkPaths(paths: unknown): void {
  const entries = isObject(paths) ? Object.entries(paths) : [];
  if (entries.length < 1 || entries.length > MAX_PATHS) throw new ReleaseInvalid("paths");
  for (const [pattern, changes] of entries) {
    if (!PATTERN.test(pattern)) throw new ReleaseInvalid(`path pattern ${pattern}`);
    checkHeaders(changes);
    if (!Object.keys(changes as object).length) throw new ReleaseInvalid(`path pattern ${pattern}`);
  }
}

/** CloudFront's path pattern rule: `*` any run of characters, `?` one. */
export function patternMatches(pattern: string, path: string): boolean {
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`).test(path);
}

/**
 * The headers the URL `path` (below the site's root, no leading "/") is
 * served with: the release's `headers` changed by the longest pattern of its
 * `paths` that matches (ties: the first in sorted order), as
 * candor/release.py's headers_for.
 */
export function headersFor(release: Release, path: string): Record<string, string> {
  const paths = release.paths ?? {};
  const [best] = Object.keys(paths)
    .filter((p) => patternMatches(p, path))
    .sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  if (best === undefined) return { ...release.headers };
  const changes = paths[best] ?? {};
  const names = new Set(Object.keys(changes).map((n) => n.toLowerCase()));
  const kept = Object.entries(release.headers).filter(([n]) => !names.has(n.toLowerCase()));
  return { ...Object.fromEntries(kept), ...changes };
}

/** Everything in a release that needs no other document. @throws {ReleaseInvalid} */
export function parseRelease(release: unknown): Release {
  const keys = isObject(release) ? FIELDS.concat(PATHS in release ? [PATHS] : []).sort() : [];
  if (!isObject(release) || !sameKeys(release, keys)) throw new ReleaseInvalid("release fields");
  const { v, kind, version, prev, manifest, assets, headers, sigs } = release;
  if (v !== 1 || kind !== RELEASE_KIND || !isInt(version) || version < 1) throw new ReleaseInvalid("release kind");
  const issued = parseDay(release.issued);
  const expires = parseDay(release.expires);
  if (expires < issued || expires - issued > MAX_LIFETIME_DAYS * DAY_MS) throw new ReleaseInvalid("validity period");
  if ((prev === null) !== (version === 1) || (prev !== null && !isHash(prev))) throw new ReleaseInvalid("prev");
  const ref = isObject(manifest) && sameKeys(manifest, ["fingerprint", "version"]) ? manifest : null;
  if (!ref || !isInt(ref.version) || ref.version < 1 || !isHash(ref.fingerprint)) throw new ReleaseInvalid("manifest");
  if (!isObject(assets) || !("index.html" in assets)) throw new ReleaseInvalid("assets");
  for (const [path, hash] of Object.entries(assets)) {
    if (!PATH.test(path) || !isHash(hash)) throw new ReleaseInvalid(`asset ${path}`);
  }
  checkHeaders(headers);
  if (PATHS in release) checkPaths(release[PATHS]);
  if (!Array.isArray(sigs)) throw new ReleaseInvalid("sigs");
  return release as unknown as Release;
}

/** `release` names `authority` (trusted) and `threshold` of its admins signed it. @throws {ReleaseInvalid} */
export function verifyRelease(release: unknown, authority: Manifest): Release {
  const checked = parseRelease(release);
  const ref = checked.manifest;
  if (ref.version !== authority.version || ref.fingerprint !== manifestFingerprint(authority)) {
    throw new ReleaseInvalid("names another manifest");
  }
  try {
    checkAdminSignatures(checked, authority, null);
  } catch (err) {
    throw new ReleaseInvalid(`release ${checked.version}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return checked;
}

function verifyNext(current: Release, candidate: Release, authority: Manifest): Release {
  const next = verifyRelease(candidate, authority);
  try {
    checkSuccession(current, next);
  } catch (err) {
    throw new ReleaseInvalid(`release ${next.version}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (next.prev !== releaseFingerprint(current)) throw new ReleaseInvalid("prev");
  if (next.manifest.version < current.manifest.version) throw new ReleaseInvalid("older manifest");
  return next;
}

/** The manifests from the one `anchor` names up to `upTo`, checked as a chain, by version. */
function trustedManifests(anchor: Release, manifests: readonly unknown[], upTo: number): Map<number, Manifest> {
  const byVersion = new Map<unknown, unknown>(manifests.map((m) => [isObject(m) ? m.version : null, m]));
  const start = byVersion.get(anchor.manifest.version) as Manifest | undefined;
  if (!start || manifestFingerprint(start) !== anchor.manifest.fingerprint) {
    throw new ReleaseInvalid("no manifest with the anchor's fingerprint");
  }
  const later: unknown[] = [];
  for (let v = start.version + 1; v <= upTo; v++) if (byVersion.has(v)) later.push(byVersion.get(v));
  let chain: Manifest[];
  try {
    chain = walk(start, later).chain;
  } catch (err) {
    throw new ReleaseInvalid(`manifest chain: ${err instanceof Error ? err.message : String(err)}`);
  }
  return new Map(chain.map((m) => [m.version, m]));
}

/**
 * Follow the pinned `anchor` through `later` against the signed `manifests`
 * (`GET /v1/manifest`) and return the latest release, unexpired on `today`,
 * as candor/release.py's verify_release_chain.
 * @throws {ReleaseInvalid}
 */
export function verifyReleaseChain(
  anchor: unknown,
  later: readonly unknown[],
  manifests: readonly unknown[],
  today: string,
): Release {
  let current = parseRelease(anchor);
  const following = later.map(parseRelease);
  const upTo = Math.max(...[current, ...following].map((r) => r.manifest.version));
  const trusted = trustedManifests(current, manifests, upTo);
  const own = trusted.get(current.manifest.version);
  if (!own) throw new ReleaseInvalid("the anchor's manifest");
  current = verifyRelease(current, own);
  for (const candidate of following) {
    const authority = trusted.get(candidate.manifest.version);
    if (!authority) throw new ReleaseInvalid(`release ${candidate.version}: manifest outside the chain`);
    current = verifyNext(current, candidate, authority);
  }
  try {
    checkUnexpired(current, today);
  } catch {
    throw new ReleaseInvalid(`release ${current.version} expired`);
  }
  return current;
}

// --- an admin's own build, compared with a proposal ---------------------------

/** How one file of a release stands in an admin's own build of the pages. */
export type BuildState = "match" | "differs" | "missing" | "extra";
/** A file of the build's output folder: its path below the folder, and its bytes. */
export interface BuildFile {
  path: string;
  bytes: Uint8Array;
}
export interface BuildComparison {
  /** Every asset of the release and every file of the build a release would serve, by path. */
  files: Map<string, { state: BuildState; hash: string }>;
  /** The build's headers.json against the release's `headers` and `paths`. */
  headers: "match" | "differs" | "missing";
  /** The first path that differs (headers.json for the headers), in the order `candor release compare` checks, or null. */
  first: string | null;
}

// Not served as files (candor/release.py's site_assets): the release documents and the header set.
const HEAD_FILE = "release.json";
const HEADERS_FILE = "headers.json";
const CHAIN_DIR = "releases/";
// Headers a release leaves to the hosting (candor/release.py's HOSTING_HEADERS).
const HOSTING_HEADERS = new Set(["cache-control"]);

/** A path inside the chosen folder: a `webkitRelativePath` without the folder's own name. */
export const buildPath = (relative: string): string => relative.slice(relative.indexOf("/") + 1);

/** The signed part of a header set as comparable text: sorted, without the hosting's headers. */
const canonical = (headers: object): string =>
  JSON.stringify(
    Object.entries(headers)
      .filter(([name]) => !HOSTING_HEADERS.has(name.toLowerCase()))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

const patterns = (paths: Record<string, unknown>): string =>
  JSON.stringify(
    Object.keys(paths)
      .sort()
      .map((pattern) => {
        const changes = paths[pattern];
        return [pattern, isObject(changes) ? canonical(changes) : null];
      }),
  );

/** headers.json's bytes give the release's `headers` and `paths`, but caching (site_headers, site_paths). */
function headersMatch(release: Release, bytes: Uint8Array): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return false;
  }
  if (!isObject(raw)) return false;
  const paths = raw[PATHS];
  const headers = Object.fromEntries(Object.entries(raw).filter(([name]) => name !== PATHS));
  return (
    canonical(headers) === canonical(release.headers) &&
    patterns(isObject(paths) ? paths : {}) === patterns(release.paths ?? {})
  );
}

/**
 * `files` (an admin's rebuild from the tagged source) against the proposal
 * `release`, as candor/release.py's site_difference: every asset listed
 * must be in the build with the same SHA-256, nothing else the release
 * would serve may be in it, and its headers.json must give the same
 * headers. A client check before signing (protocol §4.8): no key, no server.
 */
export function compareBuild(release: Release, files: readonly BuildFile[]): BuildComparison {
  const built = new Map<string, string>();
  let headersFile: Uint8Array | null = null;
  for (const { path, bytes } of files) {
    if (path === HEADERS_FILE) headersFile = bytes;
    else if (path !== HEAD_FILE && !path.startsWith(CHAIN_DIR)) built.set(path, b64u(sha256(bytes)));
  }
  const found = new Map<string, { state: BuildState; hash: string }>();
  for (const path of [...new Set([...Object.keys(release.assets), ...built.keys()])].sort()) {
    const listed = Object.hasOwn(release.assets, path) ? release.assets[path] : undefined;
    const hash = built.get(path);
    const state: BuildState =
      listed === undefined ? "extra" : hash === undefined ? "missing" : hash === listed ? "match" : "differs";
    found.set(path, { state, hash: hash ?? listed ?? "" });
  }
  const headers = headersFile === null ? "missing" : headersMatch(release, headersFile) ? "match" : "differs";
  const [first] = [...found].filter(([, file]) => file.state !== "match").map(([path]) => path);
  return { files: found, headers, first: first ?? (headers === "match" ? null : HEADERS_FILE) };
}
