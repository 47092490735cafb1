// The evidence picker: metadata removed from images as soon as a file is
// chosen (the removed fields are listed), then sealing and uploading with a
// progress bar per file and a retry for a failed upload.
import { imageFormat, stripMetadata } from "../lib/exif.js";
import { PendingFile } from "../lib/intake.js";
import { el, formatSize, tr, type I18n } from "./common.js";

const MAX_IMAGE_CLEAN_BYTES = 64 * 1024 * 1024;
const SNIFF_BYTES = 16;

interface Prepared {
  pending: PendingFile;
  /** The metadata fields removed, or null when the file could not be cleaned (not an image we know). */
  cleaned: string[] | null;
}

/** Prepare a chosen File: images are cleaned in memory, others stream later unchanged. */
export async function prepareFile(file: File): Promise<Prepared> {
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  if (imageFormat(head) === null || file.size > MAX_IMAGE_CLEAN_BYTES) {
    const type = file.type || "application/octet-stream";
    return { pending: new PendingFile({ source: file, name: file.name, type }), cleaned: null };
  }
  const result = stripMetadata(new Uint8Array(await file.arrayBuffer()));
  const type = file.type || `image/${result.format ?? "octet-stream"}`;
  return { pending: new PendingFile({ source: result.bytes, name: file.name, type }), cleaned: result.removed };
}

/** A chosen file: being prepared, prepared, or damaged (an image that did not parse). */
export interface FileItem {
  file: File;
  li: HTMLLIElement;
  pending: PendingFile | null;
  cleaned: string[] | null;
  error: boolean;
}
export type ReadyItem = FileItem & { pending: PendingFile };

export class FileList {
  private items: FileItem[] = [];

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLElement,
    private readonly i18n: I18n,
  ) {
    input.addEventListener("change", () => {
      void this.add([...(input.files ?? [])]);
    });
  }

  async add(files: readonly File[]): Promise<void> {
    for (const file of files) {
      const item: FileItem = { file, li: el("li", { class: "file" }), pending: null, cleaned: null, error: false };
      this.items.push(item);
      this.list.append(item.li);
      item.li.append(el("span", { class: "file-name" }, file.name), " ", this.sizeNode(file));
      try {
        Object.assign(item, await prepareFile(file));
      } catch {
        item.error = true;
      }
      this.renderItem(item);
    }
    this.input.value = "";
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
      this.input.focus();
    });
    li.replaceChildren(
      el("span", { class: "file-name" }, file.name),
      " ",
      this.sizeNode(file),
      cleaningNote(item),
      remove,
    );
    this.i18n.apply(li);
    this.i18n.onChange(() => {
      remove.setAttribute("aria-label", removeLabel());
    });
  }

  get ready(): ReadyItem[] {
    return this.items.filter((i): i is ReadyItem => !i.error && i.pending !== null);
  }

  get damaged(): FileItem[] {
    return this.items.filter((i) => i.error);
  }

  clear(): void {
    this.items = [];
    this.list.replaceChildren();
  }
}

/** What happened to a file's metadata, in a sentence. */
function cleaningNote(item: FileItem): HTMLParagraphElement {
  if (item.error) return el("p", { class: "error" }, tr("files.damaged"));
  if (item.cleaned === null) return el("p", { class: "small warn-text" }, tr("files.not_cleaned"));
  if (item.cleaned.length === 0) return el("p", { class: "small" }, tr("files.clean"));
  return el("p", { class: "small" }, tr("files.cleaned"), " ", el("span", { class: "mono" }, item.cleaned.join(", ")));
}

/** A row with a progress bar for one file while it is sealed and sent. */
export function progressRow(
  item: FileItem,
  i18n: I18n,
): { li: HTMLLIElement; set: (key: string, fraction?: number) => void } {
  const bar = el("progress", { max: "1", value: "0", "aria-label": item.file.name });
  const label = el("span", { class: "small" });
  const li = el("li", { class: "file" }, el("span", { class: "file-name" }, item.file.name), " ", label, bar);
  const set = (key: string, fraction?: number): void => {
    label.replaceChildren(tr(key));
    i18n.apply(label);
    if (fraction !== undefined) bar.value = fraction;
  };
  return { li, set };
}
