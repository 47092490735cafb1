// The evidence picker: the limits stated and checked as files are chosen
// (a refused file is named), metadata removed at once from every format the
// page can clean (what was removed said in plain words; sending the original
// stays a choice per file, with a warning), files it cannot clean named as
// such, then sealing and uploading with a progress bar per file and a retry
// for a failed upload. Pictures are cleaned here; documents and videos in
// the "clean" worker, loaded only when such a file is chosen. If that worker
// cannot load or fails, the file is named as not cleaned, and it is sent
// only if the reporter ticks the box to send it as it is.
import { metadataKinds } from "../lib/clean/kinds.js";
import { cleanedType, cleanLight, sentAs, type CleanResult } from "../lib/clean/light.js";
import type { CannotCleanReason } from "../lib/clean/types.js";
import { fileFits, largestFile, MAX_FILES, PendingFile } from "../lib/intake.js";
import { el, formatSize, setAlert, tr, type I18n } from "./common.js";
import { redactImage, type Redacted } from "./redact.js";
import { uploadProgress } from "./upload-progress.js";
import { runWorker } from "./workers.js";

/** The largest file, rounded down to two significant digits: the page never states more than fits. */
export function statedLimit(): number {
  const largest = largestFile();
  const unit = 10 ** Math.max(0, String(largest).length - 2);
  return Math.floor(largest / unit) * unit;
}

let choiceIds = 0;

/** The cleaning worker could not load (blocked, offline, no workers), or it failed on the file. */
interface Unclean {
  cannot: "worker_unavailable" | "worker_failed";
}
export type ItemResult = CleanResult | Unclean;

const unclean = (result: ItemResult | null): result is Unclean =>
  result !== null && "cannot" in result && result.cannot.startsWith("worker_");

/** Clean a picture here, a document or video in the "clean" worker (frontend/src/workers/clean.ts). */
async function clean(file: File): Promise<ItemResult> {
  const light = await cleanLight(file);
  if (!("heavy" in light)) return light;
  const worker = { started: false }; // it says {progress: 0} as it takes the file
  try {
    // A File crosses to the worker without its bytes being copied.
    return await runWorker<CleanResult>("clean", file, () => {
      worker.started = true;
    });
  } catch {
    return { cannot: worker.started ? "worker_failed" : "worker_unavailable" };
  }
}

const original = (file: File): PendingFile =>
  new PendingFile({ source: file, name: file.name, type: file.type || "application/octet-stream" });

/** A chosen file: being prepared, prepared, or damaged (an image that did not parse). */
export interface FileItem {
  file: File;
  li: HTMLLIElement;
  /** What will be sealed and sent: the cleaned bytes, or the original. */
  pending: PendingFile | null;
  /** The metadata fields removed from what will be sent, or null when it goes as it is. */
  cleaned: string[] | null;
  /** What cleaning gave: the cleaned file, or why the file cannot be cleaned. */
  result: ItemResult | null;
  /** The reporter chose to send the original, metadata and all. */
  sendOriginal: boolean;
  /** The picture with parts blacked out, re-encoded (./redact.ts): sent instead of either. */
  redacted: Redacted | null;
  error: boolean;
}
export type ReadyItem = FileItem & { pending: PendingFile };

/**
 * Point the item at what will be sent: the cleaned file unless the reporter
 * chose the original; a file the worker should have cleaned and did not goes
 * nowhere until the reporter chooses to send it as it is.
 */
function choose(item: FileItem, sendOriginal: boolean): void {
  const result = item.result;
  item.sendOriginal = sendOriginal;
  if (item.redacted !== null) {
    const { blob, name, type } = item.redacted;
    item.pending = new PendingFile({ source: blob, name, type });
    item.cleaned = result !== null && !("cannot" in result) ? result.removed : [];
  } else if (unclean(result) && !sendOriginal) {
    item.pending = null;
    item.cleaned = null;
  } else if (result === null || "cannot" in result || sendOriginal) {
    item.pending = original(item.file);
    item.cleaned = null;
  } else {
    // A re-encoded picture (a HEIC redrawn as JPEG) goes under the JPEG's name and type.
    const { name, type } = sentAs(item.file, result);
    item.pending = new PendingFile({ source: result.bytes, name, type });
    item.cleaned = result.removed;
  }
}

