// Starts a real fenestra server for a test: real HTTPS on an ephemeral port, a real SQLite
// file in a temporary directory (or, with `database: 'postgres'` or FENESTRA_TEST_DATABASE=postgres
// in the test's environment, a fresh schema of the test PostgreSQL, dropped at close), a fake
// Entra serving JWKS on loopback. The server is reached
// at its public host name (as a device would) while the socket connects to 127.0.0.1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { loggerOptions } from '../../src/log.js';
import { type RunningServer, startServer, type StartOptions } from '../../src/server.js';
import { type HttpsOptions, type HttpsResponse, httpsRequest } from '../../src/sim/https-client.js';
import { type FakeEntra, startFakeEntra } from './entra.js';
import { freshSchema, type PgSchema } from './pg.js';

export const PUBLIC_HOST = 'enterpriseenrollment.fenestra.test';
export const PUBLIC_URL = `https://${PUBLIC_HOST}`;

export interface TestServer {
  server: RunningServer;
  entra: FakeEntra;
  publicUrl: string;
  dir: string;
  caPem: string;
  adminToken: string;
  request(pathOrUrl: string, opts?: HttpsOptions): Promise<HttpsResponse>;
  soap(pathName: string, xml: string, opts?: HttpsOptions): Promise<HttpsResponse>;
  admin(method: string, pathName: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Connect a tenant through the admin API; returns its id. */
  connectTenant(opts?: { cloud?: 'standard' | 'gcc-high'; audiences?: string[]; tenantId?: string }): Promise<string>;
  close(): Promise<void>;
}

export const AUDIENCE = 'https://mdm.fenestra.test';

export async function startTestServer(
  env: Record<string, string> = {},
  opts: { logs?: boolean; logSink?: { write(line: string): void }; database?: 'sqlite' | 'postgres'; start?: StartOptions } = {},
): Promise<TestServer> {
  const database = opts.database ?? (process.env.FENESTRA_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite');
  const pgSchema: PgSchema | undefined = database === 'postgres' && !env.FENESTRA_DATABASE_URL ? await freshSchema('srv') : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-test-'));
  const entra = await startFakeEntra();
  let cfg;
  try {
    cfg = loadConfig({
      ...(pgSchema ? { FENESTRA_DATABASE_URL: pgSchema.url } : {}),
      FENESTRA_PUBLIC_URL: PUBLIC_URL,
      FENESTRA_LISTEN: '127.0.0.1:0',
      FENESTRA_DATA_DIR: path.join(dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: 't' + crypto.randomBytes(24).toString('base64url'), // no leading '-' (the CLI tests pass it after --token)
      FENESTRA_ENTRA_AUTHORITY: entra.authority,
      FENESTRA_LOG_LEVEL: 'warn',
      // Allows what only tests want, e.g. certificates renewable at once (validity under the renewal window).
      FENESTRA_ENV: 'test',
      ...env,
    });
  } catch (err) {
    await entra.close();
    await pgSchema?.drop();
    throw err;
  }
  const logger = opts.logSink ? pino({ ...loggerOptions('debug') }, opts.logSink) : pino({ level: opts.logs ? 'info' : 'warn' });
  let server: RunningServer;
  try {
    server = await startServer(cfg, logger, opts.start);
  } catch (err) {
    await entra.close();
    await pgSchema?.drop();
    throw err;
  }
  const caPem = server.caCertPem;
  const request = (p: string, o: HttpsOptions = {}) =>
    httpsRequest(p.startsWith('https://') ? p : PUBLIC_URL + p, {
      ca: caPem,
      connectTo: { host: '127.0.0.1', port: server.port },
      ...o,
    });
  const t: TestServer = {
    server,
    entra,
    publicUrl: PUBLIC_URL,
    dir,
    caPem,
    adminToken: server.adminToken,
    request,
    soap: (p, xml, o = {}) => request(p, { method: 'POST', body: xml, headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, ...o }),
    async admin(method, p, body) {
      const res = await request(p, {
        // With FENESTRA_ADMIN_LISTEN the admin API has its own listener.
        connectTo: { host: '127.0.0.1', port: server.adminPort ?? server.port },
        method,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const txt = res.text();
      return { status: res.status, json: txt ? JSON.parse(txt) : undefined };
    },
    async connectTenant(o = {}) {
      const tenantId = o.tenantId ?? crypto.randomUUID();
      const r = await t.admin('POST', '/api/v1/tenants', {
        tenantId,
        cloud: o.cloud ?? 'standard',
        audiences: o.audiences ?? [AUDIENCE],
      });
      if (r.status !== 201) throw new Error(`tenant connect failed: ${r.status} ${JSON.stringify(r.json)}`);
      return tenantId;
    },
    async close() {
      await server.close();
      await entra.close();
      await pgSchema?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
