// The console's languages. Each page keeps its own messages next to it, in both languages, as
// `{ en: {...}, fr: {...} }`; `translator` checks at compile time that French has every English key.

export const LANGS = ['en', 'fr'] as const;
export type Lang = (typeof LANGS)[number];

export type Messages<K extends string> = { en: Record<K, string>; fr: Record<K, string> };

export type Translate<K extends string> = (key: K, vars?: Record<string, string | number>) => string;

/** `{name}` in a message is replaced by vars.name. */
export function translator<K extends string>(messages: Messages<K>, lang: Lang): Translate<K> {
  const table = messages[lang];
  return (key, vars) => {
    const text = table[key];
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

/** The language of a request: the `lang` cookie if set, else the first of Accept-Language we have, else English. */
export function langOf(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (cookie === 'en' || cookie === 'fr') return cookie;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase().slice(0, 2);
    if (tag === 'en' || tag === 'fr') return tag;
  }
  return 'en';
}
