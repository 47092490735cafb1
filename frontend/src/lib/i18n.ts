// Translation with one catalogue per language (no DOM here: page/common.ts
// re-labels the document). A key with plural forms is written as
// "key.one", "key.other" … and chosen by Intl.PluralRules from args.n.

/** One catalogue per language code: key → text with {name} parameters. */
export type Catalogues = Record<string, Record<string, string>>;
export type Args = Record<string, string | number>;
/** Operator-written text: one string, or one per language ({"en": …, "de": …}). */
export type LocalText = string | Record<string, string> | null | undefined;

export class Catalogue {
  readonly catalogues: Catalogues;
  lang: string;

  constructor(catalogues: Catalogues, wanted: string | readonly string[]) {
    this.catalogues = catalogues;
    this.lang = this.pick(wanted);
  }

  get languages(): string[] {
    return Object.keys(this.catalogues);
  }

  /** The first of `wanted` (e.g. navigator.languages) that has a catalogue, else "en". */
  pick(wanted: string | readonly (string | null | undefined)[] | null | undefined): string {
    for (const tag of [wanted].flat()) {
      const base = (tag ?? "").toLowerCase().split("-")[0] ?? "";
      if (base in this.catalogues) return base;
    }
    return "en" in this.catalogues ? "en" : (Object.keys(this.catalogues)[0] ?? "en");
  }

  private lookup(key: string): string | undefined {
    return this.catalogues[this.lang]?.[key] ?? this.catalogues.en?.[key];
  }

  /** The string for `key`, with {name} replaced from `args`; the key itself when missing. */
  t(key: string, args: Args = {}): string {
    const n = args.n;
    const plural =
      typeof n === "number" ? this.lookup(`${key}.${new Intl.PluralRules(this.lang).select(n)}`) : undefined;
    const text = plural ?? this.lookup(key) ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in args ? String(args[name]) : m));
  }

  /** Text in the current language from an operator-written {"en": …, "de": …} object. */
  local(texts: LocalText): string {
    if (typeof texts === "string") return texts;
    return texts?.[this.lang] ?? texts?.en ?? "";
  }
}
