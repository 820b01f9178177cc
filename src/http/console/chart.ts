// A horizontal bar chart drawn on the server as SVG (no script, no inline style: colours come from
// console.css), with its data also given as a table for screen readers and for copying.
import { html, type Html } from './html.js';
import type { Lang } from './i18n.js';
import { num } from './format.js';

export interface BarChartOptions {
  id: string;
  title: string;
  /** Column headers of the data table. */
  labelHeader: string;
  countHeader: string;
  showTable: string;
  rows: { label: string; count: number }[];
  lang: Lang;
}

const WIDTH = 640;
const ROW = 26;
const LABEL = 200;
const COUNT = 70;

const short = (s: string) => (s.length > 30 ? s.slice(0, 29) + '…' : s);

export function barChart(o: BarChartOptions): Html {
  const max = Math.max(1, ...o.rows.map((r) => r.count));
  const height = Math.max(1, o.rows.length) * ROW + 4;
  const span = WIDTH - LABEL - COUNT;
  const summary = o.rows.map((r) => `${r.label}: ${num(o.lang, r.count)}`).join('; ');
  return html`<figure class="chart-figure">
    <svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${o.id}-title" xmlns="http://www.w3.org/2000/svg">
      <title id="${o.id}-title">${o.title}: ${summary}</title>
      ${o.rows.map((r, i) => {
        const y = i * ROW + 2;
        const w = Math.max(2, Math.round((r.count / max) * span));
        return html`<g>
          <text x="${LABEL - 8}" y="${y + 17}" text-anchor="end">${short(r.label)}</text>
          <rect class="bar" x="${LABEL}" y="${y + 3}" width="${w}" height="${ROW - 8}" rx="3"></rect>
          <text class="count" x="${LABEL + w + 6}" y="${y + 17}">${num(o.lang, r.count)}</text>
        </g>`;
      })}
    </svg>
    <details>
      <summary>${o.showTable}</summary>
      <table>
        <caption class="visually-hidden">
          ${o.title}
        </caption>
        <thead>
          <tr>
            <th scope="col">${o.labelHeader}</th>
            <th scope="col" class="num">${o.countHeader}</th>
          </tr>
        </thead>
        <tbody>
          ${o.rows.map(
            (r) =>
              html`<tr>
                <td>${r.label}</td>
                <td class="num">${num(o.lang, r.count)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </figure>`;
}

/** The largest `n` entries of a count map, the rest summed as `other`. */
export function topRows(counts: Record<string, number>, n: number, other: string, unknown: string): { label: string; count: number }[] {
  const sorted = Object.entries(counts)
    .map(([label, count]) => ({ label: label || unknown, count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  if (sorted.length <= n) return sorted;
  const rest = sorted.slice(n - 1).reduce((s, r) => s + r.count, 0);
  return [...sorted.slice(0, n - 1), { label: other, count: rest }];
}
