// The receipt panel: seven groups, copy, download as text, the warning about
// work devices and printers, and a "saved" confirmation that gates moving on.
import { receiptGroups } from "../lib/receipt.js";
import { el, saveBlob, tr, type I18n } from "./common.js";

export interface ReceiptBoxOptions {
  /** The catalogue key of the continue button. */
  continueKey: string;
  /** Runs when the reporter has confirmed and presses continue. */
  onContinue: () => void;
  idPrefix: string;
}

/** Render `text` into `container`. */
export function renderReceiptBox(
  container: HTMLElement,
  i18n: I18n,
  text: string,
  { continueKey, onContinue, idPrefix }: ReceiptBoxOptions,
): { confirmed: () => boolean } {
  const status = el("p", { class: "small", role: "status", "aria-live": "polite" });
  const confirm = el("input", { type: "checkbox", id: `${idPrefix}-saved` });
  const next = el("button", {
    type: "button",
    class: "primary",
    id: `${idPrefix}-continue`,
    disabled: true,
    dataset: { i18n: continueKey },
  });
  const copy = el("button", { type: "button", id: `${idPrefix}-copy`, dataset: { i18n: "receipt.copy" } });
  const download = el("button", { type: "button", id: `${idPrefix}-download`, dataset: { i18n: "receipt.download" } });
  const say = (key: string): void => {
    status.replaceChildren(tr(key));
    i18n.apply(status);
  };

  copy.addEventListener("click", () => {
    void copyText(text).then((copied) => {
      say(copied ? "receipt.copied" : "receipt.copy_failed");
    });
  });
  download.addEventListener("click", () => {
    saveBlob(new Blob([receiptFile(i18n, text)], { type: "text/plain;charset=utf-8" }), "receipt.txt");
    say("receipt.downloaded");
  });
  confirm.addEventListener("change", () => {
    next.disabled = !confirm.checked;
  });
  next.addEventListener("click", () => {
    if (confirm.checked) onContinue();
  });

  container.replaceChildren(
    el(
      "div",
      { class: "receipt", id: `${idPrefix}-text`, "data-receipt": text },
      el("p", { class: "visually-hidden" }, text.split("-").join(" ")),
      el(
        "ol",
        { class: "receipt-groups", "aria-hidden": "true" },
        ...receiptGroups(text).map((g) => el("li", { class: "mono" }, g)),
      ),
    ),
    el("div", { class: "actions" }, copy, download),
    status,
    el("p", { class: "alert alert-warn" }, tr("receipt.warning")),
    el(
      "ul",
      {},
      el("li", {}, tr("receipt.keep.1")),
      el("li", {}, tr("receipt.keep.2")),
      el("li", {}, tr("receipt.keep.3")),
    ),
    el("p", { class: "check" }, confirm, el("label", { for: confirm.id }, tr("receipt.confirm"))),
    el("p", {}, next),
  );
  i18n.apply(container);
  return { confirmed: () => confirm.checked };
}

/** Put `text` on the clipboard; false when the browser refuses (or has no clipboard here). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The text of the downloaded receipt file, in the reader's language. */
function receiptFile(i18n: I18n, text: string): string {
  return [
    i18n.t("receipt.file.title"),
    "",
    text,
    "",
    i18n.t("receipt.file.where", { url: new URL("followup.html", location.href).href }),
    i18n.t("receipt.file.once"),
    i18n.t("receipt.file.keep"),
    "",
  ].join("\r\n");
}
