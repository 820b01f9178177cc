// An app's console page (/console/apps/:id): its facts, what was read from the live version's
// package, the versions (make one live, delete one, upload a newer one), the deployments (who gets
// it, install or uninstall, unassign) and the status of each device and user. Forms only for
// those who may change apps; the server refuses the others whatever they send.
import type { AppRecord, AppVersion } from '../../../domain/app.js';
import type { Group } from '../../../domain/profile.js';
import { can } from '../../../service/admins/capabilities.js';
import { deviceView } from '../../../service/devices.js';
import { notFound } from '../../../service/errors.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import type { PageContext } from '../page.js';
import { type FieldErrors, formHidden, formPanel, input, listTable, radios, select } from './admins-kit.js';
import { appProfiles, type Deployment, deployments, STATE_TONE, type StatusRow, statusRows } from './apps-deliveries.js';
import { breakable, packageFacts, uploadForm } from './apps-package.js';
import { type AT, appsText, said } from './apps-text.js';
import { deviceLabel } from './device-view.js';

export const APPS_WRITE = 'profiles.write';
export const appPath = (id: string): string => `/console/apps/${encodeURIComponent(id)}`;
export const TARGETS = ['user', 'group', 'entraGroup', 'device', 'all'] as const;

export interface DeployState {
  targetType: string;
  targetId: string;
  group: string;
  intent: string;
  scope: string;
  errors: FieldErrors;
}

export interface AppForms {
  deploy?: DeployState;
  edit?: { name: string; description: string; errors: FieldErrors };
  /** A refusal of an upload posted without the page's script. */
  upload?: string;
  /** A notice at the top (an upload just read: apps-upload.js lands here with ?added=). */
  notice?: string;
}

/** "User alice@contoso.com", "All devices", "Local group Sales". */
export function targetText(t: AT, a: { targetType: string; targetId: string }, groups: ReadonlyMap<string, string>): string {
  if (a.targetType === 'all') return t('type_all');
  const name = a.targetType === 'group' ? (groups.get(a.targetId) ?? a.targetId) : a.targetId;
  return `${said(t, 'type_', a.targetType)} ${name}`;
}

function deploymentTable(ctx: PageContext, t: AT, app: AppRecord, rows: Deployment[], groups: ReadonlyMap<string, string>): Html {
  const write = can(ctx.principal, APPS_WRITE);
  const here = appPath(app.id);
  return listTable({
    caption: t('deploymentsCaption'),
    head: html`<th scope="col">${t('target')}</th>
      <th scope="col">${t('intent')}</th>
      <th scope="col">${t('scope')}</th>
      <th scope="col">${t('addedAt')}</th>`,
    items: rows,
    row: (d) => {
      const label = targetText(t, d, groups);
      const cell =
        d.targetType === 'device'
          ? html`<a href="/console/devices/${encodeURIComponent(d.targetId)}">${label}</a>`
          : d.targetType === 'group'
            ? html`<a href="/console/groups/${encodeURIComponent(d.targetId)}">${label}</a>`
            : label;
      return html`<td data-deployment="${d.targetType}:${d.targetId}:${d.intent}">${cell}</td>
        <td>${said(t, 'intent_', d.intent)}</td>
        <td>${said(t, 'scope_', d.scope)}</td>
        <td>${when(ctx.lang, d.createdAt)}</td>`;
    },
    none: t('noDeployments'),
    action: write
      ? {
          label: t('unassign'),
          cell: (d) =>
            html`<form method="post" action="${here}/deployments/remove" class="inline">
              ${formHidden(ctx, here)}
              <input type="hidden" name="profileId" value="${d.profileId}" />
              <input type="hidden" name="targetType" value="${d.targetType}" />
              <input type="hidden" name="targetId" value="${d.targetType === 'all' ? '' : d.targetId}" />
              <button
                type="submit"
                class="secondary"
                aria-label="${t('unassignLabel', { target: targetText(t, d, groups), intent: said(t, 'intent_', d.intent) })}"
              >
                ${t('unassign')}
              </button>
            </form>`,
        }
      : undefined,
  });
}

