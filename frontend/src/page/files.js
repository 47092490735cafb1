// The evidence picker: metadata removed from images as soon as a file is
// chosen (the removed fields are listed), then sealing and uploading with a
// progress bar per file and a retry for a failed upload.
import { imageFormat, stripMetadata } from "../lib/exif.js";
import { PendingFile } from "../lib/intake.js";
import { el, formatSize, tr } from "./common.js";

const MAX_IMAGE_CLEAN_BYTES = 64 * 1024 * 1024;
const SNIFF_BYTES = 16;

/** Prepare a chosen File: images are cleaned in memory, others stream later unchanged. */
export async function prepareFile(file) {
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  if (imageFormat(head) === null || file.size > MAX_IMAGE_CLEAN_BYTES) {
    return { pending: new PendingFile({ source: file, name: file.name, type: file.type || "application/octet-stream" }), cleaned: null };
  }
  const result = stripMetadata(new Uint8Array(await file.arrayBuffer()));
  return {
    pending: new PendingFile({ source: result.bytes, name: file.name, type: file.type || `image/${result.format}` }),
    cleaned: result.removed,
  };
}

export class FileList {
  constructor(input, list, i18n) {
    Object.assign(this, { input, list, i18n, items: [] });
    input.addEventListener("change", () => this.add([...input.files]));
  }

  async add(files) {
    for (const file of files) {
      const item = { file, li: el("li", { class: "file" }), status: null, progress: null };
      this.items.push(item);
      this.list.append(item.li);
      item.li.append(el("span", { class: "file-name" }, file.name), " ", el("span", { class: "small" }, `(${formatSize(file.size, this.i18n.lang)})`));
      try {
        Object.assign(item, await prepareFile(file));
      } catch {
        item.error = true;
      }
      this.renderItem(item);
    }
    this.input.value = "";
  }

  renderItem(item) {
    const { li, file } = item;
    const note = item.error
      ? el("p", { class: "error" }, tr("files.damaged"))
      : item.cleaned === null
        ? el("p", { class: "small warn-text" }, tr("files.not_cleaned"))
        : item.cleaned.length
          ? el("p", { class: "small" }, tr("files.cleaned"), " ", el("span", { class: "mono" }, item.cleaned.join(", ")))
          : el("p", { class: "small" }, tr("files.clean"));
    const remove = el("button", { type: "button", class: "link", "aria-label": `${this.i18n.t("files.remove")}: ${file.name}` }, tr("files.remove"));
    remove.addEventListener("click", () => {
      this.items = this.items.filter((i) => i !== item);
      li.remove();
      this.input.focus();
    });
    li.replaceChildren(
      el("span", { class: "file-name" }, file.name), " ",
      el("span", { class: "small" }, `(${formatSize(file.size, this.i18n.lang)})`), note, remove,
    );
    this.i18n.apply(li);
    this.i18n.onChange(() => remove.setAttribute("aria-label", `${this.i18n.t("files.remove")}: ${file.name}`));
  }

  get ready() {
    return this.items.filter((i) => !i.error && i.pending);
  }

  get damaged() {
    return this.items.filter((i) => i.error);
  }

  clear() {
    this.items = [];
    this.list.replaceChildren();
  }
}

/** A row with a progress bar for one file while it is sealed and sent. */
export function progressRow(item, i18n) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": item.file.name });
  const label = el("span", { class: "small" });
  const li = el("li", { class: "file" }, el("span", { class: "file-name" }, item.file.name), " ", label, bar);
  const set = (key, fraction) => {
    label.replaceChildren(tr(key));
    i18n.apply(label);
    if (fraction !== undefined) bar.value = fraction;
  };
  return { li, set };
}
