// Build the reporter pages and the review console into static files (run as
// `node frontend/build.mjs [--manifest PATH] [--site PATH] [--playbooks PATH]
// [--replies PATH] [--drills PATH] [--out DIR]`).
// Bundles frontend/src/*.ts (ESM, minified, content-hashed), embeds the
// manifest, questionnaire, site settings (frontend/site.json: the contacts
// the reporter page shows), the console's playbooks and reply templates
// (frontend/playbooks.json, frontend/replies.json, checked here so a bad
// file fails the build) and catalogues in the bundle so Subresource
// Integrity covers them, rewrites the HTML to the hashed names with
// integrity attributes, and writes DIR/headers.json for the server. Each
// frontend/src/workers/NAME.ts becomes its own hashed worker script, whose
// file name the page bundles receive (page/workers.ts starts it).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { copyHeifWasm, HEIF_NODE_BUILTINS } from "./build-heif.js";
// The manifest checks are the browser library's own, so the build and the pages agree.
import { jcs } from "./src/lib/jcs.js";
import { fingerprint, verifyBuiltIn } from "./src/lib/manifest.js";
import { consoleCss, readDrills } from "./build-console.js";
import { type Playbooks, parsePlaybooks } from "./src/lib/playbook.js";
import { parseReplies, type Replies } from "./src/lib/replies.js";
import type { Manifest } from "./src/lib/types.js";
import type { SiteSettings } from "./src/page/site.js";

const HERE = dirname(fileURLToPath(import.meta.url));
// esbuild names modules and hashes file names by their paths relative to its
// working directory: the checkout's root, never the caller's cwd, keeps the
// output byte-identical wherever the checkout lies and whoever builds it.
const ROOT = dirname(HERE);
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d3557"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>\n`;

interface Args {
  manifest: string;
  site: string;
  playbooks: string;
  replies: string;
  drills: string;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    manifest: join(HERE, "manifest.json"),
    site: join(HERE, "site.json"),
    playbooks: join(HERE, "playbooks.json"),
    replies: join(HERE, "replies.json"),
    drills: join(HERE, "drills.json"),
    out: join(HERE, "dist"),
  };
  const flags: Record<string, keyof Args> = {
    "--manifest": "manifest",
    "--site": "site",
    "--playbooks": "playbooks",
    "--replies": "replies",
    "--drills": "drills",
    "--out": "out",
  };
  for (let i = 0; i < argv.length; i++) {
    const name = flags[argv[i] ?? ""];
    if (!name) throw new Error(`unknown argument ${argv[i] ?? ""} (use ${Object.keys(flags).join(" PATH, ")} DIR)`);
    args[name] = resolve(argv[++i] ?? "");
  }
  return args;
}

const SITE_FIELDS = ["v", "contact", "outside_contact", "organisation"];
const MAX_CONTACT_CHARS = 1000;
// Shown to reporters as text: no control characters but line breaks, no bidi overrides.
const UNSAFE_CONTACT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** One contact: null, a text, or one text per language of the catalogues. */
function checkContact(name: string, value: unknown, languages: readonly string[]): void {
  if (value === null) return;
  const texts = typeof value === "string" ? { any: value } : value;
  if (typeof texts !== "object" || Array.isArray(texts) || Object.keys(texts).length === 0) {
    throw new Error(`site settings: ${name} must be null, a text or {"en": …, "de": …}`);
  }
  for (const [lang, text] of Object.entries(texts as Record<string, unknown>)) {
    if (lang !== "any" && !languages.includes(lang)) throw new Error(`site settings: ${name}: no catalogue "${lang}"`);
    if (
      typeof text !== "string" ||
      text.trim() === "" ||
      text.length > MAX_CONTACT_CHARS ||
      UNSAFE_CONTACT.test(text)
    ) {
      throw new Error(`site settings: ${name}.${lang} must be a text of 1 to ${MAX_CONTACT_CHARS} characters`);
    }
  }
}