function deployForm(ctx: PageContext, t: AT, app: AppRecord, groups: Group[], st: DeployState | undefined): Html {
  const s = st ?? { targetType: 'user', targetId: '', group: '', intent: 'install', scope: '', errors: {} };
  return formPanel(ctx, {
    id: 'deploy',
    title: t('deployTitle'),
    action: `${appPath(app.id)}/deployments`,
    errors: s.errors,
    shown: ['targetType', 'targetId', 'intent', 'scope'],
    submit: t('deploy'),
    fields: html`${radios({
      form: 'deploy',
      name: 'targetType',
      label: t('targetType'),
      value: s.targetType,
      errors: s.errors,
      options: TARGETS.map((k) => ({ value: k, label: said(t, 'type_', k) })),
    })}
    ${input({ form: 'deploy', name: 'targetId', label: t('targetId'), value: s.targetId, hint: t('targetIdHint'), errors: s.errors })}
    ${select({
      form: 'deploy',
      name: 'group',
      label: t('group'),
      value: s.group,
      options: [{ value: '', label: t('noGroup') }, ...groups.map((g) => ({ value: g.id, label: `${g.name} (${g.kind})` }))],
    })}
    ${radios({
      form: 'deploy',
      name: 'intent',
      label: t('intent'),
      value: s.intent,
      errors: s.errors,
      options: [
        { value: 'install', label: t('intent_install') },
        { value: 'uninstall', label: t('intent_uninstall') },
      ],
    })}
    ${
      app.kind === 'office'
        ? ''
        : radios({
            form: 'deploy',
            name: 'scope',
            label: t('scope'),
            value: s.scope,
            errors: s.errors,
            options: [
              { value: '', label: t('scope_auto') },
              { value: 'user', label: t('scope_user') },
              { value: 'device', label: t('scope_device') },
            ],
          })
    }`,
  });
}

/** The devices' names (host name, else Windows' name, else DeviceID) by our id. */
async function deviceNames(deps: ConsoleDeps, rows: StatusRow[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const pk of new Set(rows.map((r) => r.row.devicePk))) {
    const d = await deps.store.devices.get(pk);
    if (d) names.set(pk, deviceLabel(deviceView(d)));
  }
  return names;
}

function statusTable(ctx: PageContext, t: AT, rows: StatusRow[], names: ReadonlyMap<string, string>): Html {
  return listTable({
    caption: t('statusCaption'),
    head: html`<th scope="col">${t('device')}</th>
      <th scope="col">${t('user')}</th>
      <th scope="col">${t('intent')}</th>
      <th scope="col">${t('state')}</th>
      <th scope="col">${t('detail')}</th>
      <th scope="col">${t('updated')}</th>`,
    items: rows,
    row: (s) =>
      html`<td data-device="${s.row.devicePk}">
          <a href="/console/devices/${encodeURIComponent(s.row.devicePk)}">${names.get(s.row.devicePk) ?? s.row.devicePk}</a>
        </td>
        <td data-user="${s.row.userKey}">${s.row.userKey ? (s.row.upn ?? s.row.userKey) : t('deviceTree')}</td>
        <td>${said(t, 'intent_', s.intent)}</td>
        <td data-state="${s.state}"><span class="badge ${STATE_TONE[s.state]}">${said(t, 'st_', s.state)}</span></td>
        <td>${s.row.detail ?? '—'}${s.older ? html` <span class="muted">(${t('olderVersion')})</span>` : ''}</td>
        <td>${when(ctx.lang, s.row.updatedAt)}</td>`,
    none: t('noStatus'),
  });
}

function versionsSection(ctx: PageContext, t: AT, app: AppRecord, versions: AppVersion[]): Html {
  const write = can(ctx.principal, APPS_WRITE);
  const here = appPath(app.id);
  return listTable({
    caption: t('versionsCaption'),
    head: html`<th scope="col">${t('version')}</th>
      <th scope="col">${app.kind === 'msi' ? t('productCode') : app.kind === 'msix' ? t('fullName') : t('installationId')}</th>
      <th scope="col">${t('source')}</th>
      <th scope="col">${t('addedAt')}</th>
      <th scope="col">${t('addedBy')}</th>`,
    items: versions,
    row: (v) =>
      html`<th scope="row" data-version="${v.id}">${v.version}${v.id === app.liveVersionId ? html` <span class="badge ok">${t('live')}</span>` : ''}</th>
        <td><code>${breakable(v.msi?.productCode ?? v.msix?.packageFullName ?? v.office?.installationId ?? '—')}</code></td>
        <td>${said(t, 'source_', v.source)}${v.fileName ? html` <span class="muted">${breakable(v.fileName)}</span>` : ''}</td>
        <td>${when(ctx.lang, v.createdAt)}</td>
        <td>${v.createdBy ?? '—'}</td>`,
    none: t('readNone'),
    action: write
      ? {
          label: t('makeLive'),
          cell: (v) =>
            v.id === app.liveVersionId
              ? html``
              : html`<form method="post" action="${here}/live" class="inline">
                    ${formHidden(ctx, here)}
                    <input type="hidden" name="versionId" value="${v.id}" />
                    <button type="submit" class="secondary" aria-label="${t('makeLiveLabel', { version: v.version })}">${t('makeLive')}</button>
                  </form>
                  <form method="post" action="${here}/versions/remove" class="inline" data-confirm="${t('deleteVersionConfirm', { version: v.version })}">
                    ${formHidden(ctx, here)}
                    <input type="hidden" name="versionId" value="${v.id}" />
                    <button type="submit" class="danger" aria-label="${t('deleteVersionLabel', { version: v.version })}">${t('deleteVersion')}</button>
                  </form>`,
        }
      : undefined,
  });
}

