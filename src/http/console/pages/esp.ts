// The Enrollment Status Page policies (issue #16): the list, a policy's form (create and edit:
// name, target all / a group / an Entra group, the required profiles and apps picked from the
// profile list, time-out, error text, options) and its deletion after a confirmation. Everyone
// who reads sees them; those who may change profiles change them (service/esp/policies.ts checks
// and audits; a refusal is shown on the field it names, with what was typed kept).
import type { EspPolicy } from '../../../domain/esp.js';
import { can } from '../../../service/admins/capabilities.js';
import { type EspPolicyInput, EspPolicyService } from '../../../service/esp/policies.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { html, type Html } from '../html.js';
import type { Lang } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, type FormData, fieldErrors, one, type PageContext, type PageResult } from '../page.js';
import { checkbox, confirmForm, type FieldErrors, formError, formHidden, input, listTable, param, radios, select, textarea } from './admins-kit.js';
import { espText, kindLabel } from './esp-text.js';

const FLAGS = ['blockDevice', 'allowReset', 'allowContinue', 'allowCollectLogs', 'skipDevicePhase', 'skipUserPhase'] as const;
const WRITE = 'profiles.write';

/** What the form holds (as typed). */
interface FormValues {
  name: string;
  target: string;
  groupId: string;
  entraGroupId: string;
  required: string[];
  timeoutMinutes: string;
  errorText: string;
  flags: Record<(typeof FLAGS)[number], boolean>;
}

const fromPolicy = (p?: EspPolicy): FormValues => ({
  name: p?.name ?? '',
  target: p?.target.type ?? 'all',
  groupId: p?.target.type === 'group' ? (p.target.id ?? '') : '',
  entraGroupId: p?.target.type === 'entraGroup' ? (p.target.id ?? '') : '',
  required: p?.requiredProfileIds ?? [],
  timeoutMinutes: String(p?.timeoutMinutes ?? 60),
  errorText: p?.errorText ?? '',
  flags: {
    blockDevice: p?.blockDevice ?? false,
    allowReset: p?.allowReset ?? false,
    allowContinue: p?.allowContinue ?? false,
    allowCollectLogs: p?.allowCollectLogs ?? false,
    skipDevicePhase: p?.skipDevicePhase ?? false,
    skipUserPhase: p?.skipUserPhase ?? false,
  },
});

const fromForm = (f: FormData): FormValues => {
  const req = f.requiredProfileIds;
  return {
    name: one(f, 'name'),
    target: one(f, 'target') || 'all',
    groupId: one(f, 'groupId'),
    entraGroupId: one(f, 'entraGroupId').trim(),
    required: req === undefined ? [] : Array.isArray(req) ? req : [req],
    timeoutMinutes: one(f, 'timeoutMinutes').trim(),
    errorText: one(f, 'errorText').replace(/\r\n?/g, '\n'),
    flags: Object.fromEntries(FLAGS.map((k) => [k, one(f, k) === '1'])) as FormValues['flags'],
  };
};

const toInput = (v: FormValues): EspPolicyInput => ({
  name: v.name,
  target: v.target === 'all' ? { type: 'all' } : { type: v.target, id: v.target === 'group' ? v.groupId : v.entraGroupId },
  requiredProfileIds: v.required,
  // A number when it reads as one; the service refuses anything else on the field.
  timeoutMinutes: /^\d{1,6}$/.test(v.timeoutMinutes) ? Number(v.timeoutMinutes) : v.timeoutMinutes,
  errorText: v.errorText.trim() || undefined,
  ...v.flags,
});

/** A refusal of the target's id is shown on the field the admin typed it in. */
function placeErrors(errors: FieldErrors, v: FormValues): FieldErrors {
  if (errors.target !== undefined && v.target !== 'all') {
    const { target, ...rest } = errors;
    return { ...rest, [v.target === 'group' ? 'groupId' : 'entraGroupId']: target };
  }
  return errors;
}

export const targetLabel = (lang: Lang, p: EspPolicy, groups: Map<string, string>): string => {
  const t = espText(lang);
  if (p.target.type === 'all') return t('all');
  if (p.target.type === 'group') return t('groupNamed', { name: groups.get(p.target.id ?? '') ?? p.target.id ?? '' });
  return t('entraNamed', { id: p.target.id ?? '' });
};

