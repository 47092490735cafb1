// The receipt field of the follow-up page (issue 19 item 13): seven boxes of
// four that wrap on a phone instead of one line that scrolls out of view.
// Typing moves on after four symbols; a pasted or autofilled receipt, typed
// into any box, is spread over that box and the ones after it.
import { GROUP_SYMBOLS, parseReceiptGroups, RECEIPT_GROUPS, stripSeparators } from "../lib/receipt.js";

export class ReceiptInput {
  readonly boxes: HTMLInputElement[];

  /** `boxes`: the seven text fields, in order. */
  constructor(boxes: readonly HTMLInputElement[]) {
    if (boxes.length !== RECEIPT_GROUPS) throw new RangeError("a receipt has seven groups");
    this.boxes = [...boxes];
    this.boxes.forEach((box, i) => {
      box.addEventListener("input", () => {
        this.spread(i);
      });
      box.addEventListener("keydown", (event) => {
        if (event.key === "Backspace" && box.value === "" && i > 0) this.boxes[i - 1]?.focus();
      });
    });
  }

  /** Box `i` got more than a group: keep four, pass the rest on; the last box keeps any excess. */
  private spread(i: number): void {
    const box = this.boxes[i];
    if (box === undefined) return;
    const atEnd = box.selectionStart === box.value.length;
    let rest = stripSeparators(box.value);
    if (rest.length < GROUP_SYMBOLS) return;
    let at = i;
    for (; at < RECEIPT_GROUPS - 1 && rest.length > GROUP_SYMBOLS; at++) {
      this.set(at, rest.slice(0, GROUP_SYMBOLS));
      rest = rest.slice(GROUP_SYMBOLS);
    }
    this.set(at, rest);
    // Move on when a group was just completed, not while one is being corrected.
    if ((atEnd || at > i) && rest.length === GROUP_SYMBOLS && at < RECEIPT_GROUPS - 1) this.boxes[at + 1]?.focus();
    else if (at > i) this.boxes[at]?.focus();
  }

  private set(i: number, value: string): void {
    const box = this.boxes[i];
    if (box !== undefined && box.value !== value) box.value = value;
  }

  /** The receipt typed. @throws {ReceiptFormatError} naming the group when it can. */
  read(): Uint8Array {
    return parseReceiptGroups(this.boxes.map((b) => b.value));
  }

  /** Mark one group as wrong (or none), for the eye and for screen readers. */
  mark(group: number | null): void {
    this.boxes.forEach((box, i) => {
      if (group === i) box.setAttribute("aria-invalid", "true");
      else box.removeAttribute("aria-invalid");
    });
  }

  clear(): void {
    for (const box of this.boxes) box.value = "";
    this.mark(null);
  }

  focus(group: number | null): void {
    this.boxes[group ?? 0]?.focus();
  }
}
