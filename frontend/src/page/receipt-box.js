// The receipt panel: seven groups, copy, download as text, the warning about
// work devices and printers, and a "saved" confirmation that gates moving on.
import { receiptGroups } from "../lib/receipt.js";
import { el, tr } from "./common.js";

/**
 * Render `text` into `container`. `onContinue` runs when the reporter has
 * confirmed and presses the continue button (labelled `continueKey`).
 * Returns {confirmed(): boolean}.
 */
export function renderReceiptBox(container, i18n, text, { continueKey, onContinue, idPrefix }) {
  const groups = receiptGroups(text);
  const status = el("p", { class: "small", role: "status", "aria-live": "polite" });
  const confirm = el("input", { type: "checkbox", id: `${idPrefix}-saved` });
  const next = el("button", { type: "button", class: "primary", id: `${idPrefix}-continue`, disabled: true, dataset: { i18n: continueKey } });
  const copy = el("button", { type: "button", id: `${idPrefix}-copy`, dataset: { i18n: "receipt.copy" } });
  const download = el("button", { type: "button", id: `${idPrefix}-download`, dataset: { i18n: "receipt.download" } });
  const say = (key) => { status.replaceChildren(tr(key)); i18n.apply(status); };

  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      say("receipt.copied");
    } catch {
      say("receipt.copy_failed");
    }
  });
  download.addEventListener("click", () => {
    const body = [
      i18n.t("receipt.file.title"), "", text, "",
      i18n.t("receipt.file.where", { url: new URL("followup.html", location.href).href }),
      i18n.t("receipt.file.once"), i18n.t("receipt.file.keep"), "",
    ].join("\r\n");
    const url = URL.createObjectURL(new Blob([body], { type: "text/plain;charset=utf-8" }));
    const a = el("a", { href: url, download: "receipt.txt" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say("receipt.downloaded");
  });
  confirm.addEventListener("change", () => { next.disabled = !confirm.checked; });
  next.addEventListener("click", () => confirm.checked && onContinue());

  container.replaceChildren(
    el("div", { class: "receipt", id: `${idPrefix}-text`, "data-receipt": text },
      el("p", { class: "visually-hidden" }, text.split("-").join(" ")),
      el("ol", { class: "receipt-groups", "aria-hidden": "true" }, groups.map((g) => el("li", { class: "mono" }, g)))),
    el("div", { class: "actions" }, copy, download),
    status,
    el("p", { class: "alert alert-warn" }, tr("receipt.warning")),
    el("ul", {}, el("li", {}, tr("receipt.keep.1")), el("li", {}, tr("receipt.keep.2")), el("li", {}, tr("receipt.keep.3"))),
    el("p", { class: "check" }, confirm, el("label", { for: confirm.id }, tr("receipt.confirm"))),
    el("p", {}, next),
  );
  i18n.apply(container);
  return { confirmed: () => confirm.checked };
}
