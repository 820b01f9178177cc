// The console's pages before anyone is signed in, and leaving: the first owner's set-up (from the
// one-time link printed at start-up), password sign-in, sign-out, and the language switch.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../service/errors.js';
import { cookiesOf, setFlash, setLangCookie, takeFlash } from './cookies.js';
import type { AdminService } from '../../service/admins/service.js';
import type { SignedIn } from './deps.js';
import { field, formErrors } from './forms.js';
import { html, type Html } from './html.js';
import { type Lang, LANGS, translator } from './i18n.js';
import { bareLayout } from './layout.js';
import { type Authenticate, type FormData, fieldErrors, isForm, langOfRequest, one, safeNext, sendResult } from './page.js';

/** How the session cookie is written and read (src/http/admin/session-cookie.ts). */
export interface SessionCookie {
  name: string;
  set(reply: FastifyReply, signedIn: SignedIn): void;
  clear(reply: FastifyReply): void;
}

export interface SignInOptions {
  admins: AdminService;
  authenticate: Authenticate;
  session: SessionCookie;
  /** Entra ID sign-in is configured: the sign-in page offers it (/console/auth/entra). */
  entra?: boolean;
  /**
   * The client's address for the password throttle: the one a trusted proxy forwards, an IPv6
   * client as its /64 (src/http/client-address.ts). Default: the TCP peer.
   */
  clientAddress?: (request: FastifyRequest) => string | undefined;
}

const messages = {
  en: {
    signInTitle: 'Sign in',
    username: 'User name',
    password: 'Password',
    submit: 'Sign in',
    entra: 'Sign in with Microsoft Entra ID',
    or: 'Or, with your organisation account:',
    wrong: 'Wrong user name or password.',
    needsSetup:
      'No administrator exists yet. Open the set-up link fenestra printed when it started (or run "fenestra admins setup-link") to create the first owner.',
    setupTitle: 'Create the first owner',
    setupIntro: 'This account will own this fenestra server: it can do everything, including managing other administrators.',
    displayName: 'Display name (optional)',
    newPassword: 'Password',
    passwordHint: 'At least 12 characters.',
    password2: 'Password again',
    mismatch: 'The two passwords differ.',
    create: 'Create the owner and sign in',
    setupDone: 'This server already has its owner: this set-up link no longer works.',
    setupNoCode: 'This page needs the set-up link fenestra printed when it started (it carries a one-time code).',
    setupBadCode: 'This set-up link is not valid (expired, or replaced by a newer one). Get a fresh one with "fenestra admins setup-link".',
    toSignIn: 'Go to sign-in',
    welcome: 'Welcome, {name}. You are the owner of this server.',
    signedOut: 'You are signed out.',
    crossSite: 'This form did not come from this console.',
  },
  fr: {
    signInTitle: 'Connexion',
    username: "Nom d'utilisateur",
    password: 'Mot de passe',
    submit: 'Se connecter',
    entra: 'Se connecter avec Microsoft Entra ID',
    or: 'Ou, avec votre compte professionnel :',
    wrong: "Nom d'utilisateur ou mot de passe incorrect.",
    needsSetup:
      "Aucun administrateur n'existe encore. Ouvrez le lien de configuration affiché par fenestra au démarrage (ou lancez « fenestra admins setup-link ») pour créer le premier propriétaire.",
    setupTitle: 'Créer le premier propriétaire',
    setupIntro: 'Ce compte sera propriétaire de ce serveur fenestra : il peut tout faire, y compris gérer les autres administrateurs.',
    displayName: 'Nom affiché (facultatif)',
    newPassword: 'Mot de passe',
    passwordHint: 'Au moins 12 caractères.',
    password2: 'Confirmer le mot de passe',
    mismatch: 'Les deux mots de passe diffèrent.',
    create: 'Créer le propriétaire et se connecter',
    setupDone: 'Ce serveur a déjà son propriétaire : ce lien de configuration ne fonctionne plus.',
    setupNoCode: 'Cette page demande le lien de configuration affiché par fenestra au démarrage (il porte un code à usage unique).',
    setupBadCode:
      "Ce lien de configuration n'est pas valide (expiré, ou remplacé par un plus récent). Obtenez-en un nouveau avec « fenestra admins setup-link ».",
    toSignIn: 'Aller à la connexion',
    welcome: 'Bienvenue, {name}. Vous êtes propriétaire de ce serveur.',
    signedOut: 'Vous êtes déconnecté.',
    crossSite: 'Ce formulaire ne vient pas de cette console.',
  },
};

