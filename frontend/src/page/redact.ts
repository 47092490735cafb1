// The redaction editor: a picture on a canvas in a modal dialog, boxes drawn
// by dragging (mouse, pen, touch) or from the keyboard, burned into the
// pixels on "Done" and re-encoded from the canvas, so nothing of the original
// file (pixels under the boxes, metadata) is in what is sent. The preview is
// the canvas that is exported; the outline of the chosen box is drawn only on
// screen. Geometry and the burn are in ../lib/redact.ts.
import {
  boxFromDrag,
  burnBoxes,
  keyStep,
  moveBox,
  newBox,
  outputType,
  redactedName,
  resizeBox,
  toImagePoint,
  type Box,
  type Size,
} from "../lib/redact.js";
import { el, tr, type I18n } from "./common.js";

/** The re-encoded picture: what replaces the file, and how many boxes were burned. */
export interface Redacted {
  blob: Blob;
  name: string;
  type: string;
  boxes: number;
}

let editors = 0;

class Editor {
  boxes: Box[] = [];
  selected = -1;
  private drag: { start: { x: number; y: number }; now: { x: number; y: number } } | null = null;
  readonly size: Size;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly image: ImageBitmap,
    private readonly status: HTMLElement,
    private readonly i18n: I18n,
  ) {
    this.size = { width: image.width, height: image.height };
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (ctx === null) throw new Error("no 2d canvas");
    this.ctx = ctx;
    this.listen();
    this.draw();
  }

  /**
   * The picture with every box black, as it will be sent; the chosen box
   * outlined on top. On screen the boxes are opaque black rectangles on
   * whole pixels, the same pixels the burn gives, without reading a large
   * photo back at every pointer move.
   */
  draw(outline = true): void {
    const { ctx, size } = this;
    ctx.drawImage(this.image, 0, 0);
    const pending = this.drag ? boxFromDrag(this.drag.start, this.drag.now, size) : null;
    ctx.fillStyle = "#000";
    for (const b of pending ? [...this.boxes, pending] : this.boxes) ctx.fillRect(b.x, b.y, b.w, b.h);
    const chosen = this.boxes[this.selected];
    if (outline && chosen) {
      const line = Math.max(2, keyStep(size) / 2);
      ctx.lineWidth = line;
      ctx.strokeStyle = "#0b5fff";
      ctx.strokeRect(chosen.x - line / 2, chosen.y - line / 2, chosen.w + line, chosen.h + line);
    }
  }

  private say(): void {
    const box = this.boxes[this.selected];
    const [key, args] = box
      ? ["redact.status_box", { i: this.selected + 1, n: this.boxes.length, x: box.x, y: box.y, w: box.w, h: box.h }]
      : ["redact.status_none", { n: this.boxes.length }];
    this.status.textContent = this.i18n.t(key, args);
  }

  update(): void {
    this.draw();
    this.say();
  }

  add(box: Box): void {
    this.boxes.push(box);
    this.selected = this.boxes.length - 1;
    this.update();
  }

  removeSelected(): void {
    if (this.selected < 0) return;
    this.boxes.splice(this.selected, 1);
    this.selected = Math.min(this.selected, this.boxes.length - 1);
    this.update();
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return toImagePoint({ x: e.clientX, y: e.clientY }, rect, this.size);
  }

  private listen(): void {
    const { canvas } = this;
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      const p = this.point(e);
      this.drag = { start: p, now: p };
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.drag) return;
      this.drag.now = this.point(e);
      this.draw();
    });
    const end = (e: PointerEvent, keep: boolean): void => {
      if (!this.drag) return;
      const box = keep ? boxFromDrag(this.drag.start, this.point(e), this.size) : null;
      const at = this.drag.start;
      this.drag = null;
      if (box) this.add(box);
      else if (keep) this.pick(at);
      else this.update();
    };
    canvas.addEventListener("pointerup", (e) => {
      end(e, true);
    });
    canvas.addEventListener("pointercancel", (e) => {
      end(e, false);
    });
    canvas.addEventListener("keydown", (e) => {
      this.key(e);
    });
  }

  /** A click on a box chooses it (the last drawn, when they overlap). */
  private pick(p: { x: number; y: number }): void {
    for (let i = this.boxes.length - 1; i >= 0; i--) {
      const b = this.boxes[i];
      if (b && p.x >= b.x && p.x < b.x + b.w && p.y >= b.y && p.y < b.y + b.h) {
        this.selected = i;
        break;
      }
    }
    this.update();
  }

  private key(e: KeyboardEvent): void {
    // Alt moves a single pixel. The picture is never mirrored, so left is left in every language.
    const step = e.altKey ? 1 : keyStep(this.size);
    const arrows: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const arrow = arrows[e.key];
    const box = this.boxes[this.selected];
    if (arrow && box) {
      const [dx, dy] = arrow;
      this.boxes[this.selected] = e.shiftKey ? resizeBox(box, dx, dy, this.size) : moveBox(box, dx, dy, this.size);
      this.update();
    } else if (e.key === "Enter") this.add(newBox(this.size));
    else if (e.key === "Delete" || e.key === "Backspace") this.removeSelected();
    else if ((e.key === "PageDown" || e.key === "PageUp") && this.boxes.length > 0) {
      const n = this.boxes.length;
      this.selected = (this.selected + (e.key === "PageDown" ? 1 : n - 1) + n) % n;
      this.update();
    } else return;
    e.preventDefault();
  }

  /** The picture re-encoded from the canvas, boxes burned in and no outline. */
  async export(type: string): Promise<Blob> {
    this.selected = -1;
    const { ctx, size } = this;
    // What is sent is burned pixel by pixel, whatever the canvas blends: ../lib/redact.ts.
    ctx.drawImage(this.image, 0, 0);
    const pixels = ctx.getImageData(0, 0, size.width, size.height);
    burnBoxes(pixels.data, size, this.boxes);
    ctx.putImageData(pixels, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => {
      this.canvas.toBlob(resolve, type, 0.92);
    });
    if (blob === null) throw new Error("the picture could not be encoded");
    return blob;
  }
}

