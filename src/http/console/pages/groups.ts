// Groups of users (Entra object IDs or UPNs) or of devices, which profiles are assigned to: the
// list, creating one, its members (add, remove), and deleting it — refused while profiles are
// assigned to it (the service's 409 is shown, naming them) unless the admin deletes it anyway.
import type { Group } from '../../../domain/profile.js';
import { can } from '../../../service/admins/capabilities.js';
import { ApiError } from '../../../service/errors.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { num, when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, type Translate, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, type FormData, one, type PageContext, type PageResult } from '../page.js';
import {
  confirmForm,
  type FieldErrors,
  formHidden,
  formPanel,
  input,
  lines,
  listTable,
  listItemError,
  param,
  radios,
  refusalBox,
  textarea,
} from './admins-kit.js';

const messages = {
  en: {
    title: 'Groups',
    intro: 'Profiles are assigned to groups of users (Entra object IDs or user principal names) or of devices.',
    listCaption: 'Groups',
    none: 'No group yet.',
    name: 'Name',
    kind: 'Members are',
    users: 'Users',
    usersHint: 'Entra object IDs or user principal names (alice@contoso.com).',
    devices: 'Devices',
    devicesHint: 'Device IDs as the device list shows them.',
    members: 'Members',
    membersHint: 'One per line.',
    created: 'Created',
    createTitle: 'Create a group',
    create: 'Create the group',
    created_: 'Group {name} was created.',
    back: 'All groups',
    groupTitle: 'Group {name}',
    kindUser: 'users',
    kindDevice: 'devices',
    memberCount: 'Members ({n})',
    noMembers: 'This group has no members.',
    member: 'Member',
    remove: 'Remove',
    removeLabel: 'Remove {member} from {name}',
    removed: '{member} was removed from the group.',
    addTitle: 'Add members',
    add: 'Add',
    added: 'Members were added.',
    delete: 'Delete the group',
    deleteTitle: 'Delete group {name}?',
    deleteText: 'Group {name} ({kind}, {n} members) will be deleted. Its members are not touched.',
    deleteConfirm: 'Delete {name}',
    dependents: 'The server refused: {message}',
    deleteAnywayText: 'Deleting it anyway removes these assignments with the group: the profiles are then no longer delivered to its members through it.',
    deleteAnyway: 'Delete {name} anyway',
    cancel: 'Cancel',
    deleted: 'Group {name} was deleted.',
  },
  fr: {
    title: 'Groupes',
    intro: "Les profils sont attribués à des groupes d'utilisateurs (ID d'objet Entra ou noms d'utilisateur principaux) ou d'appareils.",
    listCaption: 'Groupes',
    none: "Aucun groupe pour l'instant.",
    name: 'Nom',
    kind: 'Les membres sont',
    users: 'Des utilisateurs',
    usersHint: "ID d'objet Entra ou noms d'utilisateur principaux (alice@contoso.com).",
    devices: 'Des appareils',
    devicesHint: 'ID des appareils tels que la liste des appareils les affiche.',
    members: 'Membres',
    membersHint: 'Un par ligne.',
    created: 'Créé le',
    createTitle: 'Créer un groupe',
    create: 'Créer le groupe',
    created_: 'Le groupe {name} a été créé.',
    back: 'Tous les groupes',
    groupTitle: 'Groupe {name}',
    kindUser: 'utilisateurs',
    kindDevice: 'appareils',
    memberCount: 'Membres ({n})',
    noMembers: "Ce groupe n'a aucun membre.",
    member: 'Membre',
    remove: 'Retirer',
    removeLabel: 'Retirer {member} de {name}',
    removed: '{member} a été retiré du groupe.',
    addTitle: 'Ajouter des membres',
    add: 'Ajouter',
    added: 'Les membres ont été ajoutés.',
    delete: 'Supprimer le groupe',
    deleteTitle: 'Supprimer le groupe {name} ?',
    deleteText: 'Le groupe {name} ({kind}, {n} membres) sera supprimé. Ses membres ne sont pas modifiés.',
    deleteConfirm: 'Supprimer {name}',
    dependents: 'Le serveur a refusé : {message}',
    deleteAnywayText: 'Le supprimer quand même retire ces attributions avec le groupe : les profils ne sont alors plus distribués à ses membres par ce groupe.',
    deleteAnyway: 'Supprimer {name} quand même',
    cancel: 'Annuler',
    deleted: 'Le groupe {name} a été supprimé.',
  },
} satisfies Messages<string>;

