// The device list (/console/devices): search, the API's filters, sort and keyset paging, all done
// by the server (DeviceService.list and its cursor), so it stays fast with a large fleet. The
// filters are a GET form: every list state is a link. "Previous" walks back the trail of cursors
// the page carries (a keyset cursor only goes forward).
import type { DeviceListParams } from '../../../service/fleet/device-list.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { html, type Html } from '../html.js';
import { translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, one } from '../page.js';

const messages = {
  en: {
    title: 'Devices',
    filters: 'Search and filters',
    q: 'Search',
    qHint: 'Part of a device name, user, DeviceID or id',
    state: 'State',
    any: 'Any',
    enrolled: 'Enrolled',
    unenrolled: 'Unenrolled',
    enrollmentType: 'Enrollment',
    Device: 'Device (shared)',
    Full: 'User',
    edition: 'Edition',
    osBuild: 'OS build starts with',
    profileStatus: 'Profile status',
    compliance: 'Compliance',
    compliant: 'Compliant',
    noncompliant: 'Not compliant',
    inGracePeriod: 'In grace period',
    unknown: 'Unknown or not evaluated',
    lastSeenAfter: 'Seen since',
    lastSeenBefore: 'Not seen since',
    stale: 'Stale only',
    sort: 'Sort by',
    limit: 'Per page',
    apply: 'Apply',
    reset: 'Clear filters',
    host: 'Device',
    user: 'User',
    build: 'OS build',
    type: 'Enrollment',
    lastSeen: 'Last seen',
    enrolledAt: 'Enrolled',
    'sort.enrolledAt': 'Enrolled, oldest first',
    'sort.-enrolledAt': 'Enrolled, newest first',
    'sort.lastSeen': 'Last seen, longest ago first',
    'sort.-lastSeen': 'Last seen, most recent first',
    'sort.hostName': 'Device name, A to Z',
    'sort.-hostName': 'Device name, Z to A',
    'sort.upn': 'User, A to Z',
    'sort.-upn': 'User, Z to A',
    count: '{total} devices match.',
    none: 'No device matches.',
    next: 'Next page',
    prev: 'Previous page',
    first: 'First page',
    pages: 'Pages',
    released: 'released',
  },
  fr: {
    title: 'Appareils',
    filters: 'Recherche et filtres',
    q: 'Rechercher',
    qHint: "Une partie du nom d'appareil, de l'utilisateur, du DeviceID ou de l'identifiant",
    state: 'État',
    any: 'Tous',
    enrolled: 'Inscrit',
    unenrolled: 'Désinscrit',
    enrollmentType: 'Inscription',
    Device: 'Appareil (partagé)',
    Full: 'Utilisateur',
    edition: 'Édition',
    osBuild: 'Build du système commençant par',
    profileStatus: 'État des profils',
    compliance: 'Conformité',
    compliant: 'Conforme',
    noncompliant: 'Non conforme',
    inGracePeriod: 'En période de grâce',
    unknown: 'Inconnue ou non évaluée',
    lastSeenAfter: 'Vu depuis le',
    lastSeenBefore: 'Non vu depuis le',
    stale: 'Inactifs seulement',
    sort: 'Trier par',
    limit: 'Par page',
    apply: 'Appliquer',
    reset: 'Effacer les filtres',
    host: 'Appareil',
    user: 'Utilisateur',
    build: 'Build du système',
    type: 'Inscription',
    lastSeen: 'Dernier contact',
    enrolledAt: 'Inscrit le',
    'sort.enrolledAt': 'Inscription, plus ancienne en premier',
    'sort.-enrolledAt': 'Inscription, plus récente en premier',
    'sort.lastSeen': 'Dernier contact, plus ancien en premier',
    'sort.-lastSeen': 'Dernier contact, plus récent en premier',
    'sort.hostName': "Nom d'appareil, de A à Z",
    'sort.-hostName': "Nom d'appareil, de Z à A",
    'sort.upn': 'Utilisateur, de A à Z',
    'sort.-upn': 'Utilisateur, de Z à A',
    count: '{total} appareils correspondent.',
    none: 'Aucun appareil ne correspond.',
    next: 'Page suivante',
    prev: 'Page précédente',
    first: 'Première page',
    pages: 'Pages',
    released: 'libéré',
  },
};

const SORTS = ['-enrolledAt', 'enrolledAt', '-lastSeen', 'lastSeen', 'hostName', '-hostName', 'upn', '-upn'] as const;
const LIMITS = ['25', '50', '100'];
const PROFILE_STATUSES = ['pending', 'held', 'delivered', 'verified', 'failed', 'removing', 'removed'];
/** The API's compliance filter (unknown: also the devices never evaluated). */
const COMPLIANCE = ['compliant', 'inGracePeriod', 'noncompliant', 'unknown'] as const;
/** The filter fields, named as the API's query parameters. */
const TEXT_FILTERS = ['q', 'edition', 'osBuild', 'lastSeenAfter', 'lastSeenBefore'] as const;
/** How many earlier cursors "Previous" can walk back through. */
const TRAIL_MAX = 30;
const FIRST = '~';

