// The device page's Apps section (issue #15): the apps delivered to this device, per user (the
// device tree and each user's session), in app words — installed, installing with the stage the
// device reported, failed with its LastError — and the apps the device reports as installed.
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import type { Lang } from '../i18n.js';
import { listTable } from './admins-kit.js';
import { appProfiles, appState, STATE_TONE } from './apps-deliveries.js';
import { breakable } from './apps-package.js';
import { appPath } from './apps-page.js';
import { appsText, said } from './apps-text.js';
import type { DeviceDetail } from './device-view.js';

export const deviceAppsTitle = (lang: Lang): string => appsText(lang)('deviceAppsTitle');

/** What the device reported as installed. */
type InstalledApps = Awaited<ReturnType<ConsoleDeps['store']['deviceApps']['list']>>;

function installedTable(lang: Lang, d: DeviceDetail, installed: InstalledApps): Html {
  const t = appsText(lang);
  const upns = new Map(d.loginHistory.map((l) => [l.oid.toLowerCase(), l.upn ?? l.oid]));
  const who = (key: string) => (key ? (upns.get(key.toLowerCase()) ?? key) : t('deviceTree'));
  const failures = installed.reads.filter((r) => r.error);
  return html`<h3>${t('installedTitle')}</h3>
    ${listTable({
      caption: t('installedCaption'),
      head: html`<th scope="col">${t('user')}</th>
        <th scope="col">${t('name')}</th>
        <th scope="col">${t('version')}</th>
        <th scope="col">${t('publisher')}</th>
        <th scope="col">${t('kind')}</th>
        <th scope="col">${t('identity')}</th>
        <th scope="col">${t('seen')}</th>`,
      items: installed.apps,
      row: (a) =>
        html`<td>${who(a.userKey)}</td>
          <th scope="row" data-installed="${a.appKey}">${a.name ?? a.appKey}</th>
          <td>${a.version ?? '—'}</td>
          <td>${a.publisher ?? '—'}</td>
          <td>${said(t, 'kind_', a.source)}</td>
          <td><code>${breakable(a.appKey)}</code></td>
          <td>${when(lang, a.seenAt)}</td>`,
      none: t('installedNone'),
    })}
    ${failures.map((r) => html`<p class="muted">${t('readFailed', { tree: who(r.userKey), kind: said(t, 'kind_', r.source), error: r.error ?? '' })} ${when(lang, r.readAt)}</p>`)}`;
}

export async function deviceAppsSection(lang: Lang, deps: ConsoleDeps, d: DeviceDetail): Promise<Html> {
  const t = appsText(lang);
  const installed = await deps.store.deviceApps.list(d.id);
  const profiles = await appProfiles(deps);
  const byProfile = new Map<string, { appId: string; intent: 'install' | 'uninstall' }>();
  for (const [appId, list] of profiles) for (const p of list) byProfile.set(p.profile.id, { appId, intent: p.intent });
  const rows = (d.profiles ?? []).flatMap((g) =>
    g.profiles.flatMap((p) => {
      const a = byProfile.get(p.profileId);
      return a ? [{ user: g.user, p, ...a, state: appState(p.status, a.intent) }] : [];
    }),
  );
  const names = new Map<string, string>();
  for (const id of new Set(rows.map((r) => r.appId))) names.set(id, (await deps.store.apps.get(id))?.name ?? id);
  const delivered = listTable({
    caption: t('deviceAppsCaption'),
    head: html`<th scope="col">${t('user')}</th>
      <th scope="col">${t('app')}</th>
      <th scope="col">${t('intent')}</th>
      <th scope="col">${t('state')}</th>
      <th scope="col">${t('detail')}</th>
      <th scope="col">${t('updated')}</th>`,
    items: rows,
    row: (r) =>
      html`<td data-user="${r.user?.key ?? ''}">${r.user ? (r.user.upn ?? r.user.key) : t('deviceTree')}</td>
        <th scope="row" data-app="${r.appId}"><a href="${appPath(r.appId)}">${names.get(r.appId)}</a></th>
        <td>${said(t, 'intent_', r.intent)}</td>
        <td data-state="${r.state}"><span class="badge ${STATE_TONE[r.state]}">${said(t, 'st_', r.state)}</span></td>
        <td>${r.p.detail ?? '—'}</td>
        <td>${when(lang, r.p.updatedAt)}</td>`,
    none: t('deviceAppsNone'),
  });
  return html`${delivered} ${installedTable(lang, d, installed)}`;
}