type Key = keyof typeof messages.en;
type T = Translate<Key>;
const tOf = (lang: Lang): T => translator<Key>(messages, lang);

const kindName = (tr: T, g: Pick<Group, 'kind'>) => tr(g.kind === 'user' ? 'kindUser' : 'kindDevice');

/** A refusal of the members list: shown on the members field, naming the line. */
function memberErrors(err: unknown, lang: Lang): FieldErrors | undefined {
  const errors = fieldErrors(err);
  if (!errors) return undefined;
  const e = err as ApiError;
  return errors.members !== undefined ? { members: listItemError(e.pointer, e.message, lang) } : errors;
}

interface CreateForm {
  name: string;
  kind: string;
  members: string;
}

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: CreateForm; errors: FieldErrors }): Promise<Html> {
  const tr = tOf(ctx.lang);
  const groups = await deps.groups.list();
  const v = form?.values ?? { name: '', kind: 'user', members: '' };
  const table = listTable({
    caption: tr('listCaption'),
    head: html`<th scope="col">${tr('name')}</th>
      <th scope="col">${tr('kind')}</th>
      <th scope="col">${tr('created')}</th>`,
    items: groups,
    row: (g) =>
      html`<th scope="row"><a href="/console/groups/${g.id}">${g.name}</a></th>
        <td>${kindName(tr, g)}</td>
        <td>${when(ctx.lang, g.createdAt)}</td>`,
    none: tr('none'),
  });
  const create = can(ctx.principal, 'groups.write')
    ? formPanel(ctx, {
        id: 'create',
        title: tr('createTitle'),
        action: '/console/groups',
        errors: form?.errors,
        shown: ['name', 'kind', 'members'],
        submit: tr('create'),
        fields: html`${input({ form: 'create', name: 'name', label: tr('name'), value: v.name, errors: form?.errors, required: true, autocomplete: 'off' })}
        ${radios({
          form: 'create',
          name: 'kind',
          label: tr('kind'),
          value: v.kind,
          errors: form?.errors,
          options: [
            { value: 'user', label: tr('users'), hint: tr('usersHint') },
            { value: 'device', label: tr('devices'), hint: tr('devicesHint') },
          ],
        })}
        ${textarea({ form: 'create', name: 'members', label: tr('members'), value: v.members, hint: tr('membersHint'), errors: form?.errors, rows: 4 })}`,
      })
    : '';
  return layout(ctx, {
    title: tr('title'),
    nav: 'groups',
    body: html`<p>${tr('intro')}</p>
      ${table}${create}`,
  });
}

async function groupPage(ctx: PageContext, deps: ConsoleDeps, id: string, form?: { members: string; errors: FieldErrors }): Promise<Html> {
  const tr = tOf(ctx.lang);
  const g = await deps.groups.get(id);
  const write = can(ctx.principal, 'groups.write');
  const memberCell = (m: string) => (g.kind === 'device' ? html`<a href="/console/devices/${encodeURIComponent(m)}">${m}</a>` : html`${m}`);
  const members = listTable({
    caption: tr('memberCount', { n: g.members.length }),
    head: html`<th scope="col">${tr('member')}</th>`,
    items: g.members,
    row: (m) => html`<td>${memberCell(m)}</td>`,
    none: tr('noMembers'),
    action: write
      ? {
          label: tr('remove'),
          cell: (m) =>
            html`<form method="post" action="/console/groups/${g.id}/members/remove">
              ${formHidden(ctx, `/console/groups/${g.id}`)}
              <input type="hidden" name="member" value="${m}" />
              <button type="submit" class="secondary" aria-label="${tr('removeLabel', { member: m, name: g.name })}">${tr('remove')}</button>
            </form>`,
        }
      : undefined,
  });
  const add = write
    ? formPanel(ctx, {
        id: 'add',
        title: tr('addTitle'),
        action: `/console/groups/${g.id}/members`,
        errors: form?.errors,
        shown: ['members'],
        submit: tr('add'),
        fields: textarea({
          form: 'add',
          name: 'members',
          label: tr('members'),
          value: form?.members ?? '',
          hint: `${tr(g.kind === 'user' ? 'usersHint' : 'devicesHint')} ${tr('membersHint')}`,
          errors: form?.errors,
          required: true,
          rows: 4,
        }),
      })
    : '';
  return layout(ctx, {
    title: tr('groupTitle', { name: g.name }),
    nav: 'groups',
    body: html`<p><a href="/console/groups">${tr('back')}</a></p>
      <p>${tr('kind')} ${kindName(tr, g)} · ${tr('created')} ${when(ctx.lang, g.createdAt)}</p>
      <h2>${tr('memberCount', { n: num(ctx.lang, g.members.length) })}</h2>
      ${members} ${add} ${write ? html`<p class="actions"><a class="button danger" href="/console/groups/${g.id}/delete">${tr('delete')}</a></p>` : ''}`,
  });
}

