// A client puzzle (protocol §4.1) off the page's main thread: the server is
// busy and asks for a proof of work bound to one request. In: lib/puzzle.ts's
// Job. Out: {progress: 0..1} now and then (tries against the expected 2^bits,
// capped below 1), then {result: Proof} or {error}. page/puzzle.ts starts it.
import { solve, type Job } from "../lib/puzzle.js";

self.onmessage = (event: MessageEvent<Job>) => {
  const job = event.data;
  try {
    const expected = 2 ** job.bits;
    const proof = solve(job, (tries) => {
      self.postMessage({ progress: Math.min(0.95, tries / (2 * expected)) });
    });
    self.postMessage({ result: proof });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
