// Translation with one catalogue per language; the DOM is re-labelled in
// place, so the language switches without a reload.
//   data-i18n="key"               → textContent
//   data-i18n-attr="attr:key;…"   → attributes (aria-label, placeholder, title)
//   data-i18n-args='{"n": 3}'     → parameters for {n} in the text

export class I18n {
  constructor(catalogues, lang) {
    this.catalogues = catalogues;
    this.listeners = [];
    this.lang = this.pick(lang);
  }

  get languages() {
    return Object.keys(this.catalogues);
  }

  /** The first of `wanted` (e.g. navigator.languages) that has a catalogue, else "en". */
  pick(wanted) {
    for (const tag of [wanted].flat()) {
      const base = String(tag ?? "").toLowerCase().split("-")[0];
      if (base in this.catalogues) return base;
    }
    return "en" in this.catalogues ? "en" : Object.keys(this.catalogues)[0];
  }

  /** The string for `key`, with {name} replaced from `args`; the key itself when missing. */
  t(key, args = {}) {
    const text = this.catalogues[this.lang]?.[key] ?? this.catalogues.en?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in args ? String(args[name]) : m));
  }

  /** Text in the current language from an operator-written {"en": …, "de": …} object. */
  local(texts) {
    if (typeof texts === "string") return texts;
    return texts?.[this.lang] ?? texts?.en ?? "";
  }

  apply(root) {
    if (root.documentElement) root.documentElement.lang = this.lang;
    for (const el of root.querySelectorAll("[data-i18n]")) {
      el.textContent = this.t(el.dataset.i18n, el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {});
    }
    for (const el of root.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of el.dataset.i18nAttr.split(";")) {
        const [attr, key] = pair.split(":");
        el.setAttribute(attr.trim(), this.t(key.trim()));
      }
    }
  }

  setLanguage(lang, root) {
    this.lang = this.pick(lang);
    this.apply(root);
    this.listeners.forEach((fn) => fn(this.lang));
  }

  onChange(fn) {
    this.listeners.push(fn);
  }
}
