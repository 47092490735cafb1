// Signed staff notices on the reporter page (protocol §4.9, issue 16): the
// notices the API lists are shown at the top of the landing step only when
// `threshold` admins of the newest verified manifest signed them and they
// have not expired (lib/notice.ts); a forged or altered one is dropped
// silently, as the server could as well have withheld it. "Report about this"
// starts the form with the notice's id, which goes into the sealed report
// (`form.notice`): the server never learns which notice a report followed.
import { getJSON } from "../lib/api.js";
import { todayUtc } from "../lib/manifest.js";
import { noticeText, validNotices, type Notice } from "../lib/notice.js";
import type { Manifest } from "../lib/types.js";
import { $, el, tr, type I18n } from "./common.js";

let shown: Notice[] = [];
let referenced: Notice | null = null;

/** Fetch, verify and show the current notices; `start` opens the form. Never throws: no notice is no notice. */
export async function showNotices(i18n: I18n, manifest: Manifest, start: () => void): Promise<void> {
  try {
    shown = validNotices(await getJSON("/v1/notices"), manifest, todayUtc());
  } catch {
    shown = [];
  }
  const render = (): void => {
    renderNotices(i18n, start);
    renderReference(i18n);
  };
  i18n.onChange(render);
  render();
}

function textIn(i18n: I18n, notice: Notice): HTMLParagraphElement {
  const lang = notice.text[i18n.lang] !== undefined ? i18n.lang : "en";
  return el("p", { lang, dir: i18n.direction(lang), class: "notice-text" }, noticeText(notice, lang));
}

function renderNotices(i18n: I18n, start: () => void): void {
  const box = $("notices");
  box.replaceChildren(
    ...shown.map((notice) => {
      const report = el("button", { type: "button", class: "notice-report" }, tr("notice.report"));
      report.addEventListener("click", () => {
        referenced = notice;
        renderReference(i18n);
        start();
      });
      return el(
        "div",
        { class: "alert alert-info notice", role: "note", dataset: { notice: notice.id } },
        el("strong", {}, tr("notice.title")),
        textIn(i18n, notice),
        report,
      );
    }),
  );
  box.hidden = shown.length === 0;
  i18n.apply(box);
}

function renderReference(i18n: I18n): void {
  const box = $("notice-ref");
  box.hidden = referenced === null;
  if (referenced === null) {
    box.replaceChildren();
    return;
  }
  const unlink = el("button", { type: "button", class: "link" }, tr("notice.unlink"));
  unlink.addEventListener("click", () => {
    referenced = null;
    renderReference(i18n);
  });
  box.replaceChildren(el("span", {}, tr("notice.reference")), textIn(i18n, referenced), unlink);
  i18n.apply(box);
}

/** The form as sealed: with the referenced notice's id, when the report was started from one. */
export const withNotice = (form: Record<string, string>): Record<string, string> =>
  referenced === null ? form : { ...form, notice: referenced.id };
