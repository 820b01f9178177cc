// Personal API tokens, for scripts and automation: everyone lists, creates and revokes their own;
// an owner sees and revokes everyone's. A new token's secret is on the page that answers its
// creation, once, with a copy button; the server keeps only its hash.
import { ADMIN_ROLES, type AdminRole, roleAtLeast } from '../../../domain/admin.js';
import { can } from '../../../service/admins/capabilities.js';
import type { ApiTokenView } from '../../../service/admins/views.js';
import { notFound } from '../../../service/errors.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, translator } from '../i18n.js';
import { layout, roleName } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, one, type PageContext, type PageResult } from '../page.js';
import { confirmForm, type FieldErrors, formPanel, input, param, select } from './admins-kit.js';

const messages = {
  en: {
    title: 'API tokens',
    intro:
      'A personal token lets a script call the admin API as you (Authorization: Bearer <token>), with your role or a lesser one. Revoke a token you no longer use.',
    ownCaption: 'Your API tokens',
    allCaption: 'API tokens of every administrator',
    none: 'No API token yet.',
    name: 'Name',
    nameHint: 'What it is for, e.g. "backup script".',
    prefix: 'Starts with',
    owner: 'Administrator',
    role: 'Role',
    roleHint: 'At most your own role.',
    created: 'Created',
    lastUsed: 'Last used',
    expires: 'Expires',
    status: 'Status',
    active: 'active',
    revoked: 'revoked',
    expired: 'expired',
    never: 'never',
    expiresIn: 'Expires after (days, optional)',
    expiresInHint: 'Empty: the token does not expire.',
    badDays: 'A whole number of days.',
    createTitle: 'Create a token',
    create: 'Create the token',
    newTitle: 'Your new token',
    newText: 'Copy it now: this is the only time it is shown. fenestra keeps only a hash of it.',
    newLabel: 'Token {name}',
    copy: 'Copy',
    copied: 'Copied',
    revoke: 'Revoke',
    revokeLabel: 'Revoke token {name}',
    revokeTitle: 'Revoke token {name}?',
    revokeText: 'Token {name} ({prefix}…, of {owner}) stops working at once. Scripts using it get 401.',
    revokeConfirm: 'Revoke {name}',
    cancel: 'Cancel',
    revokedFlash: 'Token {name} was revoked.',
  },
  fr: {
    title: "Jetons d'API",
    intro:
      "Un jeton personnel permet à un script d'appeler l'API d'administration en votre nom (Authorization: Bearer <jeton>), avec votre rôle ou un rôle moindre. Révoquez un jeton que vous n'utilisez plus.",
    ownCaption: "Vos jetons d'API",
    allCaption: "Les jetons d'API de tous les administrateurs",
    none: "Aucun jeton d'API pour l'instant.",
    name: 'Nom',
    nameHint: 'Son usage, par ex. « script de sauvegarde ».',
    prefix: 'Commence par',
    owner: 'Administrateur',
    role: 'Rôle',
    roleHint: 'Au plus votre propre rôle.',
    created: 'Créé le',
    lastUsed: 'Dernière utilisation',
    expires: 'Expire le',
    status: 'État',
    active: 'actif',
    revoked: 'révoqué',
    expired: 'expiré',
    never: 'jamais',
    expiresIn: 'Expire après (jours, facultatif)',
    expiresInHint: "Vide : le jeton n'expire pas.",
    badDays: 'Un nombre entier de jours.',
    createTitle: 'Créer un jeton',
    create: 'Créer le jeton',
    newTitle: 'Votre nouveau jeton',
    newText: "Copiez-le maintenant : il n'est affiché qu'une fois. fenestra n'en garde qu'une empreinte.",
    newLabel: 'Jeton {name}',
    copy: 'Copier',
    copied: 'Copié',
    revoke: 'Révoquer',
    revokeLabel: 'Révoquer le jeton {name}',
    revokeTitle: 'Révoquer le jeton {name} ?',
    revokeText: 'Le jeton {name} ({prefix}…, de {owner}) cesse aussitôt de fonctionner. Les scripts qui l’utilisent reçoivent 401.',
    revokeConfirm: 'Révoquer {name}',
    cancel: 'Annuler',
    revokedFlash: 'Le jeton {name} a été révoqué.',
  },
} satisfies Messages<string>;

