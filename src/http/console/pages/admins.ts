// Administrators (owner only): the list, creating one (local with a password, or Entra ID only
// without one) with a role, changing the role, disabling and enabling, removing. The server keeps
// one enabled owner: its refusal (409) is shown on the page as it gives it.
import { ADMIN_ROLES, type AdminRole } from '../../../domain/admin.js';
import { ApiError } from '../../../service/errors.js';
import type { AdminView } from '../../../service/admins/views.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, translator } from '../i18n.js';
import { layout, roleName } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, type FormData, one, type PageContext, type PageResult } from '../page.js';
import { confirmForm, type FieldErrors, formHidden, formPanel, input, param, refusalBox, select } from './admins-kit.js';

const messages = {
  en: {
    title: 'Administrators',
    intro:
      'People who sign in to this console and the admin API. Roles: read-only sees; helpdesk also syncs and reboots devices; admin manages devices, profiles and groups; owner also manages tenants, enrollment accounts and administrators.',
    caption: 'Administrators',
    username: 'User name',
    usernameHint: 'Letters, digits and . _ @ + - (an email address fits).',
    displayName: 'Display name (optional)',
    role: 'Role',
    status: 'Status',
    signIn: 'Signs in with',
    lastSignIn: 'Last sign-in',
    enabled: 'enabled',
    disabled: 'disabled',
    password: 'password',
    entra: 'Entra ID',
    passwordField: 'Password (optional)',
    passwordHint: 'At least 12 characters. Leave it empty for an administrator who signs in with Entra ID only.',
    createTitle: 'Add an administrator',
    create: 'Add the administrator',
    createdFlash: 'Administrator {username} was added.',
    back: 'All administrators',
    adminTitle: 'Administrator {username}',
    you: '(you)',
    created: 'Created',
    roleTitle: 'Change the role',
    saveRole: 'Save the role',
    roleFlash: '{username} is now {role}.',
    accessTitle: 'Access',
    disable: 'Disable {username}',
    disableHint: 'Ends their sessions at once; their API tokens stop working until they are enabled again.',
    enable: 'Enable {username}',
    disabledFlash: '{username} was disabled.',
    enabledFlash: '{username} was enabled.',
    remove: 'Remove the administrator',
    removeTitle: 'Remove administrator {username}?',
    removeText: '{username} ({role}) is removed with their sessions and API tokens. The audit log keeps what they did.',
    removeConfirm: 'Remove {username}',
    cancel: 'Cancel',
    removedFlash: 'Administrator {username} was removed.',
    refused: 'The server refused: {message}',
  },
  fr: {
    title: 'Administrateurs',
    intro:
      "Les personnes qui se connectent à cette console et à l'API d'administration. Rôles : lecture seule consulte ; support synchronise et redémarre aussi les appareils ; administrateur gère appareils, profils et groupes ; propriétaire gère en plus les locataires, les comptes d'inscription et les administrateurs.",
    caption: 'Administrateurs',
    username: "Nom d'utilisateur",
    usernameHint: 'Lettres, chiffres et . _ @ + - (une adresse e-mail convient).',
    displayName: 'Nom affiché (facultatif)',
    role: 'Rôle',
    status: 'État',
    signIn: 'Se connecte avec',
    lastSignIn: 'Dernière connexion',
    enabled: 'actif',
    disabled: 'désactivé',
    password: 'mot de passe',
    entra: 'Entra ID',
    passwordField: 'Mot de passe (facultatif)',
    passwordHint: 'Au moins 12 caractères. Laissez vide pour un administrateur qui se connecte uniquement avec Entra ID.',
    createTitle: 'Ajouter un administrateur',
    create: "Ajouter l'administrateur",
    createdFlash: "L'administrateur {username} a été ajouté.",
    back: 'Tous les administrateurs',
    adminTitle: 'Administrateur {username}',
    you: '(vous)',
    created: 'Créé le',
    roleTitle: 'Changer le rôle',
    saveRole: 'Enregistrer le rôle',
    roleFlash: '{username} est maintenant {role}.',
    accessTitle: 'Accès',
    disable: 'Désactiver {username}',
    disableHint: "Met fin à ses sessions aussitôt ; ses jetons d'API ne fonctionnent plus jusqu'à sa réactivation.",
    enable: 'Réactiver {username}',
    disabledFlash: '{username} a été désactivé.',
    enabledFlash: '{username} a été réactivé.',
    remove: "Supprimer l'administrateur",
    removeTitle: "Supprimer l'administrateur {username} ?",
    removeText: "{username} ({role}) est supprimé avec ses sessions et ses jetons d'API. Le journal d'audit garde ce qu'il a fait.",
    removeConfirm: 'Supprimer {username}',
    cancel: 'Annuler',
    removedFlash: "L'administrateur {username} a été supprimé.",
    refused: 'Le serveur a refusé : {message}',
  },
} satisfies Messages<string>;

