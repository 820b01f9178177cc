// Console sign-in with Entra ID (identity/entra-sign-in.ts does the OpenID Connect part):
//   GET /console/auth/entra?next=/console/...  → to Entra's authorize endpoint; the state, nonce
//     and PKCE verifier go into a sealed cookie good for 10 minutes
//   GET /console/auth/entra/callback           → code redeemed, ID token checked, role mapped,
//     the administrator signed in (AdminService.signInExternal), on to `next`
// Every refusal is a page saying what to do about it, and a warn line without any token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ENTRA_CALLBACK_PATH,
  EntraSignInError,
  openPending,
  PENDING_TTL_MS,
  sealPending,
  type EntraSignIn,
  type EntraSignInErrorCode,
  type ExternalIdentity,
} from '../../identity/entra-sign-in.js';
import { ApiError } from '../../service/errors.js';
import { clientOf } from '../admin/principal.js';
import { cookiesOf } from './cookies.js';
import type { SignedIn } from './deps.js';
import { html } from './html.js';
import { type Lang, translator } from './i18n.js';
import { bareLayout } from './layout.js';
import { langOfRequest, safeNext, sendResult } from './page.js';
import type { SessionCookie } from './sign-in.js';

export interface EntraSignInRoutesOptions {
  client: EntraSignIn;
  /** Seals the pending sign-in cookie (derived from the server secret). */
  stateKey: Buffer;
  admins: { signInExternal(identity: ExternalIdentity, ip: string): Promise<SignedIn> };
  session: SessionCookie;
  /** Shown to the operator when Entra refuses the code: the redirect URI registered in Entra must be this. */
  redirectUri: string;
  now?: () => number;
}

/** What app.ts gives the console for Entra sign-in (the console adds the AdminService and the session cookie). */
export type EntraSignInSetup = Omit<EntraSignInRoutesOptions, 'admins' | 'session'>;

// Only sent to the two routes below; Lax, so that the top-level GET coming back from Entra carries it.
const PENDING_COOKIE = '__Secure-fenestra-entra';
const COOKIE_PATH = '/console/auth/entra';

const messages = {
  en: {
    title: 'Sign-in with Entra ID failed',
    denied:
      'Entra ID did not sign you in ({detail}). If you cancelled, try again. If Entra says you are not assigned to the application, ask an Entra administrator to assign you to the fenestra console app (Enterprise applications › Users and groups).',
    state: 'This sign-in did not start in this browser, took more than 10 minutes, or was started again in another tab. Start again.',
    unavailable:
      'fenestra could not reach Entra ID. Try again in a moment; if it keeps failing, the operator should check that the server reaches Entra and the tenant id.',
    code_refused:
      'Entra ID refused to complete the sign-in. The operator should check the client secret (FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: it may have expired) and that the app registration lists {redirectUri} as a Web redirect URI.',
    token_invalid: "Entra ID's answer could not be verified, so you are not signed in. Try again; the reason is in the server's log.",
    groups_overage:
      'Your account is in too many groups for Entra ID to list them in the sign-in token. Ask the operator to map app roles instead of groups (FENESTRA_CONSOLE_ENTRA_ROLES).',
    no_role:
      'You signed in to Entra ID as {detail}, but none of your groups or app roles gives a role in this console. Ask an owner to add you to a group or app role listed in FENESTRA_CONSOLE_ENTRA_ROLES.',
    refused: 'Entra ID signed you in, but fenestra refused: {detail}',
    again: 'Try again',
    password: 'Sign in with a user name and password',
    continue: 'Continue to the console',
    signedIn: 'Signed in',
  },
  fr: {
    title: 'La connexion avec Entra ID a échoué',
    denied:
      "Entra ID ne vous a pas connecté ({detail}). Si vous avez annulé, réessayez. Si Entra indique que vous n'êtes pas affecté à l'application, demandez à un administrateur Entra de vous affecter à l'application de la console fenestra (Applications d'entreprise › Utilisateurs et groupes).",
    state: "Cette connexion n'a pas commencé dans ce navigateur, a duré plus de 10 minutes, ou a été relancée dans un autre onglet. Recommencez.",
    unavailable:
      "fenestra n'a pas pu joindre Entra ID. Réessayez dans un instant ; si l'échec persiste, l'exploitant doit vérifier que le serveur joint Entra et l'identifiant du locataire.",
    code_refused:
      "Entra ID a refusé de terminer la connexion. L'exploitant doit vérifier le secret client (FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET : il a peut-être expiré) et que l'inscription de l'application a {redirectUri} comme URI de redirection Web.",
    token_invalid: "La réponse d'Entra ID n'a pas pu être vérifiée : vous n'êtes pas connecté. Réessayez ; la raison est dans le journal du serveur.",
    groups_overage:
      "Votre compte est membre de trop de groupes pour qu'Entra ID les liste dans le jeton de connexion. Demandez à l'exploitant d'associer des rôles d'application plutôt que des groupes (FENESTRA_CONSOLE_ENTRA_ROLES).",
    no_role:
      "Vous êtes connecté à Entra ID en tant que {detail}, mais aucun de vos groupes ni rôles d'application ne donne de rôle dans cette console. Demandez à un propriétaire de vous ajouter à un groupe ou un rôle d'application listé dans FENESTRA_CONSOLE_ENTRA_ROLES.",
    refused: 'Entra ID vous a connecté, mais fenestra a refusé : {detail}',
    again: 'Réessayer',
    password: "Se connecter avec un nom d'utilisateur et un mot de passe",
    continue: 'Continuer vers la console',
    signedIn: 'Connecté',
  },
};

