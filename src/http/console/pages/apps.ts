// Apps in the console (/console/apps, issue #15): the catalog with each app's live version and
// delivery summary; adding an app (a package uploaded as a stream by apps-upload.js to the admin
// API, a vendor-hosted package by URL and SHA-256, Microsoft 365 Apps by configuration); an app's
// page (apps-page.ts) with its versions, deployments and status. Reading needs `read`; every
// change `profiles.write`, as in the API — the actions are refused by the server, not only left
// out of the page.
import { can } from '../../../service/admins/capabilities.js';
import { ApiError } from '../../../service/errors.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { num } from '../format.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, type FormData, one, type PageContext, type PageResult } from '../page.js';
import { confirmForm, type FieldErrors, formPanel, input, listTable, param, refusalBox, textarea } from './admins-kit.js';
import { appProfiles, summary } from './apps-deliveries.js';
import { uploadForm } from './apps-package.js';
import { appPage, appPath, APPS_WRITE, type DeployState, targetText } from './apps-page.js';
import { type AT, appsText, said } from './apps-text.js';

interface NewForms {
  upload?: string;
  public?: { url: string; sha256: string; errors: FieldErrors };
  office?: { name: string; configurationXml: string; errors: FieldErrors };
}

async function listPage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const t = appsText(ctx.lang);
  const apps = (await deps.store.apps.list()).filter((a) => !a.deletedAt).sort((a, b) => a.name.localeCompare(b.name));
  const profiles = await appProfiles(deps);
  const rows = await Promise.all(
    apps.map(async (app) => {
      const versions = await deps.store.apps.versions(app.id);
      return { app, versions, live: versions.find((v) => v.id === app.liveVersionId), counts: await summary(deps, profiles.get(app.id) ?? []) };
    }),
  );
  const table = listTable({
    caption: t('listCaption'),
    head: html`<th scope="col">${t('name')}</th>
      <th scope="col">${t('kind')}</th>
      <th scope="col">${t('publisher')}</th>
      <th scope="col">${t('liveVersion')}</th>
      <th scope="col" class="num">${t('versionsCount')}</th>
      <th scope="col" class="num">${t('installed')}</th>
      <th scope="col" class="num">${t('installing')}</th>
      <th scope="col" class="num">${t('failed')}</th>`,
    items: rows,
    row: (r) =>
      html`<th scope="row" data-app="${r.app.id}"><a href="${appPath(r.app.id)}">${r.app.name}</a></th>
        <td>${said(t, 'kind_', r.app.kind)}</td>
        <td>${r.app.publisher ?? '—'}</td>
        <td>${r.live?.version ?? html`<span class="muted">${t('noLive')}</span>`}</td>
        <td class="num">${num(ctx.lang, r.versions.length)}</td>
        <td class="num" data-count="installed">${num(ctx.lang, r.counts.installed)}</td>
        <td class="num" data-count="installing">${num(ctx.lang, r.counts.installing)}</td>
        <td class="num" data-count="failed">${num(ctx.lang, r.counts.failed)}</td>`,
    none: t('none'),
  });
  const actions = can(ctx.principal, APPS_WRITE) ? html`<div class="actions"><a class="button" href="/console/apps/new">${t('addApp')}</a></div>` : '';
  return layout(ctx, {
    title: t('title'),
    nav: 'apps',
    body: html`<p>${t('intro')}</p>
      ${actions}${table}`,
  });
}

