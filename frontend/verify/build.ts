// Build the offline verifier (docs/verify.md): one self-contained HTML file,
// pinned to a release (the anchor) and to the site's address, that an
// employee saves once and opens from disk. Run as
//   node frontend/build-verifier.mjs --anchor release.json --url https://whistle.example.org/ --out verify.html
// Its script (frontend/verify/verify.ts, with frontend/src/lib/release.ts's rules) and
// style are inline, allowed by their hashes in its own meta CSP, whose
// connect-src is the site's origin alone: nothing else is ever fetched.
// The same anchor, address and source give the same bytes.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { parseRelease, releaseFingerprint } from "../src/lib/release.js";

const SOURCE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(dirname(SOURCE)); // esbuild's working directory: output independent of the caller's cwd

interface Args {
  anchor: string;
  url: string;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = {};
  const flags: Record<string, keyof Args> = { "--anchor": "anchor", "--url": "url", "--out": "out" };
  for (let i = 0; i < argv.length; i++) {
    const name = flags[argv[i] ?? ""];
    if (!name) throw new Error(`unknown argument ${argv[i] ?? ""} (use --anchor FILE --url URL --out FILE)`);
    args[name] = argv[++i] ?? "";
  }
  if (!args.anchor || !args.url || !args.out) throw new Error("give --anchor FILE --url URL --out FILE");
  return { anchor: resolve(args.anchor), url: args.url, out: resolve(args.out) };
}

/** The site's base URL, ending in "/": http(s), no credentials, query or fragment. */
function siteUrl(text: string): URL {
  const url = new URL(text);
  if (!["https:", "http:"].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new Error(`${text}: give the site's http(s) address, nothing more`);
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

const cspHash = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The verifier's script: one classic, minified, self-contained bundle. */
async function script(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(SOURCE, "verify.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    write: false,
    charset: "utf8",
    legalComments: "none",
    absWorkingDir: ROOT,
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild wrote no verifier script");
  const text = output.text.trimEnd();
  if (/<\/script|<!--/i.test(text)) throw new Error("the verifier's script cannot be inlined safely");
  return text;
}

/**
 * Fill the template's four holes; each value replaces its hole once, as is.
 * An element's content is its value alone, whatever the template's layout,
 * as the CSP hashes of the script and the style cover it exactly.
 */
function fill(template: string, values: Record<string, string>): string {
  let html = template.replace(/>\s*(__[A-Z]+__);?\s*</g, ">$1<");
  for (const [hole, value] of Object.entries(values)) {
    const parts = html.split(hole);
    if (parts.length !== 2) throw new Error(`verify.html: ${hole} must appear exactly once`);
    html = parts.join(value);
  }
  return html;
}

export async function buildVerifier(anchorFile: string, address: string): Promise<string> {
  const anchor = parseRelease(JSON.parse(readFileSync(anchorFile, "utf8")));
  const url = siteUrl(address);
  const code = await script();
  const style = readFileSync(join(SOURCE, "verify.css"), "utf8");
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(code)}`,
    `style-src ${cspHash(style)}`,
    `connect-src ${url.origin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
  // A data block is never run; "<" escaped so no text in it can end the element.
  const pinned = JSON.stringify({ url: url.href, anchor }).replace(/</g, "\\u003c");
  const template = readFileSync(join(SOURCE, "verify.html"), "utf8");
  return fill(template, { __CSP__: csp, __STYLE__: style, __PINNED__: pinned, __SCRIPT__: code });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  writeFileSync(args.out, await buildVerifier(args.anchor, args.url));
  const anchor = parseRelease(JSON.parse(readFileSync(args.anchor, "utf8")));
  console.log(`built ${args.out}: pinned to release ${anchor.version}, fingerprint ${releaseFingerprint(anchor)}`);
}

main().catch((err: unknown) => {
  console.error(`verifier build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
