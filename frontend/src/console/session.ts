// The unlocked session: the member's keys, the signed API client and the
// verified manifest chain, held only in this module's memory. Locking
// drops them and every decrypted thing on the page; an `epoch` lets work
// started before a lock notice that it must not touch the page any more.
import { ApiError, TeamClient } from "../lib/api.js";
import { Opener } from "../lib/documents.js";
import { type Derive, DeriveFailed, openKeyFile, type TeamKey } from "../lib/keyfile.js";
import { memberSigningKeys } from "../lib/manifest.js";
import { daysLeft } from "../lib/manifest-status.js";
import type { B64u, CaseDetail, Manifest, MemberEntry } from "../lib/types.js";
import { $, el, type I18n, loadManifestStatus, setAlert, tr } from "../page/common.js";
import { runWorker } from "../page/workers.js";

export const IDLE_MS = 15 * 60 * 1000;

/** A member's key in memory, as the key file opens. */
export type MemberKey = TeamKey;

/** A case's sealed report kept between the inbox and the case view (decrypting is the slow part). */
export interface CachedCase {
  detail: Pick<CaseDetail, "report">;
  reportSealed: Uint8Array;
  /** As decrypted: the case view checks it (consistencyWarnings). */
  report: unknown;
}

/** The parts that exist only while unlocked. */
export interface Unlocked {
  key: MemberKey;
  client: TeamClient;
  opener: Opener;
  chain: Manifest[];
}

export interface AuditHead {
  seq: number;
  hash: B64u;
}

interface Session {
  open: Unlocked | null;
  epoch: number;
  cases: Map<string, CachedCase>;
  /** The last audit head seen in this tab (not secret; kept across locks). */
  auditHead: AuditHead | null;
}

export const session: Session = { open: null, epoch: 0, cases: new Map(), auditHead: null };

const lockListeners: (() => void)[] = [];
export const onLock = (fn: () => void): void => {
  lockListeners.push(fn);
};

const keyed = (key: MemberKey): Omit<Unlocked, "chain"> => ({
  key,
  client: new TeamClient(key, { onCall: touch }),
  opener: new Opener(key.identities),
});

export function begin(key: MemberKey, chain: Manifest[]): void {
  session.open = { ...keyed(key), chain };
  session.cases = new Map();
  session.epoch++;
  touch();
}

const rekeyListeners: ((key: MemberKey, old: MemberKey) => void)[] = [];
/** Told the new key and the old after a rotation (the passkey wraps are resealed to it). */
export const onRekey = (fn: (key: MemberKey, old: MemberKey) => void): void => {
  rekeyListeners.push(fn);
};

/** After a key rotation: sign and open with the new key from now on (the server knows only it). */
export function rekey(key: MemberKey): void {
  const { key: old, chain } = current();
  session.open = { ...keyed(key), chain };
  rekeyListeners.forEach((fn) => {
    fn(key, old);
  });
}

/** The unlocked session. @throws {Error} when locked: callers run only while unlocked. */
export function current(): Unlocked {
  if (!session.open) throw new Error("the console is locked");
  return session.open;
}

export const unlocked = (): boolean => session.open !== null;

/** The newest manifest of the verified chain. */
export function manifest(): Manifest {
  const { chain } = current();
  const newest = chain[chain.length - 1];
  if (!newest) throw new Error("empty manifest chain");
  return newest;
}

/**
 * True once the newest verified manifest has expired (a lapse, issue 11):
 * the console reads and verifies with it, and whatever would encrypt to the
 * team stops until the operator re-anchors (docs/operations.md).
 */
export const lapsed = (): boolean => daysLeft(manifest()) < 0;

/**
 * Load the chain again after a publish, and keep it unless the console was
 * locked meanwhile. @throws {ApiError} offline | {ManifestInvalid}
 */
export async function refreshChain(): Promise<void> {
  const epoch = session.epoch;
  const { chain, fetched } = await loadManifestStatus();
  if (!fetched) throw new ApiError(0, "network");
  if (stillOpen(epoch)) current().chain = chain;
}

/** This member's entry in the current manifest (null when not listed yet). */
export const me = (): MemberEntry | null => manifest().members.find((m) => m.id === current().key.member) ?? null;

export function isAdmin(): boolean {
  const entry = me();
  return entry?.role === "admin" && !entry.removed;
}

export const keysOf = (memberId: string): B64u[] => memberSigningKeys(current().chain, memberId);