/** The organisation the landing page names: `{name: text or per-language text, logo: "file.svg" | null}`. */
function checkOrganisation(value: unknown, languages: readonly string[]): SiteSettings["organisation"] {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error("site settings: organisation must be null or {name, logo}");
  const { name = null, logo = null, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length || name === null)
    throw new Error("site settings: organisation has only name (required) and logo");
  checkContact("organisation.name", name, languages);
  // The logo is a file next to site.json's frontend/, never a path that leaves it or a URL.
  if (
    logo !== null &&
    (typeof logo !== "string" || !/^[\w-]+\.(png|svg)$/.test(logo) || !existsSync(join(HERE, logo)))
  ) {
    throw new Error("site settings: organisation.logo must be null or the name of a .png or .svg file in frontend/");
  }
  return { name: name as SiteSettings["contact"], logo: logo };
}

/** Copy the organisation's logo under a content-hashed name; the pages get its asset path. */
function copyLogo(site: SiteSettings, out: string): SiteSettings {
  const logo = site.organisation?.logo;
  if (!site.organisation || !logo) return site;
  const bytes = readFileSync(join(HERE, logo));
  const href = `assets/logo-${shortHash(bytes)}${logo.slice(logo.lastIndexOf("."))}`;
  writeFileSync(join(out, href), bytes);
  return { ...site, organisation: { ...site.organisation, logo: href } };
}

/**
 * The operator's site settings (frontend/site.json): `contact`, the
 * channel reporters are sent to when the page cannot accept reports (an
 * expired or unverifiable team manifest), and `outside_contact`, someone
 * outside the team (ombudsperson, works council, an external authority) for
 * reports about the team's administrators. A missing file means neither.
 */
function readSite(path: string, languages: readonly string[]): SiteSettings {
  if (!existsSync(path)) return { v: 1, contact: null, outside_contact: null, organisation: null };
  const site = readJson(path);
  if (typeof site !== "object" || site === null || Array.isArray(site)) throw new Error("site settings: not an object");
  const fields = Object.keys(site);
  const unknown = fields.filter((f) => !SITE_FIELDS.includes(f));
  if (unknown.length || (site as { v?: unknown }).v !== 1) {
    throw new Error(`site settings: "v": 1 and only ${SITE_FIELDS.join(", ")} (found ${fields.join(", ")})`);
  }
  const { contact = null, outside_contact = null, organisation = null } = site as Record<string, unknown>;
  checkContact("contact", contact, languages);
  checkContact("outside_contact", outside_contact, languages);
  return { v: 1, contact, outside_contact, organisation: checkOrganisation(organisation, languages) } as SiteSettings;
}

/** The questionnaire's category values: the playbooks' keys. */
function categories(questionnaire: unknown): string[] {
  const fields = (questionnaire as { fields?: { key: string; options?: { value: string }[] }[] }).fields ?? [];
  return (fields.find((f) => f.key === "category")?.options ?? []).map((o) => o.value);
}

