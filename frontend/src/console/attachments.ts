// A case's attachments in the case view: decrypted on demand (hash-checked
// by lib's Opener), saved as octet-stream or, for images, previewed in a
// sandboxed frame (protocol §6). The frame holds a small HTML document with
// the image as a data: URL: a blob: image would make Chromium build an image
// document that styles itself inline, which the console's CSP (inherited by
// the frame) refuses and logs. uploadRow shows a file the member sends, as it
// goes up.
import { OpenFailed } from "../lib/documents.js";
import { plainLabel } from "../lib/labels.js";
import { openCaseAttachment } from "../lib/teamops.js";
import type { AttachmentEntry } from "../lib/types.js";
import type { AttachmentUpload } from "../lib/upload.js";
import { $, el, formatSize, saveBytes, tr } from "../page/common.js";
import { uploadProgress } from "../page/upload-progress.js";
import { current, i18n, session, stillOpen } from "./session.js";

const PREVIEWABLE: [string, number[]][] = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
];

let previewUrl: string | null = null;

/** Where an attachment lives: its case, and the member's stanza index in the access list. */
export interface AttachmentPlace {
  caseId: string;
  hint: number;
}

function sniffImage(bytes: Uint8Array): string | null {
  return PREVIEWABLE.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0] ?? null;
}

/** A button that decrypts the attachment and hands the bytes to `use`, reporting in `status`. */
function action(
  key: string,
  entry: AttachmentEntry,
  place: AttachmentPlace,
  status: HTMLElement,
  use: (bytes: Uint8Array) => void,
): HTMLButtonElement {
  const button = el(
    "button",
    { type: "button", class: "link", "aria-label": `${i18n().t(key)}: ${plainLabel(entry.name)}` },
    tr(key),
  );
  button.addEventListener("click", () => {
    const epoch = session.epoch;
    button.disabled = true;
    status.replaceChildren(tr("console.attachment.decrypting"));
    i18n().apply(status);
    openCaseAttachment(current(), place.caseId, entry, place.hint)
      .then((bytes) => {
        if (!stillOpen(epoch)) return;
        status.replaceChildren(tr("console.attachment.verified"));
        use(bytes);
      })
      .catch((err: unknown) => {
        status.replaceChildren(tr(err instanceof OpenFailed ? "console.attachment.bad" : "console.error.unexpected"));
        status.className = "error";
      })
      .finally(() => {
        button.disabled = false;
        i18n().apply(status);
      });
  });
  return button;
}

/** One attachment: name, type and size, "Save file", and "Preview image" for images. */
export function attachmentItem(entry: AttachmentEntry, place: AttachmentPlace): HTMLLIElement {
  const status = el("p", { class: "small", role: "status" });
  const save = action("console.attachment.save", entry, place, status, (bytes) => {
    saveBytes(bytes, entry.name);
  });
  const canPreview = PREVIEWABLE.some(([type]) => type === entry.type);
  const preview = canPreview
    ? [
        " · ",
        action("console.attachment.preview", entry, place, status, (bytes) => {
          void showPreview(bytes, entry);
        }),
      ]
    : [];
  const size = `(${entry.type || "?"}, ${formatSize(entry.size, i18n().lang)})`;
  return el(
    "li",
    { class: "file", dataset: { attachment: entry.id } },
    // The reporter's name for the file, as a label in isolation (protocol §6).
    el("bdi", { class: "file-name" }, plainLabel(entry.name)),
    " ",
    el("span", { class: "small" }, size),
    " ",
    save,
    ...preview,
    status,
  );
}

/**
 * A file the member is sending with a reply or note: its name and the
 * upload's progress (share, speed, time left, offline or retrying) with a
 * cancel button, as on the reporter pages (page/upload-progress.ts).
 */
export function uploadRow(file: File, upload: AttachmentUpload): HTMLLIElement {
  const view = uploadProgress(file.name, i18n(), () => {
    upload.cancel();
    view.end("upload.cancelled");
  });
  upload.watch(view.update);
  return el("li", { class: "file" }, el("bdi", { class: "file-name" }, plainLabel(file.name)), " ", view.root);
}

/** The image as a data: URL (the only image source the frame may load: CSP img-src 'self' data:). */
const dataUrl = (bytes: Uint8Array, type: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      // readAsDataURL always yields a string.
      resolve(typeof reader.result === "string" ? reader.result : "");
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error("the image could not be read"));
    };
    reader.readAsDataURL(new Blob([bytes as BlobPart], { type }));
  });

/** Images only, in a frame sandboxed without allow-same-origin or scripts (protocol §6). */
async function showPreview(bytes: Uint8Array, entry: AttachmentEntry): Promise<void> {
  const type = sniffImage(bytes);
  if (!type) {
    saveBytes(bytes, entry.name);
    return;
  }
  const src = await dataUrl(bytes, type);
  closePreview();
  // Nothing of the report's text goes into this document: only the sniffed type and the bytes.
  const page = `<!doctype html><html><head><meta charset="utf-8"></head><body><img alt="" width="100%" src="${src}"></body></html>`;
  previewUrl = URL.createObjectURL(new Blob([page], { type: "text/html" }));
  $("preview-title").textContent = plainLabel(entry.name);
  // No allow-same-origin, no allow-scripts: the image renders in an opaque origin.
  const frame = el("iframe", {
    id: "preview-frame",
    sandbox: "",
    referrerpolicy: "no-referrer",
    title: i18n().t("console.preview.frame"),
  });
  frame.src = previewUrl;
  $("preview-slot").replaceChildren(frame);
  $("preview").hidden = false;
}

export function closePreview(): void {
  $("preview-slot").replaceChildren();
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  $("preview").hidden = true;
}
