// The audit log: who did what, newest first, filtered by actor, action and a date range (UTC
// days), paged by the id of the last entry shown. The filters are a GET form, so a filtered page
// has an address to share.
import type { AuditQuery } from '../../../store/types.js';
import { html, type Html } from '../html.js';
import { type Messages, translator } from '../i18n.js';
import type { ConsoleDeps } from '../deps.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, one, type PageContext } from '../page.js';
import { type FieldErrors, input } from './admins-kit.js';
import { auditTable } from './audit-table.js';

const PAGE = 50;

const messages = {
  en: {
    title: 'Audit log',
    intro: 'Every change made by an administrator, an API token or the server, newest first. Times are UTC.',
    filters: 'Filters',
    actor: 'Who',
    actorHint: 'A part of the name, e.g. alice or break-glass.',
    action: 'Action',
    actionHint: 'An action (tenant.connect) or a family (tenant).',
    from: 'From (day, UTC)',
    to: 'To (day, UTC, included)',
    apply: 'Filter',
    clear: 'Clear the filters',
    badDate: 'A date as YYYY-MM-DD.',
    toBeforeFrom: 'The end is before the start.',
    caption: 'Audit events, newest first',
    older: 'Older events',
    newest: 'Newest events',
    paging: 'Pages',
  },
  fr: {
    title: "Journal d'audit",
    intro: "Chaque modification faite par un administrateur, un jeton d'API ou le serveur, de la plus récente à la plus ancienne. Heures en UTC.",
    filters: 'Filtres',
    actor: 'Qui',
    actorHint: 'Une partie du nom, par ex. alice ou break-glass.',
    action: 'Action',
    actionHint: 'Une action (tenant.connect) ou une famille (tenant).',
    from: 'Du (jour, UTC)',
    to: 'Au (jour, UTC, inclus)',
    apply: 'Filtrer',
    clear: 'Effacer les filtres',
    badDate: 'Une date au format AAAA-MM-JJ.',
    toBeforeFrom: 'La fin précède le début.',
    caption: "Événements d'audit, du plus récent au plus ancien",
    older: 'Événements plus anciens',
    newest: 'Événements les plus récents',
    paging: 'Pages',
  },
} satisfies Messages<string>;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start of a UTC day as an ISO time, or undefined when `day` is not a real date. */
function dayStart(day: string): string | undefined {
  if (!DAY.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== day ? undefined : d.toISOString();
}

const nextDay = (iso: string) => new Date(Date.parse(iso) + 86_400_000).toISOString();

interface Filters {
  actor: string;
  action: string;
  from: string;
  to: string;
}

/** The store query of the page's filters, or the errors of the fields that are wrong. */
function queryOf(f: Filters, before: string, tr: (k: 'badDate' | 'toBeforeFrom') => string): { query: AuditQuery } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const from = f.from ? dayStart(f.from) : undefined;
  const to = f.to ? dayStart(f.to) : undefined;
  if (f.from && !from) errors.from = tr('badDate');
  if (f.to && !to) errors.to = tr('badDate');
  if (from && to && to < from) errors.to = tr('toBeforeFrom');
  if (Object.keys(errors).length) return { errors };
  const beforeId = /^[1-9]\d{0,15}$/.test(before) ? Number(before) : undefined;
  return {
    query: {
      limit: PAGE + 1,
      beforeId,
      actor: f.actor || undefined,
      action: f.action || undefined,
      from,
      to: to && nextDay(to),
    },
  };
}

async function auditPage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const tr = translator<keyof typeof messages.en>(messages, ctx.lang);
  const q = ctx.query;
  const f: Filters = { actor: one(q, 'actor').trim(), action: one(q, 'action').trim(), from: one(q, 'from').trim(), to: one(q, 'to').trim() };
  const parsed = queryOf(f, one(q, 'before'), tr);
  const errors = 'errors' in parsed ? parsed.errors : undefined;
  if (errors) ctx.reply.code(400);
  const rows = 'query' in parsed ? await deps.store.audit.list(parsed.query) : [];
  const more = rows.length > PAGE;
  const shown = rows.slice(0, PAGE);
  const filterParams = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
  const link = (extra: Record<string, string>) => {
    const p = new URLSearchParams(filterParams);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    const s = p.toString();
    return `/console/audit${s ? `?${s}` : ''}`;
  };
  const paging = html`<nav aria-label="${tr('paging')}" class="pager">
    ${one(q, 'before') ? html`<a href="${link({})}">${tr('newest')}</a>` : ''}
    ${more ? html`<a href="${link({ before: String(shown[shown.length - 1].id) })}" rel="next">${tr('older')}</a>` : ''}
  </nav>`;
  return layout(ctx, {
    title: tr('title'),
    nav: 'audit',
    body: html`<p>${tr('intro')}</p>
      <form method="get" action="/console/audit" class="filters" role="search" aria-label="${tr('filters')}">
        ${input({ form: 'audit', name: 'actor', label: tr('actor'), value: f.actor, hint: tr('actorHint'), errors })}
        ${input({ form: 'audit', name: 'action', label: tr('action'), value: f.action, hint: tr('actionHint'), errors })}
        ${input({ form: 'audit', name: 'from', label: tr('from'), type: 'date', value: f.from, errors })}
        ${input({ form: 'audit', name: 'to', label: tr('to'), type: 'date', value: f.to, errors })}
        <div class="actions">
          <button type="submit" class="primary">${tr('apply')}</button>
          ${filterParams.size ? html`<a href="/console/audit">${tr('clear')}</a>` : ''}
        </div>
      </form>
      ${errors ? '' : html`${auditTable(ctx.lang, shown, tr('caption'))} ${paging}`}`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/audit', 'audit.read', (ctx) => auditPage(ctx, deps));
}
