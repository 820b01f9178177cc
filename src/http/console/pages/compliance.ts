// Compliance policies in the console (/console/compliance, issue #14): the devices by compliance
// state (each a link to the filtered device list), the policies with their rules in a line, and a
// policy's page — change it, assign it (all, a device, a local group, a user), unassign, delete
// after a confirmation naming it. Reading needs `read`; every change `profiles.write`, as the API
// (the actions are refused by the server, not only left out of the page).
import type { ComplianceAssignment } from '../../../domain/compliance.js';
import { can } from '../../../service/admins/capabilities.js';
import { ApiError } from '../../../service/errors.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, type FormData, one, type PageContext, type PageResult } from '../page.js';
import { confirmForm, type FieldErrors, formHidden, formPanel, input, listTable, param, radios } from './admins-kit.js';
import { POLICY_FIELDS, policyErrors, policyFields, policyInput, type PolicyValues, policyValues, valuesOf } from './compliance-form.js';
import { complianceText, type CT, rulesSummary, STATES } from './compliance-text.js';

const WRITE = 'profiles.write';
const TARGETS = ['all', 'device', 'group', 'user', 'entraGroup'] as const;

/** Local groups' names by id, to name a group target. */
type GroupNames = ReadonlyMap<string, string>;

function targetLabel(tr: CT, a: Pick<ComplianceAssignment, 'targetType' | 'targetId'>, groups?: GroupNames): string {
  if (a.targetType === 'all') return tr('all');
  return `${tr(a.targetType)} ${(a.targetType === 'group' && groups?.get(a.targetId)) || a.targetId}`;
}

function targetCell(tr: CT, a: ComplianceAssignment, groups: GroupNames): Html {
  const label = targetLabel(tr, a, groups);
  if (a.targetType === 'device') return html`<a href="/console/devices/${encodeURIComponent(a.targetId)}">${label}</a>`;
  if (a.targetType === 'group') return html`<a href="/console/groups/${encodeURIComponent(a.targetId)}">${label}</a>`;
  return html`${label}`;
}

async function statesPanel(ctx: PageContext, deps: ConsoleDeps, tr: CT): Promise<Html> {
  const counts = await deps.store.compliance.counts();
  const any = STATES.some((s) => (counts[s] ?? 0) > 0);
  return html`<section class="cards" aria-label="${tr('states')}">
      ${STATES.map(
        (s) =>
          html`<div class="card" data-state="${s}">
            <span class="value">${num(ctx.lang, counts[s] ?? 0)}</span><span class="label"><a href="/console/devices?compliance=${s}">${tr(s)}</a></span>
          </div>`,
      )}
    </section>
    ${any ? '' : html`<p class="muted">${tr('statesNone')}</p>`}`;
}

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: PolicyValues; errors: FieldErrors }): Promise<Html> {
  const tr = complianceText(ctx.lang);
  const policies = await deps.compliancePolicies.list();
  const table = listTable({
    caption: tr('listCaption'),
    head: html`<th scope="col">${tr('name')}</th>
      <th scope="col">${tr('rules')}</th>
      <th scope="col" class="num">${tr('graceHours')}</th>
      <th scope="col" class="num">${tr('version')}</th>
      <th scope="col">${tr('updated')}</th>`,
    items: policies,
    row: (p) =>
      html`<th scope="row"><a href="/console/compliance/${p.id}">${p.name}</a></th>
        <td>${rulesSummary(tr, p.rules)}</td>
        <td class="num">${num(ctx.lang, p.graceHours)}</td>
        <td class="num">${p.version}</td>
        <td>${when(ctx.lang, p.updatedAt)}</td>`,
    none: tr('none'),
  });
  const create = can(ctx.principal, WRITE)
    ? formPanel(ctx, {
        id: 'create',
        title: tr('createTitle'),
        action: '/console/compliance',
        errors: form?.errors,
        shown: POLICY_FIELDS,
        submit: tr('create'),
        fields: policyFields(tr, 'create', form?.values ?? policyValues(), form?.errors),
      })
    : '';
  return layout(ctx, {
    title: tr('title'),
    nav: 'compliance',
    body: html`<p>${tr('intro')}</p>
      <h2>${tr('states')}</h2>
      ${await statesPanel(ctx, deps, tr)}
      <h2>${tr('listCaption')}</h2>
      ${table} ${create}`,
  });
}

