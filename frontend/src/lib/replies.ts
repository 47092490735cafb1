// Canned replies (frontend/replies.json, built into the console): reply
// templates per language, chosen in the reporter's language (the report's
// `lang`, English when the template lacks it) and filled in with the case's
// values. The filled text goes through the ordinary compose path, so it is
// signed and sealed like any reply (protocol §2.2, §2.3).
import { checkTexts, textIn, type Texts } from "./playbook.js";

export interface Reply {
  id: string;
  label: Texts;
  text: Texts;
}

export interface Replies {
  v: 1;
  replies: Reply[];
}

/** The placeholders a template may use. */
export const PLACEHOLDERS = ["case", "received", "acknowledge_by", "feedback_by"] as const;
export type Values = Record<(typeof PLACEHOLDERS)[number], string>;

const ID = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_REPLY = 5000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkReply(where: string, value: unknown, languages: readonly string[]): Reply {
  if (!isObject(value)) throw new Error(`${where}: must be {id, label, text}`);
  const { id, label, text, ...rest } = value;
  if (Object.keys(rest).length) throw new Error(`${where}: unknown field ${Object.keys(rest).join(", ")}`);
  if (typeof id !== "string" || !ID.test(id)) throw new Error(`${where}: id must be lower-case letters, digits and _`);
  const texts = checkTexts(`${where}.text`, text, languages, MAX_REPLY);
  for (const [lang, t] of Object.entries(texts)) {
    const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? "").filter((p) => !isPlaceholder(p));
    if (unknown.length)
      throw new Error(
        `${where}.text.${lang}: unknown placeholder {${unknown[0] ?? ""}} (use ${PLACEHOLDERS.join(", ")})`,
      );
  }
  return { id, label: checkTexts(`${where}.label`, label, languages, 100), text: texts };
}

const isPlaceholder = (p: string): p is (typeof PLACEHOLDERS)[number] =>
  (PLACEHOLDERS as readonly string[]).includes(p);

/** The operator's reply templates, checked. @throws {Error} saying what is wrong and where */
export function parseReplies(raw: unknown, languages: readonly string[]): Replies {
  if (!isObject(raw) || raw.v !== 1 || !Array.isArray(raw.replies) || Object.keys(raw).length !== 2)
    throw new Error('replies: must be {"v": 1, "replies": [{id, label, text}…]}');
  const replies = raw.replies.map((r, i) => checkReply(`replies[${i}]`, r, languages));
  const ids = replies.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`replies: id "${twice}" appears twice`);
  return { v: 1, replies };
}

/** The template's text in the reporter's language (English when missing), placeholders filled in. */
export function fillReply(reply: Reply, reporterLang: string, values: Values): { lang: string; text: string } {
  const lang = reporterLang in reply.text ? reporterLang : "en";
  const text = textIn(reply.text, lang).replace(/\{([a-z_]+)\}/g, (m, p: string) => (isPlaceholder(p) ? values[p] : m));
  return { lang, text };
}
