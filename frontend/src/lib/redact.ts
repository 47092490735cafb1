// Redaction, the part that is not the view: boxes in image pixels, moved and
// resized inside the image, and burned into the pixels (every channel of
// every covered pixel set to opaque black, so nothing of what was there
// survives the re-encode). frontend/src/page/redact.ts draws and exports.

/** A box in image pixels: left, top, width, height (whole pixels, inside the image). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Size {
  width: number;
  height: number;
}

/** A box smaller than this on either side is a click, not a drag. */
export const MIN_SIDE = 2;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * The box between two corners of a drag, in any direction, cut to the image:
 * outer edges rounded outwards so a box never covers less than was dragged.
 * Null when it is too small to be meant.
 */
export function boxFromDrag(a: { x: number; y: number }, b: { x: number; y: number }, size: Size): Box | null {
  const left = clamp(Math.floor(Math.min(a.x, b.x)), 0, size.width);
  const top = clamp(Math.floor(Math.min(a.y, b.y)), 0, size.height);
  const right = clamp(Math.ceil(Math.max(a.x, b.x)), 0, size.width);
  const bottom = clamp(Math.ceil(Math.max(a.y, b.y)), 0, size.height);
  if (right - left < MIN_SIDE || bottom - top < MIN_SIDE) return null;
  return { x: left, y: top, w: right - left, h: bottom - top };
}

/** A point on the canvas as drawn on screen (CSS pixels) → the image's pixels. */
export function toImagePoint(
  client: { x: number; y: number },
  rect: { left: number; top: number; width: number; height: number },
  size: Size,
): { x: number; y: number } {
  return {
    x: ((client.x - rect.left) * size.width) / Math.max(rect.width, 1),
    y: ((client.y - rect.top) * size.height) / Math.max(rect.height, 1),
  };
}

/** One keyboard step: a hundredth of the image's longer side, at least a pixel. */
export const keyStep = (size: Size): number => Math.max(1, Math.round(Math.max(size.width, size.height) / 100));

/** The box added from the keyboard: a quarter of each side, in the middle of the image. */
export function newBox(size: Size): Box {
  const w = Math.max(MIN_SIDE, Math.round(size.width / 4));
  const h = Math.max(MIN_SIDE, Math.round(size.height / 4));
  return fit({ x: Math.round((size.width - w) / 2), y: Math.round((size.height - h) / 2), w, h }, size);
}

/** Keep a box whole inside the image: no larger than it, no edge outside it. */
export function fit(box: Box, size: Size): Box {
  const w = clamp(Math.round(box.w), Math.min(MIN_SIDE, size.width), size.width);
  const h = clamp(Math.round(box.h), Math.min(MIN_SIDE, size.height), size.height);
  return { x: clamp(Math.round(box.x), 0, size.width - w), y: clamp(Math.round(box.y), 0, size.height - h), w, h };
}

/** Move a box by (dx, dy), stopping at the image's edges. */
export const moveBox = (box: Box, dx: number, dy: number, size: Size): Box =>
  fit({ ...box, x: box.x + dx, y: box.y + dy }, size);

/** Grow or shrink a box from its right and bottom edges, staying inside the image. */
export function resizeBox(box: Box, dw: number, dh: number, size: Size): Box {
  const w = clamp(box.w + dw, MIN_SIDE, size.width - box.x);
  const h = clamp(box.h + dh, MIN_SIDE, size.height - box.y);
  return fit({ ...box, w, h }, size);
}

/**
 * Burn boxes into RGBA pixels (ImageData's layout, row by row): each covered
 * pixel becomes opaque black, alpha included, so a transparent pixel under a
 * box cannot keep colour the alpha hid. Returns the number of pixels replaced.
 */
export function burnBoxes(data: Uint8ClampedArray, size: Size, boxes: readonly Box[]): number {
  if (data.length !== size.width * size.height * 4) throw new RangeError("pixel data does not match the size");
  const covered = new Uint8Array(size.width * size.height);
  let count = 0;
  for (const b of boxes) {
    // Cut to the image, edges rounded outwards: never less than the box shown.
    const [x0, x1] = [clamp(Math.floor(b.x), 0, size.width), clamp(Math.ceil(b.x + b.w), 0, size.width)];
    const [y0, y1] = [clamp(Math.floor(b.y), 0, size.height), clamp(Math.ceil(b.y + b.h), 0, size.height)];
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = y * size.width + x;
        data.set([0, 0, 0, 255], p * 4);
        if (!covered[p]) count++;
        covered[p] = 1;
      }
    }
  }
  return count;
}

const ENCODABLE = new Set(["image/png", "image/jpeg", "image/webp"]);

/** The type to re-encode to: the original's when a canvas can write it, PNG otherwise. */
export const outputType = (type: string): string => (ENCODABLE.has(type) ? type : "image/png");

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };

/** The name of the re-encoded file: the original's, its extension following the type the canvas gave. */
export function redactedName(name: string, type: string): string {
  const ext = EXTENSIONS[type];
  if (ext === undefined) return name;
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const old = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (old === ext || (ext === "jpg" && old === "jpeg")) return name;
  return `${stem}.${ext}`;
}
