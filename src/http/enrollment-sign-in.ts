// The federated sign-in page (rule 14; MS-MDE2 §3.2; docs/protocol-notes.md "Enrollment credentials"):
// the AuthenticationServiceUrl a Federated discovery answer names. Windows opens
//   GET /EnrollmentServer/Authenticate?appru=ms-app://…&login_hint=<upn>
// in its web view; the user signs in with Entra ID (OpenID Connect code + PKCE against the tenant's
// cloud, with the tenant's own application) or with an on-premises enrollment account, and the
// last page POSTs `wresult` — a token fenestra signs (service/enrollment/federated-token.ts) — to
// exactly that appru. The attempt (appru, login_hint, its id) travels sealed (AES-GCM, 15 minutes)
// in the page; the OpenID Connect state, nonce and PKCE verifier in a sealed cookie (10 minutes)
// scoped to these paths. Every refusal is a page in words.
import crypto from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { Tenant } from '../domain/tenant.js';
import { ENTRA_AUTHORITIES } from '../identity/entra.js';
import { PasswordHashBusyError, verifyPassword } from '../identity/passwords.js';
import { decrypt, encrypt } from '../identity/secret-box.js';
import type { LoginThrottle } from '../identity/throttle.js';
import { openAppCredential } from '../service/entra/credentials.js';
import { type FederatedUser, issueFederatedToken } from '../service/enrollment/federated-token.js';
import { PATHS } from '../service/urls.js';
import type { Store } from '../store/types.js';
import { AUTO_SUBMIT_HASH, type EntraChoice, renderPostTokenPage, renderSignInErrorPage, renderSignInPage } from './enrollment-sign-in-page.js';
import { acceptFormsOnly } from './device-page-form.js';

export const SIGN_IN_ENTRA_PATH = `${PATHS.authenticate}/entra`;
export const SIGN_IN_CALLBACK_PATH = `${PATHS.authenticate}/callback`;
const ATTEMPT_TTL_MS = 15 * 60 * 1000;
const PENDING_TTL_MS = 10 * 60 * 1000;
const PENDING_COOKIE = '__Secure-fenestra-enroll';
const MAX_APPRU = 2048;

const SECURITY_HEADERS = {
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${AUTO_SUBMIT_HASH}; form-action 'self' ms-app:; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
} as const;

export interface EnrollmentSignInOptions {
  store: Store;
  publicUrl: string;
  /** Seals the attempt and the pending OpenID Connect sign-in. */
  sealKey: Buffer;
  /** Opens the tenants' application credentials (the key TenantService sealed them with). */
  tenantCredentialKey: Buffer;
  /** Signs the wresult tokens (the key the RST verifies them with). */
  tokenKey: Buffer;
  /** FENESTRA_ENTRA_AUTHORITY: replaces every cloud's login host (a local fake Entra in tests). */
  authorityOverride?: string;
  loginThrottle?: LoginThrottle;
  now: () => Date;
}

/** The sign-in attempt Windows started: where the token goes, for whom. */
interface Attempt {
  id: string;
  appru: string;
  hint?: string;
  exp: number;
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  tenantId: string;
  attempt: Attempt;
  exp: number;
}

/**
 * Windows gives `ms-app://<package SID or app id>` (MS-MDE2 §3.2; the fixture's `ms-app://appid`);
 * anything else — another scheme, credentials, whitespace, a path or query — is refused.
 */
export function validAppru(raw: string | undefined): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_APPRU) return undefined;
  if (!/^ms-app:\/\/[A-Za-z0-9._-]+\/?$/i.test(raw)) return undefined;
  return raw;
}

/**
 * The tenant a login_hint points at: the one connected tenant (of those offered) with the hint's
 * domain among its verified domains. A hint that is not name@dns.name, or a domain no tenant or
 * several tenants hold, points nowhere. It only chooses where to sign in: who signed in is what the
 * ID token says.
 */
function hintedTenant(tenants: Tenant[], hint: string | undefined): Tenant | undefined {
  const m = hint ? /^[^@\s]{1,128}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63})$/.exec(hint) : null;
  if (!m) return undefined;
  const domain = m[1].toLowerCase();
  const holders = tenants.filter((t) => t.domains?.includes(domain));
  return holders.length === 1 ? holders[0] : undefined;
}

