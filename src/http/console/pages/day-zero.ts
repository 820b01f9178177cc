// Day zero (issue #16): fleet-wide, how long the Enrollment Status Page takes (p50/p95 of the runs
// that finished, counts by outcome) and which items hold runs back most, per phase; per device, the
// timeline of its enrollment's runs (the device phase, then each user's first sign-in).
import type { EspFleetFigures } from '../../../domain/esp.js';
import { DayZeroView, type EspRunView } from '../../../service/esp/timeline.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { html, type Html } from '../html.js';
import type { Lang } from '../i18n.js';
import { layout } from '../layout.js';
import type { ConsoleRoutes, PageContext } from '../page.js';
import { listTable } from './admins-kit.js';
import { duration, espText } from './esp-text.js';

function phaseBlock(lang: Lang, f: EspFleetFigures, id: string, title: string): Html {
  const t = espText(lang);
  const o = f.byOutcome;
  return html`<section class="panel" aria-labelledby="${id}-title">
    <h2 id="${id}-title">${title}</h2>
    <dl class="facts">
      <dt>${t('runs')}</dt>
      <dd>${num(lang, f.runs)}</dd>
      <dt>${t('p50')}</dt>
      <dd data-figure="p50">${duration(lang, f.p50Seconds)}</dd>
      <dt>${t('p95')}</dt>
      <dd data-figure="p95">${duration(lang, f.p95Seconds)}</dd>
      <dt>${t('done')}</dt>
      <dd>${num(lang, o.done)}</dd>
      <dt>${t('failed')}</dt>
      <dd>${num(lang, o.failed)}</dd>
      <dt>${t('timedOut')}</dt>
      <dd>${num(lang, o.timedOut)}</dd>
      <dt>${t('inProgress')}</dt>
      <dd>${num(lang, o.inProgress)}</dd>
    </dl>
    <h3>${t('blockingTitle')}</h3>
    ${listTable({
      caption: t('blockingCaption', { phase: title }),
      head: html`<th scope="col">${t('item')}</th>
        <th scope="col">${t('heldRuns')}</th>
        <th scope="col">${t('failed')}</th>
        <th scope="col">${t('timedOut')}</th>`,
      items: f.blocking,
      row: (b) =>
        html`<th scope="row">${b.name ?? b.profileId}</th>
          <td>${num(lang, b.runs)}</td>
          <td>${num(lang, b.failed)}</td>
          <td>${num(lang, b.timedOut)}</td>`,
      none: t('noBlocking'),
    })}
  </section>`;
}

async function fleetPage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const t = espText(ctx.lang);
  const view = new DayZeroView(deps.store);
  const [device, user] = await Promise.all([view.fleet('device'), view.fleet('user')]);
  const body =
    device.runs + user.runs === 0
      ? html`<p>${t('dayZeroIntro')}</p>
          <p class="muted">${t('noRuns')}</p>`
      : html`<p>${t('dayZeroIntro')}</p>
          ${phaseBlock(ctx.lang, device, 'device', t('phaseDevice'))}${phaseBlock(ctx.lang, user, 'user', t('phaseUser'))}`;
  return layout(ctx, { title: t('dayZeroTitle'), nav: 'day-zero', body });
}

function runTimeline(lang: Lang, run: EspRunView, policies: Map<string, string>, n: number): Html {
  const t = espText(lang);
  const phase = run.userKey ? t('userPhase', { user: run.upn ?? run.userKey }) : t('devicePhase');
  const outcome = run.outcome ? t(run.outcome === 'done' ? 'outcomeDone' : run.outcome === 'failed' ? 'outcomeFailed' : 'outcomeTimed-out') : undefined;
  const eventText = (e: EspRunView['events'][number]): string => {
    switch (e.type) {
      case 'item-done':
      case 'item-failed':
        return t(e.type, { name: e.name ?? e.profileId ?? '' }) + (e.detail ? ` — ${e.detail}` : '');
      case 'failed':
        return t('ev-failed') + (e.detail ? ` — ${e.detail}` : '');
      default:
        return t(e.type);
    }
  };
  const pending = run.items.filter((i) => i.status === 'pending');
  return html`<div class="day-zero-run" data-phase="${run.userKey ? 'user' : 'device'}">
    <h3 id="dz-${n}">${phase}</h3>
    <p>
      ${t('policyOf', { name: policies.get(run.policyId) ?? run.policyId })} ·
      <strong class="outcome">${outcome ?? html`${t('outcomeRunning')} ${when(lang, run.deadline)}`}</strong>
      ${run.finishedAt && run.outcome ? html` · ${duration(lang, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}` : ''}
    </p>
    ${!run.outcome && pending.length ? html`<p>${t('pending', { names: pending.map((i) => i.name ?? i.profileId).join(', ') })}</p>` : ''}
    ${listTable({
      caption: t('timelineCaption', { phase }),
      head: html`<th scope="col">${t('when')}</th>
        <th scope="col">${t('event')}</th>`,
      items: run.events,
      row: (e) =>
        html`<td>${when(lang, e.at)}</td>
          <td class="event-${e.type}">${eventText(e)}</td>`,
      none: '',
    })}
  </div>`;
}

/** The device page's Day zero section (reads only). */
export async function dayZeroSection(lang: Lang, deps: ConsoleDeps, devicePk: string): Promise<Html> {
  const t = espText(lang);
  const [{ runs }, policies] = await Promise.all([new DayZeroView(deps.store).device(devicePk), deps.store.esp.listPolicies()]);
  if (!runs.length) return html`<p class="muted">${t('deviceNone')}</p>`;
  const names = new Map(policies.map((p) => [p.id, p.name]));
  return html`${runs.map((r, i) => runTimeline(lang, r, names, i))}`;
}

export const dayZeroTitle = (lang: Lang): string => espText(lang)('deviceTitle');

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/day-zero', 'read', (ctx) => fleetPage(ctx, deps));
}
