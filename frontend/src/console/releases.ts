// Review and sign a release of the pages (protocol §4.8, issue 17), as
// `candor release sign` does (candor/releasecli.py): an admin opens the
// proposal file, the console checks it names the team's current manifest
// and that every signature on it is an admin's, compares each file it lists
// with the file this server serves and, when the admin chooses one, with
// their own rebuild's output folder (lib/release.ts compareBuild, as the
// CLI compares the signer's build), shows the previous release and what
// changed, and signs only when the admin's build or every served file
// matches, saying which. On AWS the new pages are not served before they
// are signed, so there the build is the only basis. The signed proposal is
// saved for the next admin; once the threshold signed, `candor release
// publish` writes it beside the pages, which this console cannot write.
import { b64u, sha256 } from "../lib/encoding.js";
import { checkAdminSignatures, fingerprint, ManifestInvalid } from "../lib/manifest.js";
import {
  type BuildComparison,
  type BuildFile,
  buildPath,
  compareBuild,
  parseRelease,
  type Release,
  ReleaseInvalid,
  releaseFingerprint,
} from "../lib/release.js";
import { signObject } from "../lib/sign.js";
import { $, el, saveBlob, tr } from "../page/common.js";
import { current, i18n, isAdmin, lapsed, manifest, memberName, say, session, stillOpen } from "./session.js";
import { button, chosenFile, input } from "./views.js";

type Live = "match" | "differs" | "missing";

interface Shown {
  release: Release;
  live: Map<string, Live>;
  previous: Release | null;
}

/** The admin's own build: the chosen folder's name and files. */
interface Build {
  folder: string;
  files: BuildFile[];
}

let shown: Shown | null = null;
let build: Build | null = null;
// The site's root: the console is served at /console/.
const siteUrl = (path: string): string => new URL(`../${path}`, location.href).href;

export function initReleases(): void {
  $("release-file").addEventListener("change", () => void open());
  $("release-build").addEventListener("change", () => void chooseBuild());
  $("release-sign").addEventListener("click", () => {
    sign();
  });
  $("release-save").addEventListener("click", () => {
    if (shown) save(shown.release);
  });
  i18n().onChange(() => {
    if (session.open && shown) render(shown);
  });
}

export function clearReleases(): void {
  shown = null;
  build = null;
  for (const id of ["release-summary", "release-files", "release-basis", "release-status"]) $(id).replaceChildren();
  $("release-review").hidden = true;
  input("release-file").value = "";
  input("release-build").value = "";
}

/**
 * A proposal the team's current manifest can sign: a release naming it,
 * every signature on it an admin's (the threshold is not counted yet).
 * @throws {ReleaseInvalid}
 */
function checkProposal(raw: unknown): Release {
  const release = parseRelease(raw);
  const team = manifest();
  if (release.manifest.version !== team.version || release.manifest.fingerprint !== fingerprint(team)) {
    throw new ReleaseInvalid(`names manifest version ${release.manifest.version}, not the team's current one`);
  }
  try {
    checkAdminSignatures(release, { ...team, threshold: 0 }, null);
  } catch (err) {
    throw new ReleaseInvalid(err instanceof ManifestInvalid ? err.message : String(err));
  }
  return release;
}

async function fetchBytes(path: string): Promise<Uint8Array | null> {
  const answer = await fetch(siteUrl(path), { cache: "no-store", credentials: "omit" });
  return answer.status === 200 ? new Uint8Array(await answer.arrayBuffer()) : null;
}