type Key = keyof typeof messages.en;
const tOf = (lang: Lang) => translator<Key>(messages, lang);

const roleOptions = (lang: Lang) => [...ADMIN_ROLES].reverse().map((r) => ({ value: r, label: roleName(lang, r) }));

const signInWith = (lang: Lang, a: AdminView) => {
  const tr = tOf(lang);
  return [a.passwordSet ? tr('password') : '', a.externalIssuer ? tr('entra') : ''].filter(Boolean).join(', ') || '—';
};

interface CreateForm {
  username: string;
  displayName: string;
  role: string;
}

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: CreateForm; errors: FieldErrors }): Promise<Html> {
  const tr = tOf(ctx.lang);
  const admins = await deps.admins.list();
  const v = form?.values ?? { username: '', displayName: '', role: 'read-only' };
  return layout(ctx, {
    title: tr('title'),
    nav: 'admins',
    body: html`<p>${tr('intro')}</p>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">
            ${tr('caption')}
          </caption>
          <thead>
            <tr>
              <th scope="col">${tr('username')}</th>
              <th scope="col">${tr('role')}</th>
              <th scope="col">${tr('status')}</th>
              <th scope="col">${tr('signIn')}</th>
              <th scope="col">${tr('lastSignIn')}</th>
            </tr>
          </thead>
          <tbody>
            ${admins.map(
              (a) =>
                html`<tr>
                  <th scope="row">
                    <a href="/console/admins/${a.id}">${a.username}</a>${a.displayName ? html` <span class="muted">${a.displayName}</span>` : ''}
                    ${a.id === ctx.principal.adminId ? html` <span class="muted">${tr('you')}</span>` : ''}
                  </th>
                  <td>${roleName(ctx.lang, a.role)}</td>
                  <td>${a.disabled ? html`<span class="badge bad">${tr('disabled')}</span>` : html`<span class="badge ok">${tr('enabled')}</span>`}</td>
                  <td>${signInWith(ctx.lang, a)}</td>
                  <td>${when(ctx.lang, a.lastSignInAt)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${formPanel(ctx, {
        id: 'create',
        title: tr('createTitle'),
        action: '/console/admins',
        errors: form?.errors,
        shown: ['username', 'displayName', 'role', 'password'],
        submit: tr('create'),
        fields: html`${input({ name: 'username', label: tr('username'), value: v.username, hint: tr('usernameHint'), errors: form?.errors, required: true, autocomplete: 'off' })}
        ${input({ name: 'displayName', label: tr('displayName'), value: v.displayName, errors: form?.errors, autocomplete: 'off' })}
        ${select({ name: 'role', label: tr('role'), value: v.role, options: roleOptions(ctx.lang), errors: form?.errors })}
        ${input({ name: 'password', label: tr('passwordField'), type: 'password', hint: tr('passwordHint'), errors: form?.errors, autocomplete: 'new-password' })}`,
      })}`,
  });
}

async function adminPage(ctx: PageContext, deps: ConsoleDeps, id: string, errors?: FieldErrors): Promise<Html> {
  const tr = tOf(ctx.lang);
  const a = await deps.admins.get(id);
  const back = `/console/admins/${a.id}`;
  return layout(ctx, {
    title: tr('adminTitle', { username: a.username }),
    nav: 'admins',
    body: html`<p><a href="/console/admins">${tr('back')}</a></p>
      ${errors?.[''] ? refusalBox(tr('refused', { message: errors[''] })) : ''}
      <dl class="facts">
        <dt>${tr('username')}</dt>
        <dd>${a.username} ${a.id === ctx.principal.adminId ? html`<span class="muted">${tr('you')}</span>` : ''}</dd>
        ${
          a.displayName
            ? html`<dt>${tr('displayName')}</dt>
                <dd>${a.displayName}</dd>`
            : ''
        }
        <dt>${tr('role')}</dt>
        <dd>${roleName(ctx.lang, a.role)}</dd>
        <dt>${tr('status')}</dt>
        <dd>${a.disabled ? tr('disabled') : tr('enabled')}</dd>
        <dt>${tr('signIn')}</dt>
        <dd>${signInWith(ctx.lang, a)}</dd>
        <dt>${tr('created')}</dt>
        <dd>${when(ctx.lang, a.createdAt)}</dd>
        <dt>${tr('lastSignIn')}</dt>
        <dd>${when(ctx.lang, a.lastSignInAt)}</dd>
      </dl>
      <section class="panel" aria-labelledby="role-title">
        <h2 id="role-title">${tr('roleTitle')}</h2>
        <form method="post" action="/console/admins/${a.id}/role" novalidate>
          ${formHidden(ctx, back)} ${select({ name: 'role', label: tr('role'), value: a.role, options: roleOptions(ctx.lang), errors })}
          <div class="actions"><button type="submit">${tr('saveRole')}</button></div>
        </form>
      </section>
      <section class="panel" aria-labelledby="access-title">
        <h2 id="access-title">${tr('accessTitle')}</h2>
        <form method="post" action="/console/admins/${a.id}/${a.disabled ? 'enable' : 'disable'}">
          ${formHidden(ctx, back)} ${a.disabled ? '' : html`<p class="hint" id="disable-hint">${tr('disableHint')}</p>`}
          <div class="actions">
            <button type="submit" class="${a.disabled ? 'secondary' : 'danger'}" ${a.disabled ? '' : html` aria-describedby="disable-hint"`}>
              ${tr(a.disabled ? 'enable' : 'disable', { username: a.username })}
            </button>
          </div>
        </form>
        <p class="actions"><a class="button danger" href="/console/admins/${a.id}/remove">${tr('remove')}</a></p>
      </section>`,
  });
}

/** A refusal of a change to an administrator: the page again, with the server's message (409 last owner, 400 role). */
async function refusedChange(ctx: PageContext, deps: ConsoleDeps, id: string, err: unknown): Promise<Html> {
  if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
  ctx.reply.code(err.status);
  const errors = fieldErrors(err) ?? {};
  return adminPage(ctx, deps, id, errors.role !== undefined ? errors : { '': err.message });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const idOf = (ctx: PageContext) => param(ctx.request, 'id');

  routes.page('/admins', 'admins.manage', (ctx) => listPage(ctx, deps));

  routes.action('/admins', 'admins.manage', async (ctx, form: FormData): Promise<PageResult> => {
    const values = { username: one(form, 'username').trim(), displayName: one(form, 'displayName'), role: one(form, 'role') };
    try {
      const a = await deps.admins.create(
        {
          username: values.username,
          displayName: values.displayName || undefined,
          role: values.role as AdminRole,
          password: one(form, 'password') || undefined,
        },
        actorOf(ctx.request),
      );
      return { redirect: `/console/admins/${a.id}`, flash: tOf(ctx.lang)('createdFlash', { username: a.username }) };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(400);
      return listPage(ctx, deps, { values, errors });
    }
  });

  routes.page('/admins/:id', 'admins.manage', (ctx) => adminPage(ctx, deps, idOf(ctx)));

  routes.action('/admins/:id/role', 'admins.manage', async (ctx, form): Promise<PageResult> => {
    const id = idOf(ctx);
    try {
      const a = await deps.admins.changeRole(id, one(form, 'role') as AdminRole, actorOf(ctx.request));
      return { redirect: `/console/admins/${id}`, flash: tOf(ctx.lang)('roleFlash', { username: a.username, role: roleName(ctx.lang, a.role) }) };
    } catch (err) {
      return refusedChange(ctx, deps, id, err);
    }
  });

  for (const disabled of [true, false]) {
    routes.action(`/admins/:id/${disabled ? 'disable' : 'enable'}`, 'admins.manage', async (ctx): Promise<PageResult> => {
      const id = idOf(ctx);
      try {
        const a = await deps.admins.setDisabled(id, disabled, actorOf(ctx.request));
        return { redirect: `/console/admins/${id}`, flash: tOf(ctx.lang)(disabled ? 'disabledFlash' : 'enabledFlash', { username: a.username }) };
      } catch (err) {
        return refusedChange(ctx, deps, id, err);
      }
    });
  }

  routes.page('/admins/:id/remove', 'admins.manage', async (ctx) => {
    const tr = tOf(ctx.lang);
    const a = await deps.admins.get(idOf(ctx));
    return layout(ctx, {
      title: tr('removeTitle', { username: a.username }),
      nav: 'admins',
      body: html`<p>${tr('removeText', { username: a.username, role: roleName(ctx.lang, a.role) })}</p>
        ${confirmForm(ctx, {
          action: `/console/admins/${a.id}/remove`,
          back: `/console/admins/${a.id}`,
          confirm: tr('removeConfirm', { username: a.username }),
          cancel: tr('cancel'),
        })}`,
    });
  });

  routes.action('/admins/:id/remove', 'admins.manage', async (ctx): Promise<PageResult> => {
    const id = idOf(ctx);
    const a = await deps.admins.get(id);
    try {
      await deps.admins.remove(id, actorOf(ctx.request));
    } catch (err) {
      return refusedChange(ctx, deps, id, err);
    }
    return { redirect: '/console/admins', flash: tOf(ctx.lang)('removedFlash', { username: a.username }) };
  });
}
