// The inbox's reports decrypted off the page's main thread (one worker of
// the console's pool, console/decrypt-pool.ts). lib/inbox-index.ts does the
// work; this file only speaks to the page.
//
// The member's identity reaches this worker: the page posts the identity
// strings once, in the first message, and the worker keeps them in this
// closure's memory only (never in storage, never sent anywhere). A worker
// is same-origin and runs in the page's process, started only from the
// built, SRI-named script (page/workers.ts), so it exposes the identity to
// nothing the page itself is not already exposed to; the page terminates
// the pool when the console locks, which drops the copy with the worker.
//
// In: first {identities: string[]}, then any number of DecryptJob.
// Out: one DecryptReply per job, the sealed bytes handed back (transferred).
import { Opener } from "../lib/documents.js";
import { type DecryptJob, runDecryptJob } from "../lib/inbox-index.js";

let opener: Opener | null = null;
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<{ identities: string[] } | DecryptJob>) => {
  const message = event.data;
  if ("identities" in message) {
    opener = new Opener(message.identities);
    return;
  }
  if (!opener) {
    self.postMessage({ job: message.job, failed: "error", sealed: new Uint8Array(0) });
    return;
  }
  const open = opener;
  // One job at a time, in the order they came: decryption awaits inside age, and jobs
  // started together would all finish together, late; the page sends the rows on screen first.
  queue = queue.then(async () => {
    const reply = await runDecryptJob(open, message);
    self.postMessage(reply, { transfer: [reply.sealed.buffer] });
  });
};
