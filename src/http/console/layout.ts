// The frame every console page sits in: skip link, header (who is signed in, language switch,
// sign-out), the navigation the principal's role allows, the main landmark with the page's
// title and its one-time message. Also the pages without a signed-in person (sign-in, set-up)
// and the refusal and error pages.
import type { AdminRole } from '../../domain/admin.js';
import { can, type Capability } from '../../service/admins/capabilities.js';
import { consoleAssets } from './assets.js';
import { takeFlash } from './cookies.js';
import { csrfField } from './forms.js';
import { html, type Html } from './html.js';
import { type Lang, LANGS, translator } from './i18n.js';
import type { PageContext } from './page.js';

export type NavKey =
  | 'dashboard'
  | 'devices'
  | 'profiles'
  | 'apps'
  | 'compliance'
  | 'esp'
  | 'day-zero'
  | 'groups'
  | 'enrollment-accounts'
  | 'audit'
  | 'entra'
  | 'branding'
  | 'admins'
  | 'tokens';

const NAV: { key: NavKey; path: string; capability: Capability }[] = [
  { key: 'dashboard', path: '/console/', capability: 'read' },
  { key: 'devices', path: '/console/devices', capability: 'read' },
  { key: 'profiles', path: '/console/profiles', capability: 'read' },
  { key: 'apps', path: '/console/apps', capability: 'read' },
  { key: 'compliance', path: '/console/compliance', capability: 'read' },
  { key: 'esp', path: '/console/esp', capability: 'read' },
  { key: 'day-zero', path: '/console/day-zero', capability: 'read' },
  { key: 'groups', path: '/console/groups', capability: 'read' },
  { key: 'entra', path: '/console/entra', capability: 'read' },
  { key: 'branding', path: '/console/settings/branding', capability: 'read' },
  { key: 'enrollment-accounts', path: '/console/enrollment-accounts', capability: 'enrollment-accounts.read' },
  { key: 'audit', path: '/console/audit', capability: 'audit.read' },
  { key: 'admins', path: '/console/admins', capability: 'admins.manage' },
  { key: 'tokens', path: '/console/tokens', capability: 'read' },
];

const messages = {
  en: {
    skip: 'Skip to content',
    navLabel: 'Console',
    langLabel: 'Language',
    signOut: 'Sign out',
    signedInAs: 'Signed in as',
    dashboard: 'Dashboard',
    devices: 'Devices',
    profiles: 'Profiles',
    apps: 'Apps',
    compliance: 'Compliance',
    esp: 'Enrollment Status Page',
    'day-zero': 'Day zero',
    branding: 'Branding',
    groups: 'Groups',
    'enrollment-accounts': 'Enrollment accounts',
    audit: 'Audit log',
    entra: 'Microsoft Azure / Entra ID',
    admins: 'Administrators',
    tokens: 'API tokens',
    'read-only': 'read-only',
    helpdesk: 'helpdesk',
    admin: 'admin',
    owner: 'owner',
    forbiddenTitle: 'Not allowed',
    forbidden: 'Your role ({role}) does not allow this page or action. An owner can change your role.',
    errorTitle: 'Something went wrong',
    notFoundTitle: 'Page not found',
    notFound: 'There is no console page at this address.',
    csrf: 'This form has expired or did not come from this console. Go back, reload the page and try again.',
    internal: 'The server could not do this. The error was logged; try again, and tell the operator if it persists.',
    toDashboard: 'Go to the dashboard',
  },
  fr: {
    skip: 'Aller au contenu',
    navLabel: 'Console',
    langLabel: 'Langue',
    signOut: 'Se déconnecter',
    signedInAs: 'Connecté en tant que',
    dashboard: 'Tableau de bord',
    devices: 'Appareils',
    profiles: 'Profils',
    apps: 'Applications',
    compliance: 'Conformité',
    esp: "Page d'état de l'inscription",
    'day-zero': 'Jour zéro',
    branding: 'Personnalisation',
    groups: 'Groupes',
    'enrollment-accounts': "Comptes d'inscription",
    audit: "Journal d'audit",
    entra: 'Microsoft Azure / Entra ID',
    admins: 'Administrateurs',
    tokens: "Jetons d'API",
    'read-only': 'lecture seule',
    helpdesk: 'support',
    admin: 'administrateur',
    owner: 'propriétaire',
    forbiddenTitle: 'Non autorisé',
    forbidden: 'Votre rôle ({role}) ne permet pas cette page ou cette action. Un propriétaire peut changer votre rôle.',
    errorTitle: 'Une erreur est survenue',
    notFoundTitle: 'Page introuvable',
    notFound: "Il n'y a pas de page de la console à cette adresse.",
    csrf: 'Ce formulaire a expiré ou ne vient pas de cette console. Revenez en arrière, rechargez la page et réessayez.',
    internal: "Le serveur n'a pas pu le faire. L'erreur a été journalisée ; réessayez et prévenez l'exploitant si elle persiste.",
    toDashboard: 'Aller au tableau de bord',
  },
};

// French has every English key: translator's inference refuses the pair otherwise.
const t = (lang: Lang) => translator(messages, lang);