/** The operator's playbooks and reply templates, checked by the console's own parsers. */
function readResponse(
  args: Args,
  languages: readonly string[],
  questionnaire: unknown,
): { playbooks: Playbooks; replies: Replies } {
  const read = (what: string, path: string): unknown => {
    try {
      return readJson(path);
    } catch (err) {
      throw new Error(`${what} (${path}): ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    playbooks: parsePlaybooks(read("playbooks", args.playbooks), languages, categories(questionnaire)),
    replies: parseReplies(read("replies", args.replies), languages),
  };
}

/** The pages, and how far each is below the site's root (for asset paths). */
const PAGES = [
  { file: "index.html", up: "" },
  { file: "followup.html", up: "" },
  { file: "console/index.html", up: "../" },
];

interface Asset {
  href: string;
  integrity: string;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));
const sri = (bytes: Buffer): string => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const shortHash = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex").slice(0, 10);

function catalogues(): Record<string, unknown> {
  const dir = join(HERE, "i18n");
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => [basename(f, ".json"), readJson(join(dir, f))]),
  );
}

/** `import x from "candor:NAME"` resolves to data fixed at build time. */
function builtInData(data: Record<string, unknown>): esbuild.Plugin {
  return {
    name: "candor-built-in",
    setup(build) {
      build.onResolve({ filter: /^candor:/ }, (a) => ({ path: a.path.slice(7), namespace: "candor" }));
      build.onLoad({ filter: /.*/, namespace: "candor" }, (a) => {
        if (!(a.path in data)) return { errors: [{ text: `no built-in ${a.path}` }] };
        return { contents: JSON.stringify(data[a.path]), loader: "json" };
      });
    },
  };
}

/** The pages may hold no inline script, style or event handler (CSP without 'unsafe-inline'). */
function checkNoInline(name: string, html: string): void {
  const problems: [RegExp, string][] = [
    [/<script(?![^>]*\ssrc=)[^>]*>/i, "inline <script>"],
    [/<style[\s>]/i, "<style> element"],
    [/\sstyle\s*=/i, "style attribute"],
    [/\son[a-z]+\s*=/i, "event handler attribute"],
    [/javascript:/i, "javascript: URL"],
  ];
  const found = problems.filter(([re]) => re.test(html.replace(/<noscript>[\s\S]*?<\/noscript>/gi, "")));
  if (found.length) throw new Error(`${name}: ${found.map((p) => p[1]).join(", ")}`);
}

const WORKERS = join(HERE, "src", "workers");

/**
 * Bundle every worker (frontend/src/workers/NAME.ts) as a self-contained
 * classic script with a content-hashed name in assets/, and return NAME ->
 * file name. A worker script cannot carry SRI; the page bundle, which SRI
 * covers, holds the hashed name, so a changed worker is a different URL.
 */
async function bundleWorkers(assets: string): Promise<Record<string, string>> {
  const entries = existsSync(WORKERS)
    ? readdirSync(WORKERS)
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
        .sort()
        .map((f) => join(WORKERS, f))
    : [];
  if (!entries.length) return {};
  const result = await esbuild.build({
    entryPoints: entries,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    entryNames: "[name]-[hash]",
    outdir: assets,
    metafile: true,
    charset: "utf8",
    legalComments: "eof",
    absWorkingDir: ROOT,
    logLevel: "warning",
    // The clean worker fetches the HEIC decoder's WebAssembly when a HEIC is chosen (build-heif.ts).
    define: { __CANDOR_HEIF_WASM__: JSON.stringify(copyHeifWasm(assets)) },
    external: HEIF_NODE_BUILTINS,
  });
  const workers: Record<string, string> = {};
  for (const [path, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) workers[basename(meta.entryPoint, ".ts")] = basename(path);
  }
  return workers;
}

/** Bundle every entry point (frontend/src/*.ts) and return its hashed name and SRI, by entry name. */
async function bundle(
  data: {
    manifest: Manifest;
    site: SiteSettings;
    catalogues: Record<string, unknown>;
    questionnaire: unknown;
    playbooks: Playbooks;
    replies: Replies;
    drills: unknown;
  },
  out: string,
  assets: string,
): Promise<Record<string, Asset>> {
  // Worker file names are relative to assets/, where the page bundles are too.
  const workers = await bundleWorkers(assets);
  const entries = readdirSync(join(HERE, "src"))
    .filter((f) => /\.[jt]s$/.test(f) && !f.endsWith(".d.ts"))
    .sort() // a directory's order differs between file systems
    .map((f) => join(HERE, "src", f));
  const result = await esbuild.build({
    entryPoints: entries,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    splitting: false, // one self-contained file per page, so SRI on it covers everything
    entryNames: "[name]-[hash]",
    outdir: assets,
    metafile: true,
    charset: "utf8",
    legalComments: "eof",
    absWorkingDir: ROOT,
    logLevel: "warning",
    define: { __CANDOR_WORKERS__: JSON.stringify(workers) },
    plugins: [builtInData(data)],
  });
  const scripts: Record<string, Asset> = {};
  for (const [path, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const name = basename(meta.entryPoint).replace(/\.[jt]s$/, "");
    const file = resolve(ROOT, path); // metafile paths are relative to absWorkingDir
    scripts[name] = { href: relative(out, file).split("\\").join("/"), integrity: sri(readFileSync(file)) };
  }
  return scripts;
}

/** Copy the style sheets under content-hashed names. */
function copyStyles(out: string): Record<string, Asset> {
  const styles: Record<string, Asset> = {};
  const sheets = [
    ["styles", join(HERE, "styles.css")],
    ["console", join(HERE, "console", "console.css")],
  ] as const;
  for (const [name, path] of sheets) {
    const css = name === "console" ? consoleCss(path) : readFileSync(path);
    const asset = { href: `assets/${name}-${shortHash(css)}.css`, integrity: sri(css) };
    styles[name] = asset;
    writeFileSync(join(out, asset.href), css);
  }
  return styles;
}

/** One page's HTML with its script and style references rewritten to the hashed assets, with SRI. */
function rewritePage(file: string, up: string, scripts: Record<string, Asset>, styles: Record<string, Asset>): string {
  let html = readFileSync(join(HERE, file), "utf8");
  checkNoInline(file, html);
  html = html.replace(/<script type="module" src="src\/([\w-]+)\.[jt]s"><\/script>/g, (_m, name: string) => {
    const script = scripts[name];
    if (!script) throw new Error(`${file}: no entry point src/${name}.ts`);
    return `<script type="module" src="${up}${script.href}" integrity="${script.integrity}"></script>`;
  });
  html = html.replace(/<link rel="stylesheet" href="(styles|console)\.css">/g, (_m, name: string) => {
    const style = styles[name];
    if (!style) throw new Error(`${file}: no style sheet ${name}.css`);
    return `<link rel="stylesheet" href="${up}${style.href}" integrity="${style.integrity}">`;
  });
  if (/src="src\/|href="(styles|console)\.css"/.test(html)) {
    throw new Error(`${file}: an asset reference was not rewritten`);
  }
  return html;
}

// A CloudFront path pattern without its leading "/" (candor/release.py's _PATTERN).
const PATH_PATTERN = /^[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*(\/[A-Za-z0-9_*?-][A-Za-z0-9._*?-]*)*\/?$/;

/**
 * dist/headers.json: frontend/headers.json's headers, and its `paths` (a
 * CloudFront path pattern -> the headers it changes) when there are any,
 * for `candor serve`, the deploy and the release the admins sign.
 */
function servedHeaders(): Record<string, unknown> {
  const { headers, paths = {} } = readJson(join(HERE, "headers.json")) as {
    headers: Record<string, string>;
    paths?: Record<string, Record<string, string>>;
  };
  for (const [pattern, changes] of Object.entries(paths)) {
    if (!PATH_PATTERN.test(pattern) || !Object.keys(changes).length) {
      throw new Error(`headers.json: paths: ${pattern} must be a plain path pattern that changes a header`);
    }
  }
  return Object.keys(paths).length ? { ...headers, paths } : { ...headers };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const texts = catalogues();
  const site = readSite(args.site, Object.keys(texts));
  const questionnaire = readJson(join(HERE, "questionnaire.json"));
  const response = readResponse(args, Object.keys(texts), questionnaire);
  const drills = readDrills(args.drills, Object.keys(texts), questionnaire);
  // Canonical JSON: the pages depend on the manifest, not on how its file is
  // laid out, so a rebuild from the API's copy gives the same bytes (docs/verify.md).
  const manifest = verifyBuiltIn(JSON.parse(jcs(readJson(args.manifest))));
  const out = args.out;
  const assets = join(out, "assets");
  rmSync(assets, { recursive: true, force: true });
  for (const f of ["index.html", "followup.html", "headers.json", "favicon.svg", ...PAGES.map((p) => p.file)]) {
    rmSync(join(out, f), { force: true });
  }
  mkdirSync(assets, { recursive: true });
  mkdirSync(join(out, "console"), { recursive: true });
  const data = { manifest, site: copyLogo(site, out), catalogues: texts, questionnaire, ...response, drills };
  const scripts = await bundle(data, out, assets);
  const styles = copyStyles(out);
  for (const { file, up } of PAGES) writeFileSync(join(out, file), rewritePage(file, up, scripts, styles));
  writeFileSync(join(out, "favicon.svg"), FAVICON);
  writeFileSync(join(out, "headers.json"), JSON.stringify(servedHeaders(), null, 2) + "\n");
  const where = relative(process.cwd(), out) || ".";
  console.log(`built ${where}: manifest v${manifest.version}, fingerprint ${fingerprint(manifest)}`);
}

main().catch((err: unknown) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
