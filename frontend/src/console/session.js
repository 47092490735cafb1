// The unlocked session: the member's keys, the signed API client and the
// verified manifest chain, held only in this module's memory. Locking
// drops them and every decrypted thing on the page; an `epoch` lets work
// started before a lock notice that it must not touch the page any more.
import { ApiError } from "../lib/api.js";
import { memberSigningKeys } from "../lib/manifest.js";
import { Opener, TeamClient } from "../lib/teamops.js";
import { $, el, setAlert, tr } from "../page/common.js";

export const IDLE_MS = 15 * 60 * 1000;

export const session = {
  key: null,
  client: null,
  opener: null,
  chain: null,
  epoch: 0,
  cases: new Map(),
  auditHead: null, // the last audit head seen in this tab (not secret; kept across locks)
};

const lockListeners = [];
export const onLock = (fn) => lockListeners.push(fn);

export function begin(key, chain) {
  session.key = key;
  session.client = new TeamClient(key, { onCall: touch });
  session.opener = new Opener(key.identities);
  session.chain = chain;
  session.cases = new Map();
  session.epoch++;
  touch();
}

export const unlocked = () => session.key !== null;
export const manifest = () => session.chain[session.chain.length - 1];
/** This member's entry in the current manifest (null when not listed yet). */
export const me = () => manifest().members.find((m) => m.id === session.key?.member) ?? null;
export const isAdmin = () => me()?.role === "admin" && !me().removed;
export const keysOf = (memberId) => memberSigningKeys(session.chain, memberId);

/** A member's name from the manifest chain (newest listing first), or the id. */
export function memberName(memberId) {
  for (let i = session.chain.length - 1; i >= 0; i--) {
    const m = session.chain[i].members.find((e) => e.id === memberId);
    if (m) return memberLabel(m, "paren");
  }
  return memberId;
}

/**
 * A member's name with their function, "Ada (Legal)" or "Ada — Legal"; the
 * function is optional (protocol §4.5), and without one only the name shows.
 */
export function memberLabel(m, style) {
  if (!m.function) return m.name;
  return style === "paren" ? `${m.name} (${m.function})` : `${m.name} — ${m.function}`;
}

/** Drop the keys and everything decrypted. */
export function lock() {
  if (!unlocked()) return;
  session.key = null;
  session.client = null;
  session.opener = null;
  session.chain = null;
  session.cases = new Map();
  session.epoch++;
  clearTimeout(idleTimer);
  lockListeners.forEach((fn) => fn());
}

let idleTimer = null;
/** Any activity restarts the inactivity timer. */
export function touch() {
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

let i18nRef = null;
export const setI18n = (i18n) => { i18nRef = i18n; };
export const i18n = () => i18nRef;

export function showNotice(key, args) {
  setAlert($("notice"), i18nRef, key, args);
}

/** Run `work` unless the session was locked meanwhile. */
export function stillOpen(epoch) {
  return unlocked() && session.epoch === epoch;
}

const KNOWN = new Set([
  "network", "malformed", "bad_signature", "clock_skew", "nonce_replayed", "unknown_member", "forbidden", "not_found",
  "legal_hold", "attachment_claimed", "thread_full", "conflict", "too_large", "invalid_blob", "bad_transition",
  "attachment_missing", "throttled", "unavailable",
]);

/** A translated node for an error (API codes map to catalogue keys; others to a generic one). */
export function errorNode(err) {
  if (err instanceof ApiError) return tr(KNOWN.has(err.code) ? `console.error.${err.code}` : "console.error.unexpected");
  return tr("console.error.unexpected");
}

export function showError(node, err) {
  node.replaceChildren(errorNode(err));
  node.hidden = false;
  i18nRef.apply(node);
}

export { el, tr };
