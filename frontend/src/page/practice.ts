// The reporter page's practice mode (`?practice`, the drill link employees
// are sent, issue 16): the whole walk from the landing page to a receipt,
// under a banner that says it is practice, and nothing is ever sent. The
// page's send step calls practiceSend instead of sealing and posting: no
// key is made, no file is uploaded, no report is stored, and the receipt
// shown is made here, registered nowhere, so it opens nothing.
import { generateReceipt, receiptText } from "../lib/receipt.js";
import { $, el, type I18n, tr } from "./common.js";

/** The page was opened as practice (`?practice` in its address). */
export const practising = (search: string = window.location.search): boolean =>
  new URLSearchParams(search).has("practice");

/**
 * Mark the page as practice: a banner above every step, the send button
 * says nothing is sent, and the receipt step says nothing was sent where
 * it would say the report was received.
 */
export function startPractice(i18n: I18n): void {
  document.body.classList.add("practice");
  const banner = el(
    "div",
    { id: "practice-banner", class: "alert alert-warn practice-banner", role: "note" },
    el("strong", {}, tr("practice.title")),
    " ",
    tr("practice.text"),
  );
  $("main").prepend(banner);
  $("send").dataset.i18n = "practice.send";
  const sent = document.querySelector<HTMLElement>('#step-receipt [data-i18n="receipt.sent"]');
  if (sent) {
    sent.dataset.i18n = "practice.receipt";
    sent.id = "practice-receipt";
    sent.classList.add("alert", "alert-warn");
  }
  i18n.apply(document);
}

/** What "send" does in practice: nothing leaves the page; a receipt that opens nothing, to show what one is. */
export function practiceSend(): string {
  return receiptText(generateReceipt());
}
