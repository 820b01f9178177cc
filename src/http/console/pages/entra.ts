// "Microsoft Azure / Entra ID": the connected tenants, connecting one (type Standard or GCC High,
// tenant ID, the audiences its tokens carry, optional enrollment and remediation URLs), the
// tenant's MDM application (client ID and credential, entra-app.ts) with its admin-consent link,
// the tenant validation step, modifying, disconnecting (optionally revoking its devices), and each
// tenant's audit trail. Every change goes through TenantService, which audits it.
import type { Cloud, Tenant } from '../../../domain/tenant.js';
import { can } from '../../../service/admins/capabilities.js';
import type { TenantInput, TenantView } from '../../../service/tenants.js';
import { actorOf } from '../../admin/auth.js';
import { html, type Html } from '../html.js';
import { type Lang, type Translate, translator } from '../i18n.js';
import type { ConsoleDeps } from '../deps.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, type FormData, one, type PageContext, type PageResult } from '../page.js';
import { checkbox, type FieldErrors, formError, formHidden, input, lines, param, radios, textarea } from './admins-kit.js';
import { when } from '../format.js';
import { auditTable } from './audit-table.js';
import { tenantComplianceReporting } from './compliance-reporting.js';
import { consentUrl, entraMessages, type EntraKey } from './entra-text.js';
import { type AppFormState, applicationFacts, applicationPatch, applicationRefusal, applicationSection, consentReturn } from './entra-app.js';
import { entraGroupsSection, registerEntraGroups } from './entra-groups.js';

type T = Translate<EntraKey>;

const cloudName = (tr: T, c: Cloud) => (c === 'gcc-high' ? tr('gccHigh') : tr('standard'));

/** The form's values (what the admin typed, kept when the page comes back with an error). */
interface TenantForm {
  tenantId: string;
  cloud: string;
  audiences: string;
  enrollmentUrl: string;
  remediationUrl: string;
}

const formOf = (f: FormData): TenantForm => ({
  tenantId: one(f, 'tenantId').trim(),
  cloud: one(f, 'cloud'),
  audiences: one(f, 'audiences'),
  enrollmentUrl: one(f, 'enrollmentUrl').trim(),
  remediationUrl: one(f, 'remediationUrl').trim(),
});

const formFromTenant = (t: TenantView): TenantForm => ({
  tenantId: t.tenantId,
  cloud: t.cloud,
  audiences: t.audiences.join('\n'),
  enrollmentUrl: t.enrollmentUrl ?? '',
  remediationUrl: t.remediationUrl ?? '',
});

function cloudOf(v: string, tr: T): Cloud {
  if (v === 'standard' || v === 'gcc-high') return v;
  throw Object.assign(new Error('cloud'), { fieldErrors: { cloud: tr('cloudRequired') } });
}

const TENANT_FIELDS = ['tenantId', 'cloud', 'audiences', 'enrollmentUrl', 'remediationUrl'];

/** The fields both the connect and the modify form have (the tenant ID only when connecting). */
function tenantFields(tr: T, v: TenantForm, errors: FieldErrors | undefined, form: string, withId: boolean): Html {
  return html`${
    withId
      ? input({
          form,
          name: 'tenantId',
          label: tr('tenantId'),
          value: v.tenantId,
          hint: tr('tenantIdHint'),
          errors,
          required: true,
          autocomplete: 'off',
        })
      : ''
  }
  ${radios({
    form,
    name: 'cloud',
    label: tr('type'),
    value: v.cloud || 'standard',
    errors,
    options: [
      { value: 'standard', label: tr('standard'), hint: tr('standardHint') },
      { value: 'gcc-high', label: tr('gccHigh'), hint: tr('gccHighHint') },
    ],
  })}
  ${textarea({ form, name: 'audiences', label: tr('audiences'), value: v.audiences, hint: tr('audiencesHint'), errors, required: true, rows: 2 })}
  ${input({ form, name: 'enrollmentUrl', label: tr('enrollmentUrl'), type: 'url', value: v.enrollmentUrl, hint: tr('enrollmentUrlHint'), errors })}
  ${input({ form, name: 'remediationUrl', label: tr('remediationUrl'), type: 'url', value: v.remediationUrl, hint: tr('remediationUrlHint'), errors })}`;
}

