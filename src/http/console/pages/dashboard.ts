// The dashboard (/console/): the fleet at a glance — enrolled, seen in 24 h, stale; OS builds and
// editions as charts; profiles with failures or holds; recent enrollments and audit events.
import { can } from '../../../service/admins/capabilities.js';
import { fleetSummary } from '../../../service/fleet/summary.js';
import { barChart, topRows } from '../chart.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { html } from '../html.js';
import { translator } from '../i18n.js';
import { layout } from '../layout.js';
import type { ConsoleRoutes } from '../page.js';

const messages = {
  en: {
    title: 'Dashboard',
    enrolled: 'Enrolled devices',
    seen24h: 'Seen in the last 24 hours',
    stale: 'Stale (not seen for {days} days)',
    builds: 'OS builds',
    editions: 'Editions',
    build: 'OS build',
    edition: 'Edition',
    devices: 'Devices',
    asTable: 'Show the data as a table',
    other: 'Other',
    unknown: 'Unknown',
    noDevices: 'No device has enrolled yet.',
    attention: 'Profiles with failures or holds',
    attentionNone: 'No profile has a failed or held delivery.',
    profile: 'Profile',
    kind: 'Kind',
    failed: 'Failed',
    held: 'Held',
    recent: 'Recent enrollments',
    host: 'Device',
    user: 'User',
    enrolledAt: 'Enrolled',
    allDevices: 'All devices',
    audit: 'Recent audit events',
    auditNone: 'Nothing recorded yet.',
    at: 'When',
    actor: 'Who',
    action: 'Action',
    target: 'Object',
    allAudit: 'Whole audit log',
    asOf: 'Fleet figures as of',
    compliance: 'Compliance (devices evaluated)',
    compliant: 'Compliant',
    inGracePeriod: 'In grace period',
    noncompliant: 'Not compliant',
    unknownState: 'Unknown',
    colon: ':',
  },
  fr: {
    title: 'Tableau de bord',
    enrolled: 'Appareils inscrits',
    seen24h: 'Vus ces dernières 24 heures',
    stale: 'Inactifs (non vus depuis {days} jours)',
    builds: 'Builds du système',
    editions: 'Éditions',
    build: 'Build du système',
    edition: 'Édition',
    devices: 'Appareils',
    asTable: 'Afficher les données sous forme de tableau',
    other: 'Autres',
    unknown: 'Inconnue',
    noDevices: "Aucun appareil n'est encore inscrit.",
    attention: 'Profils en échec ou en attente',
    attentionNone: "Aucun profil n'a de livraison en échec ou en attente.",
    profile: 'Profil',
    kind: 'Type',
    failed: 'En échec',
    held: 'En attente',
    recent: 'Inscriptions récentes',
    host: 'Appareil',
    user: 'Utilisateur',
    enrolledAt: 'Inscrit le',
    allDevices: 'Tous les appareils',
    audit: "Derniers événements d'audit",
    auditNone: "Rien n'est encore journalisé.",
    at: 'Quand',
    actor: 'Qui',
    action: 'Action',
    target: 'Objet',
    allAudit: "Tout le journal d'audit",
    asOf: 'Chiffres du parc au',
    compliance: 'Conformité (appareils évalués)',
    compliant: 'Conforme',
    inGracePeriod: 'En période de grâce',
    noncompliant: 'Non conforme',
    unknownState: 'Inconnue',
    colon: ' :',
  },
};

const DAY = 86_400_000;
/** The compliance card's states, each a link to the device list filtered by it. */
const COMPLIANCE_STATES = [
  ['noncompliant', 'noncompliant'],
  ['inGracePeriod', 'inGracePeriod'],
  ['compliant', 'compliant'],
  ['unknown', 'unknownState'],
] as const;
/** Fleet figures that took longer than this to count are reused for CACHE_MS (a large fleet). */
const SLOW_MS = 100;
const CACHE_MS = 30_000;

type Figures = Awaited<ReturnType<typeof countFleet>>;
const cached = new WeakMap<object, { until: number; figures: Figures }>();

/** Forget the figures counted for this store (bench/console.ts times the dashboard uncached). */
export function forgetFleetFigures(store: object): void {
  cached.delete(store);
}

/** The counts, charts and attention list: whole-fleet queries (bench/console.ts: the fleet summary is one GROUP BY over an index). */
async function countFleet(deps: ConsoleDeps, now: Date) {
  const [summary, seen, attention] = await Promise.all([
    fleetSummary(deps.store, now),
    deps.devices.count({ state: 'enrolled', lastSeenAfter: new Date(now.getTime() - DAY).toISOString() }, now),
    deps.profileStatus.needingAttention(),
  ]);
  return { summary, seen24h: seen, attention };
}

