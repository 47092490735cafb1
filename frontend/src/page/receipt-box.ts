// The receipt panel: seven groups, copy, download as text, the warning about
// work devices and printers, and a "saved" confirmation that gates moving on:
// a box to tick, or (where a wrong "yes" costs the reporter the case, issue 19
// item 2) the receipt's last group typed back, as wallets do with recovery phrases.
import { receiptGroups, sameGroup } from "../lib/receipt.js";
import { el, pageLink, saveBlob, tr, type I18n } from "./common.js";

export interface ReceiptBoxOptions {
  /** The catalogue key of the continue button. */
  continueKey: string;
  /** Runs when the reporter has confirmed and presses continue. */
  onContinue: () => void;
  idPrefix: string;
  /** How the reporter shows the receipt is saved: a checkbox (default), or by typing its last group. */
  confirmBy?: "checkbox" | "last-group";
}

/** Render `text` into `container`. */
export function renderReceiptBox(
  container: HTMLElement,
  i18n: I18n,
  text: string,
  { continueKey, onContinue, idPrefix, confirmBy = "checkbox" }: ReceiptBoxOptions,
): { confirmed: () => boolean } {
  const status = el("p", { class: "small", role: "status", "aria-live": "polite" });
  const next = el("button", {
    type: "button",
    class: "primary",
    id: `${idPrefix}-continue`,
    disabled: confirmBy === "checkbox",
    dataset: { i18n: continueKey },
  });
  const confirm = confirmBy === "checkbox" ? checkboxConfirm(idPrefix, next) : lastGroupConfirm(idPrefix, text, i18n);
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
  next.addEventListener("click", () => {
    if (confirm.confirmed()) onContinue();
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
    confirm.node,
    el("p", {}, next),
  );
  i18n.apply(container);
  return { confirmed: confirm.confirmed };
}

interface Confirmation {
  node: HTMLElement;
  /** Whether the reporter has shown the receipt is saved; a failed try says why. */
  confirmed: () => boolean;
}

/** "I have saved my receipt": ticking it enables `next`. */
function checkboxConfirm(idPrefix: string, next: HTMLButtonElement): Confirmation {
  const box = el("input", { type: "checkbox", id: `${idPrefix}-saved` });
  box.addEventListener("change", () => {
    next.disabled = !box.checked;
  });
  return {
    node: el("p", { class: "check" }, box, el("label", { for: box.id }, tr("receipt.confirm"))),
    confirmed: () => box.checked,
  };
}

/** The receipt's last group, typed from what the reporter saved (not from the screen above it). */
function lastGroupConfirm(idPrefix: string, text: string, i18n: I18n): Confirmation {
  const last = receiptGroups(text).at(-1) ?? "";
  const id = `${idPrefix}-last-group`;
  const error = el("p", { class: "error", id: `${id}-error`, "aria-live": "assertive" });
  const input = el("input", {
    type: "text",
    id,
    class: "mono receipt-group",
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "characters",
    autocorrect: "off",
    "aria-describedby": `${id}-hint ${id}-error`,
  });
  const confirmed = (): boolean => {
    const ok = sameGroup(input.value, last);
    error.replaceChildren(ok ? "" : tr("receipt.confirm_group_wrong"));
    i18n.apply(error);
    if (ok) input.removeAttribute("aria-invalid");
    else {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
    return ok;
  };
  const node = el(
    "div",
    { class: "field" },
    el("label", { for: id }, tr("receipt.confirm_group")),
    el("p", { class: "hint", id: `${id}-hint` }, tr("receipt.confirm_group_hint")),
    input,
    error,
  );
  return { node, confirmed };
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
    i18n.t("receipt.file.where", { url: pageLink("followup.html", i18n.lang) }),
    i18n.t("receipt.file.once"),
    i18n.t("receipt.file.keep"),
    "",
  ].join("\r\n");
}