interface PolicyForms {
  edit?: { values: PolicyValues; errors: FieldErrors };
  assign?: { targetType: string; targetId: string; errors: FieldErrors };
}

async function policyPage(ctx: PageContext, deps: ConsoleDeps, id: string, forms: PolicyForms = {}): Promise<Html> {
  const tr = complianceText(ctx.lang);
  const p = await deps.compliancePolicies.get(id);
  const write = can(ctx.principal, WRITE);
  const here = `/console/compliance/${p.id}`;
  const groups: GroupNames = p.assignments.some((a) => a.targetType === 'group') ? new Map((await deps.groups.list()).map((g) => [g.id, g.name])) : new Map();
  const assignments = listTable({
    caption: tr('assignments'),
    head: html`<th scope="col">${tr('target')}</th>
      <th scope="col">${tr('assignedAt')}</th>`,
    items: p.assignments,
    row: (a) =>
      html`<td>${targetCell(tr, a, groups)}</td>
        <td>${when(ctx.lang, a.createdAt)}</td>`,
    none: tr('noAssignments'),
    action: write
      ? {
          label: tr('unassign'),
          cell: (a) =>
            html`<form method="post" action="${here}/assignments/remove">
              ${formHidden(ctx, here)}
              <input type="hidden" name="targetType" value="${a.targetType}" />
              <input type="hidden" name="targetId" value="${a.targetType === 'all' ? '' : a.targetId}" />
              <button type="submit" class="secondary" aria-label="${tr('unassignLabel', { target: targetLabel(tr, a, groups) })}">${tr('unassign')}</button>
            </form>`,
        }
      : undefined,
  });
  const assign = forms.assign;
  const writeForms = write
    ? html`${formPanel(ctx, {
          id: 'assign',
          title: tr('assignTitle'),
          action: `${here}/assignments`,
          errors: assign?.errors,
          shown: ['targetType', 'targetId'],
          submit: tr('assign'),
          fields: html`${radios({
            form: 'assign',
            name: 'targetType',
            label: tr('targetType'),
            value: assign?.targetType ?? 'all',
            errors: assign?.errors,
            options: TARGETS.map((k) => ({ value: k, label: tr(k), hint: tr(`${k}Hint`) })),
          })}
          ${input({ form: 'assign', name: 'targetId', label: tr('targetId'), value: assign?.targetId ?? '', hint: tr('targetIdHint'), errors: assign?.errors })}`,
        })}
        ${formPanel(ctx, {
          id: 'edit',
          title: tr('editTitle'),
          action: here,
          errors: forms.edit?.errors,
          shown: POLICY_FIELDS,
          submit: tr('save'),
          fields: policyFields(tr, 'edit', forms.edit?.values ?? policyValues(p), forms.edit?.errors),
        })}
        <p class="actions"><a class="button danger" href="${here}/delete">${tr('delete')}</a></p>`
    : '';
  return layout(ctx, {
    title: tr('policyTitle', { name: p.name }),
    nav: 'compliance',
    body: html`<p><a href="/console/compliance">${tr('back')}</a></p>
      <p>${tr('facts', { version: p.version, hours: num(ctx.lang, p.graceHours) })} ${when(ctx.lang, p.updatedAt)}</p>
      <p>${tr('rulesLine', { rules: rulesSummary(tr, p.rules) })}</p>
      <h2>${tr('assignments')}</h2>
      ${assignments} ${writeForms}`,
  });
}

async function deletePage(ctx: PageContext, deps: ConsoleDeps, id: string): Promise<Html> {
  const tr = complianceText(ctx.lang);
  const p = await deps.compliancePolicies.get(id);
  return layout(ctx, {
    title: tr('deleteTitle', { name: p.name }),
    nav: 'compliance',
    body: html`<p>${tr('deleteText', { name: p.name, n: num(ctx.lang, p.assignments.length) })}</p>
      ${confirmForm(ctx, { action: `/console/compliance/${p.id}/delete`, back: `/console/compliance/${p.id}`, confirm: tr('deleteConfirm', { name: p.name }), cancel: tr('cancel') })}`,
  });
}

