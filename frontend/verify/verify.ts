// The offline verifier's page (docs/verify.md): one HTML file an employee
// saves once and opens from disk. It holds the site's address and the
// release it was built with (the anchor), both fixed at build time in the
// `pinned` data block, and checks the live site with check.ts on request.
import { releaseFingerprint } from "../src/lib/release.js";
import { Differs, httpFetcher, verifySite } from "./check.js";

interface Pinned {
  url: string;
  anchor: { version: number } & Record<string, unknown>;
}

const $ = (id: string): HTMLElement => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found;
};

function pinned(): Pinned {
  return JSON.parse($("pinned").textContent) as Pinned;
}

function show(outcome: "pass" | "fail" | "busy", text: string): void {
  const result = $("result");
  result.dataset.outcome = outcome;
  result.textContent = text;
}

async function run(config: Pinned): Promise<void> {
  const button = $("check") as HTMLButtonElement;
  button.disabled = true;
  show("busy", "Checking…");
  const today = new Date().toISOString().slice(0, 10);
  try {
    const done = await verifySite(httpFetcher(config.url), config.anchor, today, (path) => {
      $("progress").textContent = `Comparing ${path}`;
    });
    const r = done.release;
    show(
      "pass",
      `Genuine: all ${done.files} files and their headers are exactly what release ${r.version} signs ` +
        `(fingerprint ${releaseFingerprint(r)}, team manifest version ${r.manifest.version}, valid to ${r.expires}).`,
    );
  } catch (err) {
    const reason =
      err instanceof Differs
        ? err.message
        : `the site could not be read (${err instanceof Error ? err.message : String(err)}); are you on the network that reaches it?`;
    show("fail", `NOT verified: ${reason}`);
  } finally {
    $("progress").textContent = "";
    button.disabled = false;
  }
}

function main(): void {
  const config = pinned();
  $("site").textContent = config.url;
  $("anchor-version").textContent = String(config.anchor.version);
  $("anchor-fingerprint").textContent = releaseFingerprint(config.anchor as never);
  $("check").addEventListener("click", () => void run(config));
}

main();