function newPage(ctx: PageContext, forms: NewForms = {}): Html {
  const t = appsText(ctx.lang);
  const pub = forms.public ?? { url: '', sha256: '', errors: {} };
  const office = forms.office ?? { name: 'Microsoft 365 Apps', configurationXml: '', errors: {} };
  const body = html`<p><a href="/console/apps">← ${t('back')}</a></p>
    ${uploadForm(ctx, t, {
      id: 'upload',
      title: t('uploadTitle'),
      intro: t('uploadIntro'),
      api: '/api/v1/apps/packages',
      fallback: '/console/apps/upload',
      error: forms.upload,
    })}
    ${formPanel(ctx, {
      id: 'public',
      title: t('publicTitle'),
      action: '/console/apps/public',
      errors: pub.errors,
      shown: ['url', 'sha256'],
      submit: t('addPublic'),
      fields: html`<p>${t('publicIntro')}</p>
        ${input({ form: 'public', name: 'url', label: t('url'), type: 'url', value: pub.url, errors: pub.errors })}
        ${input({ form: 'public', name: 'sha256', label: t('sha256'), value: pub.sha256, hint: t('sha256Hint'), errors: pub.errors })}`,
    })}
    ${formPanel(ctx, {
      id: 'office',
      title: t('officeTitle'),
      action: '/console/apps/office',
      errors: office.errors,
      shown: ['name', 'configurationXml'],
      submit: t('addOffice'),
      fields: html`<p>${t('officeIntro')}</p>
        ${input({ form: 'office', name: 'name', label: t('name'), value: office.name, errors: office.errors })}
        ${textarea({
          form: 'office',
          name: 'configurationXml',
          label: t('configurationXml'),
          value: office.configurationXml,
          hint: t('configurationHint'),
          rows: 10,
          errors: office.errors,
        })}`,
    })}`;
  return layout(ctx, { title: t('newTitle'), nav: 'apps', body, scripts: ['apps-upload.js'] });
}

async function deletePage(ctx: PageContext, deps: ConsoleDeps, id: string, refusal?: string): Promise<Html> {
  const t = appsText(ctx.lang);
  const app = await deps.store.apps.get(id);
  if (!app || app.deletedAt) throw new ApiError(404, 'not_found', 'app not found');
  return layout(ctx, {
    title: t('deleteTitle', { name: app.name }),
    nav: 'apps',
    body: html`<p>${t('deleteText')}</p>
      ${
        refusal
          ? html`${refusalBox(refusal)}
              <p>${t('force')}</p>`
          : ''
      }
      ${confirmForm(ctx, {
        action: `${appPath(app.id)}/delete`,
        back: appPath(app.id),
        confirm: t('deleteConfirm', { name: app.name }),
        cancel: t('cancel'),
        fields: refusal ? { force: '1' } : {},
      })}`,
  });
}

const statusOf = (err: unknown) => (err instanceof ApiError ? err.status : 400);

/** The deployment a form names: a local group from its select, the others from the text field. */
function deployOf(form: FormData): DeployState {
  return {
    targetType: one(form, 'targetType'),
    targetId: one(form, 'targetId').trim(),
    group: one(form, 'group'),
    intent: one(form, 'intent') || 'install',
    scope: one(form, 'scope'),
    errors: {},
  };
}

