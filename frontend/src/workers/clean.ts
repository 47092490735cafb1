// Metadata removal for documents, videos and HEIC photos off the page's main
// thread, in a script the reporter pages load only when a file needs it
// (pdf-lib, the XML parser, the zip reader and the HEIC decoder's glue are
// several hundred kilobytes: a reporter on a slow network reads the page
// without them; the decoder's WebAssembly comes only with the first HEIC,
// lib/clean/heic.ts). lib/clean/index.ts does the work; this file only
// speaks to the page. Its script alone has 'wasm-unsafe-eval' in its CSP
// (frontend/headers.json, paths).
// In: the chosen File (a Blob crosses to a worker without copying its
// bytes, and a video is read box by box from it, never whole).
// Out: {progress: 0} at once, so the page knows the worker runs, then
// {result: CleanResult}, its bytes transferred rather than copied, or {error}.
import { cleanFile } from "../lib/clean/index.js";

self.onmessage = (event: MessageEvent<Blob>) => {
  self.postMessage({ progress: 0 });
  cleanFile(event.data).then(
    (result) => {
      const transfer = "bytes" in result && result.bytes instanceof Uint8Array ? [result.bytes.buffer] : [];
      self.postMessage({ result }, { transfer });
    },
    (err: unknown) => {
      self.postMessage({ error: err instanceof Error ? err.message : String(err) });
    },
  );
};
