// Profiles in the console: the list with delivery counts, a profile's page (settings as stored,
// secrets masked; status over the fleet; assignments to add and remove), the editor
// (profile-editor.ts), deletion with a confirmation naming the profile, and the dry run of a
// device and user (ProfileStatusService.plan: what its next session would carry).
import { can } from '../../../service/admins/capabilities.js';
import type { ProfileView } from '../../../service/profiles.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { csrfField } from '../forms.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, type FormData, one, type PageContext } from '../page.js';
import { refusalBox } from './admins-kit.js';
import { editorMessage, editorPage, isKind, kindChooser, kindTitle, readEditor, refusal, refusalErrors } from './profile-editor.js';
import { planPage } from './profile-plan.js';

const messages = {
  en: {
    title: 'Profiles',
    newProfile: 'New profile',
    none: 'No profile yet.',
    name: 'Name',
    kind: 'Kind',
    scope: 'Scope',
    version: 'Version',
    delivered: 'Delivered',
    pending: 'Pending',
    held: 'Held',
    failed: 'Failed',
    outdated: 'Behind',
    updated: 'Changed',
    countsCaption: 'Deliveries of each profile (one per device and user)',
    settings: 'Settings',
    settingsNote: 'As stored; secrets are shown as ********.',
    edit: 'Edit',
    delete: 'Delete…',
    status: 'Status over the fleet',
    targetedNotSeen: 'Targeted devices that have not checked in since: {n}.',
    behind: 'Deliveries at an older version: {n}.',
    failures: 'Failures',
    holds: 'Held',
    device: 'Device',
    user: 'User',
    detail: 'Reason',
    deviceTree: 'device',
    assignments: 'Assignments',
    noAssignments: 'Assigned to nobody: no device receives it.',
    target: 'Target',
    type_user: 'User',
    type_group: 'Group',
    type_entraGroup: 'Entra group',
    type_device: 'Device',
    type_all: 'All devices',
    remove: 'Remove',
    removeLabel: 'Remove the assignment to {target}',
    addAssignment: 'Add an assignment',
    targetType: 'Assign to',
    targetId: 'User or device',
    targetIdHint:
      'A user: UPN (alice@contoso.com) or Entra object ID. A device: its id or Windows DeviceID. An Entra group: its object ID (synced from Microsoft Graph). Leave empty for a group or all devices.',
    group: 'Group',
    noGroup: '(choose a group)',
    assign: 'Assign',
    assigned: 'Assigned.',
    unassigned: 'Assignment removed.',
    dryRun: 'Dry run of a device and user',
    deleteTitle: 'Delete {name}?',
    deleteExplain: 'Devices that have it remove its settings at their next check-in. The profile’s history stays in the audit log.',
    deleteConfirm: 'Delete {name}',
    force: 'Delete it anyway (the profiles named above stop compiling until they are changed)',
    cancel: 'Cancel',
    deleted: 'Profile “{name}” deleted.',
    st_pending: 'pending',
    st_held: 'held',
    st_delivered: 'delivered',
    st_verified: 'verified (read back)',
    st_failed: 'failed',
    st_removing: 'removing',
    st_removed: 'removed',
  },
  fr: {
    title: 'Profils',
    newProfile: 'Nouveau profil',
    none: 'Aucun profil pour le moment.',
    name: 'Nom',
    kind: 'Type',
    scope: 'Portée',
    version: 'Version',
    delivered: 'Livrés',
    pending: 'En attente',
    held: 'Retenus',
    failed: 'Échecs',
    outdated: 'En retard',
    updated: 'Modifié',
    countsCaption: 'Livraisons de chaque profil (une par appareil et utilisateur)',
    settings: 'Paramètres',
    settingsNote: 'Tels qu’enregistrés ; les secrets sont affichés ********.',
    edit: 'Modifier',
    delete: 'Supprimer…',
    status: 'État sur le parc',
    targetedNotSeen: 'Appareils ciblés qui ne se sont pas connectés depuis : {n}.',
    behind: 'Livraisons à une version antérieure : {n}.',
    failures: 'Échecs',
    holds: 'Retenus',
    device: 'Appareil',
    user: 'Utilisateur',
    detail: 'Raison',
    deviceTree: 'appareil',
    assignments: 'Attributions',
    noAssignments: 'Attribué à personne : aucun appareil ne le reçoit.',
    target: 'Cible',
    type_user: 'Utilisateur',
    type_group: 'Groupe',
    type_entraGroup: 'Groupe Entra',
    type_device: 'Appareil',
    type_all: 'Tous les appareils',
    remove: 'Retirer',
    removeLabel: "Retirer l'attribution à {target}",
    addAssignment: 'Ajouter une attribution',
    targetType: 'Attribuer à',
    targetId: 'Utilisateur ou appareil',
    targetIdHint:
      "Un utilisateur : UPN (alice@contoso.com) ou ID d'objet Entra. Un appareil : son id ou son DeviceID Windows. Un groupe Entra : son ID d'objet (synchronisé depuis Microsoft Graph). Laissez vide pour un groupe ou tous les appareils.",
    group: 'Groupe',
    noGroup: '(choisir un groupe)',
    assign: 'Attribuer',
    assigned: 'Attribué.',
    unassigned: 'Attribution retirée.',
    dryRun: "Simulation d'un appareil et d'un utilisateur",
    deleteTitle: 'Supprimer {name} ?',
    deleteExplain: "Les appareils qui l'ont retirent ses paramètres à leur prochain contact. L'historique du profil reste dans le journal d'audit.",
    deleteConfirm: 'Supprimer {name}',
    force: "Le supprimer quand même (les profils cités ci-dessus ne se compilent plus jusqu'à leur modification)",
    cancel: 'Annuler',
    deleted: 'Profil « {name} » supprimé.',
    st_pending: 'en attente',
    st_held: 'retenus',
    st_delivered: 'livrés',
    st_verified: 'vérifiés (relus)',
    st_failed: 'en échec',
    st_removing: 'en cours de retrait',
    st_removed: 'retirés',
  },
};