/** The reporter page's extras: an "Add files" button for the hidden input, the count, the refusals, the limits. */
export interface PickerParts {
  button: HTMLButtonElement;
  count: HTMLElement;
  notice: HTMLElement;
  limits: HTMLElement;
}

export class FileList {
  private items: FileItem[] = [];
  private readonly notice: HTMLElement;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLElement,
    private readonly i18n: I18n,
    private readonly parts: PickerParts | null = null,
  ) {
    input.addEventListener("change", () => {
      void this.add([...(input.files ?? [])]);
    });
    // Without a place for refusals (the follow-up page), one goes right before the list.
    this.notice = parts?.notice ?? el("div", { class: "error", role: "alert", hidden: true });
    if (!parts) list.before(this.notice);
    parts?.button.addEventListener("click", () => {
      input.click();
    });
    i18n.onChange(() => {
      this.showLimits();
      this.showCount();
    });
    this.showLimits();
    this.showCount();
  }

  private showLimits(): void {
    if (this.parts === null) return;
    setAlert(this.parts.limits, this.i18n, "files.limits", {
      n: MAX_FILES,
      size: formatSize(statedLimit(), this.i18n.lang),
    });
  }

  private showCount(): void {
    if (this.parts === null) return;
    setAlert(this.parts.count, this.i18n, "files.count", { n: this.items.length, max: MAX_FILES });
  }

  /** Add the chosen files that the limits allow; name each one refused, and why. */
  async add(files: readonly File[]): Promise<void> {
    const refused: { key: string; name: string }[] = [];
    const accepted: FileItem[] = [];
    for (const file of files) {
      if (this.items.length >= MAX_FILES) refused.push({ key: "files.refused_count", name: file.name });
      else if (!fileFits(file.size)) refused.push({ key: "files.refused_size", name: file.name });
      else {
        const item: FileItem = {
          file,
          li: el("li", { class: "file" }),
          pending: null,
          cleaned: null,
          result: null,
          sendOriginal: false,
          redacted: null,
          error: false,
        };
        this.items.push(item);
        accepted.push(item);
      }
    }
    this.input.value = "";
    this.showRefusals(refused);
    this.showCount();
    for (const item of accepted) {
      this.list.append(item.li);
      const working = el("p", { class: "small", role: "status" }, tr("files.cleaning"));
      item.li.append(el("span", { class: "file-name" }, item.file.name), " ", this.sizeNode(item.file), working);
      this.i18n.apply(working);
      try {
        item.result = await clean(item.file);
        choose(item, false);
      } catch {
        item.error = true;
      }
      this.renderItem(item);
    }
  }

  private showRefusals(refused: readonly { key: string; name: string }[]): void {
    const notice = this.notice;
    notice.replaceChildren(
      ...refused.map(({ key, name }) =>
        el("p", {}, tr(key, { name, n: MAX_FILES, size: formatSize(statedLimit(), this.i18n.lang) })),
      ),
    );
    notice.hidden = refused.length === 0;
    this.i18n.apply(notice);
  }

  private sizeNode(file: File): HTMLSpanElement {
    return el("span", { class: "small" }, `(${formatSize(file.size, this.i18n.lang)})`);
  }

  private renderItem(item: FileItem): void {
    const { li, file } = item;
    const removeLabel = (): string => `${this.i18n.t("files.remove")}: ${file.name}`;
    const remove = el("button", { type: "button", class: "link", "aria-label": removeLabel() }, tr("files.remove"));
    remove.addEventListener("click", () => {
      this.items = this.items.filter((i) => i !== item);
      li.remove();
      this.showCount();
      this.showRefusals([]);
      (this.parts?.button ?? this.input).focus();
    });
    li.replaceChildren(
      el("span", { class: "file-name" }, file.name),
      " ",
      this.sizeNode(file),
      cleaningNote(item),
      ...(item.redacted ? [] : (this.originalChoice(item) ?? [])),
      ...this.redaction(item),
      remove,
    );
    this.i18n.apply(li);
    this.i18n.onChange(() => {
      remove.setAttribute("aria-label", removeLabel());
    });
  }

  /**
   * For a picture the page can decode, "Black out parts": the editor opens
   * on what would be sent, and "Done" replaces it with the re-encoded copy.
   */
  private redaction(item: FileItem): HTMLElement[] {
    const result = item.result;
    if (result === null || "cannot" in result || !REDACTABLE.has(result.format) || !item.pending) return [];
    const open = el("button", { type: "button", class: "link redact-open" }, tr("files.redact"));
    open.addEventListener("click", () => {
      const source = item.pending?.source;
      if (!source) return;
      const blob = source instanceof Blob ? source : new Blob([source as BlobPart]);
      // The format read from the bytes, not the type the browser guessed from the name.
      const type = item.redacted?.type ?? cleanedType(result.format);
      // A HEIC redrawn as JPEG goes under the JPEG's name (sentAs), blacked out or not.
      const name = item.redacted?.name ?? sentAs(item.file, result).name;
      redactImage(blob, name, type, this.i18n).then(
        (done) => {
          if (done === null) {
            open.focus();
            return;
          }
          const boxes = (item.redacted?.boxes ?? 0) + done.boxes;
          item.redacted = { ...done, boxes };
          choose(item, false);
          this.renderItem(item);
          item.li.querySelector<HTMLButtonElement>(".redact-open")?.focus();
        },
        () => {
          open.replaceWith(el("p", { class: "error", role: "alert" }, tr("files.redact_failed")));
          this.i18n.apply(item.li);
        },
      );
    });
    const note = item.redacted
      ? [
          el("p", { class: "small redacted", role: "status" }, tr("files.redacted", { n: item.redacted.boxes })),
          preview(item.redacted.blob, `${this.i18n.t("files.redacted_preview")}: ${item.redacted.name}`),
        ]
      : [];
    return [...note, el("div", {}, open)];
  }

  /**
   * For a file with metadata removed, a box to send the original instead; for
   * one the worker did not clean, a box to send it as it is. Each with its warning.
   */
  private originalChoice(item: FileItem): [HTMLElement] | null {
    const result = item.result;
    const failed = unclean(result);
    if (!failed && (result === null || "cannot" in result || result.removed.length === 0)) return null;
    const id = `send-original-${++choiceIds}`;
    const box = el("input", { type: "checkbox", id, class: "send-original" });
    const warning = el(
      "p",
      { class: "small warn-text original-warning", role: "alert", hidden: true },
      tr(failed ? "files.uncleaned_warning" : "files.original_warning"),
    );
    box.addEventListener("change", () => {
      choose(item, box.checked);
      warning.hidden = !box.checked;
    });
    const label = el("label", { for: id }, tr(failed ? "files.send_uncleaned" : "files.send_original"));
    return [el("div", { class: "small" }, box, " ", label, warning)];
  }

  get ready(): ReadyItem[] {
    return this.items.filter((i): i is ReadyItem => !i.error && i.pending !== null);
  }

  /**
   * The files that stop the report from being sent: one that could not be
   * read, and one that was not cleaned and that the reporter has not chosen
   * to send as it is (never sent silently, never dropped silently).
   */
  get damaged(): FileItem[] {
    return this.items.filter((i) => i.error || (unclean(i.result) && !i.sendOriginal));
  }

  /** The files still being cleaned: neither in `ready` nor in `damaged` yet. */
  get preparing(): FileItem[] {
    return this.items.filter((i) => !i.error && i.result === null);
  }

  get count(): number {
    return this.items.length;
  }

  clear(): void {
    this.items = [];
    this.list.replaceChildren();
    this.showRefusals([]);
    this.showCount();
  }
}

