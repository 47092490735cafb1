// HEIC/HEIF photos (what an iPhone takes): decoded by libheif, compiled to
// WebAssembly (npm libheif-js, LGPL-3.0, its WebAssembly build; AVIF, which
// that build leaves out, by the browser's own decoder), and drawn into a new
// JPEG, so nothing of the original file but its pixels is sent:
// no Exif (device, GPS, times), no XMP, no thumbnail or depth map. Runs in
// the clean worker only (frontend/src/workers/clean.ts): the decoder's
// 1.4 MB of WebAssembly is fetched when the first HEIC is chosen, never by
// the pages, and checked against the SHA-384 the build wrote into the
// worker (the worker script itself is named by its hash in the page
// bundle, which SRI covers). Compiling it needs 'wasm-unsafe-eval' in the
// worker script's own CSP (frontend/headers.json); the pages' CSP has none.
import libheif from "libheif-js/libheif-wasm/libheif.js";
import { heifMetadata } from "./heif-items.js";
import type { CannotClean, Cleaned } from "./types.js";

/** The decoder asset, set by frontend/build.ts: its file name next to the worker, and its SRI hash. */
declare const __CANDOR_HEIF_WASM__: { file: string; integrity: string } | undefined;

/** JPEG quality: high enough that small print in a photo stays legible to the team. */
const JPEG_QUALITY = 0.92;

/** The part of libheif-js's API used here (its own typings declare the C functions only). */
interface HeifImage {
  get_width(): number;
  get_height(): number;
  is_primary(): boolean;
  display(target: ImageData, done: (drawn: ImageData | null) => void): void;
  free(): void;
}
interface Libheif {
  HeifDecoder: new () => { decode(bytes: Uint8Array): HeifImage[] };
}

/** Why a HEIC could not be decoded: named to the reporter as a HEIC this page cannot clean. */
export class HeicUndecodable extends Error {}

let loading: Promise<Libheif> | null = null;

/** Fetch and compile the decoder once per worker. @throws {HeicUndecodable} no decoder here */
function loadLibheif(): Promise<Libheif> {
  if (typeof __CANDOR_HEIF_WASM__ === "undefined" || typeof OffscreenCanvas === "undefined") {
    return Promise.reject(new HeicUndecodable("no HEIC decoder in this build or browser"));
  }
  const asset = __CANDOR_HEIF_WASM__;
  loading ??= (async () => {
    const answer = await fetch(new URL(asset.file, self.location.href), { integrity: asset.integrity });
    if (!answer.ok) throw new HeicUndecodable(`decoder: HTTP ${answer.status}`);
    const wasm = await answer.arrayBuffer();
    return new Promise<Libheif>((resolve, reject) => {
      // Given the bytes, the glue compiles them synchronously: allowed in a
      // worker, and its asynchronous path (instantiateWasm) breaks its bindings.
      const module = libheif({
        wasmBinary: wasm,
        onRuntimeInitialized: () => {
          queueMicrotask(() => {
            resolve(module as unknown as Libheif);
          });
        },
        onAbort: (why: unknown) => {
          reject(new HeicUndecodable(String(why)));
        },
        print: () => undefined,
        printErr: () => undefined,
      });
    });
  })();
  loading.catch(() => {
    loading = null; // a failed fetch is tried again with the next file
  });
  return loading;
}

/** The primary picture's pixels, with the file's rotation and mirroring applied. */
async function decode(lib: Libheif, bytes: Uint8Array): Promise<ImageData> {
  const images = new lib.HeifDecoder().decode(bytes);
  try {
    const image = images.find((i) => i.is_primary()) ?? images[0];
    if (!image) throw new HeicUndecodable("no picture in the file");
    const target = new ImageData(image.get_width(), image.get_height());
    const drawn = await new Promise<ImageData | null>((resolve) => {
      image.display(target, resolve);
    });
    if (!drawn) throw new HeicUndecodable("the picture does not decode");
    return drawn;
  } finally {
    for (const image of images) image.free();
  }
}

/**
 * The picture as the browser itself decodes it, where it can: AVIF (which
 * this libheif build leaves out) in Chromium and Firefox, HEIC in Safari,
 * and any HEIF file where the decoder could not load. Orientation applied.
 */
async function decodeNatively(bytes: Uint8Array): Promise<ImageBitmap | null> {
  if (typeof createImageBitmap === "undefined") return null;
  try {
    return await createImageBitmap(new Blob([bytes as BlobPart]), { imageOrientation: "from-image" });
  } catch {
    return null;
  }
}

/** A new JPEG of the pixels alone (the browser's encoder writes no Exif). */
async function encodeJpeg(pixels: ImageData | ImageBitmap): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(pixels.width, pixels.height);
  const context = canvas.getContext("2d");
  if (!context) throw new HeicUndecodable("no canvas");
  if (pixels instanceof ImageData) context.putImageData(pixels, 0, 0);
  else {
    context.drawImage(pixels, 0, 0);
    pixels.close();
  }
  const jpeg = await canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
  return new Uint8Array(await jpeg.arrayBuffer());
}

/**
 * Re-encode a HEIC/HEIF photo (or an AVIF picture) as a JPEG of the same
 * size, naming what went (its Exif fields and XMP, or "HEIF" for a file
 * that names none, since the whole container is left behind). libheif
 * decodes it; where libheif cannot, the browser's own decoder is tried.
 * @returns the cleaned JPEG, `{cannot: "heic"}` where no decoder runs (the
 *   WebAssembly blocked, no OffscreenCanvas), or `{cannot: "unreadable"}`
 *   for a file neither decoder reads
 */
export async function cleanHeic(bytes: Uint8Array): Promise<(Cleaned & { reencoded: true }) | CannotClean> {
  if (typeof OffscreenCanvas === "undefined") return { cannot: "heic" };
  const lib = await loadLibheif().catch(() => null);
  const pixels = (lib && (await decode(lib, bytes).catch(() => null))) ?? (await decodeNatively(bytes));
  if (!pixels) return { cannot: lib ? "unreadable" : "heic" };
  const found = heifMetadata(bytes);
  return { bytes: await encodeJpeg(pixels), removed: found.length ? found : ["HEIF"], reencoded: true };
}