/** ?added=<version id> (apps-upload.js after an upload): what was read, said on the app's page. */
async function addedNotice(t: AT, deps: ConsoleDeps, ctx: PageContext, appId: string): Promise<string | undefined> {
  const added = typeof ctx.query.added === 'string' ? ctx.query.added : undefined;
  if (!added) return undefined;
  const [app, v] = await Promise.all([deps.store.apps.get(appId), deps.store.apps.version(added)]);
  if (!app || !v || v.appId !== appId) return undefined;
  return t(ctx.query.same === '1' ? 'sameVersion' : 'versionAdded', { version: v.version, name: app.name });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const catalog = () => deps.apps;
  const actor = (ctx: PageContext) => actorOf(ctx.request);
  const idOf = (ctx: PageContext) => param(ctx.request, 'id');

  routes.page('/apps', 'read', (ctx) => listPage(ctx, deps));
  routes.page('/apps/new', APPS_WRITE, async (ctx) => newPage(ctx));

  // The upload form posted without apps-upload.js: a file cannot be streamed that way.
  routes.action('/apps/upload', APPS_WRITE, async (ctx) => {
    ctx.reply.code(400);
    return newPage(ctx, { upload: appsText(ctx.lang)('needsScript') });
  });
  routes.action('/apps/:id/upload', APPS_WRITE, async (ctx) => {
    ctx.reply.code(400);
    return appPage(ctx, deps, idOf(ctx), { upload: appsText(ctx.lang)('needsScript') });
  });

  routes.action('/apps/public', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const values = { url: one(form, 'url').trim(), sha256: one(form, 'sha256').trim() };
    try {
      const r = await catalog().addFromUrl({ ...values, actor: actor(ctx) });
      return { redirect: appPath(r.app.id), flash: t('added', { name: r.app.name, version: r.version.version }) };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return newPage(ctx, { public: { ...values, errors } });
    }
  });

  routes.action('/apps/office', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const values = { name: one(form, 'name').trim(), configurationXml: one(form, 'configurationXml') };
    try {
      const r = await catalog().addOffice({ ...values, actor: actor(ctx) });
      return { redirect: appPath(r.app.id), flash: t('added', { name: r.app.name, version: r.version.version }) };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return newPage(ctx, { office: { ...values, errors } });
    }
  });

  routes.page('/apps/:id', 'read', async (ctx) => {
    const id = idOf(ctx);
    const notice = await addedNotice(appsText(ctx.lang), deps, ctx, id);
    return appPage(ctx, deps, id, { notice });
  });

  routes.action('/apps/:id/edit', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const id = idOf(ctx);
    const values = { name: one(form, 'name').trim(), description: one(form, 'description').trim() };
    try {
      const app = await catalog().update(id, values, actor(ctx));
      return { redirect: appPath(id), flash: t('saved', { name: app.name }) };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return appPage(ctx, deps, id, { edit: { ...values, errors } });
    }
  });

  routes.action('/apps/:id/live', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    const versionId = one(form, 'versionId');
    await catalog().setLive(id, versionId, actor(ctx));
    const v = await deps.store.apps.version(versionId);
    return { redirect: `${appPath(id)}#h-versions`, flash: appsText(ctx.lang)('madeLive', { version: v?.version ?? versionId }) };
  });

  routes.action('/apps/:id/versions/remove', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    const versionId = one(form, 'versionId');
    const v = await deps.store.apps.version(versionId);
    await catalog().removeVersion(id, versionId, actor(ctx));
    return { redirect: `${appPath(id)}#h-versions`, flash: appsText(ctx.lang)('versionDeleted', { version: v?.version ?? versionId }) };
  });

  routes.action('/apps/:id/deployments', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const id = idOf(ctx);
    const st = deployOf(form);
    const targetId = st.targetType === 'group' ? st.group || st.targetId : st.targetId;
    try {
      const a = await catalog().assign(
        id,
        { targetType: st.targetType, ...(targetId ? { targetId } : {}), intent: st.intent, ...(st.scope ? { scope: st.scope } : {}) },
        actor(ctx),
      );
      const groups = new Map((await deps.groups.list()).map((g) => [g.id, g.name]));
      return {
        redirect: `${appPath(id)}#h-deployments`,
        flash: t('deployed', { target: targetText(t, a, groups), intent: said(t, 'intent_', st.intent) }),
      };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return appPage(ctx, deps, id, { deploy: { ...st, errors } });
    }
  });

  routes.action('/apps/:id/deployments/remove', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const id = idOf(ctx);
    const profileId = one(form, 'profileId');
    const target = { targetType: one(form, 'targetType'), targetId: one(form, 'targetId') };
    // Only a profile that delivers this app: the form cannot reach another profile through this page.
    const mine = (await appProfiles(deps, id)).get(id) ?? [];
    const p = mine.find((x) => x.profile.id === profileId);
    if (!p) throw new ApiError(404, 'not_found', 'deployment not found');
    await catalog().unassign(id, { ...target, intent: p.intent, scope: p.profile.scope }, actor(ctx));
    const groups = new Map((await deps.groups.list()).map((g) => [g.id, g.name]));
    return { redirect: `${appPath(id)}#h-deployments`, flash: t('unassigned', { target: targetText(t, target, groups) }) };
  });

  routes.page('/apps/:id/delete', APPS_WRITE, (ctx) => deletePage(ctx, deps, idOf(ctx)));
  routes.action('/apps/:id/delete', APPS_WRITE, async (ctx, form): Promise<PageResult> => {
    const t = appsText(ctx.lang);
    const id = idOf(ctx);
    const app = await deps.store.apps.get(id);
    if (!app || app.deletedAt) throw new ApiError(404, 'not_found', 'app not found');
    try {
      await catalog().remove(id, actor(ctx), one(form, 'force') === '1');
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 409) throw err;
      ctx.reply.code(409);
      return deletePage(ctx, deps, id, err.message);
    }
    return { redirect: '/console/apps', flash: t('deleted', { name: app.name }) };
  });
}
