// POST /ManagementServer/MDM.svc — OMA-DM sessions. Adapts HTTP to the session engine:
// which credential reached us (TLS client certificate, or one forwarded by a trusted proxy),
// the Entra user token header, and the session mode.
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ProxyCertFormat } from '../identity/proxy-cert.js';
import type { SessionEngine } from '../service/management/engine.js';
import { TOKEN_PARAM } from '../service/management/session-token.js';
import { PATHS } from '../service/urls.js';
import { clientCredential } from './client-credential.js';
import { sendWhole } from './send.js';

/**
 * Once the session's device is known, every later line of the request (the engine's, an error's,
 * the access line) names it: the bindings are added to the request's logger, the child Fastify
 * made for this request alone (app.ts always gives Fastify a logger instance, so each request
 * has its own). Not a child of it: pino builds a child on its parent as prototype, and one on a
 * per-request parent took ~10 µs to make and as much again per line written through it, 3-5%
 * of an idle check-in's server CPU at the default log level (docs/performance.md).
 */
function bindDevice(request: FastifyRequest, bindings: { device: string; deviceId: string }): Logger {
  const log = pinoLogger(request.log);
  log.setBindings(bindings);
  return log;
}

/** The app's logger instance is pino (app.ts), so are its request children. */
const pinoLogger = (log: FastifyBaseLogger) => log as unknown as Logger;

export const MAX_SYNCML_BYTES = 1024 * 1024;

export interface ManagementRouteOptions {
  engine: SessionEngine;
  trustedProxies?: { proxies: string[]; format: ProxyCertFormat };
}

export async function managementRoutes(app: FastifyInstance, opts: ManagementRouteOptions): Promise<void> {
  const credentialOf = clientCredential(opts.trustedProxies);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/vnd.syncml.dm+xml', 'application/vnd.syncml+xml'],
    { parseAs: 'buffer', bodyLimit: MAX_SYNCML_BYTES },
    (_req, body, done) => done(null, body),
  );
  app.addContentTypeParser(['application/vnd.syncml.dm+wbxml', 'application/vnd.syncml+wbxml'], (_req, _payload, done) => {
    const err = new Error('WBXML is not supported: provision the device with DEFAULTENCODING application/vnd.syncml.dm+xml') as Error & { statusCode: number };
    err.statusCode = 415;
    done(err, undefined);
  });

  app.post<{ Querystring: Record<string, string | undefined> }>(PATHS.management, async (request, reply) => {
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
      return sendWhole(reply, 400, 'text/plain; charset=utf-8', 'a SyncML message is required\n');
    }
    const auth = request.headers.authorization;
    const bearer = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
    // ?s=: the session token of the RespURI we gave a digest session (see session-token.ts).
    const token: unknown = request.query[TOKEN_PARAM];
    const cred = { ...credentialOf(request), sessionToken: typeof token === 'string' ? token : undefined };
    const r = await opts.engine.handle({
      body: request.body,
      cred,
      bearer,
      mode: request.query.mode,
      log: pinoLogger(request.log),
      bindDevice: (b) => bindDevice(request, b),
    });
    reply.header('x-fenestra-outcome', r.outcome);
    if (r.retryAfterSeconds) reply.header('retry-after', String(r.retryAfterSeconds));
    return sendWhole(reply, r.status, r.contentType, r.body);
  });
}
