// Who is behind an admin API or console request: the break-glass FENESTRA_ADMIN_TOKEN (owner), a
// personal API token (Authorization: Bearer fen_…), or a console session cookie. A request that
// presents an Authorization header is judged by it alone (a wrong token never falls back to a
// cookie). Decided once per request, then kept for principalOf.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminPrincipal } from '../../domain/admin.js';
import { compileTrustedProxies, type TrustedProxyMatcher } from '../../identity/proxy-cert.js';
import type { AdminService, AuthResult } from '../../service/admins/service.js';
import { isApiTokenShaped, sameSecret } from '../../service/admins/secrets.js';
import { clientAddress } from '../client-address.js';
import { sessionTokenOf } from './session-cookie.js';

interface Authenticator {
  breakGlassHash: Buffer;
  admins: AdminService;
  trusted?: TrustedProxyMatcher;
}

// Keyed by the listener's server: every plugin context of one app shares it.
const authenticators = new WeakMap<object, Authenticator>();
const decided = new WeakMap<FastifyRequest, AdminPrincipal | null>();

/** Called once per app (src/app.ts) before the admin API and console are registered. */
export function provideAuthenticator(app: FastifyInstance, opts: { adminToken: string; admins: AdminService; trustedProxies?: readonly string[] }): void {
  authenticators.set(app.server, {
    breakGlassHash: crypto.createHash('sha256').update(opts.adminToken).digest(),
    admins: opts.admins,
    trusted: opts.trustedProxies?.length ? compileTrustedProxies(opts.trustedProxies) : undefined,
  });
}

/**
 * The client's address as every route counts it (client-address.ts): the TCP peer, or the
 * address a trusted proxy (FENESTRA_TRUSTED_PROXIES) forwards — for the audit log and the logs.
 */
export function clientOf(request: FastifyRequest): string {
  return clientAddress(request.socket.remoteAddress, request.headers, authenticators.get(request.server.server)?.trusted) ?? request.ip;
}

function authenticatorOf(request: FastifyRequest): Authenticator {
  const a = authenticators.get(request.server.server);
  if (!a) throw new Error('admin authentication is not set up on this app (provideAuthenticator)');
  return a;
}

/** The credential of a request, checked; `presented` says whether there was one at all. */
async function resolve(request: FastifyRequest): Promise<AuthResult & { presented: boolean }> {
  const auth = authenticatorOf(request);
  const h = request.headers.authorization;
  if (h !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return { presented: true, reason: 'not a bearer token' };
    const token = m[1];
    const got = crypto.createHash('sha256').update(token).digest();
    if (crypto.timingSafeEqual(got, auth.breakGlassHash)) return { presented: true, principal: { name: 'break-glass', role: 'owner', via: 'break-glass' } };
    if (isApiTokenShaped(token)) return { presented: true, ...(await auth.admins.authenticateToken(token)) };
    return { presented: true, reason: 'wrong token' };
  }
  const cookie = sessionTokenOf(request);
  if (cookie) return { presented: true, ...(await auth.admins.authenticateSession(cookie)) };
  return { presented: false, reason: 'no authorization header' };
}

/**
 * The principal of the request, or undefined. A credential presented and refused is logged at
 * warn with the reason and the client address (never the credential).
 */
export async function authenticate(request: FastifyRequest): Promise<AdminPrincipal | undefined> {
  const known = decided.get(request);
  if (known !== undefined) return known ?? undefined;
  const r = await resolve(request);
  if ('principal' in r) {
    decided.set(request, r.principal);
    return r.principal;
  }
  if (r.presented) request.log.warn({ client: clientOf(request), reason: r.reason }, 'admin authentication failed');
  decided.set(request, null);
  return undefined;
}

/** The principal the auth hook found; throws if the request was not authenticated. */
export function principalOf(request: FastifyRequest): AdminPrincipal {
  const p = decided.get(request);
  if (!p) throw new Error('principalOf: the request was not authenticated');
  return p;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie-authenticated request that changes something carries its session's CSRF token (the
 * x-csrf-token header, or `formValue` — the `_csrf` field of a form). Bearer-authenticated
 * requests need none: a browser never adds that header by itself.
 */
export function csrfOk(request: FastifyRequest, principal: AdminPrincipal, formValue?: unknown): boolean {
  if (principal.via !== 'session' || SAFE_METHODS.has(request.method)) return true;
  const header = request.headers['x-csrf-token'];
  const presented = typeof header === 'string' ? header : typeof formValue === 'string' ? formValue : undefined;
  return !!presented && !!principal.csrfToken && sameSecret(presented, principal.csrfToken);
}