async function deletePage(ctx: PageContext, deps: ConsoleDeps, id: string, refusal?: string): Promise<Html> {
  const tr = tOf(ctx.lang);
  const g = await deps.groups.get(id);
  const form = (force: boolean, confirm: string) =>
    confirmForm(ctx, {
      action: `/console/groups/${g.id}/delete`,
      back: `/console/groups/${g.id}`,
      fields: force ? { force: '1' } : {},
      confirm,
      cancel: tr('cancel'),
    });
  return layout(ctx, {
    title: tr('deleteTitle', { name: g.name }),
    nav: 'groups',
    body: refusal
      ? html`${refusalBox(tr('dependents', { message: refusal }))}
          <p>${tr('deleteAnywayText')}</p>
          ${form(true, tr('deleteAnyway', { name: g.name }))}`
      : html`<p>${tr('deleteText', { name: g.name, kind: kindName(tr, g), n: num(ctx.lang, g.members.length) })}</p>
          ${form(false, tr('deleteConfirm', { name: g.name }))}`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const idOf = (ctx: PageContext) => param(ctx.request, 'id');

  routes.page('/groups', 'read', (ctx) => listPage(ctx, deps));

  routes.action('/groups', 'groups.write', async (ctx, form: FormData): Promise<PageResult> => {
    const values = { name: one(form, 'name'), kind: one(form, 'kind'), members: one(form, 'members') };
    try {
      const g = await deps.groups.create({ name: values.name, kind: values.kind, members: lines(values.members) }, actorOf(ctx.request));
      return { redirect: `/console/groups/${g.id}`, flash: tOf(ctx.lang)('created_', { name: g.name }) };
    } catch (err) {
      const errors = memberErrors(err, ctx.lang);
      if (!errors) throw err;
      ctx.reply.code(err instanceof ApiError ? err.status : 400);
      return listPage(ctx, deps, { values, errors });
    }
  });

  routes.page('/groups/:id', 'read', (ctx) => groupPage(ctx, deps, idOf(ctx)));

  routes.action('/groups/:id/members', 'groups.write', async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    const members = one(form, 'members');
    try {
      await deps.groups.addMembers(id, lines(members), actorOf(ctx.request));
      return { redirect: `/console/groups/${id}`, flash: tOf(ctx.lang)('added') };
    } catch (err) {
      const errors = err instanceof ApiError && err.status === 404 ? undefined : memberErrors(err, ctx.lang);
      if (!errors) throw err;
      ctx.reply.code(400);
      return groupPage(ctx, deps, id, { members, errors });
    }
  });

  routes.action('/groups/:id/members/remove', 'groups.write', async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    const member = one(form, 'member');
    await deps.groups.removeMember(id, member, actorOf(ctx.request));
    return { redirect: `/console/groups/${id}`, flash: tOf(ctx.lang)('removed', { member }) };
  });

  routes.page('/groups/:id/delete', 'groups.write', (ctx) => deletePage(ctx, deps, idOf(ctx)));

  routes.action('/groups/:id/delete', 'groups.write', async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    const g = await deps.groups.get(id);
    try {
      await deps.groups.remove(id, actorOf(ctx.request), one(form, 'force') === '1');
    } catch (err) {
      // Profiles are assigned to it: the service's message names them; ask again, to delete anyway.
      if (!(err instanceof ApiError) || err.status !== 409) throw err;
      ctx.reply.code(409);
      // (Without the API's hint about ?force=true: here the button below is the way.)
      return deletePage(ctx, deps, id, err.message.replace(/;[^;]*\?force=true$/, ''));
    }
    return { redirect: '/console/groups', flash: tOf(ctx.lang)('deleted', { name: g.name }) };
  });
}
