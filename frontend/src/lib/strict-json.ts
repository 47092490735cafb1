// A strict JSON parser for decrypted documents (protocol §0): no duplicate
// keys, integers only (within ±(2^53−1), no fraction or exponent), no lone
// surrogates, nesting ≤ 8. JSON.parse accepts all of these silently.

const WORDS: readonly (readonly [string, boolean | null])[] = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Parse `text` as strict JSON. @throws {SyntaxError} */
export function parseStrict(text: string, maxDepth = 8): unknown {
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`${why} at ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const value = (depth: number): unknown => {
    ws();
    const c = text.charAt(i);
    if (c === "{" || c === "[") {
      if (depth >= maxDepth) fail("too deep");
      return c === "{" ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const [word, v] of WORDS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail("unexpected character");
  };
  const object = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail("expected key");
      const key = string();
      if (Object.hasOwn(out, key)) fail("duplicate key");
      ws();
      if (text[i++] !== ":") fail("expected :");
      // defineProperty, not assignment: a key "__proto__" must stay a plain key.
      Object.defineProperty(out, key, { value: value(depth), enumerable: true, writable: true, configurable: true });
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i++] === "}") return out;
      fail("expected , or }");
    }
  };
  const array = (depth: number): unknown[] => {
    const out: unknown[] = [];
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i++] === "]") return out;
      fail("expected , or ]");
    }
  };
  const string = (): string => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) return fail("bad string");
    i += m[0].length;
    const s = JSON.parse(m[0]) as string;
    if (!s.isWellFormed()) fail("lone surrogate");
    return s;
  };
  const number = (): number => {
    const m = /^-?(?:0|[1-9][0-9]*)(?![.eE0-9])/.exec(text.slice(i));
    if (!m) return fail("only integers");
    i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) fail("integer out of range");
    return n;
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail("trailing data");
  return result;
}