/**
 * What the chooser calls a tenant: a verified domain the user knows (the first that is not the
 * tenant's initial *.onmicrosoft.com name, else that one), or its id when no domains were read yet.
 */
function tenantLabel(t: Pick<Tenant, 'tenantId' | 'domains'>): string {
  const domains = t.domains ?? [];
  return domains.find((d) => !d.endsWith('.onmicrosoft.com')) ?? domains[0] ?? t.tenantId;
}

function seal(kind: string, value: object, key: Buffer): string {
  return encrypt(`${kind}:${JSON.stringify(value)}`, key);
}

function open<T extends { exp: number }>(kind: string, sealed: string | undefined, key: Buffer, now: number): T | undefined {
  if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 8192) return undefined;
  let text: string;
  try {
    text = decrypt(sealed, key);
  } catch {
    return undefined;
  }
  if (!text.startsWith(`${kind}:`)) return undefined;
  const v = JSON.parse(text.slice(kind.length + 1)) as T;
  return typeof v.exp === 'number' && v.exp > now ? v : undefined;
}

function single(input: unknown, name: string): string | undefined {
  const v = input && typeof input === 'object' ? (input as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const cxhHostOf = (request: FastifyRequest) => (typeof request.headers['cxh-host'] === 'string' ? request.headers['cxh-host'] : undefined);

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export async function enrollmentSignInRoutes(app: FastifyInstance, o: EnrollmentSignInOptions): Promise<void> {
  const configs = new Map<string, Promise<oidc.Configuration>>();
  const redirectUri = o.publicUrl + SIGN_IN_CALLBACK_PATH;
  const pendingCookie = (value: string, maxAge: number) =>
    `${PENDING_COOKIE}=${value}; Path=${PATHS.authenticate}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`;

  acceptFormsOnly(app);
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  const errorPage = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(renderSignInErrorPage(title, message, cxhHostOf(request)));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err: { type: err.name, code: err.code, message: err.message } }, 'enrollment sign-in failed');
    reply.headers(SECURITY_HEADERS);
    const message =
      status === 415
        ? 'Unsupported content type: send application/x-www-form-urlencoded.'
        : status === 413
          ? 'The request body is too large.'
          : status < 500
            ? 'The request could not be understood.'
            : 'An internal error occurred.';
    return errorPage(request, reply, status, 'Sign-in failed', message);
  });

  /** Tenants whose own application fenestra can sign users in with. */
  const entraTenants = async (): Promise<Tenant[]> => (await o.store.tenants.list()).filter((t) => t.appClientId && t.appCredential?.kind === 'secret');

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    attempt: Attempt,
    sealed: string,
    status = 200,
    error?: string,
    username?: string,
    straight = false,
  ) {
    const [all, accounts] = await Promise.all([entraTenants(), o.store.enrollmentAccounts.count()]);
    // A login_hint in one tenant's verified domains picks that tenant: straight to its sign-in when
    // there is nothing else to offer (asked for by `straight`), else its button alone beside the
    // enrollment account form. Otherwise, with several tenants, the user chooses.
    const hinted = hintedTenant(all, attempt.hint);
    if (hinted && straight && accounts === 0) return toEntra(request, reply, hinted, attempt);
    const tenants = hinted ? [hinted] : all;
    const entra: EntraChoice[] = tenants.map((t) => ({
      href: `${SIGN_IN_ENTRA_PATH}?tenant=${encodeURIComponent(t.tenantId)}&attempt=${encodeURIComponent(sealed)}`,
      label: tenantLabel(t),
    }));
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(renderSignInPage({ attempt: sealed, loginHint: attempt.hint, entra, accounts: accounts > 0, error, username }, cxhHostOf(request)));
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, attempt: Attempt, user: FederatedUser) {
    const token = await issueFederatedToken(o.tokenKey, user, attempt.id, o.now());
    request.log.info(
      { attempt: attempt.id, user: user.kind === 'entra' ? `entra:${user.tenantId}/${user.objectId}` : `onprem:${user.username}` },
      'enrollment sign-in',
    );
    return reply
      .code(200)
      .type('text/html; charset=utf-8')
      .send(renderPostTokenPage(attempt.appru, token, cxhHostOf(request)));
  }

  app.get(PATHS.authenticate, async (request, reply) => {
    const appru = validAppru(single(request.query, 'appru'));
    if (!appru) {
      return errorPage(
        request,
        reply,
        400,
        'This sign-in cannot continue',
        'The address Windows opened does not carry a valid appru (the ms-app:// address to return to), so the sign-in could not send its result back.',
      );
    }
    const hint = single(request.query, 'login_hint');
    const attempt: Attempt = {
      id: crypto.randomUUID(),
      appru,
      hint: hint && hint.length <= 256 && !/[\s<>]/.test(hint) ? hint : undefined,
      exp: o.now().getTime() + ATTEMPT_TTL_MS,
    };
    return page(request, reply, attempt, seal('attempt', attempt, o.sealKey), 200, undefined, undefined, true);
  });

  const expired = (request: FastifyRequest, reply: FastifyReply) =>
    errorPage(request, reply, 400, 'This sign-in has expired', 'This sign-in took more than 15 minutes or did not start on this device.');

  // An on-premises enrollment account: the same checks (throttle, scrypt) as a UsernameToken.
  app.post(PATHS.authenticate, async (request, reply) => {
    const sealed = single(request.body, 'attempt');
    const attempt = open<Attempt>('attempt', sealed, o.sealKey, o.now().getTime());
    if (!attempt || !sealed) return expired(request, reply);
    const username = (single(request.body, 'username') ?? '').trim();
    const password = single(request.body, 'password') ?? '';
    if (!username || !password) return page(request, reply, attempt, sealed, 400, 'Enter your user name and your password.', username);
    if (username.length > 256 || password.length > 1024) return page(request, reply, attempt, sealed, 401, 'The user name or password is not correct.', '');
    const key = `enroll:${username.toLowerCase()}`;
    const verdict = o.loginThrottle?.check(key, request.ip) ?? { ok: true };
    if (!verdict.ok) {
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      return page(request, reply, attempt, sealed, 429, `Too many failed sign-in attempts. Try again in ${verdict.retryAfterSeconds} seconds.`, username);
    }
    const account = await o.store.enrollmentAccounts.get(username);
    let ok: boolean;
    try {
      ok = await verifyPassword(password, account?.passwordHash);
    } catch (err) {
      if (err instanceof PasswordHashBusyError) return page(request, reply, attempt, sealed, 503, 'The server is busy. Try again in a few seconds.', username);
      throw err;
    }
    if (!ok || !account) {
      o.loginThrottle?.failed(key, request.ip);
      return page(request, reply, attempt, sealed, 401, 'The user name or password is not correct.', username);
    }
    o.loginThrottle?.succeeded(key, request.ip);
    return finish(request, reply, attempt, { kind: 'onpremise', username: account.username });
  });

  function configuration(t: Tenant): Promise<oidc.Configuration> {
    const authority = o.authorityOverride ?? ENTRA_AUTHORITIES[t.cloud];
    const cacheKey = `${t.tenantId}\0${t.appClientId}\0${t.appCredential?.sealed}\0${authority}`;
    let c = configs.get(cacheKey);
    if (!c) {
      const cred = openAppCredential(t.appCredential!, o.tenantCredentialKey);
      if (cred.kind !== 'secret') throw new Error('only a client secret signs users in here');
      c = oidc
        .discovery(new URL(`${authority}/${t.tenantId}/v2.0`), t.appClientId!, { client_secret: cred.secret }, oidc.ClientSecretPost(cred.secret), {
          // http:// only for a local fake Entra (config refuses it in production).
          execute: authority.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
          timeout: 10,
        })
        .catch((err: unknown) => {
          configs.delete(cacheKey);
          throw err;
        });
      configs.set(cacheKey, c);
    }
    return c;
  }

  const unavailable = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    request.log.warn({ reason: err instanceof Error ? err.message.slice(0, 300) : 'unknown' }, 'enrollment sign-in with Entra ID failed');
    return errorPage(
      request,
      reply,
      502,
      'Sign-in with Entra ID failed',
      'fenestra could not complete the sign-in with Microsoft Entra ID. Try again in a moment.',
    );
  };

  app.get(SIGN_IN_ENTRA_PATH, async (request, reply) => {
    const sealed = single(request.query, 'attempt');
    const attempt = open<Attempt>('attempt', sealed, o.sealKey, o.now().getTime());
    if (!attempt) return expired(request, reply);
    const tenantId = single(request.query, 'tenant');
    const tenant = (await entraTenants()).find((t) => t.tenantId === tenantId);
    if (!tenant) return errorPage(request, reply, 400, 'Unknown organization', 'This organization is not connected to this server for sign-in.');
    return toEntra(request, reply, tenant, attempt);
  });

  /** Off to the tenant's authorize endpoint, the pending sign-in in its cookie. */
  async function toEntra(request: FastifyRequest, reply: FastifyReply, tenant: Tenant, attempt: Attempt) {
    let url: URL;
    const pending: Pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      tenantId: tenant.tenantId,
      attempt,
      exp: o.now().getTime() + PENDING_TTL_MS,
    };
    try {
      url = oidc.buildAuthorizationUrl(await configuration(tenant), {
        redirect_uri: redirectUri,
        scope: 'openid profile',
        response_mode: 'query',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        ...(attempt.hint ? { login_hint: attempt.hint } : {}),
      });
    } catch (err) {
      return unavailable(request, reply, err);
    }
    reply.header('set-cookie', pendingCookie(seal('pending', pending, o.sealKey), PENDING_TTL_MS / 1000));
    return reply.code(303).header('location', url.toString()).send();
  }

  app.get(SIGN_IN_CALLBACK_PATH, async (request, reply) => {
    const pending = open<Pending>('pending', cookieOf(request, PENDING_COOKIE), o.sealKey, o.now().getTime());
    reply.header('set-cookie', pendingCookie('', 0)); // once only
    const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length));
    const error = query.get('error');
    if (error) {
      const code = /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? error : 'unrecognised_error';
      return errorPage(request, reply, 403, 'Sign-in with Entra ID failed', `Microsoft Entra ID did not sign you in (${code}). If you cancelled, start again.`);
    }
    const state = query.get('state');
    if (!pending || !state || !safeEqual(state, pending.state)) return expired(request, reply);
    const tenant = (await entraTenants()).find((t) => t.tenantId === pending.tenantId);
    if (!tenant) return errorPage(request, reply, 400, 'Unknown organization', 'This organization is no longer connected to this server for sign-in.');
    // Every callback spends a request to Entra's token endpoint under the tenant's own secret, so
    // codes the token endpoint refuses (forged, replayed, another sign-in's) count as failed sign-ins
    // of this address, under the same back-off as passwords: a script cannot make fenestra hammer
    // Entra (which would throttle the tenant's application for everyone). Per address only — a
    // shared key would let anyone lock every user out.
    const key = `entra-callback:${request.ip}`;
    const verdict = o.loginThrottle?.check(key, request.ip) ?? { ok: true };
    if (!verdict.ok) {
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      return errorPage(
        request,
        reply,
        429,
        'Too many failed sign-ins',
        `Too many sign-ins failed from this network. Try again in ${verdict.retryAfterSeconds} seconds.`,
      );
    }
    let claims: oidc.IDToken | undefined;
    try {
      const callback = new URL(redirectUri);
      callback.search = query.toString();
      const tokens = await oidc.authorizationCodeGrant(await configuration(tenant), callback, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      // Refused by the token endpoint (an OAuth error answer): the code was no good. An outage is not
      // the user's failure.
      if (err instanceof oidc.ResponseBodyError) o.loginThrottle?.failed(key, request.ip);
      return unavailable(request, reply, err);
    }
    o.loginThrottle?.succeeded(key, request.ip);
    const oid = typeof claims?.oid === 'string' ? claims.oid : undefined;
    const upn = typeof claims?.preferred_username === 'string' ? claims.preferred_username : undefined;
    const tid = typeof claims?.tid === 'string' ? claims.tid.toLowerCase() : undefined;
    if (!oid || !upn || (tid !== undefined && tid !== tenant.tenantId.toLowerCase())) {
      return unavailable(request, reply, new Error('the ID token lacks oid or preferred_username, or is from another tenant'));
    }
    return finish(request, reply, pending.attempt, { kind: 'entra', tenantId: tenant.tenantId, objectId: oid, upn });
  });
}