export async function appPage(ctx: PageContext, deps: ConsoleDeps, id: string, forms: AppForms = {}): Promise<Html> {
  const t = appsText(ctx.lang);
  const app = await deps.store.apps.get(id);
  if (!app || app.deletedAt) throw notFound('app');
  const write = can(ctx.principal, APPS_WRITE);
  const [versions, profiles, groups] = await Promise.all([deps.store.apps.versions(app.id), appProfiles(deps, app.id), deps.groups.list()]);
  const mine = profiles.get(app.id) ?? [];
  const [deployed, status] = await Promise.all([deployments(deps, mine), statusRows(deps, mine)]);
  const names = await deviceNames(deps, status);
  const groupNames = new Map(groups.map((g) => [g.id, g.name]));
  const live = versions.find((v) => v.id === app.liveVersionId);
  const here = appPath(app.id);
  const section = (key: string, title: string, body: Html) =>
    html`<section aria-labelledby="h-${key}">
      <h2 id="h-${key}">${title}</h2>
      ${body}
    </section>`;
  const edit = forms.edit ?? { name: app.name, description: app.description ?? '', errors: {} };
  const writeForms = write
    ? html`${
          app.kind === 'office'
            ? ''
            : uploadForm(ctx, t, {
                id: 'new-version',
                title: t('newVersionTitle'),
                intro: t('newVersionIntro'),
                api: `/api/v1/apps/${encodeURIComponent(app.id)}/versions`,
                fallback: `${here}/upload`,
                error: forms.upload,
              })
        }
        ${formPanel(ctx, {
          id: 'edit',
          title: t('editTitle'),
          action: `${here}/edit`,
          errors: edit.errors,
          shown: ['name', 'description'],
          submit: t('save'),
          fields: html`${input({ form: 'edit', name: 'name', label: t('name'), value: edit.name, errors: edit.errors })}
          ${input({ form: 'edit', name: 'description', label: t('description'), value: edit.description, errors: edit.errors })}`,
        })}
        <p class="actions"><a class="button danger" href="${here}/delete">${t('deleteApp')}</a></p>`
    : '';
  const body = html`<p><a href="/console/apps">← ${t('back')}</a></p>
    ${forms.notice ? html`<div class="flash" role="status">${forms.notice}</div>` : ''}
    <dl class="facts">
      <div>
        <dt>${t('kind')}</dt>
        <dd>${said(t, 'kind_', app.kind)}</dd>
      </div>
      <div>
        <dt>${t('publisher')}</dt>
        <dd>${app.publisher ?? '—'}</dd>
      </div>
      <div>
        <dt>${said(t, 'identity_', app.kind)}</dt>
        <dd><code>${app.identity}</code></dd>
      </div>
      <div>
        <dt>${t('liveVersion')}</dt>
        <dd data-fact="live">${live?.version ?? t('noLive')}</dd>
      </div>
      ${
        app.description
          ? html`<div>
              <dt>${t('description')}</dt>
              <dd>${app.description}</dd>
            </div>`
          : ''
      }
      <div>
        <dt>${t('created')}</dt>
        <dd>${when(ctx.lang, app.createdAt)}</dd>
      </div>
    </dl>
    ${section('read', `${app.kind === 'office' ? t('readOffice') : t('readTitle')}${live ? ` (${live.version})` : ''}`, live ? packageFacts(t, ctx.lang, live) : html`<p class="muted">${t('readNone')}</p>`)}
    ${section('versions', t('versionsTitle'), versionsSection(ctx, t, app, versions))}
    ${section('deployments', t('deploymentsTitle'), html`${deploymentTable(ctx, t, app, deployed, groupNames)}`)}
    ${write ? deployForm(ctx, t, app, groups, forms.deploy) : ''} ${section('status', t('statusTitle'), statusTable(ctx, t, status, names))} ${writeForms}`;
  return layout(ctx, { title: app.name, nav: 'apps', body, scripts: write ? ['apps-upload.js'] : [] });
}
