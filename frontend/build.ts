// Build the reporter pages and the review console into static files (run as
// `node frontend/build.mjs [--manifest PATH] [--out DIR]`).
// Bundles frontend/src/*.ts (ESM, minified, content-hashed), embeds the
// manifest, questionnaire and catalogues in the bundle so Subresource
// Integrity covers them, rewrites the HTML to the hashed names with
// integrity attributes, and writes DIR/headers.json for the server.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
// The manifest checks are the browser library's own, so the build and the pages agree.
import { fingerprint, verifyBuiltIn } from "./src/lib/manifest.js";
import type { Manifest } from "./src/lib/types.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d3557"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>\n`;

interface Args {
  manifest: string;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { manifest: join(HERE, "manifest.json"), out: join(HERE, "dist") };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--manifest") args.manifest = resolve(argv[++i] ?? "");
    else if (flag === "--out") args.out = resolve(argv[++i] ?? "");
    else throw new Error(`unknown argument ${flag ?? ""} (use --manifest PATH --out DIR)`);
  }
  return args;
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

/** Bundle every entry point (frontend/src/*.ts) and return its hashed name and SRI, by entry name. */
async function bundle(manifest: Manifest, out: string, assets: string): Promise<Record<string, Asset>> {
  const entries = readdirSync(join(HERE, "src"))
    .filter((f) => /\.[jt]s$/.test(f) && !f.endsWith(".d.ts"))
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
    logLevel: "warning",
    plugins: [
      builtInData({ manifest, questionnaire: readJson(join(HERE, "questionnaire.json")), catalogues: catalogues() }),
    ],
  });
  const scripts: Record<string, Asset> = {};
  for (const [path, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const name = basename(meta.entryPoint).replace(/\.[jt]s$/, "");
    scripts[name] = { href: relative(out, resolve(path)).split("\\").join("/"), integrity: sri(readFileSync(path)) };
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
    const css = readFileSync(path);
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const manifest = verifyBuiltIn(readJson(args.manifest));
  const out = args.out;
  const assets = join(out, "assets");
  rmSync(assets, { recursive: true, force: true });
  for (const f of ["index.html", "followup.html", "headers.json", "favicon.svg", ...PAGES.map((p) => p.file)]) {
    rmSync(join(out, f), { force: true });
  }
  mkdirSync(assets, { recursive: true });
  mkdirSync(join(out, "console"), { recursive: true });
  const scripts = await bundle(manifest, out, assets);
  const styles = copyStyles(out);
  for (const { file, up } of PAGES) writeFileSync(join(out, file), rewritePage(file, up, scripts, styles));
  writeFileSync(join(out, "favicon.svg"), FAVICON);
  const { headers } = readJson(join(HERE, "headers.json")) as { headers: unknown };
  writeFileSync(join(out, "headers.json"), JSON.stringify(headers, null, 2) + "\n");
  const where = relative(process.cwd(), out) || ".";
  console.log(`built ${where}: manifest v${manifest.version}, fingerprint ${fingerprint(manifest)}`);
}

main().catch((err: unknown) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
