// The admin console: server-rendered pages under /console on the admin surface (same origin as
// the API), every response with a strict Content-Security-Policy. Page modules (pages/) register
// on ConsoleRoutes, which authenticates, checks the role's capability and the CSRF token; this
// plugin adds the sign-in pages, the assets, the 404 and error pages.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../service/errors.js';
import { compileTrustedProxies } from '../../identity/proxy-cert.js';
import { authenticate } from '../admin/principal.js';
import { clientAddress } from '../client-address.js';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../admin/session-cookie.js';
import { assetRoutes, consoleAssets } from './assets.js';
import type { ConsoleDeps } from './deps.js';
import { errorPage, forbiddenPage } from './layout.js';
import { createConsoleRoutes, contextOf, FORM_LIMIT, langOfRequest, parseForm, sendResult } from './page.js';
import { PAGE_MODULES } from './pages/index.js';
import { type SessionCookie, signInRoutes } from './sign-in.js';
import { entraSignInRoutes, type EntraSignInSetup } from './entra-sign-in.js';

const session: SessionCookie = { name: SESSION_COOKIE, set: setSessionCookie, clear: clearSessionCookie };

export type { ConsoleDeps } from './deps.js';

export interface ConsoleOptions {
  deps: ConsoleDeps;
  /** The admin surface has a listener of its own: its `/` leads to the console. */
  ownListener: boolean;
  /** Entra ID sign-in, when configured (the sign-in page then offers it): entra-sign-in.ts. */
  entra?: EntraSignInSetup;
  /** FENESTRA_TRUSTED_PROXIES: the password throttle counts the client such a proxy forwards, not the proxy. */
  trustedProxies?: readonly string[];
}

/** Every console response: nothing inline runs, nothing loads from elsewhere, no framing, no referrer. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function securityHeaders(reply: FastifyReply) {
  reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    // Pages hold fleet data: never kept by the browser or a proxy (the assets say otherwise).
    .header('cache-control', 'no-store');
}

export async function consolePlugin(app: FastifyInstance, o: ConsoleOptions): Promise<void> {
  if (o.ownListener) app.get('/', (_request, reply) => reply.code(303).header('location', '/console/').send());
  await app.register(
    async (c) => {
      c.addHook('onRequest', (_request, reply, done) => {
        securityHeaders(reply);
        done();
      });
      c.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) =>
        done(null, parseForm(body as string)),
      );
      const error = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
        sendResult(reply.code(status), errorPage(contextOf(request), langOfRequest(request), request.url, status, message));
      c.setNotFoundHandler(async (request, reply) => {
        securityHeaders(reply);
        return error(request, reply, 404, '');
      });
      c.setErrorHandler((err: FastifyError, request, reply) => {
        securityHeaders(reply);
        if (err instanceof ApiError) return error(request, reply, err.status, err.message);
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return error(request, reply, 413, `The form is larger than ${FORM_LIMIT} bytes.`);
        if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return error(request, reply, err.statusCode, err.message);
        request.log.error({ err }, 'console page failed');
        return error(request, reply, 500, '');
      });
      assetRoutes(c, consoleAssets());
      const trusted = o.trustedProxies?.length ? compileTrustedProxies(o.trustedProxies) : undefined;
      signInRoutes(c, {
        admins: o.deps.admins,
        authenticate,
        session,
        entra: o.entra !== undefined,
        clientAddress: (request) => clientAddress(request.socket.remoteAddress, request.headers, trusted),
      });
      if (o.entra) entraSignInRoutes(c, { ...o.entra, admins: o.deps.admins, session });
      const routes = createConsoleRoutes(c, authenticate, {
        forbidden: (ctx) => forbiddenPage(ctx),
        error: (ctx, lang, status, message) => errorPage(ctx, lang, ctx?.request.url ?? '/console/', status, message),
      });
      for (const m of PAGE_MODULES) m.register(routes, o.deps);
    },
    { prefix: '/console' },
  );
}