type Query = Record<string, string | string[]>;

/** The list parameters of the page's query string (invalid choices fall back to the default). */
function paramsOf(query: Query): DeviceListParams & { sort: string; limit: number } {
  const get = (k: string) => one(query, k).trim() || undefined;
  const state = get('state');
  const type = get('enrollmentType');
  const status = get('profileStatus');
  const compliance = COMPLIANCE.find((c) => c === get('compliance'));
  const sort = get('sort');
  const limit = get('limit');
  return {
    q: get('q'),
    edition: get('edition'),
    osBuild: get('osBuild'),
    lastSeenAfter: get('lastSeenAfter'),
    lastSeenBefore: get('lastSeenBefore'),
    state: state === 'enrolled' || state === 'unenrolled' ? state : undefined,
    enrollmentType: type === 'Full' || type === 'Device' ? type : undefined,
    profileStatus: status && PROFILE_STATUSES.includes(status) ? status : undefined,
    compliance,
    stale: get('stale') === '1' ? true : undefined,
    sort: sort && (SORTS as readonly string[]).includes(sort) ? sort : '-enrolledAt',
    limit: limit && LIMITS.includes(limit) ? Number(limit) : 50,
    cursor: get('cursor'),
  };
}

/** The query string of the list with these parameters (empty ones left out). */
function href(p: Record<string, string | number | boolean | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '' && v !== false) s.set(k, v === true ? '1' : String(v));
  const q = s.toString();
  return q ? `/console/devices?${q}` : '/console/devices';
}