async function policyForm(ctx: PageContext, deps: ConsoleDeps, o: { action: string; submit: string; values: FormValues; errors?: FieldErrors }): Promise<Html> {
  const t = espText(ctx.lang);
  const [profiles, groups] = await Promise.all([deps.profiles.list(), deps.groups.list()]);
  const e = o.errors;
  const v = o.values;
  const shown = ['name', 'target', 'groupId', 'entraGroupId', 'requiredProfileIds', 'timeoutMinutes', 'errorText', ...FLAGS];
  const reqError = e?.requiredProfileIds;
  const sorted = [...profiles].sort((a, b) => a.name.localeCompare(b.name));
  const required = html`<fieldset
    class="field checkboxes${reqError ? ' has-error' : ''}"
    ${reqError ? html` aria-describedby="f-requiredProfileIds-error"` : ''}
  >
    <legend>${t('required')}</legend>
    <p class="hint">${t('requiredHint')}</p>
    ${
      sorted.length
        ? sorted.map((p) =>
            checkbox({
              name: 'requiredProfileIds',
              form: `req-${p.id}`,
              label: `${p.name} (${kindLabel(ctx.lang, p.kind)})`,
              value: p.id,
              checked: v.required.includes(p.id),
            }),
          )
        : html`<p class="muted">${t('noProfiles')}</p>`
    }
    ${reqError ? html`<p class="error" id="f-requiredProfileIds-error">${reqError}</p>` : ''}
  </fieldset>`;
  return html`<form method="post" action="${o.action}" novalidate>
    ${formHidden(ctx)} ${formError(e, shown)} ${input({ name: 'name', label: t('name'), value: v.name, errors: e, required: true, autocomplete: 'off' })}
    ${radios({
      name: 'target',
      label: t('target'),
      value: v.target,
      errors: e,
      options: [
        { value: 'all', label: t('all') },
        { value: 'group', label: t('group') },
        { value: 'entraGroup', label: t('entraGroup') },
      ],
    })}
    ${select({
      name: 'groupId',
      label: t('groupId'),
      value: v.groupId,
      errors: e,
      options: groups.length ? groups.map((g) => ({ value: g.id, label: g.name })) : [{ value: '', label: t('noGroups') }],
    })}
    ${input({ name: 'entraGroupId', label: t('entraGroupId'), value: v.entraGroupId, errors: e, autocomplete: 'off' })} ${required}
    ${input({ name: 'timeoutMinutes', label: t('timeoutMinutes'), value: v.timeoutMinutes, hint: t('timeoutHint'), errors: e, inputmode: 'numeric' })}
    ${textarea({ name: 'errorText', label: t('errorText'), value: v.errorText, hint: t('errorTextHint'), errors: e, rows: 3 })}
    <fieldset class="field checkboxes">
      <legend>${t('options')}</legend>
      ${FLAGS.map((k) => checkbox({ name: k, label: t(k), checked: v.flags[k], errors: e }))}
      ${FLAGS.filter((k) => e?.[k]).map((k) => html`<p class="error" id="f-${k}-error">${e![k]}</p>`)}
    </fieldset>
    <div class="actions"><button type="submit">${o.submit}</button></div>
  </form>`;
}

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: FormValues; errors: FieldErrors }): Promise<Html> {
  const t = espText(ctx.lang);
  const svc = new EspPolicyService(deps.store);
  const [policies, groups] = await Promise.all([svc.list(), deps.groups.list()]);
  const names = new Map(groups.map((g) => [g.id, g.name]));
  const table = listTable({
    caption: t('caption'),
    head: html`<th scope="col">${t('name')}</th>
      <th scope="col">${t('target')}</th>
      <th scope="col">${t('required')}</th>
      <th scope="col">${t('timeout')}</th>`,
    items: [...policies].sort((a, b) => a.name.localeCompare(b.name)),
    row: (p) =>
      html`<th scope="row"><a href="/console/esp/${p.id}">${p.name}</a></th>
        <td>${targetLabel(ctx.lang, p, names)}</td>
        <td>${t('requiredCount', { n: p.requiredProfileIds.length })}</td>
        <td>${t('minutes', { n: p.timeoutMinutes })}</td>`,
    none: t('none'),
  });
  const create = can(ctx.principal, WRITE)
    ? html`<section class="panel" aria-labelledby="create-title">
        <h2 id="create-title">${t('createTitle')}</h2>
        ${await policyForm(ctx, deps, { action: '/console/esp', submit: t('create'), values: form?.values ?? fromPolicy(), errors: form?.errors })}
      </section>`
    : '';
  return layout(ctx, {
    title: t('title'),
    nav: 'esp',
    body: html`<p>${t('intro')}</p>
      ${table}${create}`,
  });
}