/**
 * Open the editor on a picture; resolves with the re-encoded picture on
 * "Done" (null when no box was drawn), or null on "Cancel" or Escape.
 * @throws {Error} the picture cannot be decoded
 */
export async function redactImage(source: Blob, name: string, type: string, i18n: I18n): Promise<Redacted | null> {
  const image = await createImageBitmap(source);
  const id = `redact-${++editors}`;
  const status = el("p", { class: "small", role: "status", id: `${id}-status` });
  // role=application: a screen reader passes the arrows, Enter and Delete on to the editor.
  const canvas = el("canvas", {
    class: "redact-canvas",
    tabindex: "0",
    role: "application",
    "aria-describedby": `${id}-help ${id}-status`,
  });
  canvas.setAttribute("aria-label", `${i18n.t("redact.canvas")}: ${name}`);
  const editor = new Editor(canvas, image, status, i18n);
  const button = (key: string, cls = ""): HTMLButtonElement => el("button", { type: "button", class: cls }, tr(key));
  const [addBtn, removeBtn, done, cancel] = [
    button("redact.add"),
    button("redact.remove"),
    button("redact.done"),
    button("redact.cancel", "secondary"),
  ];
  const dialog = el(
    "dialog",
    { class: "redact", "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, tr("redact.title")),
    el("p", { class: "mono" }, name),
    el("p", { id: `${id}-help`, class: "small" }, tr("redact.help")),
    el("div", { class: "redact-frame" }, canvas),
    status,
    el("div", { class: "redact-actions" }, addBtn, removeBtn, done, cancel),
  );
  i18n.apply(dialog);
  document.body.append(dialog);
  addBtn.addEventListener("click", () => {
    editor.add(newBox(editor.size));
    canvas.focus();
  });
  removeBtn.addEventListener("click", () => {
    editor.removeSelected();
  });
  editor.update();
  dialog.showModal();
  canvas.focus();
  try {
    return await new Promise<Redacted | null>((resolve, reject) => {
      dialog.addEventListener("cancel", () => {
        resolve(null);
      });
      cancel.addEventListener("click", () => {
        resolve(null);
      });
      done.addEventListener("click", () => {
        if (editor.boxes.length === 0) {
          resolve(null);
          return;
        }
        const boxes = editor.boxes.length;
        editor.export(outputType(type)).then((blob) => {
          resolve({ blob, type: blob.type, name: redactedName(name, blob.type), boxes });
        }, reject);
      });
    });
  } finally {
    dialog.close();
    dialog.remove();
    image.close();
  }
}
