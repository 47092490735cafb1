// The Team page's staff notices (protocol §4.9, issue 16): every notice the
// server lists, checked against the session's verified manifest as the
// reporter page checks it. One that does not verify was altered in storage
// (or signed under an older manifest): it is flagged, its text shown only
// as plain text, and the reporter page does not show it.
import { getJSON } from "../lib/api.js";
import { isObject } from "../lib/check.js";
import { plainText } from "../lib/labels.js";
import { todayUtc } from "../lib/manifest.js";
import { NoticeInvalid, verifyNotice } from "../lib/notice.js";
import { $, el, tr } from "../page/common.js";
import { i18n, manifest, showError } from "./session.js";

/** One listed notice: its id, expiry and English text as listed, and whether it verifies. */
function row(listed: unknown): HTMLLIElement {
  const notice = isObject(listed) ? listed : {};
  const text = isObject(notice.text) ? notice.text.en : "";
  let valid = true;
  try {
    verifyNotice(listed, manifest(), todayUtc());
  } catch (err) {
    if (!(err instanceof NoticeInvalid)) throw err;
    valid = false;
  }
  return el(
    "li",
    { dataset: { notice: plainText(notice.id), valid: String(valid) } },
    el("bdi", {}, plainText(text)),
    " ",
    el("span", { class: "small" }, tr("console.notices.until", { date: plainText(notice.expires) })),
    valid ? null : el("strong", { class: "warn-text notice-flag" }, " ", tr("console.notices.invalid")),
  );
}

/** List the served notices on the Team page, each checked. */
export async function showNotices(): Promise<void> {
  const list = $("team-notices");
  let listed: unknown[] = [];
  try {
    const answer = await getJSON("/v1/notices");
    listed = isObject(answer) && Array.isArray(answer.notices) ? answer.notices : [];
  } catch (err) {
    showError($("team-notices-error"), err);
    return;
  }
  list.replaceChildren(...listed.map(row));
  $("team-notices-none").hidden = listed.length > 0;
  i18n().apply(list);
}