/**
 * A member's name from the manifest chain (newest listing first), with the
 * function when there is one (it is optional, protocol §4.5): "Ada (Legal)"
 * or "Ada"; the id when the chain never listed the member.
 */
export function memberName(memberId: string): string {
  const { chain } = current();
  for (let i = chain.length - 1; i >= 0; i--) {
    const m = chain[i]?.members.find((e) => e.id === memberId);
    if (m) return m.function ? `${m.name} (${m.function})` : m.name;
  }
  return memberId;
}

/** Drop the keys and everything decrypted. */
export function lock(): void {
  if (!unlocked()) return;
  session.open = null;
  session.cases = new Map();
  session.epoch++;
  clearTimeout(idleTimer);
  lockListeners.forEach((fn) => {
    fn();
  });
}

let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** Any activity restarts the inactivity timer. */
export function touch(): void {
  if (!unlocked()) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    lock();
    showNotice("console.locked_idle");
  }, IDLE_MS);
}
for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
  window.addEventListener(type, touch, { passive: true, capture: true });
}

let i18nRef: I18n | null = null;
export const setI18n = (value: I18n): void => {
  i18nRef = value;
};
export function i18n(): I18n {
  if (!i18nRef) throw new Error("setI18n was not called");
  return i18nRef;
}

export type Args = Record<string, string | number>;

export function showNotice(key: string, args?: Args): void {
  setAlert($("notice"), i18n(), key, args);
}

/** True unless the session was locked (or locked and unlocked again) since `epoch`. */
export function stillOpen(epoch: number): boolean {
  return unlocked() && session.epoch === epoch;
}

const KNOWN = new Set([
  "network",
  "malformed",
  "bad_signature",
  "clock_skew",
  "nonce_replayed",
  "unknown_member",
  "forbidden",
  "not_found",
  "legal_hold",
  "attachment_claimed",
  "thread_full",
  "conflict",
  "too_large",
  "invalid_blob",
  "bad_transition",
  "attachment_missing",
  "throttled",
  "unavailable",
]);

/** A translated node for an error (API codes map to catalogue keys; others to a generic one). */
export function errorNode(err: unknown): HTMLSpanElement {
  if (err instanceof ApiError)
    return tr(KNOWN.has(err.code) ? `console.error.${err.code}` : "console.error.unexpected");
  return tr("console.error.unexpected");
}

export function showError(node: HTMLElement, err: unknown): void {
  node.replaceChildren(errorNode(err));
  node.hidden = false;
  i18n().apply(node);
}

/** Show a translated line (in a span of class `cls`) in `id`, or empty it when `key` is null. */
export function say(id: string, key: string | null, args?: Args, cls = ""): void {
  const node = $(id);
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
}

/** Wait until the browser has painted (a status line shows before a blocking step). */
export const painted = (): Promise<void> =>
  new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 30)));

/** scrypt in a worker (frontend/src/workers/scrypt.ts) that reports its progress to `onProgress`. */
export const deriveInWorker =
  (onProgress: (fraction: number) => void): Derive =>
  (passphrase, salt, logN) =>
    runWorker<Uint8Array>("scrypt", { passphrase, salt, logN }, onProgress);

/** The unlock's progress bar, made once beside #unlock-status, which names it. */
function unlockProgress(): HTMLProgressElement {
  const found = document.getElementById("unlock-progress");
  if (found instanceof HTMLProgressElement) return found;
  const bar = el("progress", { id: "unlock-progress", max: "100", "aria-labelledby": "unlock-status" });
  $("unlock-status").after(bar);
  return bar;
}

/**
 * Open a key file with its passphrase. scrypt (2^18 and more) runs in a
 * worker, so the page keeps answering and a bar shows how far it is; a
 * browser that refuses the worker derives on this thread instead, frozen
 * for those seconds as before.
 * @throws {KeyFileLocked} | {KeyFileInvalid} as openKeyFile
 */
export async function openKey(file: File, passphrase: string): Promise<MemberKey> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const bar = unlockProgress();
  bar.value = 0;
  bar.hidden = false;
  try {
    return await openKeyFile(
      bytes,
      passphrase,
      deriveInWorker((fraction) => {
        bar.value = Math.round(fraction * 100);
      }),
    );
  } catch (err) {
    if (!(err instanceof DeriveFailed)) throw err;
    bar.removeAttribute("value"); // indeterminate: no progress from this thread
    await painted();
    return await openKeyFile(bytes, passphrase);
  } finally {
    bar.hidden = true;
  }
}
