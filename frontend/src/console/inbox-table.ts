// The inbox's table body for thousands of rows: only the rows on screen
// (and a few either side) are in the document; two spacer rows keep the
// page's scroll height true (the page scrolls, not the table). Rows have one fixed height (console.css), measured
// from the first row painted.
import { el } from "../page/common.js";

const OVERSCAN = 10;
const GUESS_PX = 44;

export class VirtualRows<T> {
  private items: readonly T[] = [];
  private rowPx = 0;
  private drawn = "";

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly paint: (item: T) => HTMLTableRowElement,
    private readonly columns: number,
  ) {
    window.addEventListener(
      "scroll",
      () => {
        this.draw(false);
      },
      { passive: true },
    );
    window.addEventListener("resize", () => {
      this.draw(true);
    });
  }

  /** Show `items` in this order (the filtered, sorted rows). */
  show(items: readonly T[]): void {
    this.items = items;
    this.draw(true);
  }

  /** Paint again the rows on screen (their content changed). */
  refresh(): void {
    this.draw(true);
  }

  private spacer(px: number): HTMLTableRowElement {
    const cell = el("td", { colspan: String(this.columns) });
    const row = el("tr", { class: "spacer", "aria-hidden": "true" }, cell);
    row.style.height = `${px}px`;
    return row;
  }

  private draw(force: boolean): void {
    const height = this.rowPx || GUESS_PX;
    // Where the body starts on screen (negative once scrolled past); a hidden view draws its first screen.
    const top = this.body.offsetParent ? this.body.getBoundingClientRect().top : 0;
    const first = Math.max(0, Math.floor(-top / height) - OVERSCAN);
    const last = Math.min(
      this.items.length,
      Math.max(first, Math.ceil((window.innerHeight - top) / height)) + OVERSCAN,
    );
    const key = `${first}:${last}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    const rows = this.items.slice(first, last).map(this.paint);
    const parts: HTMLTableRowElement[] = [];
    if (first > 0) parts.push(this.spacer(first * height));
    parts.push(...rows);
    if (last < this.items.length) parts.push(this.spacer((this.items.length - last) * height));
    this.body.replaceChildren(...parts);
    const measured = rows[0]?.offsetHeight ?? 0;
    if (measured > 0 && Math.abs(measured - this.rowPx) > 1) {
      this.rowPx = measured;
      this.draw(true);
    }
  }
}
