// Numbers and instants as the console shows them, in the page's language. Times are UTC (the
// server's audit log and the API speak UTC; the <time> element keeps the exact instant).
import { html, type Html } from './html.js';
import type { Lang } from './i18n.js';

const numbers = { en: new Intl.NumberFormat('en'), fr: new Intl.NumberFormat('fr') };
const dates = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
};

export const num = (lang: Lang, n: number): string => numbers[lang].format(n);

/** An instant as `<time>` ("6 Dec 2026, 07:16 UTC"); '—' when absent or unreadable. */
export function when(lang: Lang, iso: string | undefined): Html {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return html`<span class="muted">—</span>`;
  return html`<time datetime="${new Date(t).toISOString()}">${dates[lang].format(t)} UTC</time>`;
}
