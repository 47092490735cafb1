// The SHA-256 of a sealed attachment (protocol §2.2: the entry's `sha256`),
// computed here while the page seals the next part, with hash-wasm's
// WebAssembly SHA-256: in JavaScript on the page's thread the hash was
// slower than the encryption itself (docs/performance.md). Its script alone
// may compile WebAssembly ('wasm-unsafe-eval', frontend/headers.json paths);
// the pages never do. lib/hash-stream.ts speaks to it.
// Out: {progress: 0} once the hash is ready (or {error} if it cannot start).
// In, in order: any number of {chunks: Uint8Array[]} (their buffers
// transferred), each answered with {hashed: n}, their length; then
// {digest: true}, answered with {result: hex}. Any failure answers {error},
// and nothing more is hashed.
import { createSHA256 } from "hash-wasm";

type HashRequest = { chunks: Uint8Array[] } | { digest: true };

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));
let failed = false;

const hasher = createSHA256().then((h) => {
  h.init();
  return h;
});

hasher.then(
  () => {
    self.postMessage({ progress: 0 });
  },
  (err: unknown) => {
    failed = true;
    self.postMessage({ error: reason(err) });
  },
);

// Reactions to one promise run in the order they were added: the bytes are
// hashed in the order they came.
self.onmessage = (event: MessageEvent<HashRequest>) => {
  const request = event.data;
  void hasher.then(
    (h) => {
      if (failed) return;
      try {
        if ("chunks" in request) {
          let hashed = 0;
          for (const chunk of request.chunks) {
            h.update(chunk);
            hashed += chunk.length;
          }
          self.postMessage({ hashed });
        } else {
          self.postMessage({ result: h.digest("hex") });
        }
      } catch (err) {
        failed = true;
        self.postMessage({ error: reason(err) });
      }
    },
    () => undefined,
  );
};
