// On-premises enrollment accounts: the username and password a user types in Settings > Accounts >
// Access work or school to enroll a device without Entra ID. Admins see them; only an owner creates
// or deletes one (they hold credentials that enroll devices). The password is never shown again.
import { can } from '../../../service/admins/capabilities.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, one, type PageContext, type PageResult } from '../page.js';
import { confirmForm, type FieldErrors, formPanel, input, listTable } from './admins-kit.js';

const messages = {
  en: {
    title: 'Enrollment accounts',
    intro:
      'A user enrolls a Windows device without Entra ID in Settings > Accounts > Access work or school > Enroll only in device management, with one of these usernames and its password.',
    caption: 'Enrollment accounts',
    none: 'No enrollment account yet.',
    username: 'Username',
    usernameHint: 'Usually an email address (alice@contoso.com); no spaces.',
    password: 'Password',
    passwordHint: 'At least 8 characters. It is stored hashed and never shown again: give it to the user now.',
    created: 'Created',
    createTitle: 'Create an enrollment account',
    create: 'Create the account',
    createdFlash: 'Enrollment account {username} was created.',
    delete: 'Delete',
    deleteLabel: 'Delete enrollment account {username}',
    deleteTitle: 'Delete enrollment account {username}?',
    deleteText: 'Nobody can enroll a device with {username} any more. Devices already enrolled with it stay enrolled.',
    deleteConfirm: 'Delete {username}',
    cancel: 'Cancel',
    deleted: 'Enrollment account {username} was deleted.',
    exists: 'An enrollment account with this username exists.',
  },
  fr: {
    title: "Comptes d'inscription",
    intro:
      "Un utilisateur inscrit un appareil Windows sans Entra ID dans Paramètres > Comptes > Accès Professionnel ou Scolaire > S'inscrire uniquement à la gestion des appareils, avec l'un de ces noms d'utilisateur et son mot de passe.",
    caption: "Comptes d'inscription",
    none: "Aucun compte d'inscription pour l'instant.",
    username: "Nom d'utilisateur",
    usernameHint: 'En général une adresse e-mail (alice@contoso.com) ; sans espace.',
    password: 'Mot de passe',
    passwordHint: "Au moins 8 caractères. Il est conservé haché et n'est plus jamais affiché : donnez-le à l'utilisateur maintenant.",
    created: 'Créé le',
    createTitle: "Créer un compte d'inscription",
    create: 'Créer le compte',
    createdFlash: "Le compte d'inscription {username} a été créé.",
    delete: 'Supprimer',
    deleteLabel: "Supprimer le compte d'inscription {username}",
    deleteTitle: "Supprimer le compte d'inscription {username} ?",
    deleteText: "Plus personne ne pourra inscrire d'appareil avec {username}. Les appareils déjà inscrits avec ce compte le restent.",
    deleteConfirm: 'Supprimer {username}',
    cancel: 'Annuler',
    deleted: "Le compte d'inscription {username} a été supprimé.",
    exists: "Un compte d'inscription porte déjà ce nom d'utilisateur.",
  },
} satisfies Messages<string>;

type Key = keyof typeof messages.en;
const tOf = (lang: Lang) => translator<Key>(messages, lang);

async function listPage(ctx: PageContext, deps: ConsoleDeps, form?: { username: string; errors: FieldErrors }): Promise<Html> {
  const tr = tOf(ctx.lang);
  const accounts = await deps.accounts.list();
  const write = can(ctx.principal, 'enrollment-accounts.write');
  const deleteHref = (u: string) => `/console/enrollment-accounts/delete?username=${encodeURIComponent(u)}`;
  const table = listTable({
    caption: tr('caption'),
    head: html`<th scope="col">${tr('username')}</th>
      <th scope="col">${tr('created')}</th>`,
    items: accounts,
    row: (a) =>
      html`<th scope="row">${a.username}</th>
        <td>${when(ctx.lang, a.createdAt)}</td>`,
    none: tr('none'),
    action: write
      ? {
          label: tr('delete'),
          cell: (a) =>
            html`<a class="button secondary" href="${deleteHref(a.username)}" aria-label="${tr('deleteLabel', { username: a.username })}">${tr('delete')}</a>`,
        }
      : undefined,
  });
  const create = write
    ? formPanel(ctx, {
        id: 'create',
        title: tr('createTitle'),
        action: '/console/enrollment-accounts',
        errors: form?.errors,
        shown: ['username', 'password'],
        submit: tr('create'),
        fields: html`${input({ name: 'username', label: tr('username'), value: form?.username ?? '', hint: tr('usernameHint'), errors: form?.errors, required: true, autocomplete: 'off' })}
        ${input({ name: 'password', label: tr('password'), type: 'password', hint: tr('passwordHint'), errors: form?.errors, required: true, autocomplete: 'new-password' })} `,
      })
    : '';
  return layout(ctx, {
    title: tr('title'),
    nav: 'enrollment-accounts',
    body: html`<p>${tr('intro')}</p>
      ${table}${create}`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/enrollment-accounts', 'enrollment-accounts.read', (ctx) => listPage(ctx, deps));

  routes.action('/enrollment-accounts', 'enrollment-accounts.write', async (ctx, form): Promise<PageResult> => {
    const tr = tOf(ctx.lang);
    const username = one(form, 'username');
    try {
      const a = await deps.accounts.create(username, one(form, 'password'), actorOf(ctx.request));
      return { redirect: '/console/enrollment-accounts', flash: tr('createdFlash', { username: a.username }) };
    } catch (err) {
      let errors = fieldErrors(err);
      if (!errors) throw err;
      // "exists" names no field: it is about the username.
      if (errors[''] !== undefined && (err as { status?: number }).status === 409) errors = { username: tr('exists') };
      ctx.reply.code(400);
      return listPage(ctx, deps, { username, errors });
    }
  });

  // The username goes in the query and the form, not the path: it may hold any character but spaces.
  routes.page('/enrollment-accounts/delete', 'enrollment-accounts.write', async (ctx) => {
    const tr = tOf(ctx.lang);
    const username = one(ctx.query, 'username');
    return layout(ctx, {
      title: tr('deleteTitle', { username }),
      nav: 'enrollment-accounts',
      body: html`<p>${tr('deleteText', { username })}</p>
        ${confirmForm(ctx, {
          action: '/console/enrollment-accounts/delete',
          back: '/console/enrollment-accounts',
          fields: { username },
          confirm: tr('deleteConfirm', { username }),
          cancel: tr('cancel'),
        })}`,
    });
  });

  routes.action('/enrollment-accounts/delete', 'enrollment-accounts.write', async (ctx, form): Promise<PageResult> => {
    const username = one(form, 'username');
    await deps.accounts.remove(username, actorOf(ctx.request));
    return { redirect: '/console/enrollment-accounts', flash: tOf(ctx.lang)('deleted', { username }) };
  });
}