/** The fleet figures: counted afresh, unless the last count was slow and is under CACHE_MS old. */
async function fleetFigures(deps: ConsoleDeps, now: Date): Promise<Figures> {
  const hit = cached.get(deps.store);
  if (hit && hit.until > now.getTime()) return hit.figures;
  const t0 = performance.now();
  const figures = await countFleet(deps, now);
  if (performance.now() - t0 > SLOW_MS) cached.set(deps.store, { until: now.getTime() + CACHE_MS, figures });
  else cached.delete(deps.store);
  return figures;
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/', 'read', async (ctx) => {
    const t = translator(messages, ctx.lang);
    const now = new Date();
    const showAudit = can(ctx.principal, 'audit.read');
    const [{ summary, seen24h, attention }, recent, audit] = await Promise.all([
      fleetFigures(deps, now),
      deps.devices.list({ sort: '-enrolledAt', limit: 8 }, now),
      showAudit ? deps.store.audit.list({ limit: 8 }) : Promise.resolve([]),
    ]);
    const enrolled = summary.byState.enrolled ?? 0;
    const cards = html`<section class="cards" aria-label="${t('title')}">
      <div class="card"><span class="value">${num(ctx.lang, enrolled)}</span><span class="label">${t('enrolled')}</span></div>
      <div class="card"><span class="value">${num(ctx.lang, seen24h)}</span><span class="label">${t('seen24h')}</span></div>
      <div class="card">
        <span class="value">${num(ctx.lang, summary.stale.count)}</span
        ><span class="label"><a href="/console/devices?stale=1">${t('stale', { days: summary.stale.staleAfterDays })}</a></span>
      </div>
      <div class="card" data-card="compliance">
        <span class="label">${t('compliance')}</span>
        <ul>
          ${COMPLIANCE_STATES.map(
            ([state, key]) =>
              html`<li>
                <a href="/console/devices?compliance=${state}">${t(key)}</a>${t('colon')} <strong>${num(ctx.lang, summary.byCompliance[state] ?? 0)}</strong>
              </li>`,
          )}
        </ul>
      </div>
    </section>`;
    const asOf = html`<p class="muted">${t('asOf')} ${when(ctx.lang, summary.at)}</p>`;
    const charts =
      summary.total === 0
        ? html`<p class="muted">${t('noDevices')}</p>`
        : html`<div class="panels">
            <section class="panel" aria-labelledby="h-builds">
              <h2 id="h-builds">${t('builds')}</h2>
              ${barChart({
                id: 'chart-builds',
                title: t('builds'),
                labelHeader: t('build'),
                countHeader: t('devices'),
                showTable: t('asTable'),
                rows: topRows(summary.byOsBuild, 8, t('other'), t('unknown')),
                lang: ctx.lang,
              })}
            </section>
            <section class="panel" aria-labelledby="h-editions">
              <h2 id="h-editions">${t('editions')}</h2>
              ${barChart({
                id: 'chart-editions',
                title: t('editions'),
                labelHeader: t('edition'),
                countHeader: t('devices'),
                showTable: t('asTable'),
                rows: topRows(summary.byEdition, 8, t('other'), t('unknown')),
                lang: ctx.lang,
              })}
            </section>
          </div>`;
    const attentionPanel = html`<section class="panel" aria-labelledby="h-attention">
      <h2 id="h-attention">${t('attention')}</h2>
      ${
        attention.length === 0
          ? html`<p class="muted">${t('attentionNone')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('profile')}</th>
                  <th scope="col">${t('kind')}</th>
                  <th scope="col" class="num">${t('failed')}</th>
                  <th scope="col" class="num">${t('held')}</th>
                </tr>
              </thead>
              <tbody>
                ${attention.map(
                  (p) =>
                    html`<tr>
                      <td><a href="/console/profiles/${encodeURIComponent(p.profileId)}">${p.name}</a></td>
                      <td>${p.kind}</td>
                      <td class="num">${num(ctx.lang, p.failed)}</td>
                      <td class="num">${num(ctx.lang, p.held)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>`;
    const recentPanel = html`<section class="panel" aria-labelledby="h-recent">
      <h2 id="h-recent">${t('recent')}</h2>
      ${
        recent.devices.length === 0
          ? html`<p class="muted">${t('noDevices')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('host')}</th>
                  <th scope="col">${t('user')}</th>
                  <th scope="col">${t('enrolledAt')}</th>
                </tr>
              </thead>
              <tbody>
                ${recent.devices.map(
                  (d) =>
                    html`<tr>
                      <td><a href="/console/devices/${encodeURIComponent(d.id)}">${d.hostName ?? d.deviceName ?? d.deviceId}</a></td>
                      <td>${d.signedInUser?.upn ?? d.user?.upn ?? ''}</td>
                      <td>${when(ctx.lang, d.enrolledAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <p><a href="/console/devices">${t('allDevices')}</a></p>
    </section>`;
    const auditPanel = showAudit
      ? html`<section class="panel" aria-labelledby="h-audit">
          <h2 id="h-audit">${t('audit')}</h2>
          ${
            audit.length === 0
              ? html`<p class="muted">${t('auditNone')}</p>`
              : html`<table>
                  <thead>
                    <tr>
                      <th scope="col">${t('at')}</th>
                      <th scope="col">${t('actor')}</th>
                      <th scope="col">${t('action')}</th>
                      <th scope="col">${t('target')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${audit.map(
                      (e) =>
                        html`<tr>
                          <td>${when(ctx.lang, e.at)}</td>
                          <td>${e.actor}</td>
                          <td>${e.action}</td>
                          <td>${e.targetType} ${e.targetId}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
          }
          <p><a href="/console/audit">${t('allAudit')}</a></p>
        </section>`
      : undefined;
    return layout(ctx, {
      title: t('title'),
      nav: 'dashboard',
      body: html`${cards} ${asOf} ${charts}
        <div class="panels">${attentionPanel} ${recentPanel} ${auditPanel}</div>`,
    });
  });
}