const tr = (lang: Lang) => translator(messages, lang);
const profilePath = (id: string) => `/console/profiles/${encodeURIComponent(id)}`;
const idOf = (ctx: PageContext) => (ctx.request.params as { id: string }).id;

async function listPage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const t = tr(ctx.lang);
  const profiles = await deps.profiles.list();
  // One count query per profile (the fleet-wide "targeted, not seen" walk is on the profile's own page).
  const counts = await Promise.all(profiles.map((p) => deps.store.deliveries.summary(p.id, p.version)));
  const n = (c: Record<string, number>, ...keys: string[]) =>
    num(
      ctx.lang,
      keys.reduce((s, k) => s + (c[k] ?? 0), 0),
    );
  const table = profiles.length
    ? html`<div class="table-wrap">
        <table class="profiles">
          <caption>
            ${t('countsCaption')}
          </caption>
          <thead>
            <tr>
              <th scope="col">${t('name')}</th>
              <th scope="col">${t('kind')}</th>
              <th scope="col">${t('scope')}</th>
              <th scope="col" class="num">${t('version')}</th>
              <th scope="col" class="num">${t('delivered')}</th>
              <th scope="col" class="num">${t('pending')}</th>
              <th scope="col" class="num">${t('held')}</th>
              <th scope="col" class="num">${t('failed')}</th>
              <th scope="col" class="num">${t('outdated')}</th>
              <th scope="col">${t('updated')}</th>
            </tr>
          </thead>
          <tbody>
            ${profiles.map((p, i) => {
              const c = counts[i].counts;
              return html`<tr data-profile="${p.id}">
                <th scope="row"><a href="${profilePath(p.id)}">${p.name}</a></th>
                <td>${isKind(p.kind) ? kindTitle(p.kind, ctx.lang) : p.kind}</td>
                <td>${p.scope}</td>
                <td class="num">${p.version}</td>
                <td class="num">${n(c, 'delivered', 'verified')}</td>
                <td class="num">${n(c, 'pending', 'removing')}</td>
                <td class="num">${n(c, 'held')}</td>
                <td class="num">${n(c, 'failed')}</td>
                <td class="num">${num(ctx.lang, counts[i].outdated)}</td>
                <td>${when(ctx.lang, p.updatedAt)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`
    : html`<p class="muted">${t('none')}</p>`;
  const actions = html`<div class="actions">
    ${can(ctx.principal, 'profiles.write') ? html`<a class="button" href="/console/profiles/new">${t('newProfile')}</a>` : ''}
    ${can(ctx.principal, 'devices.diagnose') ? html`<a class="button secondary" href="/console/profiles/plan">${t('dryRun')}</a>` : ''}
  </div>`;
  return layout(ctx, { title: t('title'), nav: 'profiles', body: html`${actions}${table}` });
}

interface AssignState {
  targetType: string;
  targetId: string;
  group: string;
  errors: Map<string, string>;
}

async function profilePage(ctx: PageContext, deps: ConsoleDeps, id: string, assign?: AssignState): Promise<Html> {
  const t = tr(ctx.lang);
  const [p, status, groups] = await Promise.all([deps.profiles.get(id), deps.profileStatus.forProfile(id), deps.groups.list()]);
  const write = can(ctx.principal, 'profiles.write');
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const targetText = (a: { targetType: string; targetId: string }) =>
    a.targetType === 'all'
      ? t('type_all')
      : a.targetType === 'group'
        ? (groupName.get(a.targetId) ?? a.targetId)
        : a.targetType === 'entraGroup'
          ? `${t('type_entraGroup')} ${a.targetId}`
          : a.targetId;
  const targetCell = (a: { targetType: string; targetId: string }) =>
    a.targetType === 'device' ? html`<a href="/console/devices/${encodeURIComponent(a.targetId)}">${a.targetId}</a>` : targetText(a);
  const assignments = p.assignments.length
    ? html`<table class="assignments">
        <thead>
          <tr>
            <th scope="col">${t('targetType')}</th>
            <th scope="col">${t('target')}</th>
            ${write ? html`<td></td>` : ''}
          </tr>
        </thead>
        <tbody>
          ${p.assignments.map(
            (a) =>
              html`<tr data-assignment="${a.targetType}:${a.targetId}">
                <td>${t(`type_${a.targetType}` as 'type_user')}</td>
                <td>${targetCell(a)}</td>
                ${
                  write
                    ? html`<td>
                        <form method="post" action="${profilePath(id)}/assignments/remove" class="inline">
                          ${csrfField(ctx)}
                          <input type="hidden" name="targetType" value="${a.targetType}" />
                          <input type="hidden" name="targetId" value="${a.targetType === 'all' ? '' : a.targetId}" />
                          <button type="submit" class="secondary" aria-label="${t('removeLabel', { target: targetText(a) })}">${t('remove')}</button>
                        </form>
                      </td>`
                    : ''
                }
              </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p class="muted">${t('noAssignments')}</p>`;
  const st = assign ?? { targetType: 'user', targetId: '', group: '', errors: new Map<string, string>() };
  const err = (k: string) => st.errors.get(k);
  const described = (id_: string, hint: boolean) => [hint ? `${id_}-hint` : '', err(id_.replace('f-', '/')) ? `${id_}-error` : ''].filter(Boolean).join(' ');
  const addForm = write
    ? html`<form method="post" action="${profilePath(id)}/assignments" class="assign" novalidate>
        <h3>${t('addAssignment')}</h3>
        ${csrfField(ctx)} ${err('') ? html`<p class="error" role="alert">${err('')}</p>` : ''}
        <div class="field${err('/targetType') ? ' has-error' : ''}">
          <label for="f-targetType">${t('targetType')}</label>
          <select id="f-targetType" name="targetType" ${described('f-targetType', false) ? html` aria-describedby="${described('f-targetType', false)}"` : ''}>
            ${(['user', 'group', 'device', 'all', 'entraGroup'] as const).map(
              (k) => html`<option value="${k}" ${st.targetType === k ? html` selected` : ''}>${t(`type_${k}`)}</option>`,
            )}
          </select>
          ${err('/targetType') ? html`<p class="error" id="f-targetType-error">${err('/targetType')}</p>` : ''}
        </div>
        <div class="field${err('/targetId') ? ' has-error' : ''}">
          <label for="f-targetId">${t('targetId')}</label>
          <p class="hint" id="f-targetId-hint">${t('targetIdHint')}</p>
          <input
            id="f-targetId"
            name="targetId"
            type="text"
            value="${st.targetId}"
            aria-describedby="${described('f-targetId', true)}"
            ${err('/targetId') ? html` aria-invalid="true"` : ''}
          />
          ${err('/targetId') ? html`<p class="error" id="f-targetId-error">${err('/targetId')}</p>` : ''}
        </div>
        <div class="field">
          <label for="f-group">${t('group')}</label>
          <select id="f-group" name="group">
            <option value="">${t('noGroup')}</option>
            ${groups.map((g) => html`<option value="${g.id}" ${st.group === g.id ? html` selected` : ''}>${g.name} (${g.kind})</option>`)}
          </select>
        </div>
        <button type="submit">${t('assign')}</button>
      </form>`
    : '';
  const c = status.counts;
  const counts = html`<ul class="counts">
      ${(['pending', 'held', 'delivered', 'verified', 'failed', 'removing', 'removed'] as const).map(
        (k) => html`<li><span class="count" data-count="${k}">${num(ctx.lang, c[k] ?? 0)}</span> ${t(`st_${k}`)}</li>`,
      )}
    </ul>
    <p>${t('targetedNotSeen', { n: num(ctx.lang, status.targetedNotSeen) })} ${t('behind', { n: num(ctx.lang, status.outdated) })}</p>`;
  const rowsOf = (title: string, rows: typeof status.failures) =>
    rows.length
      ? html`<h3>${title}</h3>
          <table>
            <thead>
              <tr>
                <th scope="col">${t('device')}</th>
                <th scope="col">${t('user')}</th>
                <th scope="col">${t('detail')}</th>
                <th scope="col">${t('updated')}</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) =>
                  html`<tr>
                    <td><a href="/console/devices/${encodeURIComponent(r.deviceId)}">${r.deviceId}</a></td>
                    <td>${r.user ? (r.user.upn ?? r.user.key) : t('deviceTree')}</td>
                    <td>${r.detail ?? '—'}</td>
                    <td>${when(ctx.lang, r.updatedAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
      : '';
  const body = html`<p><a href="/console/profiles">← ${t('title')}</a></p>
    <dl class="facts">
      <div>
        <dt>${t('kind')}</dt>
        <dd>${isKind(p.kind) ? kindTitle(p.kind, ctx.lang) : p.kind}</dd>
      </div>
      <div>
        <dt>${t('scope')}</dt>
        <dd>${p.scope}</dd>
      </div>
      <div>
        <dt>${t('version')}</dt>
        <dd>${p.version}</dd>
      </div>
      <div>
        <dt>${t('updated')}</dt>
        <dd>${when(ctx.lang, p.updatedAt)}</dd>
      </div>
    </dl>
    ${
      write
        ? html`<div class="actions">
            <a class="button" href="${profilePath(id)}/edit">${t('edit')}</a>
            <a class="button danger" href="${profilePath(id)}/delete">${t('delete')}</a>
          </div>`
        : ''
    }
    <section aria-labelledby="h-status">
      <h2 id="h-status">${t('status')}</h2>
      ${counts} ${rowsOf(t('failures'), status.failures)} ${rowsOf(t('holds'), status.held)}
    </section>
    <section aria-labelledby="h-assignments">
      <h2 id="h-assignments">${t('assignments')}</h2>
      ${assignments} ${addForm}
    </section>
    <section aria-labelledby="h-settings">
      <h2 id="h-settings">${t('settings')}</h2>
      <p class="hint">${t('settingsNote')}</p>
      <pre class="json" tabindex="0"><code>${JSON.stringify(p.settings, null, 2)}</code></pre>
    </section>`;
  return layout(ctx, { title: p.name, nav: 'profiles', body });
}

function deletePage(ctx: PageContext, p: ProfileView, refusal?: string): Html {
  const t = tr(ctx.lang);
  return layout(ctx, {
    title: t('deleteTitle', { name: p.name }),
    nav: 'profiles',
    body: html`<p>${t('deleteExplain')}</p>
      ${refusal ? refusalBox(refusal) : ''}
      <form method="post" action="${profilePath(p.id)}/delete">
        ${csrfField(ctx)}
        ${refusal ? html`<div class="check"><input type="checkbox" id="f-force" name="force" value="1" /><label for="f-force">${t('force')}</label></div>` : ''}
        <div class="buttons">
          <button type="submit" class="danger">${t('deleteConfirm', { name: p.name })}</button>
          <a href="${profilePath(p.id)}">${t('cancel')}</a>
        </div>
      </form>`,
  });
}

/** The assignment a posted form names: a group from its select, others from the text field. */
function assignmentOf(form: FormData): AssignState & { body: { targetType: string; targetId?: string } } {
  const targetType = one(form, 'targetType');
  const targetId = one(form, 'targetId').trim();
  const group = one(form, 'group');
  const id = targetType === 'group' ? group || targetId : targetId;
  return { targetType, targetId, group, errors: new Map(), body: { targetType, ...(id ? { targetId: id } : {}) } };
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const actor = (ctx: PageContext) => actorOf(ctx.request);

  routes.page('/profiles', 'read', (ctx) => listPage(ctx, deps));

  routes.page('/profiles/new', 'profiles.write', async (ctx) => {
    const kind = typeof ctx.query.kind === 'string' ? ctx.query.kind : '';
    if (!isKind(kind)) return kindChooser(ctx);
    return editorPage(ctx, { kind, name: '', scope: 'user', settings: undefined, errors: new Map() });
  });
  routes.action('/profiles/new', 'profiles.write', async (ctx, form) => {
    const kind = one(form, 'kind');
    if (!isKind(kind)) return kindChooser(ctx);
    const input = readEditor(kind, form, ctx.lang);
    const state = { kind, name: input.name, scope: input.scope, settings: input.settings, errors: input.errors };
    if (input.errors.size === 0) {
      try {
        const p = await deps.profiles.create({ name: input.name, kind, scope: input.scope, settings: input.settings }, actor(ctx));
        return { redirect: profilePath(p.id), flash: editorMessage(ctx.lang, 'created', { name: p.name }) };
      } catch (err) {
        const errors = refusalErrors(err, kind, input.scope, input.settings);
        if (!errors) throw err;
        state.errors = errors;
      }
    }
    ctx.reply.code(400);
    return editorPage(ctx, state);
  });

  routes.page('/profiles/plan', 'devices.diagnose', (ctx) => planPage(ctx, deps));

  routes.page('/profiles/:id', 'read', (ctx) => profilePage(ctx, deps, idOf(ctx)));

  routes.page('/profiles/:id/edit', 'profiles.write', async (ctx) => {
    const p = await deps.profiles.get(idOf(ctx));
    if (!isKind(p.kind)) return profilePage(ctx, deps, p.id);
    return editorPage(ctx, { kind: p.kind, name: p.name, scope: p.scope, settings: p.settings, errors: new Map() }, p.id);
  });
  routes.action('/profiles/:id/edit', 'profiles.write', async (ctx, form) => {
    const cur = await deps.profiles.get(idOf(ctx));
    if (!isKind(cur.kind)) return profilePage(ctx, deps, cur.id);
    const input = readEditor(cur.kind, form, ctx.lang);
    const state = { kind: cur.kind, name: input.name, scope: cur.scope, settings: input.settings, errors: input.errors };
    if (input.errors.size === 0) {
      try {
        const p = await deps.profiles.change(cur.id, { name: input.name, settings: input.settings }, actor(ctx));
        return { redirect: profilePath(p.id), flash: editorMessage(ctx.lang, 'saved', { name: p.name, version: p.version }) };
      } catch (err) {
        const errors = refusalErrors(err, cur.kind, cur.scope, input.settings);
        if (!errors) throw err;
        state.errors = errors;
      }
    }
    ctx.reply.code(400);
    return editorPage(ctx, state, cur.id);
  });

  routes.action('/profiles/:id/assignments', 'profiles.write', async (ctx, form) => {
    const id = idOf(ctx);
    const a = assignmentOf(form);
    try {
      await deps.profiles.assign(id, a.body, actor(ctx));
      return { redirect: `${profilePath(id)}#h-assignments`, flash: tr(ctx.lang)('assigned') };
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      ctx.reply.code(r.status);
      return profilePage(ctx, deps, id, { ...a, errors: r.errors });
    }
  });
  routes.action('/profiles/:id/assignments/remove', 'profiles.write', async (ctx, form) => {
    const id = idOf(ctx);
    const targetId = one(form, 'targetId');
    await deps.profiles.unassign(id, { targetType: one(form, 'targetType'), ...(targetId ? { targetId } : {}) }, actor(ctx));
    return { redirect: `${profilePath(id)}#h-assignments`, flash: tr(ctx.lang)('unassigned') };
  });

  routes.page('/profiles/:id/delete', 'profiles.write', async (ctx) => deletePage(ctx, await deps.profiles.get(idOf(ctx))));
  routes.action('/profiles/:id/delete', 'profiles.write', async (ctx, form) => {
    const p = await deps.profiles.get(idOf(ctx));
    try {
      await deps.profiles.remove(p.id, actor(ctx), one(form, 'force') === '1');
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      ctx.reply.code(r.status);
      return deletePage(ctx, p, [...r.errors.values()].join(' '));
    }
    return { redirect: '/console/profiles', flash: tr(ctx.lang)('deleted', { name: p.name }) };
  });
}
