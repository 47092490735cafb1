// The offline verifier's check (docs/verify.md): the same steps as `candor
// verify-page` (candor/verifypage.py), with the browser library's release
// rules (frontend/src/lib/release.ts), so there is one copy of them. From a
// pinned release, follow the chain the site publishes, check it against the
// manifests the API lists, then compare every file's bytes and the headers
// the release gives its path. The first difference stops the check, named.
import { b64u, sha256 } from "../src/lib/encoding.js";
import { jcs } from "../src/lib/jcs.js";
import {
  headersFor,
  parseRelease,
  type Release,
  ReleaseInvalid,
  releaseFingerprint,
  verifyReleaseChain,
} from "../src/lib/release.js";

export const HEAD_FILE = "release.json";
const MAX_RELEASES = 1000; // a head far ahead would make us fetch without end
// What a reader types or follows: the directory, not its index.html.
const DIRECTORY_URLS: Record<string, string> = { "index.html": "", "console/index.html": "console/" };

/** A file of the site: its bytes and a header reader (null when absent). */
export interface Fetched {
  body: Uint8Array;
  header: (name: string) => string | null;
}

/** GET base + path; any answer but 200 is a Differs naming the path. */
export type Fetcher = (path: string) => Promise<Fetched>;

/** The site is not what the release chain signs; the message names the file. */
export class Differs extends Error {
  override name = "Differs";
}

export interface Verified {
  release: Release;
  files: number;
}

export const chainFile = (version: number): string => `releases/${version}.json`;

async function readJson(fetcher: Fetcher, path: string): Promise<unknown> {
  const { body } = await fetcher(path);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new Differs(`${path}: not JSON`);
  }
}

async function readRelease(fetcher: Fetcher, path: string): Promise<Release> {
  const raw = await readJson(fetcher, path);
  try {
    return parseRelease(raw);
  } catch (err) {
    throw new Differs(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The served head and the releases after the anchor, as the site lists them. */
async function chain(fetcher: Fetcher, anchor: Release): Promise<[Release, Release[]]> {
  const head = await readRelease(fetcher, HEAD_FILE);
  if (head.version < anchor.version) {
    throw new Differs(
      `${HEAD_FILE}: release ${head.version} is older than the anchor's release ${anchor.version}: the site was rolled back`,
    );
  }
  if (head.version - anchor.version > MAX_RELEASES) {
    throw new Differs(`${HEAD_FILE}: release ${head.version} is more than ${MAX_RELEASES} releases after the anchor`);
  }
  const servedAnchor = await readRelease(fetcher, chainFile(anchor.version));
  if (releaseFingerprint(servedAnchor) !== releaseFingerprint(anchor)) {
    throw new Differs(`${chainFile(anchor.version)}: differs from the anchor`);
  }
  const later: Release[] = [];
  for (let n = anchor.version + 1; n <= head.version; n++) later.push(await readRelease(fetcher, chainFile(n)));
  if (jcs(head) !== jcs(later.at(-1) ?? servedAnchor)) {
    throw new Differs(`${HEAD_FILE}: differs from ${chainFile(head.version)}`);
  }
  return [head, later];
}

async function compare(fetcher: Fetcher, path: string, release: Release, asset: string): Promise<void> {
  const { body, header } = await fetcher(path);
  for (const [name, value] of Object.entries(headersFor(release, path))) {
    if (header(name) !== value) {
      throw new Differs(`${path || "/"}: header ${name} differs from release ${release.version}`);
    }
  }
  if (b64u(sha256(body)) !== release.assets[asset]) {
    throw new Differs(`${path || "/"}: differs from release ${release.version}`);
  }
}

/**
 * Check the site `fetcher` reads against the release chain from `anchor`,
 * on the UTC day `today`; `progress` hears each path before it is fetched.
 * @throws {Differs} naming the first file, header or release that differs
 */
export async function verifySite(
  fetcher: Fetcher,
  anchor: unknown,
  today: string,
  progress: (path: string) => void = () => undefined,
): Promise<Verified> {
  let pinned: Release;
  try {
    pinned = parseRelease(anchor);
  } catch (err) {
    throw new Differs(`the anchor is not a release: ${err instanceof Error ? err.message : String(err)}`);
  }
  const [head, later] = await chain(fetcher, pinned);
  const listed = await readJson(fetcher, "v1/manifest");
  const manifests = (listed as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new Differs("v1/manifest: not a list of manifests");
  try {
    verifyReleaseChain(pinned, later, manifests, today);
  } catch (err) {
    if (!(err instanceof ReleaseInvalid)) throw err;
    throw new Differs(`release chain: ${err.message}`);
  }
  const paths = Object.keys(head.assets).sort();
  for (const path of paths) {
    progress(path);
    await compare(fetcher, path, head, path);
    const directory = DIRECTORY_URLS[path];
    if (directory !== undefined) await compare(fetcher, directory, head, path);
  }
  return { release: head, files: paths.length };
}

/** A Fetcher over the browser's fetch: no cache, no credentials, no referrer. */
export function httpFetcher(base: string): Fetcher {
  const root = base.endsWith("/") ? base : base + "/";
  return async (path) => {
    const answer = await fetch(root + path, { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
    if (answer.status !== 200) throw new Differs(`${path || "/"}: not served (${answer.status})`);
    const body = new Uint8Array(await answer.arrayBuffer());
    return { body, header: (name) => answer.headers.get(name) };
  };
}
