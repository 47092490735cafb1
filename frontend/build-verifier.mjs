#!/usr/bin/env node
// Build the offline verifier, one HTML file (docs/verify.md):
//   node frontend/build-verifier.mjs --anchor release.json --url URL --out verify.html
// The build is verify/build.ts; tsx lets plain node run it.
import { register } from "tsx/esm/api";

register();
await import("./verify/build.ts");