const statusOf = (err: unknown) => (err instanceof ApiError ? err.status : 400);

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const idOf = (ctx: PageContext) => param(ctx.request, 'id');
  const policies = deps.compliancePolicies;

  routes.page('/compliance', 'read', (ctx) => listPage(ctx, deps));

  routes.action('/compliance', WRITE, async (ctx, form: FormData): Promise<PageResult> => {
    const tr = complianceText(ctx.lang);
    const values = valuesOf(form);
    try {
      const p = await policies.create(policyInput(tr, values), actorOf(ctx.request));
      return { redirect: `/console/compliance/${p.id}`, flash: tr('created', { name: p.name }) };
    } catch (err) {
      const errors = policyErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return listPage(ctx, deps, { values, errors });
    }
  });

  routes.page('/compliance/:id', 'read', (ctx) => policyPage(ctx, deps, idOf(ctx)));

  routes.action('/compliance/:id', WRITE, async (ctx, form): Promise<PageResult> => {
    const tr = complianceText(ctx.lang);
    const id = idOf(ctx);
    const values = valuesOf(form);
    try {
      const p = await policies.change(id, policyInput(tr, values), actorOf(ctx.request));
      return { redirect: `/console/compliance/${p.id}`, flash: tr('saved', { name: p.name, version: p.version }) };
    } catch (err) {
      const errors = policyErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return policyPage(ctx, deps, id, { edit: { values, errors } });
    }
  });

  routes.action('/compliance/:id/assignments', WRITE, async (ctx, form): Promise<PageResult> => {
    const tr = complianceText(ctx.lang);
    const id = idOf(ctx);
    const target = { targetType: one(form, 'targetType'), targetId: one(form, 'targetId').trim() };
    // A local group named by its name, as the admin knows it, or by its id.
    const groups = target.targetType === 'group' && target.targetId ? await deps.groups.list() : [];
    const named = groups.find((g) => g.id === target.targetId) ?? groups.find((g) => g.name.toLowerCase() === target.targetId.toLowerCase());
    try {
      const a = await policies.assign(id, { targetType: target.targetType, targetId: named?.id ?? (target.targetId || undefined) }, actorOf(ctx.request));
      return { redirect: `/console/compliance/${id}`, flash: tr('assigned', { target: targetLabel(tr, a, new Map(groups.map((g) => [g.id, g.name]))) }) };
    } catch (err) {
      const errors = policyErrors(err);
      if (!errors) throw err;
      ctx.reply.code(statusOf(err));
      return policyPage(ctx, deps, id, { assign: { ...target, errors } });
    }
  });

  routes.action('/compliance/:id/assignments/remove', WRITE, async (ctx, form): Promise<PageResult> => {
    const tr = complianceText(ctx.lang);
    const id = idOf(ctx);
    const target = { targetType: one(form, 'targetType'), targetId: one(form, 'targetId') || undefined };
    await policies.unassign(id, target, actorOf(ctx.request));
    const groups: GroupNames = new Map(target.targetType === 'group' ? (await deps.groups.list()).map((g) => [g.id, g.name]) : []);
    const label = targetLabel(tr, { targetType: target.targetType as ComplianceAssignment['targetType'], targetId: target.targetId ?? '' }, groups);
    return { redirect: `/console/compliance/${id}`, flash: tr('unassigned', { target: label }) };
  });

  routes.page('/compliance/:id/delete', WRITE, (ctx) => deletePage(ctx, deps, idOf(ctx)));

  routes.action('/compliance/:id/delete', WRITE, async (ctx): Promise<PageResult> => {
    const id = idOf(ctx);
    const p = await policies.get(id);
    await policies.remove(id, actorOf(ctx.request));
    return { redirect: '/console/compliance', flash: complianceText(ctx.lang)('deleted', { name: p.name }) };
  });
}
