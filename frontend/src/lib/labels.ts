// Reporter-controlled strings shown to the team (protocol §6): attachment
// names and form answers become labels and file names. The twin of
// candor/labels.py, pinned by tests/vectors/labels.json.
//
// A label drops control and format characters (\p{Cc}, \p{Cf}: bidi
// overrides such as U+202E, which make "invoice\u202efdp.exe" read as
// "invoiceexe.pdf", and zero-width characters), separators, surrogates,
// private-use and unassigned code points. Views still show a label inside
// <bdi>, so a right-to-left name cannot reorder the text around it.

export const MAX_LABEL = 120; // code points
export const FALLBACK_NAME = "attachment.bin";
const DROPPED = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;
const PATH_CHARS = /[/\\:*?"<>|]/g;

/** NFKC, without the dropped characters, trimmed, at most MAX_LABEL code points. */
export function plainLabel(value: unknown): string {
  const text = typeof value === "string" ? value.normalize("NFKC") : "";
  return Array.from(text.replace(DROPPED, "").trim()).slice(0, MAX_LABEL).join("");
}

/**
 * A free text for a page: like a label, but keeping line breaks and tabs and
 * its whole length, so no bidi override from a reporter reorders what the team reads.
 */
export function plainText(value: unknown): string {
  const text = typeof value === "string" ? value.normalize("NFKC") : "";
  return text.replace(DROPPED, (c) => (c === "\n" || c === "\t" ? c : ""));
}

/** A label that is also a safe file name: no path characters, no leading dots or spaces. */
export function safeFileName(value: unknown): string {
  const name = plainLabel(value)
    .replace(PATH_CHARS, "_")
    .replace(/^[. ]+/, "");
  return name || FALLBACK_NAME;
}