/** The published release (release.json beside the pages), or null when there is none or it is not one. */
async function published(): Promise<Release | null> {
  const bytes = await fetchBytes("release.json");
  if (!bytes) return null;
  try {
    return parseRelease(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

async function open(): Promise<void> {
  const file = chosenFile("release-file");
  if (!file) return;
  const epoch = session.epoch;
  say("release-status", "console.release.checking");
  try {
    const release = checkProposal(JSON.parse(await file.text()));
    const live = new Map<string, Live>();
    for (const [path, hash] of Object.entries(release.assets)) {
      const bytes = await fetchBytes(path);
      live.set(path, bytes === null ? "missing" : b64u(sha256(bytes)) === hash ? "match" : "differs");
    }
    const previous = await published();
    if (!stillOpen(epoch)) return;
    render({ release, live, previous });
    say("release-status", null);
  } catch (err) {
    if (!stillOpen(epoch)) return;
    shown = null;
    $("release-review").hidden = true;
    const reason = err instanceof Error ? err.message : String(err);
    say("release-status", "console.release.invalid", { reason }, "error");
  }
}

/** Read every file of the chosen build folder (small: the pages), to hash and compare in render. */
async function chooseBuild(): Promise<void> {
  const chosen = [...(input("release-build").files ?? [])];
  const epoch = session.epoch;
  say("release-status", "console.release.hashing");
  const files = await Promise.all(
    chosen.map(async (file) => ({
      path: buildPath(file.webkitRelativePath || file.name),
      bytes: new Uint8Array(await file.arrayBuffer()),
    })),
  );
  if (!stillOpen(epoch)) return;
  const [first] = chosen;
  const folder = first?.webkitRelativePath ? first.webkitRelativePath.split("/", 1).join("") : first?.name;
  build = first ? { folder: folder ?? "", files } : null;
  say("release-status", null);
  if (shown) render(shown);
}

/** What changed since `previous`, when the proposal is the release after it. */
function changes(release: Release, previous: Release): HTMLElement {
  const old = previous.assets;
  const now = release.assets;
  const paths = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((p) => old[p] !== now[p]).sort();
  const headers =
    JSON.stringify([previous.headers, previous.paths]) !== JSON.stringify([release.headers, release.paths]);
  const files = paths.map((p) => (p in old ? (p in now ? p : `${p} (−)`) : `${p} (+)`)).join(", ");
  return el(
    "p",
    { id: "release-changes" },
    files
      ? tr("console.release.changes", { version: previous.version, files })
      : tr("console.release.changes_none", { version: previous.version }),
    headers ? " " : "",
    headers ? tr("console.release.headers_changed") : "",
  );
}

/** Where the proposal stands against the published release. */
function lineage(release: Release, previous: Release | null): HTMLElement {
  if (previous === null) {
    return el("p", {}, tr(release.version === 1 ? "console.release.first" : "console.release.unpublished"));
  }
  const follows = release.version === previous.version + 1 && release.prev === releaseFingerprint(previous);
  if (!follows) return el("p", { class: "error" }, tr("console.release.broken", { version: previous.version }));
  const args = { version: previous.version, fingerprint: releaseFingerprint(previous) };
  return el("div", {}, el("p", {}, tr("console.release.previous", args)), changes(release, previous));
}

/** What backs a signature: the admin's own build, the served files, both, or nothing (no signature). */
type Basis = "build" | "live" | "both" | null;

/** A chosen build must match exactly; without one, every served file must (docs/verify.md). */
function basisOf(view: Shown, compared: BuildComparison | null): Basis {
  const liveOk = [...view.live.values()].every((state) => state === "match");
  if (compared === null) return liveOk ? "live" : null;
  if (compared.first !== null) return null;
  return liveOk ? "both" : "build";
}

const stateCell = (key: string, ok: boolean): HTMLTableCellElement => el("td", { class: ok ? "" : "error" }, tr(key));

function fileRow(path: string, view: Shown, compared: BuildComparison | null): HTMLTableRowElement {
  const listed = Object.hasOwn(view.release.assets, path) ? view.release.assets[path] : undefined;
  const built = compared?.files.get(path);
  const served = listed === undefined ? null : (view.live.get(path) ?? "missing");
  return el(
    "tr",
    { dataset: { path, live: served ?? "", build: built?.state ?? "" } },
    el("td", {}, el("code", {}, path)),
    el("td", {}, el("code", { class: "hash" }, listed ?? built?.hash ?? "")),
    served === null ? el("td", {}) : stateCell(`console.release.live.${served}`, served === "match"),
    built
      ? stateCell(`console.release.build.${built.state}`, built.state === "match")
      : el("td", {}, tr("console.release.build.none")),
  );
}

/** Which comparison backs the signature, said plainly, or why none does. */
function basisLines(compared: BuildComparison | null, basis: Basis): HTMLElement[] {
  const folder = build?.folder ?? "";
  const lines: HTMLElement[] = [];
  if (compared) {
    const ok = compared.headers === "match";
    lines.push(el("p", { class: ok ? "" : "error" }, tr(`console.release.build_headers.${compared.headers}`)));
  }
  if (compared?.first) {
    const args = { folder, file: compared.first };
    lines.push(el("p", { class: "error", role: "alert" }, tr("console.release.build_mismatch", args)));
  } else if (basis === null) {
    lines.push(el("p", { class: "error", role: "alert" }, tr("console.release.mismatch")));
  } else {
    lines.push(el("p", { id: "release-basis-line" }, tr(`console.release.basis.${basis}`, { folder })));
  }
  return lines;
}

function render(view: Shown): void {
  shown = view;
  const { release, previous } = view;
  const team = manifest();
  const signers = release.sigs.map((s) => s.member);
  const compared = build ? compareBuild(release, build.files) : null;
  const basis = basisOf(view, compared);
  const summary = {
    version: release.version,
    issued: release.issued,
    expires: release.expires,
    manifest: release.manifest.version,
    fingerprint: releaseFingerprint(release),
  };
  $("release-summary").replaceChildren(
    el("p", {}, tr("console.release.summary", summary)),
    lineage(release, previous),
    el(
      "p",
      { id: "release-signed" },
      tr("console.release.signed", {
        n: signers.length,
        threshold: team.threshold,
        names: signers.map(memberName).join(", ") || "—",
      }),
    ),
  );
  const paths = [...new Set([...Object.keys(release.assets), ...(compared?.files.keys() ?? [])])].sort();
  $("release-files").replaceChildren(...paths.map((p) => fileRow(p, view, compared)));
  $("release-basis").replaceChildren(...basisLines(compared, basis));
  const mine = signers.includes(current().key.member);
  const signButton = button("release-sign");
  signButton.hidden = !isAdmin() || mine || lapsed();
  signButton.disabled = basis === null;
  signButton.replaceChildren(tr("console.release.sign", { version: release.version }));
  if (signers.length >= team.threshold) say("release-status", "console.release.complete", { version: release.version });
  else if (mine) say("release-status", "console.release.yours");
  $("release-review").hidden = false;
  i18n().apply($("release-review"));
}

const fileName = (release: Release): string => `release-${release.version}.json`;

function save(release: Release): void {
  saveBlob(new Blob([JSON.stringify(release, null, 1) + "\n"], { type: "application/json" }), fileName(release));
}

/** Add this admin's signature, as sign_release does, and save the proposal for the next admin. */
function sign(): void {
  if (!shown || basisOf(shown, build ? compareBuild(shown.release, build.files) : null) === null) return;
  const { key } = current();
  const release = shown.release;
  if (release.sigs.some((s) => s.member === key.member)) return;
  const sig = signObject(release, key.signingSeed, "sigs");
  const signed: Release = { ...release, sigs: [...release.sigs, { member: key.member, sig }] };
  checkProposal(signed); // the new signature verifies against the manifest
  render({ ...shown, release: signed });
  save(signed);
  const missing = manifest().threshold - signed.sigs.length;
  if (missing > 0) say("release-status", "console.release.passed_on", { n: missing, file: fileName(signed) });
  else say("release-status", "console.release.complete", { version: signed.version });
}