async function policyPage(ctx: PageContext, deps: ConsoleDeps, id: string, form?: { values: FormValues; errors: FieldErrors }): Promise<Html> {
  const t = espText(ctx.lang);
  const p = await new EspPolicyService(deps.store).get(id);
  const write = can(ctx.principal, WRITE);
  const groups = new Map((await deps.groups.list()).map((g) => [g.id, g.name]));
  const profiles = new Map((await deps.profiles.list()).map((x) => [x.id, x]));
  const facts = html`<dl class="facts">
    <dt>${t('target')}</dt>
    <dd>${targetLabel(ctx.lang, p, groups)}</dd>
    <dt>${t('required')}</dt>
    <dd>
      ${
        p.requiredProfileIds.length
          ? html`<ul>
              ${p.requiredProfileIds.map((rid) => {
                const x = profiles.get(rid);
                return html`<li>${x ? `${x.name} (${kindLabel(ctx.lang, x.kind)})` : rid}</li>`;
              })}
            </ul>`
          : t('requiredCount', { n: 0 })
      }
    </dd>
    <dt>${t('timeout')}</dt>
    <dd>${t('minutes', { n: p.timeoutMinutes })}</dd>
    ${
      p.errorText
        ? html`<dt>${t('errorText')}</dt>
            <dd>${p.errorText}</dd>`
        : ''
    }
    ${
      FLAGS.filter((k) => p[k]).length
        ? html`<dt>${t('options')}</dt>
            <dd>${FLAGS.filter((k) => p[k]).map((k) => html`${t(k)}<br />`)}</dd>`
        : ''
    }
  </dl>`;
  const edit = write
    ? html`<section class="panel" aria-labelledby="edit-title">
          <h2 id="edit-title">${t('save')}</h2>
          ${await policyForm(ctx, deps, { action: `/console/esp/${p.id}`, submit: t('save'), values: form?.values ?? fromPolicy(p), errors: form?.errors })}
        </section>
        <p><a class="button secondary" href="/console/esp/${p.id}/delete">${t('delete')}</a></p>`
    : '';
  return layout(ctx, {
    title: t('editTitle', { name: p.name }),
    nav: 'esp',
    body: html`<p><a href="/console/esp">← ${t('back')}</a></p>
      ${facts}${edit}`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const svc = new EspPolicyService(deps.store);
  const refused = (err: unknown, v: FormValues): FieldErrors => {
    const errors = fieldErrors(err);
    if (!errors) throw err;
    return placeErrors(errors, v);
  };
  routes.page('/esp', 'read', (ctx) => listPage(ctx, deps));
  routes.action('/esp', WRITE, async (ctx, form): Promise<PageResult> => {
    const values = fromForm(form);
    try {
      const p = await svc.create(toInput(values), actorOf(ctx.request));
      return { redirect: `/console/esp/${p.id}`, flash: espText(ctx.lang)('created', { name: p.name }) };
    } catch (err) {
      const errors = refused(err, values);
      ctx.reply.code(400);
      return listPage(ctx, deps, { values, errors });
    }
  });
  routes.page('/esp/:id', 'read', (ctx) => policyPage(ctx, deps, param(ctx.request, 'id')));
  routes.action('/esp/:id', WRITE, async (ctx, form): Promise<PageResult> => {
    const id = param(ctx.request, 'id');
    const values = fromForm(form);
    try {
      const p = await svc.update(id, toInput(values), actorOf(ctx.request));
      return { redirect: `/console/esp/${p.id}`, flash: espText(ctx.lang)('saved', { name: p.name }) };
    } catch (err) {
      const errors = refused(err, values);
      ctx.reply.code(400);
      return policyPage(ctx, deps, id, { values, errors });
    }
  });
  routes.page('/esp/:id/delete', WRITE, async (ctx) => {
    const t = espText(ctx.lang);
    const p = await svc.get(param(ctx.request, 'id'));
    return layout(ctx, {
      title: t('deleteTitle', { name: p.name }),
      nav: 'esp',
      body: html`<p>${t('deleteText')}</p>
        ${confirmForm(ctx, { action: `/console/esp/${p.id}/delete`, back: `/console/esp/${p.id}`, confirm: t('deleteConfirm', { name: p.name }), cancel: t('cancel') })}`,
    });
  });
  routes.action('/esp/:id/delete', WRITE, async (ctx): Promise<PageResult> => {
    const p = await svc.get(param(ctx.request, 'id'));
    await svc.delete(p.id, actorOf(ctx.request));
    return { redirect: '/console/esp', flash: espText(ctx.lang)('deleted', { name: p.name }) };
  });
}
