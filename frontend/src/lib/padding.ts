// Padding (protocol §2.2): Padmé, Nikitin et al., PETS 2019.

/** padme(L) for L ≥ 1 (integers up to 2^53). */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError("padme needs L ≥ 1");
  const e = Math.floor(Math.log2(length));
  if (e === 0) return length;
  const s = Math.floor(Math.log2(e)) + 1;
  const z = e - s;
  // (L + m) & ~m with m = 2^z − 1 is L rounded up to a multiple of 2^z;
  // written with division because JS bit operators truncate to 32 bits.
  const step = 2 ** Math.max(z, 0);
  return Math.ceil(length / step) * step;
}

/** The padded size of a document or attachment: padme(max(L, 4096)). */
export const paddedSize = (length: number): number => padme(Math.max(length, 4096));

/** A document's plaintext: the JSON bytes followed by 0x20 up to paddedSize. */
export function padDocument(jsonBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedSize(jsonBytes.length)).fill(0x20);
  out.set(jsonBytes);
  return out;
}

/**
 * The JSON bytes of a padded document. After the closing `}` only 0x20 is
 * accepted (protocol §2.2).
 * @throws {SyntaxError}
 */
export function unpadDocument(bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== 0x7b) throw new SyntaxError("document does not start with {");
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0x20) end--;
  if (end === 0 || bytes[end - 1] !== 0x7d) throw new SyntaxError("document does not end in }");
  return bytes.subarray(0, end);
}

/**
 * An attachment's bytes: truncated to the listed `size`; everything after
 * must be 0x00 padding (protocol §2.2).
 * @throws {RangeError}
 */
export function unpadAttachment(bytes: Uint8Array, size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0 || size > bytes.length) throw new RangeError("attachment size");
  for (let i = size; i < bytes.length; i++) if (bytes[i] !== 0) throw new RangeError("attachment padding");
  return bytes.subarray(0, size);
}
