// scrypt off the page's main thread: the console derives a key file's
// wrapping key here (age's scrypt recipient, protocol §5, work factor
// 2^18..2^20) and reports progress, so the page stays responsive.
// In: {passphrase, salt (label and salt, as age's spec says), logN}.
// Out: {progress: 0..1} about every percent, then {result: the 32-byte key}
// or {error}. page/workers.ts starts it.
import { scrypt } from "@noble/hashes/scrypt.js";

interface Job {
  passphrase: string;
  salt: Uint8Array;
  logN: number;
}

const STEP = 0.01;

self.onmessage = (event: MessageEvent<Job>) => {
  const { passphrase, salt, logN } = event.data;
  let reported = 0;
  try {
    const key = scrypt(passphrase, salt, {
      N: 2 ** logN,
      r: 8,
      p: 1,
      dkLen: 32,
      // scrypt calls this thousands of times; the page needs about a hundred.
      onProgress: (fraction) => {
        if (fraction - reported < STEP && fraction < 1) return;
        reported = fraction;
        self.postMessage({ progress: fraction });
      },
    });
    self.postMessage({ result: key }, { transfer: [key.buffer] });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