/** A chosen file that stops a send, and why: a catalogue key with the file's name. */
export interface FileProblem {
  key: string;
  args: { name: string };
}

/**
 * What stops the chosen files from being sent: a file still being cleaned,
 * one that could not be read, one not cleaned that the reporter has not
 * ticked to send as it is. Both pages refuse to send while there is one, so
 * a file the reporter chose is never left out without a word.
 */
export function fileProblems(files: FileList): FileProblem[] {
  const problem = (key: string, item: FileItem): FileProblem => ({ key, args: { name: item.file.name } });
  return [
    ...files.preparing.map((item) => problem("files.blocked.preparing", item)),
    ...files.damaged.map((item) => problem(item.error ? "files.blocked.damaged" : "files.blocked.uncleaned", item)),
  ];
}

const PREVIEW_WIDTH = 320;

/** What will be sent, drawn small from the very bytes that will be sealed (a canvas: the CSP allows no blob: image). */
function preview(blob: Blob, label: string): HTMLCanvasElement {
  const canvas = el("canvas", { class: "redact-thumb", role: "img", "aria-label": label });
  void createImageBitmap(blob).then((image) => {
    const scale = Math.min(1, PREVIEW_WIDTH / image.width);
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    canvas.getContext("2d")?.drawImage(image, 0, 0, canvas.width, canvas.height);
    image.close();
  });
  return canvas;
}
/** Pictures a canvas decodes everywhere the page runs: GIF stays out (a canvas keeps one frame). */
const REDACTABLE: ReadonlySet<string> = new Set(["jpeg", "png", "webp"]);

