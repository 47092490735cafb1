// Redaction geometry and the burn (frontend/src/lib/redact.ts): boxes stay
// inside the image, and every pixel under a box, and only those, becomes
// opaque black.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  boxFromDrag,
  burnBoxes,
  fit,
  keyStep,
  moveBox,
  newBox,
  outputType,
  redactedName,
  resizeBox,
  toImagePoint,
} from "../../frontend/src/lib/redact.js";

const size = { width: 200, height: 100 };

test("a drag in any direction gives the same box, rounded outwards and cut to the image", () => {
  const box = { x: 10, y: 20, w: 31, h: 11 };
  assert.deepEqual(boxFromDrag({ x: 10.6, y: 20.2 }, { x: 40.1, y: 30.9 }, size), box);
  assert.deepEqual(boxFromDrag({ x: 40.1, y: 30.9 }, { x: 10.6, y: 20.2 }, size), box);
  assert.deepEqual(boxFromDrag({ x: -50, y: -5 }, { x: 500, y: 500 }, size), { x: 0, y: 0, w: 200, h: 100 });
  assert.equal(boxFromDrag({ x: 5, y: 5 }, { x: 5.5, y: 60 }, size), null); // a click, not a drag
});

test("screen points map to image pixels whatever the canvas is scaled to", () => {
  const rect = { left: 100, top: 50, width: 100, height: 50 }; // drawn at half size
  assert.deepEqual(toImagePoint({ x: 150, y: 75 }, rect, size), { x: 100, y: 50 });
  assert.deepEqual(toImagePoint({ x: 100, y: 50 }, rect, size), { x: 0, y: 0 });
});

test("keyboard boxes stay whole inside the image", () => {
  const box = newBox(size);
  assert.deepEqual(box, { x: 75, y: 38, w: 50, h: 25 });
  assert.equal(keyStep(size), 2);
  assert.deepEqual(moveBox(box, -1000, 3, size), { x: 0, y: 41, w: 50, h: 25 });
  assert.deepEqual(moveBox(box, 1000, 1000, size), { x: 150, y: 75, w: 50, h: 25 });
  assert.deepEqual(resizeBox(box, 1000, -1000, size), { x: 75, y: 38, w: 125, h: 2 });
  assert.deepEqual(fit({ x: -3, y: 90, w: 400, h: 30 }, size), { x: 0, y: 70, w: 200, h: 30 });
});

test("burning replaces exactly the covered pixels with opaque black, alpha too", () => {
  const small = { width: 4, height: 3 };
  const data = new Uint8ClampedArray(4 * 3 * 4).fill(200);
  data[3] = 0; // a transparent pixel keeps its colour behind alpha 0: it must not survive
  const n = burnBoxes(data, small, [
    { x: 0, y: 0, w: 2, h: 2 },
    { x: 1, y: 1, w: 2, h: 1 }, // overlaps: counted once
  ]);
  assert.equal(n, 5);
  const black = [];
  for (let p = 0; p < 12; p++) {
    const px = [...data.subarray(p * 4, p * 4 + 4)];
    if (px.join() === "0,0,0,255") black.push(p);
    else assert.deepEqual(px, [200, 200, 200, 200]);
  }
  assert.deepEqual(black, [0, 1, 4, 5, 6]);
  assert.throws(() => burnBoxes(new Uint8ClampedArray(8), small, []), RangeError);
});

test("the re-encode keeps the original's type where a canvas can write it, and the name follows", () => {
  assert.equal(outputType("image/jpeg"), "image/jpeg");
  assert.equal(outputType("image/gif"), "image/png");
  assert.equal(outputType(""), "image/png");
  assert.equal(redactedName("shot.PNG", "image/png"), "shot.PNG");
  assert.equal(redactedName("photo.jpeg", "image/jpeg"), "photo.jpeg");
  assert.equal(redactedName("photo.webp", "image/png"), "photo.png");
  assert.equal(redactedName("noext", "image/png"), "noext.png");
});
