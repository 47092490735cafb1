// Signed staff notices (protocol §4.9): the twin of chalicelib/domain/notices.py's
// document rules, so that the reporter page shows only a notice signed by
// `threshold` admins of the newest manifest it verified, unexpired. The server
// can withhold a notice; it cannot forge or alter one.
import { b64uOfSize, isInt, isObject, MEMBER_ID } from "./check.js";
import { checkAdminSignatures, DAY_MS, fingerprint, MAX_LIFETIME_DAYS, parseDay } from "./manifest.js";
import type { Manifest } from "./types.js";

export const NOTICE_KIND = "candor-notice";
/** The page's catalogues; "en" is the fallback every notice carries. */
export const NOTICE_LANGUAGES = ["ar", "de", "en", "es", "fr", "it", "nl", "pl", "pt"];
export const MAX_NOTICE_TEXT = 500; // code points per language
export const NOTICE_ID = /^n_[A-Za-z0-9_-]{22}$/;
const FIELDS = ["expires", "id", "issued", "kind", "manifest", "sigs", "text", "v"];
const HASH = /^[A-Za-z0-9_-]{43}$/;
// As chalicelib/domain/notices.py's _DISGUISING: C0 and C1 controls,
// bidirectional controls and line separators.
const UNSAFE_TEXT = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export interface Notice {
  v: 1;
  kind: typeof NOTICE_KIND;
  id: string;
  issued: string;
  expires: string;
  manifest: { version: number; fingerprint: string };
  text: Record<string, string>;
  sigs: { member: string; sig: string }[];
}

export class NoticeInvalid extends Error {
  override name = "NoticeInvalid";
}

const sameKeys = (obj: object, keys: readonly string[]): boolean =>
  JSON.stringify(Object.keys(obj).sort()) === JSON.stringify(keys);

const textOk = (text: unknown): boolean =>
  typeof text === "string" &&
  text.trim() !== "" &&
  text.isWellFormed() &&
  text === text.normalize("NFC") &&
  !UNSAFE_TEXT.test(text) &&
  Array.from(text).length <= MAX_NOTICE_TEXT;

function checkTexts(text: unknown): void {
  if (!isObject(text) || !("en" in text)) throw new NoticeInvalid("text has no en");
  for (const [lang, value] of Object.entries(text)) {
    if (!NOTICE_LANGUAGES.includes(lang)) throw new NoticeInvalid(`text: ${lang} is not a language of the page`);
    if (!textOk(value)) throw new NoticeInvalid(`text ${lang}`);
  }
}

function checkSigsShape(sigs: unknown): void {
  if (!Array.isArray(sigs)) throw new NoticeInvalid("sigs");
  for (const item of sigs) {
    if (!isObject(item) || !sameKeys(item, ["member", "sig"]) || typeof item.member !== "string") {
      throw new NoticeInvalid("bad entry in sigs");
    }
    if (!MEMBER_ID.test(item.member) || !b64uOfSize(item.sig, 64)) throw new NoticeInvalid("bad entry in sigs");
  }
}

/** Everything in a notice that needs no manifest. @throws {NoticeInvalid} */
export function parseNotice(notice: unknown): Notice {
  if (!isObject(notice) || !sameKeys(notice, FIELDS)) throw new NoticeInvalid("notice fields");
  const { v, kind, id, manifest } = notice;
  if (v !== 1 || kind !== NOTICE_KIND) throw new NoticeInvalid("notice kind");
  if (typeof id !== "string" || !NOTICE_ID.test(id)) throw new NoticeInvalid("bad id");
  let issued: number, expires: number;
  try {
    issued = parseDay(notice.issued);
    expires = parseDay(notice.expires);
  } catch {
    throw new NoticeInvalid("days");
  }
  if (expires < issued || expires - issued > MAX_LIFETIME_DAYS * DAY_MS) throw new NoticeInvalid("validity period");
  const ref = isObject(manifest) && sameKeys(manifest, ["fingerprint", "version"]) ? manifest : null;
  if (
    !ref ||
    !isInt(ref.version) ||
    ref.version < 1 ||
    typeof ref.fingerprint !== "string" ||
    !HASH.test(ref.fingerprint)
  ) {
    throw new NoticeInvalid("manifest");
  }
  checkTexts(notice.text);
  checkSigsShape(notice.sigs);
  return notice as unknown as Notice;
}

/**
 * `notice` names `authority` (the newest manifest the page verified) and
 * `threshold` of its admins signed it; unexpired on `today` (YYYY-MM-DD).
 * @throws {NoticeInvalid}
 */
export function verifyNotice(notice: unknown, authority: Manifest, today: string): Notice {
  const checked = parseNotice(notice);
  const ref = checked.manifest;
  if (ref.version !== authority.version || ref.fingerprint !== fingerprint(authority)) {
    throw new NoticeInvalid("names another manifest");
  }
  try {
    checkAdminSignatures(checked, authority, null);
  } catch (err) {
    throw new NoticeInvalid(`notice ${checked.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parseDay(today) > parseDay(checked.expires)) throw new NoticeInvalid("expired");
  return checked;
}

/** The notices of a `GET /v1/notices` answer that verify, in the order listed; the others are dropped. */
export function validNotices(listed: unknown, authority: Manifest, today: string): Notice[] {
  const notices = isObject(listed) && Array.isArray(listed.notices) ? listed.notices : [];
  const valid: Notice[] = [];
  for (const notice of notices.slice(0, 20)) {
    try {
      valid.push(verifyNotice(notice, authority, today));
    } catch (err) {
      if (!(err instanceof NoticeInvalid)) throw err;
    }
  }
  return valid;
}

/** The text to show in `lang`, else in English. */
export const noticeText = (notice: Notice, lang: string): string => notice.text[lang] ?? notice.text.en ?? "";