/** The role's name in the page's language. */
export const roleName = (lang: Lang, role: AdminRole): string => t(lang)(role);

const LANG_NAMES: Record<Lang, string> = { en: 'English', fr: 'Français' };

/** The language links: each sets the `lang` cookie and comes back to `here`. */
function langSwitch(lang: Lang, here: string): Html {
  const tr = t(lang);
  return html`<nav class="langs" aria-label="${tr('langLabel')}">
    <ul>
      ${LANGS.map((l) =>
        l === lang
          ? html`<li><span aria-current="true" lang="${l}">${LANG_NAMES[l]}</span></li>`
          : html`<li><a href="/console/lang/${l}?next=${encodeURIComponent(here)}" lang="${l}" hreflang="${l}">${LANG_NAMES[l]}</a></li>`,
      )}
    </ul>
  </nav>`;
}

function document(lang: Lang, title: string, content: Html, scripts: string[] = []): Html {
  const a = consoleAssets();
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · fenestra</title>
        <link rel="stylesheet" href="${a.url('console.css')}" />
        <link rel="icon" href="${a.url('icon.svg')}" type="image/svg+xml" />
        <script src="${a.url('console.js')}" defer></script>
        ${scripts.map((s) => html`<script src="${a.url(s)}" defer></script>`)}
      </head>
      <body>
        ${content}
      </body>
    </html> `;
}

function flashBox(flash: string | undefined): Html | undefined {
  return flash ? html`<div class="flash" role="status">${flash}</div>` : undefined;
}

/**
 * A console page. The layout writes the `<h1>` from `title`; `body` follows it. `flash` (else the
 * one a redirect carried) shows above the body. `scripts`: more asset names to load (deferred).
 */
export function layout(ctx: PageContext, p: { title: string; nav: NavKey; body: Html; flash?: string; scripts?: string[] }): Html {
  const tr = t(ctx.lang);
  const flash = p.flash ?? takeFlash(ctx.request, ctx.reply);
  const here = ctx.request.url;
  const { principal } = ctx;
  const content = html`<a class="skip" href="#main">${tr('skip')}</a>
    <header class="top">
      <a class="brand" href="/console/"><img src="${consoleAssets().url('icon.svg')}" alt="" width="24" height="24" /> fenestra</a>
      <div class="session">
        <span class="who"
          ><span class="visually-hidden">${tr('signedInAs')} </span><strong>${principal.name}</strong> <span class="role">${tr(principal.role)}</span></span
        >
        ${langSwitch(ctx.lang, here)}
        <form method="post" action="/console/sign-out" class="sign-out">
          ${csrfField(ctx)}
          <button type="submit" class="link">${tr('signOut')}</button>
        </form>
      </div>
    </header>
    <div class="frame">
      <nav class="side" aria-label="${tr('navLabel')}">
        <ul>
          ${NAV.filter((n) => can(principal, n.capability)).map(
            (n) => html`<li><a href="${n.path}" ${n.key === p.nav ? html`aria-current="page"` : ''}>${tr(n.key)}</a></li>`,
          )}
        </ul>
      </nav>
      <main id="main" tabindex="-1">
        <h1>${p.title}</h1>
        ${flashBox(flash)} ${p.body}
      </main>
    </div>`;
  return document(ctx.lang, p.title, content, p.scripts);
}

/** A page for someone not signed in (sign-in, first set-up, errors before sign-in): no navigation. */
export function bareLayout(lang: Lang, here: string, p: { title: string; body: Html; flash?: string }): Html {
  const tr = t(lang);
  const content = html`<a class="skip" href="#main">${tr('skip')}</a>
    <header class="top">
      <span class="brand"><img src="${consoleAssets().url('icon.svg')}" alt="" width="24" height="24" /> fenestra</span>
      <div class="session">${langSwitch(lang, here)}</div>
    </header>
    <main id="main" class="narrow" tabindex="-1">
      <h1>${p.title}</h1>
      ${flashBox(p.flash)} ${p.body}
    </main>`;
  return document(lang, p.title, content);
}

export function forbiddenPage(ctx: PageContext): Html {
  const tr = t(ctx.lang);
  return layout(ctx, {
    title: tr('forbiddenTitle'),
    nav: 'dashboard',
    body: html`<p>${tr('forbidden', { role: tr(ctx.principal.role) })}</p>
      <p><a href="/console/">${tr('toDashboard')}</a></p>`,
  });
}

/** An error page: 404 and 500 in the page's words, 'csrf' explained, other messages as the service gave them. */
export function errorPage(ctx: PageContext | undefined, lang: Lang, here: string, status: number, message: string): Html {
  const tr = t(lang);
  const title = status === 404 ? tr('notFoundTitle') : status === 403 ? tr('forbiddenTitle') : tr('errorTitle');
  const text = message === 'csrf' ? tr('csrf') : status >= 500 ? tr('internal') : status === 404 && !message ? tr('notFound') : message;
  const body = html`<p>${text}</p>
    <p><a href="/console/">${tr('toDashboard')}</a></p>`;
  return ctx ? layout(ctx, { title, nav: 'dashboard', body }) : bareLayout(lang, here, { title, body });
}
