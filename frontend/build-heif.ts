// The HEIC decoder's WebAssembly (npm libheif-js) as a build asset: copied
// under a content-hashed name into assets/, beside the clean worker that
// fetches it (frontend/src/lib/clean/heic.ts) only when a HEIC photo is
// chosen, and checks it against the SHA-384 given here. The pages never
// load it; 'wasm-unsafe-eval' is in the CSP of the clean worker's script
// alone (frontend/headers.json, paths).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export interface HeifWasm {
  file: string;
  integrity: string;
}

/** Node built-ins that libheif-js's glue names in its Node.js branch only: left out of the browser bundle. */
export const HEIF_NODE_BUILTINS = ["fs", "path", "crypto"];

/** Copy libheif.wasm into `assets` and return its file name there and its SRI hash. */
export function copyHeifWasm(assets: string): HeifWasm {
  const source = createRequire(import.meta.url).resolve("libheif-js/libheif-wasm/libheif.wasm");
  const bytes = readFileSync(source);
  const file = `libheif-${createHash("sha256").update(bytes).digest("hex").slice(0, 10)}.wasm`;
  writeFileSync(join(assets, file), bytes);
  return { file, integrity: "sha384-" + createHash("sha384").update(bytes).digest("base64") };
}
