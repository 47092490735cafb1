#!/usr/bin/env node
// Build the reporter pages and the review console into static files:
//   node frontend/build.mjs [--manifest PATH] [--out DIR]
// The build itself is build.ts (TypeScript, checked like the pages); tsx
// lets plain node run it and the browser library's manifest checks it uses.
import { register } from "tsx/esm/api";

register();
await import("./build.ts");