function tenantList(tr: T, lang: Lang, tenants: Tenant[]): Html {
  if (tenants.length === 0) return html`<p class="muted">${tr('none')}</p>`;
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        ${tr('listCaption')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${tr('tenantId')}</th>
          <th scope="col">${tr('type')}</th>
          <th scope="col">${tr('enrollmentUrl')}</th>
          <th scope="col">${tr('remediationUrl')}</th>
          <th scope="col">${tr('connectedAt')}</th>
        </tr>
      </thead>
      <tbody>
        ${tenants.map(
          (t) =>
            html`<tr>
              <th scope="row"><a href="/console/entra/${t.tenantId}">${t.tenantId}</a></th>
              <td>${cloudName(tr, t.cloud)}</td>
              <td>${t.enrollmentUrl ?? '—'}</td>
              <td>${t.remediationUrl ?? '—'}</td>
              <td>${when(lang, t.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: TenantForm; errors: FieldErrors }): Promise<Html> {
  const tr = translator(entraMessages, ctx.lang);
  const tenants = await deps.tenants.list();
  const v = form?.values ?? { tenantId: '', cloud: 'standard', audiences: '', enrollmentUrl: '', remediationUrl: '' };
  const add = can(ctx.principal, 'tenants.write')
    ? html`<section aria-labelledby="add-title" class="panel">
        <h2 id="add-title">${tr('addTitle')}</h2>
        <p>${tr('addIntro')}</p>
        <form method="post" action="/console/entra" novalidate>
          ${formHidden(ctx)} ${formError(form?.errors, TENANT_FIELDS)} ${tenantFields(tr, v, form?.errors, 'connect', true)}
          <div class="actions"><button type="submit" class="primary">${tr('connect')}</button></div>
        </form>
      </section>`
    : html``;
  return layout(ctx, {
    title: tr('title'),
    nav: 'entra',
    body: html`<p>${tr('intro')}</p>
      <section aria-labelledby="list-title">
        <h2 id="list-title">${tr('listTitle')}</h2>
        ${tenantList(tr, ctx.lang, tenants)}
      </section>
      ${add}`,
  });
}

/** The service's input from the form; a refusal of the type comes back as field errors. */
const inputOf = (v: TenantForm, tr: T): TenantInput => ({
  tenantId: v.tenantId,
  cloud: cloudOf(v.cloud, tr),
  audiences: lines(v.audiences),
  enrollmentUrl: v.enrollmentUrl || null,
  remediationUrl: v.remediationUrl || null,
});

/** Field errors of a refusal (the service's, or the type's), else undefined (rethrow). */
function refusal(err: unknown, tr: T): FieldErrors | undefined {
  if (err instanceof Error && 'fieldErrors' in err) return err.fieldErrors as FieldErrors;
  const errors = fieldErrors(err);
  if (!errors) return undefined;
  // "already connected" names no field: it is about the tenant ID typed.
  if (errors[''] && (err as { status?: number }).status === 409) return { tenantId: tr('alreadyConnected') };
  return errors;
}

/** The admin-consent link of the tenant's application, when it has one. */
async function consentOf(deps: ConsoleDeps, tenant: TenantView): Promise<{ url: string; redirectUri: string } | undefined> {
  if (!tenant.appClientId) return undefined;
  try {
    return await deps.tenants.consentUrl(tenant.tenantId);
  } catch (err) {
    if (fieldErrors(err)) return undefined;
    throw err;
  }
}

async function detailPage(
  ctx: PageContext,
  deps: ConsoleDeps,
  tenant: TenantView,
  form?: { values: TenantForm; errors: FieldErrors },
  appForm?: AppFormState,
): Promise<Html> {
  const tr = translator(entraMessages, ctx.lang);
  const owner = can(ctx.principal, 'tenants.write');
  const trail = can(ctx.principal, 'audit.read') ? await deps.store.audit.list({ limit: 50, targetType: 'tenant', targetId: tenant.tenantId }) : undefined;
  const consent = owner ? await consentOf(deps, tenant) : undefined;
  const v = form?.values ?? formFromTenant(tenant);
  const entraGroups = await entraGroupsSection(ctx, deps, tenant.tenantId);
  return layout(ctx, {
    title: tr('tenantTitle', { id: tenant.tenantId }),
    nav: 'entra',
    body: html`<p><a href="/console/entra">${tr('back')}</a></p>
      <dl class="facts">
        <dt>${tr('tenantId')}</dt>
        <dd>${tenant.tenantId}</dd>
        <dt>${tr('type')}</dt>
        <dd>${cloudName(tr, tenant.cloud)}</dd>
        <dt>${tr('audiences')}</dt>
        <dd>${tenant.audiences.join(', ')}</dd>
        <dt>${tr('domains')}</dt>
        <dd>${tenant.domains?.length ? tenant.domains.join(', ') : tr('domainsNone')}</dd>
        <dt>${tr('enrollmentUrl')}</dt>
        <dd>${tenant.enrollmentUrl ?? '—'}</dd>
        <dt>${tr('remediationUrl')}</dt>
        <dd>${tenant.remediationUrl ?? '—'}</dd>
        <dt>${tr('connectedAt')}</dt>
        <dd>${when(ctx.lang, tenant.createdAt)}</dd>
        <dt>${tr('changedAt')}</dt>
        <dd>${when(ctx.lang, tenant.updatedAt)}</dd>
        ${applicationFacts(tr, ctx.lang, tenant)}
      </dl>
      ${tenantComplianceReporting(ctx.lang, tenant)} ${entraGroups}
      ${
        owner
          ? html`<p class="actions">
                <a class="button" href="/console/entra/${tenant.tenantId}/validate">${tr('validateTitle')}</a>
                <a class="button danger" href="/console/entra/${tenant.tenantId}/disconnect">${tr('disconnect')}</a>
              </p>
              ${applicationSection(ctx, tr, tenant, consent, appForm)}
              <section aria-labelledby="modify-title" class="panel">
                <h2 id="modify-title">${tr('modifyTitle')}</h2>
                <form method="post" action="/console/entra/${tenant.tenantId}" novalidate>
                  ${formHidden(ctx)} ${formError(form?.errors, TENANT_FIELDS.slice(1))} ${tenantFields(tr, v, form?.errors, 'modify', false)}
                  <div class="actions"><button type="submit" class="primary">${tr('save')}</button></div>
                </form>
              </section>`
          : ''
      }
      ${
        trail
          ? html`<section aria-labelledby="trail-title">
              <h2 id="trail-title">${tr('trailTitle')}</h2>
              ${auditTable(ctx.lang, trail, tr('trailCaption', { id: tenant.tenantId }))}
              <p><a href="/console/audit?action=tenant">${tr('allTenantEvents')}</a></p>
            </section>`
          : ''
      }`,
  });
}

/** The last validation, check by check (issue #14). */
function validationResult(tr: T, lang: Lang, v: TenantView['validation']): Html {
  if (!v) return html`<p id="validation-none">${tr('notValidated')}</p>`;
  return html`<div id="validation">
    <p>${tr('lastValidation')} ${when(lang, v.at)} — ${v.ok ? tr('validationOk') : tr('validationFailed')}</p>
    <ul class="checks" aria-label="${tr('checksCaption')}">
      ${v.checks.map((c) => html`<li class="${c.ok ? 'ok' : 'failed'}"><strong>${c.ok ? tr('checkOk') : tr('checkFailed')}</strong> — ${c.message}</li>`)}
    </ul>
  </div>`;
}

function validatePage(ctx: PageContext, tenant: TenantView, appConsentUrl?: string): Html {
  const tr = translator(entraMessages, ctx.lang);
  const url = appConsentUrl ?? consentUrl(tenant);
  // With the application's client ID and credential set, step 2 is live; without them the page
  // keeps saying that nothing can be checked yet.
  const live = Boolean(tenant.appClientId && tenant.credential);
  return layout(ctx, {
    title: tr('validateTitle'),
    nav: 'entra',
    body: html`<p><a href="/console/entra/${tenant.tenantId}">${tr('backToTenant', { id: tenant.tenantId })}</a></p>
      ${consentReturn(tr, ctx.request.query)}
      <p>${tr('validateIntro', { id: tenant.tenantId, cloud: cloudName(tr, tenant.cloud) })}</p>
      <ol class="steps">
        <li>
          <h2>${tr('step1')}</h2>
          ${
            url
              ? html`<p>${tr('step1Text')}</p>
                  <p><a href="${url}" target="_blank" rel="noopener noreferrer" class="consent-url">${url}</a></p>`
              : html`<p class="panel">${tr('noClientId')}</p>`
          }
          <p class="hint">${tr('step1Hint')}</p>
        </li>
        ${
          live
            ? html`<li>
                <h2>${tr('step2Live')}</h2>
                <p>${tr('step2LiveText')}</p>
                <form method="post" action="/console/entra/${tenant.tenantId}/validate">
                  ${formHidden(ctx)}
                  <div class="actions"><button type="submit" class="primary">${tr('validateNow')}</button></div>
                </form>
                ${validationResult(tr, ctx.lang, tenant.validation)}
              </li>`
            : html`<li>
                <h2>${tr('step2')}</h2>
                <p>${tr('step2Text')}</p>
                <p class="panel" id="validate-later">${tr('validateLater')}</p>
                <p><a href="/console/entra/${tenant.tenantId}#application">${tr('setApplication')}</a></p>
              </li>`
        }
      </ol>
      <p>${tr('connectedNow')}</p>`,
  });
}

function disconnectPage(ctx: PageContext, tenant: Tenant): Html {
  const tr = translator(entraMessages, ctx.lang);
  return layout(ctx, {
    title: tr('disconnectTitle', { id: tenant.tenantId }),
    nav: 'entra',
    body: html`<p>${tr('disconnectText', { id: tenant.tenantId, cloud: cloudName(tr, tenant.cloud) })}</p>
      <form method="post" action="/console/entra/${tenant.tenantId}/disconnect" class="confirm">
        ${formHidden(ctx, `/console/entra/${tenant.tenantId}`)}
        ${checkbox({ name: 'revokeDevices', label: tr('revokeDevices'), hint: tr('revokeDevicesHint') })}
        <div class="actions">
          <button type="submit" class="danger">${tr('disconnectConfirm', { id: tenant.tenantId })}</button>
          <a href="/console/entra/${tenant.tenantId}">${tr('cancel')}</a>
        </div>
      </form>`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const tenantOf = (ctx: PageContext) => deps.tenants.get(param(ctx.request, 'tenantId'));

  routes.page('/entra', 'read', (ctx) => listPage(ctx, deps));

  routes.action('/entra', 'tenants.write', async (ctx, form): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const values = formOf(form);
    try {
      const t = await deps.tenants.connect(inputOf(values, tr), actorOf(ctx.request));
      return { redirect: `/console/entra/${t.tenantId}/validate`, flash: tr('connected', { id: t.tenantId }) };
    } catch (err) {
      const errors = refusal(err, tr);
      if (!errors) throw err;
      ctx.reply.code(400);
      return listPage(ctx, deps, { values, errors });
    }
  });

  routes.page('/entra/:tenantId', 'read', async (ctx) => detailPage(ctx, deps, await tenantOf(ctx)));

  routes.action('/entra/:tenantId', 'tenants.write', async (ctx, form): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const tenant = await tenantOf(ctx);
    const values = { ...formOf(form), tenantId: tenant.tenantId };
    try {
      const { cloud, audiences, enrollmentUrl, remediationUrl } = inputOf(values, tr);
      await deps.tenants.change(
        tenant.tenantId,
        { cloud, audiences, enrollmentUrl: enrollmentUrl ?? '', remediationUrl: remediationUrl ?? '' },
        actorOf(ctx.request),
      );
      return { redirect: `/console/entra/${tenant.tenantId}`, flash: tr('saved') };
    } catch (err) {
      const errors = refusal(err, tr);
      if (!errors) throw err;
      ctx.reply.code(400);
      return detailPage(ctx, deps, tenant, { values, errors });
    }
  });

  routes.action('/entra/:tenantId/application', 'tenants.write', async (ctx, form): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const tenant = await tenantOf(ctx);
    const { values, patch, errors } = applicationPatch(form, tr);
    const refused = async (errors: FieldErrors) => {
      ctx.reply.code(400);
      return detailPage(ctx, deps, tenant, undefined, { values, errors });
    };
    if (!patch) return refused(errors ?? {});
    try {
      const before = JSON.stringify(tenant);
      const after = await deps.tenants.change(tenant.tenantId, patch, actorOf(ctx.request));
      return { redirect: `/console/entra/${tenant.tenantId}`, flash: tr(JSON.stringify(after) === before ? 'appUnchanged' : 'appSaved') };
    } catch (err) {
      const errors = applicationRefusal(err);
      if (!errors) throw err;
      return refused(errors);
    }
  });

  routes.action('/entra/:tenantId/application/remove', 'tenants.write', async (ctx): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const tenant = await tenantOf(ctx);
    await deps.tenants.change(tenant.tenantId, { appClientId: null }, actorOf(ctx.request));
    return { redirect: `/console/entra/${tenant.tenantId}`, flash: tr('appRemoved') };
  });

  routes.page('/entra/:tenantId/validate', 'tenants.write', async (ctx) => {
    const tenant = await tenantOf(ctx);
    return validatePage(ctx, tenant, tenant.appClientId ? (await deps.tenants.consentUrl(tenant.tenantId)).url : undefined);
  });
  routes.action('/entra/:tenantId/validate', 'tenants.write', async (ctx): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const tenant = await tenantOf(ctx);
    const v = await deps.tenants.validate(tenant.tenantId, actorOf(ctx.request));
    return { redirect: `/console/entra/${tenant.tenantId}/validate`, flash: tr(v.ok ? 'validatedOk' : 'validatedFailed') };
  });

  registerEntraGroups(routes, deps);

  routes.page('/entra/:tenantId/disconnect', 'tenants.write', async (ctx) => disconnectPage(ctx, await tenantOf(ctx)));

  routes.action('/entra/:tenantId/disconnect', 'tenants.write', async (ctx, form): Promise<PageResult> => {
    const tr = translator(entraMessages, ctx.lang);
    const tenant = await tenantOf(ctx);
    const actor = actorOf(ctx.request);
    await deps.tenants.disconnect(tenant.tenantId, actor);
    // As the API's DELETE ?revokeDevices=true: the tenant first (no new enrollments), then its devices.
    if (one(form, 'revokeDevices') !== '1') return { redirect: '/console/entra', flash: tr('disconnected', { id: tenant.tenantId }) };
    const n = await deps.revocation.revokeTenantDevices(tenant.tenantId, actor);
    return { redirect: '/console/entra', flash: tr('disconnectedRevoked', { id: tenant.tenantId, n }) };
  });
}
