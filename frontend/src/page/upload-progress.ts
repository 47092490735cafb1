// The progress of one upload, as the reporter (or member) sees and hears it:
// a bar, the share sent, the speed and the time left (lib/upload.ts's
// RateMeter), what is happening when the network drops, and a cancel button.
// Screen readers hear it through a polite live region at each tenth and on
// every change of state, never on every tick.
import type { UploadProgress, UploadState } from "../lib/upload.js";
import { announceDue, RateMeter } from "../lib/upload-rate.js";
import { el, formatSize, tr, type I18n } from "./common.js";

/** States a screen reader hears as soon as they begin. */
const STATE_KEYS: Partial<Record<UploadState, string>> = {
  offline: "upload.offline",
  retrying: "upload.retrying",
};

export interface UploadProgressView {
  root: HTMLElement;
  bar: HTMLProgressElement;
  update: (progress: UploadProgress) => void;
  /** The upload ended (sent, failed or cancelled): no more cancel, a last word for screen readers. */
  end: (key: string) => void;
}

/** A duration in the page's language (seconds, minutes above two, hours above two), with Intl's own plural forms. */
function duration(seconds: number, lang: string): string {
  const [value, unit] =
    seconds >= 7200
      ? [Math.round(seconds / 3600), "hour"]
      : seconds >= 120
        ? [Math.round(seconds / 60), "minute"]
        : [Math.max(1, seconds), "second"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long" }).format(value);
}

const percent = (fraction: number, lang: string): string =>
  new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(Math.floor(fraction * 100) / 100);

/**
 * The progress of the file called `name`; `cancel` is called when the
 * cancel button is pressed. `now` is the clock (tests of the page use the browser's).
 */
export function uploadProgress(
  name: string,
  i18n: I18n,
  cancel: () => void,
  now: () => number = () => Date.now(),
): UploadProgressView {
  const bar = el("progress", { max: "1", value: "0", "aria-label": name });
  const detail = el("span", { class: "small upload-detail" });
  const live = el("span", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const stop = el("button", { type: "button", class: "link upload-cancel" }, tr("upload.cancel"));
  const label = (): string => `${i18n.t("upload.cancel")}: ${name}`;
  stop.setAttribute("aria-label", label());
  i18n.onChange(() => {
    stop.setAttribute("aria-label", label());
  });
  stop.addEventListener("click", () => {
    stop.disabled = true;
    cancel();
  });
  const root = el("div", { class: "upload-progress" }, bar, " ", detail, " ", stop, live);
  i18n.apply(root);
  const meter = new RateMeter();
  let heard: { at: number; fraction: number } | null = null;
  let state: UploadState | null = null;

  const say = (key: string, args: Record<string, string>): void => {
    live.replaceChildren(tr(key, args));
    i18n.apply(live);
  };

  const update = (progress: UploadProgress): void => {
    const fraction = progress.total > 0 ? Math.min(1, progress.sent / progress.total) : 0;
    const at = now();
    bar.value = fraction;
    if (progress.state === "uploading") meter.add(at, progress.sent);
    const speed = meter.speed;
    const left = meter.secondsLeft(progress.total);
    const lang = i18n.lang;
    const shown = percent(fraction, lang);
    const stateKey = STATE_KEYS[progress.state];
    if (stateKey) detail.replaceChildren(tr(stateKey));
    else if (progress.state === "sealing")
      detail.replaceChildren(); // a small file sealed before its one PUT: nothing sent yet
    else if (speed === null || left === null) detail.replaceChildren(tr("upload.sent", { percent: shown }));
    else {
      const args = { percent: shown, speed: formatSize(speed, lang), left: duration(left, lang) };
      detail.replaceChildren(tr("upload.detail", args));
    }
    i18n.apply(detail);
    if (stateKey && progress.state !== state) say(stateKey, {});
    else if (progress.state === "uploading" && (state !== "uploading" || announceDue(heard, at, fraction))) {
      heard = { at, fraction };
      say("upload.announce", { name, percent: shown });
    }
    state = progress.state;
  };

  const end = (key: string): void => {
    stop.remove();
    detail.replaceChildren();
    say(key, { name });
  };
  return { root, bar, update, end };
}