const tr = (lang: Lang) => translator(messages, lang);

const STATUS: Record<EntraSignInErrorCode, number> = {
  denied: 403,
  state: 400,
  unavailable: 502,
  code_refused: 502,
  token_invalid: 502,
  groups_overage: 403,
  no_role: 403,
};

export function entraSignInRoutes(app: FastifyInstance, o: EntraSignInRoutesOptions): void {
  const now = o.now ?? Date.now;
  const pendingCookie = (value: string, maxAge: number) => `${PENDING_COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`;

  function failure(request: FastifyRequest, reply: FastifyReply, status: number, text: string, next: string) {
    const lang = langOfRequest(request);
    const t = tr(lang);
    const body = html`<div class="form-errors" role="alert"><p>${text}</p></div>
      <p><a class="button" href="/console/auth/entra?next=${encodeURIComponent(next)}">${t('again')}</a></p>
      <p><a href="/console/sign-in?next=${encodeURIComponent(next)}">${t('password')}</a></p>`;
    // The language switch leads to the sign-in page: this URL (a used code) cannot be opened again.
    const here = `/console/sign-in?next=${encodeURIComponent(next)}`;
    return sendResult(reply.code(status), bareLayout(lang, here, { title: t('title'), body }));
  }

  function refused(request: FastifyRequest, reply: FastifyReply, err: EntraSignInError, next: string) {
    // The reason in words for the operator; messages never hold a token or a code.
    request.log.warn({ reason: err.code, detail: err.message }, 'console sign-in with Entra ID refused');
    const t = tr(langOfRequest(request));
    return failure(request, reply, STATUS[err.code], t(err.code, { detail: err.detail ?? '', redirectUri: o.redirectUri }), next);
  }

  app.get<{ Querystring: { next?: string } }>('/auth/entra', async (request, reply) => {
    const next = safeNext(typeof request.query.next === 'string' ? request.query.next : undefined);
    let start;
    try {
      start = await o.client.start(next, now());
    } catch (err) {
      if (err instanceof EntraSignInError) return refused(request, reply, err, next);
      throw err;
    }
    reply.header('set-cookie', pendingCookie(sealPending(start.pending, o.stateKey), PENDING_TTL_MS / 1000));
    return reply.code(303).header('location', start.url.toString()).send();
  });

  app.get(ENTRA_CALLBACK_PATH.slice('/console'.length), async (request, reply) => {
    const pending = openPending(cookiesOf(request)[PENDING_COOKIE], o.stateKey, now());
    // Once only, whatever comes of it.
    reply.header('set-cookie', pendingCookie('', 0));
    const next = pending?.next ?? '/console/';
    const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length));
    let identity: ExternalIdentity;
    try {
      identity = await o.client.finish(query, pending);
    } catch (err) {
      if (err instanceof EntraSignInError) return refused(request, reply, err, next);
      throw err;
    }
    let signedIn: SignedIn;
    try {
      signedIn = await o.admins.signInExternal(identity, clientOf(request));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      request.log.warn({ reason: err.code, detail: err.message, username: identity.username }, 'console sign-in with Entra ID refused');
      return failure(request, reply, err.status, tr(langOfRequest(request))('refused', { detail: err.message }), next);
    }
    request.log.info({ username: identity.username, role: identity.role }, 'console sign-in with Entra ID');
    o.session.set(reply, signedIn);
    // A page that moves on by itself (Refresh, as a meta refresh would) rather than a redirect: this
    // request comes from Entra's site, and browsers send the SameSite=Strict session cookie only on
    // a navigation our own page starts.
    const lang = langOfRequest(request);
    const t = tr(lang);
    reply.header('refresh', `0; url=${next}`);
    // Its language switch leads on to the page asked for: this URL holds a used code and state.
    return sendResult(reply, bareLayout(lang, next, { title: t('signedIn'), body: html`<p><a href="${next}">${t('continue')}</a></p>` }));
  });
}
