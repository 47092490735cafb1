// The numbers an upload's progress shows (page/upload-progress.ts): speed
// over the last seconds, the time left, and when a screen reader should hear
// the share sent. Pure arithmetic on (time, bytes) samples; no DOM.

/** Speed over the last few seconds and the time left, from (time, bytes sent) samples. */
export class RateMeter {
  private samples: [number, number][] = [];

  constructor(private readonly windowMs = 10_000) {}

  /** Record that `sent` bytes were out at `at` ms. A fall in `sent` (a part sent again) starts afresh. */
  add(at: number, sent: number): void {
    const last = this.samples.at(-1);
    if (last && sent < last[1]) this.samples = [];
    this.samples.push([at, sent]);
    while (this.samples.length > 2 && (this.samples[1]?.[0] ?? at) <= at - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window; null until a second of samples is in. */
  get speed(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last[0] - first[0] < 1000) return null;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }

  /** Whole seconds until `total`, or null while the speed is unknown or nil. */
  secondsLeft(total: number): number | null {
    const speed = this.speed;
    const last = this.samples.at(-1);
    if (speed === null || speed <= 0 || !last) return null;
    return Math.ceil((total - last[1]) / speed);
  }
}

/**
 * Whether a screen reader should hear the progress now: at each tenth
 * passed, and otherwise at most every `everyMs` — never on every tick.
 */
export function announceDue(
  last: { at: number; fraction: number } | null,
  now: number,
  fraction: number,
  everyMs = 30_000,
): boolean {
  if (last === null) return true;
  return Math.floor(fraction * 10) > Math.floor(last.fraction * 10) || now - last.at >= everyMs;
}