type Key = keyof typeof messages.en;
const tOf = (lang: Lang) => translator<Key>(messages, lang);

const shownPrefix = (t: ApiTokenView) => `fen_${t.prefix}_`;

function status(lang: Lang, t: ApiTokenView): Html {
  const tr = tOf(lang);
  if (t.revokedAt) return html`<span class="badge bad">${tr('revoked')}</span>`;
  if (!t.active) return html`<span class="badge warn">${tr('expired')}</span>`;
  return html`<span class="badge ok">${tr('active')}</span>`;
}

function tokenTable(ctx: PageContext, tokens: ApiTokenView[], all: boolean): Html {
  const tr = tOf(ctx.lang);
  if (tokens.length === 0) return html`<p class="muted">${tr('none')}</p>`;
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        ${tr(all ? 'allCaption' : 'ownCaption')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${tr('name')}</th>
          <th scope="col">${tr('prefix')}</th>
          ${all ? html`<th scope="col">${tr('owner')}</th>` : ''}
          <th scope="col">${tr('role')}</th>
          <th scope="col">${tr('created')}</th>
          <th scope="col">${tr('lastUsed')}</th>
          <th scope="col">${tr('expires')}</th>
          <th scope="col">${tr('status')}</th>
          <th scope="col"><span class="visually-hidden">${tr('revoke')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${tokens.map(
          (t) =>
            html`<tr>
              <th scope="row">${t.name}</th>
              <td><code>${shownPrefix(t)}</code></td>
              ${all ? html`<td>${t.adminUsername ?? t.adminId}</td>` : ''}
              <td>${roleName(ctx.lang, t.role)}</td>
              <td>${when(ctx.lang, t.createdAt)}</td>
              <td>${t.lastUsedAt ? when(ctx.lang, t.lastUsedAt) : html`<span class="muted">${tr('never')}</span>`}</td>
              <td>${t.expiresAt ? when(ctx.lang, t.expiresAt) : html`<span class="muted">${tr('never')}</span>`}</td>
              <td>${status(ctx.lang, t)}</td>
              <td>
                ${
                  t.revokedAt
                    ? ''
                    : html`<a class="button secondary" href="/console/tokens/${t.id}/revoke" aria-label="${tr('revokeLabel', { name: t.name })}"
                        >${tr('revoke')}</a
                      >`
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

interface CreateForm {
  name: string;
  role: string;
  expiresInDays: string;
}

async function tokensPage(
  ctx: PageContext,
  deps: ConsoleDeps,
  opts: { form?: { values: CreateForm; errors: FieldErrors }; created?: { token: ApiTokenView; secret: string } } = {},
): Promise<Html> {
  const tr = tOf(ctx.lang);
  const all = can(ctx.principal, 'admins.manage');
  const tokens = await deps.admins.listTokens(ctx.principal, { all });
  const roles = ADMIN_ROLES.filter((r) => roleAtLeast(ctx.principal.role, r)).reverse();
  const v = opts.form?.values ?? { name: '', role: ctx.principal.role, expiresInDays: '' };
  const created = opts.created
    ? html`<section class="panel new-token" aria-labelledby="new-title">
        <h2 id="new-title">${tr('newTitle')}</h2>
        <p>${tr('newText')}</p>
        <p>
          <code id="new-token" aria-label="${tr('newLabel', { name: opts.created.token.name })}">${opts.created.secret}</code>
          <button type="button" class="secondary" data-copy="new-token" data-copied="${tr('copied')}">${tr('copy')}</button>
        </p>
      </section>`
    : '';
  return layout(ctx, {
    title: tr('title'),
    nav: 'tokens',
    body: html`${created}
      <p>${tr('intro')}</p>
      ${tokenTable(ctx, tokens, all)}
      ${formPanel(ctx, {
        id: 'create',
        title: tr('createTitle'),
        action: '/console/tokens',
        errors: opts.form?.errors,
        shown: ['name', 'role', 'expiresInDays'],
        submit: tr('create'),
        fields: html`${input({ name: 'name', label: tr('name'), value: v.name, hint: tr('nameHint'), errors: opts.form?.errors, required: true, autocomplete: 'off' })}
        ${select({
          name: 'role',
          label: tr('role'),
          value: v.role,
          hint: tr('roleHint'),
          errors: opts.form?.errors,
          options: roles.map((r) => ({ value: r, label: roleName(ctx.lang, r) })),
        })}
        ${input({
          name: 'expiresInDays',
          label: tr('expiresIn'),
          value: v.expiresInDays,
          hint: tr('expiresInHint'),
          errors: opts.form?.errors,
          inputmode: 'numeric',
          autocomplete: 'off',
        })}`,
      })}`,
  });
}

/** One token the principal may see (its own, or anyone's for an owner), else the service's 404. */
async function tokenOf(ctx: PageContext, deps: ConsoleDeps, id: string): Promise<ApiTokenView | undefined> {
  const tokens = await deps.admins.listTokens(ctx.principal, { all: can(ctx.principal, 'admins.manage') });
  return tokens.find((t) => t.id === id);
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/tokens', 'read', (ctx) => tokensPage(ctx, deps));

  routes.action('/tokens', 'read', async (ctx, form): Promise<PageResult> => {
    const tr = tOf(ctx.lang);
    const values = { name: one(form, 'name'), role: one(form, 'role'), expiresInDays: one(form, 'expiresInDays').trim() };
    if (values.expiresInDays && !/^\d{1,5}$/.test(values.expiresInDays)) {
      ctx.reply.code(400);
      return tokensPage(ctx, deps, { form: { values, errors: { expiresInDays: tr('badDays') } } });
    }
    try {
      const created = await deps.admins.createToken(
        ctx.principal,
        {
          name: values.name,
          role: (values.role || undefined) as AdminRole | undefined,
          expiresInDays: values.expiresInDays ? Number(values.expiresInDays) : undefined,
        },
        actorOf(ctx.request),
      );
      // The secret is on this answer only (never in a redirect, cookie or log).
      ctx.reply.code(201);
      return tokensPage(ctx, deps, { created });
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(400);
      return tokensPage(ctx, deps, { form: { values, errors } });
    }
  });

  routes.page('/tokens/:id/revoke', 'read', async (ctx) => {
    const tr = tOf(ctx.lang);
    const t = await tokenOf(ctx, deps, param(ctx.request, 'id'));
    if (!t) throw notFound('API token');
    return layout(ctx, {
      title: tr('revokeTitle', { name: t.name }),
      nav: 'tokens',
      body: html`<p>${tr('revokeText', { name: t.name, prefix: shownPrefix(t), owner: t.adminUsername ?? t.adminId })}</p>
        ${confirmForm(ctx, {
          action: `/console/tokens/${t.id}/revoke`,
          back: '/console/tokens',
          confirm: tr('revokeConfirm', { name: t.name }),
          cancel: tr('cancel'),
        })}`,
    });
  });

  routes.action('/tokens/:id/revoke', 'read', async (ctx): Promise<PageResult> => {
    const t = await deps.admins.revokeToken(ctx.principal, param(ctx.request, 'id'), actorOf(ctx.request));
    return { redirect: '/console/tokens', flash: tOf(ctx.lang)('revokedFlash', { name: t.name }) };
  });
}