const CANNOT_KEY: Record<CannotCleanReason | Unclean["cannot"], string> = {
  unknown_type: "files.not_cleaned",
  heic: "files.cannot.heic",
  encrypted: "files.cannot.encrypted",
  too_large: "files.cannot.too_large",
  unreadable: "files.cannot.unreadable",
  worker_unavailable: "files.cannot.worker_unavailable",
  worker_failed: "files.cannot.worker_failed",
};

/** What happened to a file's metadata, in a sentence: kinds in plain words, field names folded away. */
function cleaningNote(item: FileItem): HTMLElement {
  const result = item.result;
  if (item.error || result === null) return el("p", { class: "error" }, tr("files.damaged"));
  if ("cannot" in result) return el("p", { class: "small warn-text" }, tr(CANNOT_KEY[result.cannot]));
  if (result.removed.length === 0) return el("p", { class: "small" }, tr("files.clean"));
  const kinds = metadataKinds(result.removed);
  const words: (HTMLElement | string)[] = kinds.flatMap((k, i) => [i ? ", " : "", tr(`files.meta.${k}`)]);
  return el(
    "div",
    { class: "small" },
    el("p", { class: "cleaned" }, tr("files.cleaned"), " ", ...words),
    el(
      "details",
      { class: "technical" },
      el("summary", {}, tr("files.technical")),
      el("p", { class: "mono" }, result.removed.join(", ")),
    ),
  );
}

/**
 * A row for one file while it is sealed and sent: its state in words, and
 * the upload's progress (./upload-progress.ts) with speed, time left and a
 * cancel button that stops the upload for good (nothing is claimed).
 */
export function progressRow(
  item: FileItem,
  i18n: I18n,
): { li: HTMLLIElement; set: (key: string, fraction?: number) => void } {
  const pending = item.pending;
  const view = uploadProgress(item.file.name, i18n, () => {
    pending?.cancel();
    view.end("upload.cancelled");
  });
  if (pending) pending.watch = view.update;
  const label = el("span", { class: "small" });
  const li = el("li", { class: "file" }, el("span", { class: "file-name" }, item.file.name), " ", label, view.root);
  const set = (key: string, fraction?: number): void => {
    label.replaceChildren(tr(key));
    i18n.apply(label);
    if (fraction !== undefined) view.bar.value = fraction;
    if (key === "sending.file.done") view.end("upload.done");
  };
  return { li, set };
}