function select(id: string, label: string, value: string | undefined, options: [string, string][], error?: string): Html {
  return html`<div>
    <label for="${id}">${label}</label>
    <select id="${id}" name="${id}" ${error ? html`aria-invalid="true" aria-describedby="${id}-error"` : ''}>
      ${options.map(([v, text]) => html`<option value="${v}" ${v === (value ?? '') ? html`selected` : ''}>${text}</option>`)}
    </select>
    ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

function input(id: string, label: string, value: string | undefined, type: string, error?: string, extra?: { hint?: string; grow?: boolean }): Html {
  const described = [extra?.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="${extra?.grow ? 'grow' : ''}">
    <label for="${id}">${label}</label>
    <input
      id="${id}"
      name="${id}"
      type="${type}"
      value="${value ?? ''}"
      ${described ? html`aria-describedby="${described}"` : ''}
      ${error ? html`aria-invalid="true"` : ''}
    />
    ${extra?.hint ? html`<p class="hint" id="${id}-hint">${extra.hint}</p>` : ''} ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

function sortHeader(label: string, key: string, p: ReturnType<typeof paramsOf>, base: Record<string, string | number | boolean | undefined>): Html {
  const current = p.sort === key ? 'ascending' : p.sort === `-${key}` ? 'descending' : undefined;
  const next = current === 'ascending' ? `-${key}` : key;
  return html`<th scope="col" ${current ? html`aria-sort="${current}"` : ''}>
    <a href="${href({ ...base, sort: next })}">${label}${current === 'ascending' ? ' ▲' : current === 'descending' ? ' ▼' : ''}</a>
  </th>`;
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/devices', 'read', async (ctx) => {
    const t = translator(messages, ctx.lang);
    const p = paramsOf(ctx.query);
    // The filters as they stay from page to page (no cursor: a change of filter starts afresh).
    const base: Record<string, string | number | boolean | undefined> = {
      q: p.q,
      state: p.state,
      enrollmentType: p.enrollmentType,
      edition: p.edition,
      osBuild: p.osBuild,
      profileStatus: p.profileStatus,
      compliance: p.compliance,
      lastSeenAfter: p.lastSeenAfter,
      lastSeenBefore: p.lastSeenBefore,
      stale: p.stale,
      sort: p.sort,
      limit: p.limit === 50 ? undefined : p.limit,
    };
    let errors: Record<string, string> | undefined;
    let result: Awaited<ReturnType<typeof deps.devices.list>> = { total: 0, devices: [] };
    try {
      result = await deps.devices.list(p);
    } catch (err) {
      errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(400);
    }
    const trail = one(ctx.query, 'trail')
      .split(',')
      .filter((c) => c === FIRST || /^[A-Za-z0-9_-]{1,2000}$/.test(c))
      .slice(-TRAIL_MAX);
    const here = p.cursor ?? FIRST;
    const nextHref = result.nextCursor ? href({ ...base, cursor: result.nextCursor, trail: [...trail, here].slice(-TRAIL_MAX).join(',') }) : undefined;
    const prevCursor = trail.length ? trail[trail.length - 1] : undefined;
    const prevHref =
      p.cursor === undefined
        ? undefined
        : href({ ...base, cursor: prevCursor && prevCursor !== FIRST ? prevCursor : undefined, trail: trail.slice(0, -1).join(',') || undefined });
    const err = (k: string) => errors?.[k];
    const filters = html`<form method="get" action="/console/devices" class="filters" role="search" aria-label="${t('filters')}">
      ${input('q', t('q'), p.q, 'search', err('q'), { hint: t('qHint'), grow: true })}
      ${select('state', t('state'), p.state, [
        ['', t('any')],
        ['enrolled', t('enrolled')],
        ['unenrolled', t('unenrolled')],
      ])}
      ${select('enrollmentType', t('enrollmentType'), p.enrollmentType, [
        ['', t('any')],
        ['Full', t('Full')],
        ['Device', t('Device')],
      ])}
      ${input('edition', t('edition'), p.edition, 'text', err('edition'))} ${input('osBuild', t('osBuild'), p.osBuild, 'text', err('osBuild'))}
      ${select('profileStatus', t('profileStatus'), p.profileStatus, [['', t('any')], ...PROFILE_STATUSES.map((s): [string, string] => [s, s])])}
      ${select('compliance', t('compliance'), p.compliance, [['', t('any')], ...COMPLIANCE.map((c): [string, string] => [c, t(c)])])}
      ${input('lastSeenAfter', t('lastSeenAfter'), p.lastSeenAfter, 'date', err('lastSeenAfter'))}
      ${input('lastSeenBefore', t('lastSeenBefore'), p.lastSeenBefore, 'date', err('lastSeenBefore'))}
      <label class="check"><input type="checkbox" name="stale" value="1" ${p.stale ? html`checked` : ''} /> ${t('stale')}</label>
      ${select(
        'sort',
        t('sort'),
        p.sort,
        SORTS.map((s): [string, string] => [s, t(`sort.${s}`)]),
      )}
      ${select(
        'limit',
        t('limit'),
        String(p.limit),
        LIMITS.map((l): [string, string] => [l, l]),
      )}
      <div class="actions"><button type="submit">${t('apply')}</button> <a class="button secondary" href="/console/devices">${t('reset')}</a></div>
    </form>`;
    const otherErrors = errors && Object.entries(errors).filter(([k]) => !(TEXT_FILTERS as readonly string[]).includes(k));
    const table =
      result.devices.length === 0
        ? html`<p>${t('none')}</p>`
        : html`<div class="table-wrap">
            <table class="list">
              <caption>
                ${t('count', { total: `${num(ctx.lang, result.total)}${result.totalIsLowerBound ? '+' : ''}` })}
              </caption>
              <thead>
                <tr>
                  ${sortHeader(t('host'), 'hostName', p, base)} ${sortHeader(t('user'), 'upn', p, base)}
                  <th scope="col">${t('build')}</th>
                  <th scope="col">${t('edition')}</th>
                  <th scope="col">${t('type')}</th>
                  <th scope="col">${t('state')}</th>
                  ${sortHeader(t('lastSeen'), 'lastSeen', p, base)} ${sortHeader(t('enrolledAt'), 'enrolledAt', p, base)}
                </tr>
              </thead>
              <tbody>
                ${result.devices.map(
                  (d) =>
                    html`<tr>
                      <td><a href="/console/devices/${encodeURIComponent(d.id)}">${d.hostName ?? d.deviceName ?? d.deviceId}</a></td>
                      <td>${d.signedInUser?.upn ?? d.user?.upn ?? ''}</td>
                      <td>${d.osBuild ?? ''}</td>
                      <td>${d.edition ?? ''}</td>
                      <td>${t(d.enrollmentType)}</td>
                      <td>
                        <span class="badge ${d.state === 'enrolled' ? 'ok' : 'warn'}">${d.state === 'enrolled' ? t('enrolled') : t('unenrolled')}</span>
                        ${d.released ? html`<span class="muted">(${t('released')})</span>` : ''}
                      </td>
                      <td>${when(ctx.lang, d.lastSeenAt)}</td>
                      <td>${when(ctx.lang, d.enrolledAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`;
    const pager =
      prevHref || nextHref
        ? html`<nav class="pager" aria-label="${t('pages')}">
            ${p.cursor !== undefined ? html`<a href="${href(base)}">${t('first')}</a>` : ''}
            ${prevHref ? html`<a href="${prevHref}" rel="prev">${t('prev')}</a>` : ''}
            ${nextHref ? html`<a href="${nextHref}" rel="next">${t('next')}</a>` : ''}
          </nav>`
        : undefined;
    return layout(ctx, {
      title: t('title'),
      nav: 'devices',
      body: html`${otherErrors && otherErrors.length ? html`<div class="form-errors" role="alert">${otherErrors.map(([, m]) => html`<p>${m}</p>`)}</div>` : ''}
      ${filters} ${table} ${pager}`,
    });
  });
}
