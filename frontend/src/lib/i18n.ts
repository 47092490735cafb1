// Translation with one catalogue per language (no DOM here: page/common.ts
// re-labels the document).
//
// Plural forms. A message that names a count is written once per CLDR
// plural category of its language, as key suffixes: "key.one", "key.other"
// in English; "key.one", "key.few", "key.many", "key.other" in Polish;
// "key.zero" … "key.other" (six) in Arabic. Intl.PluralRules picks the
// category from the count: the argument `n`, or `total` in "{shown} of
// {total}" messages. A catalogue lacking that category falls back to its
// "key.other". Every catalogue lists exactly its language's categories
// (tests/js/lib.test.mjs). Numbers given as arguments are written with
// Intl.NumberFormat in the catalogue's language.
//
// Each catalogue names itself: "lang.name" (the language in its own name,
// for the switcher) and "lang.dir" ("ltr" or "rtl").

/** One catalogue per language code: key → text with {name} parameters. */
export type Catalogues = Record<string, Record<string, string>>;
export type Args = Record<string, string | number>;
/** Operator-written text: one string, or one per language ({"en": …, "de": …}). */
export type LocalText = string | Record<string, string> | null | undefined;

/** The argument whose value chooses the plural form, in order of preference. */
const COUNT_ARGS = ["n", "total"] as const;

export class Catalogue {
  readonly catalogues: Catalogues;
  lang: string;
  /** Intl objects per language: building one costs far more than using it, and views call t() per row. */
  private readonly intl = new Map<string, { plural: Intl.PluralRules; number: Intl.NumberFormat }>();

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
      if (Object.hasOwn(this.catalogues, base)) return base;
    }
    return "en" in this.catalogues ? "en" : (Object.keys(this.catalogues)[0] ?? "en");
  }

  /** "rtl" for a right-to-left language (its catalogue says so), else "ltr". */
  direction(lang = this.lang): "ltr" | "rtl" {
    return this.catalogues[lang]?.["lang.dir"] === "rtl" ? "rtl" : "ltr";
  }

  /** The language's name in that language ("Polski"), for the switcher. */
  nameOf(lang: string): string {
    return this.catalogues[lang]?.["lang.name"] ?? lang;
  }

  private intlFor(lang: string): { plural: Intl.PluralRules; number: Intl.NumberFormat } {
    let made = this.intl.get(lang);
    if (made === undefined) {
      made = { plural: new Intl.PluralRules(lang), number: new Intl.NumberFormat(lang) };
      this.intl.set(lang, made);
    }
    return made;
  }

  /** A UTC day ("2026-12-07") as the current language writes it, the same day in every time zone; the text as it is when it is no day. */
  longDay(day: string): string {
    const when = Date.parse(`${day}T00:00:00Z`);
    return Number.isNaN(when)
      ? day
      : new Intl.DateTimeFormat(this.lang, { dateStyle: "long", timeZone: "UTC" }).format(when);
  }

  /** The plural category of `count` in the current language (CLDR: zero, one, two, few, many, other). */
  pluralCategory(count: number): Intl.LDMLPluralRule {
    return this.intlFor(this.lang).plural.select(count);
  }

  private lookup(key: string): string | undefined {
    return this.catalogues[this.lang]?.[key] ?? this.catalogues.en?.[key];
  }

  /** The plural form of `key` for `count`: this language's category, its "other", then English's. */
  private plural(key: string, count: number): string | undefined {
    const own = this.catalogues[this.lang];
    const en = this.catalogues.en;
    return (
      own?.[`${key}.${this.pluralCategory(count)}`] ??
      own?.[`${key}.other`] ??
      en?.[`${key}.${this.intlFor("en").plural.select(count)}`]
    );
  }

  /** The string for `key`, with {name} replaced from `args`; the key itself when missing. */
  t(key: string, args: Args = {}): string {
    const count = COUNT_ARGS.map((name) => args[name]).find((v) => typeof v === "number");
    const text = (typeof count === "number" ? this.plural(key, count) : undefined) ?? this.lookup(key) ?? key;
    const number = this.intlFor(this.lang).number;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => {
      const value = Object.hasOwn(args, name) ? args[name] : undefined;
      if (value === undefined) return m;
      return typeof value === "number" ? number.format(value) : value;
    });
  }

  /** Text in the current language from an operator-written {"en": …, "de": …} object. */
  local(texts: LocalText): string {
    if (typeof texts === "string") return texts;
    return texts?.[this.lang] ?? texts?.en ?? "";
  }
}