const tr = (lang: Lang) => translator(messages, lang);

/**
 * A browser says a form came from another site: refuse it (sign-in CSRF). By Sec-Fetch-Site when
 * the browser sends it, else by Origin, which must be this server's (a 'null' one is not); a
 * client sending neither (a script, an old browser) passes.
 */
const crossSite = (request: FastifyRequest) => {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== new URL(`https://${request.host}`).host;
  } catch {
    return true;
  }
};

export function signInRoutes(app: FastifyInstance, o: SignInOptions): void {
  const page = (request: FastifyRequest, reply: FastifyReply, lang: Lang, title: string, body: Html, flash?: string) =>
    sendResult(reply, bareLayout(lang, request.url, { title, body, flash: flash ?? takeFlash(request, reply) }));

  function signInForm(request: FastifyRequest, reply: FastifyReply, next: string, values: { username?: string; error?: string }, notice?: string) {
    const lang = langOfRequest(request);
    const t = tr(lang);
    const body = html`${notice ? html`<p class="flash" role="status">${notice}</p>` : ''}
      ${values.error ? html`<div class="form-errors" role="alert"><p>${values.error}</p></div>` : ''}
      <form method="post" action="/console/sign-in">
        <input type="hidden" name="next" value="${next}" />
        ${field({ name: 'username', label: t('username'), value: values.username, required: true, autocomplete: 'username' })}
        ${field({ name: 'password', label: t('password'), type: 'password', required: true, autocomplete: 'current-password' })}
        <div class="actions"><button type="submit">${t('submit')}</button></div>
      </form>
      ${
        o.entra
          ? html`<div class="sso">
              <p>${t('or')}</p>
              <a class="button secondary" href="/console/auth/entra?next=${encodeURIComponent(next)}">${t('entra')}</a>
            </div>`
          : ''
      }`;
    return page(request, reply, lang, t('signInTitle'), body);
  }

  app.get<{ Querystring: { next?: string } }>('/sign-in', async (request, reply) => {
    const next = safeNext(request.query.next);
    if (await o.authenticate(request)) return reply.code(303).header('location', next).send();
    const t = tr(langOfRequest(request));
    return signInForm(request, reply, next, {}, (await o.admins.needsSetup()) ? t('needsSetup') : undefined);
  });

  app.post('/sign-in', async (request, reply) => {
    const t = tr(langOfRequest(request));
    const form = (isForm(request) ? request.body : {}) as FormData;
    const next = safeNext(one(form, 'next'));
    if (crossSite(request)) return signInForm(request, reply.code(403), next, { error: t('crossSite') });
    const username = one(form, 'username').trim();
    let signedIn: SignedIn;
    try {
      signedIn = await o.admins.signInWithPassword(username, one(form, 'password'), o.clientAddress?.(request) ?? request.ip);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      // 401: our words; 429 and others: the service's (it says how long to wait).
      return signInForm(request, reply.code(err.status), next, { username, error: err.status === 401 ? t('wrong') : err.message });
    }
    o.session.set(reply, signedIn);
    return reply.code(303).header('location', next).send();
  });

  app.post('/sign-out', async (request, reply) => {
    const principal = await o.authenticate(request);
    const form = (isForm(request) ? request.body : {}) as FormData;
    const token = cookiesOf(request)[o.session.name];
    if (principal?.via === 'session' && token) {
      // The session's CSRF token: a page of another site cannot sign the admin out.
      if (one(form, '_csrf') !== principal.csrfToken) return reply.code(403).header('location', '/console/').send();
      await o.admins.signOut(token);
    }
    o.session.clear(reply);
    setFlash(reply, tr(langOfRequest(request))('signedOut'));
    return reply.code(303).header('location', '/console/sign-in').send();
  });

  function setupForm(request: FastifyRequest, reply: FastifyReply, code: string, values: FormData, errors?: Record<string, string>) {
    const lang = langOfRequest(request);
    const t = tr(lang);
    const body = html`<p>${t('setupIntro')}</p>
      ${formErrors(errors, ['username', 'displayName', 'password', 'password2'])}
      <form method="post" action="/console/setup">
        <input type="hidden" name="code" value="${code}" />
        ${field({ name: 'username', label: t('username'), value: one(values, 'username'), required: true, autocomplete: 'username', error: errors?.username })}
        ${field({ name: 'displayName', label: t('displayName'), value: one(values, 'displayName'), autocomplete: 'name', error: errors?.displayName })}
        ${field({
          name: 'password',
          label: t('newPassword'),
          type: 'password',
          required: true,
          autocomplete: 'new-password',
          hint: t('passwordHint'),
          error: errors?.password,
        })}
        ${field({ name: 'password2', label: t('password2'), type: 'password', required: true, autocomplete: 'new-password', error: errors?.password2 })}
        <div class="actions"><button type="submit">${t('create')}</button></div>
      </form>`;
    return page(request, reply, lang, t('setupTitle'), body);
  }

  const setupClosed = (request: FastifyRequest, reply: FastifyReply, message: 'setupDone' | 'setupNoCode' | 'setupBadCode') => {
    const lang = langOfRequest(request);
    const t = tr(lang);
    return page(
      request,
      reply,
      lang,
      t('setupTitle'),
      html`<p>${t(message)}</p>
        <p><a href="/console/sign-in">${t('toSignIn')}</a></p>`,
    );
  };

  app.get<{ Querystring: { code?: string } }>('/setup', async (request, reply) => {
    if (!(await o.admins.needsSetup())) return setupClosed(request, reply.code(410), 'setupDone');
    const code = typeof request.query.code === 'string' ? request.query.code : '';
    if (!code) return setupClosed(request, reply.code(400), 'setupNoCode');
    if (!(await o.admins.setupCodeValid(code))) return setupClosed(request, reply.code(403), 'setupBadCode');
    return setupForm(request, reply, code, {});
  });

  app.post('/setup', async (request, reply) => {
    const t = tr(langOfRequest(request));
    const form = (isForm(request) ? request.body : {}) as FormData;
    const code = one(form, 'code');
    if (crossSite(request)) return setupForm(request, reply.code(403), code, form, { '': t('crossSite') });
    if (!(await o.admins.needsSetup())) return setupClosed(request, reply.code(410), 'setupDone');
    if (one(form, 'password') !== one(form, 'password2')) return setupForm(request, reply.code(400), code, form, { password2: t('mismatch') });
    const displayName = one(form, 'displayName').trim();
    let signedIn: SignedIn;
    try {
      signedIn = await o.admins.completeSetup(
        code,
        { username: one(form, 'username').trim(), displayName: displayName || undefined, password: one(form, 'password') },
        o.clientAddress?.(request) ?? request.ip,
      );
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      const status = (err as ApiError).status;
      // A refused code names no field of the form: the link itself is bad.
      if (status === 401 || status === 403 || status === 410 || errors.code !== undefined) return setupClosed(request, reply.code(status), 'setupBadCode');
      return setupForm(request, reply.code(status), code, form, errors);
    }
    o.session.set(reply, signedIn);
    setFlash(reply, t('welcome', { name: signedIn.admin.displayName ?? signedIn.admin.username }));
    return reply.code(303).header('location', '/console/').send();
  });

  app.get<{ Params: { lang: string }; Querystring: { next?: string } }>('/lang/:lang', async (request, reply) => {
    const lang = request.params.lang;
    if (!(LANGS as readonly string[]).includes(lang)) return reply.callNotFound();
    setLangCookie(reply, lang);
    return reply.code(303).header('location', safeNext(request.query.next)).send();
  });
}
