// The only place that listens: HTTPS with a client certificate requested (never required —
// devices present theirs for renewal and management; browsers and new devices have none),
// timeouts, and graceful close.
import crypto, { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadMaterials } from './bootstrap.js';
import type { Config } from './config.js';
import { Metrics, reportToPrimary } from './http/metrics.js';
import { EntraValidator } from './identity/entra.js';
import { loggerOptions } from './log.js';
import { scheduleMaintenance } from './service/maintenance.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

/**
 * TLS session-ticket keys: derived from the server secret and the UTC day, so every worker and
 * replica (they share the secret) resumes every other's sessions, and the key changes daily.
 * Windows resumes its TLS session between OMA-DM sessions (SChannel keeps a session cache for
 * hours): a resumed handshake spares the RSA signature and the certificate chain work of a full
 * one. The client certificate is part of the resumed session and is still checked per request.
 */
export function ticketKeysFor(secret: Buffer, at: Date): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `fenestra:tls-tickets:${at.toISOString().slice(0, 10)}`, 48));
}
const TICKET_LIFETIME_S = 12 * 3600;

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** https://host:port actually bound. */
  address: string;
  port: number;
  /** The admin listener, when FENESTRA_ADMIN_LISTEN splits it off. */
  adminAddress?: string;
  adminPort?: number;
  adminToken: string;
  adminTokenGenerated: boolean;
  caCertPem: string;
  tlsCertPem: string;
  close(): Promise<void>;
}

export async function startServer(cfg: Config, logger?: Logger, opts: { maintenance?: boolean } = {}): Promise<RunningServer> {
  const log = logger ?? pino(loggerOptions(cfg.logLevel));
  const materials = loadMaterials(cfg, log);
  const store = await openStore(cfg.database);
  const entra = new EntraValidator({
    authorityOverride: cfg.entraAuthority,
    lookupTenant: async (tenantId) => {
      const t = await store.tenants.get(tenantId.toLowerCase());
      return t ? { tenantId: t.tenantId, cloud: t.cloud, audiences: t.audiences } : undefined;
    },
  });
  const ctx = { config: cfg, store, ca: materials.ca, entra, adminToken: materials.adminToken, secretKey: materials.secretKey, logger: log };
  const metrics = new Metrics({ store, entra, caNotAfter: materials.ca.notAfter, tlsNotAfter: new Date(new X509Certificate(materials.tls.certPem).validTo) });
  reportToPrimary(metrics.registry);
  const split = cfg.adminListen !== undefined;
  const app = await buildApp(ctx, {
      metrics,
      surfaces: { device: true, admin: !split },
      https: {
        key: materials.tls.keyPem,
        cert: materials.tls.certPem,
        requestCert: true,
        rejectUnauthorized: false,
        // Acceptable client-certificate issuers: only our CA, so Windows offers the MDM certificate and nothing else.
        ca: [materials.ca.certPem],
        minVersion: 'TLSv1.2',
        ticketKeys: ticketKeysFor(materials.secretKey, new Date()),
        sessionTimeout: TICKET_LIFETIME_S,
      },
  });
  // The admin API and /metrics on their own listener: no client-certificate request, so a
  // browser or Prometheus never sees a certificate prompt, and the port can stay internal.
  const adminApp = split
    ? await buildApp(ctx, { metrics, surfaces: { device: false, admin: true }, https: { key: materials.tls.keyPem, cert: materials.tls.certPem, minVersion: 'TLSv1.2' } })
    : undefined;
  for (const a of [app, adminApp]) {
    if (!a) continue;
    a.server.requestTimeout = 30_000;
    a.server.headersTimeout = 20_000;
    a.server.keepAliveTimeout = 65_000;
  }
  await app.listen({ host: cfg.listenHost, port: cfg.listenPort });
  if (adminApp) await adminApp.listen({ host: cfg.adminListen!.host, port: cfg.adminListen!.port });
  const url = (a: FastifyInstance) => {
    const addr = a.server.address() as AddressInfo;
    return { address: `https://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`, port: addr.port };
  };
  const main = url(app);
  const stopMaintenance = opts.maintenance === false ? () => undefined : scheduleMaintenance(store, log);
  // New ticket keys at each UTC midnight (checked hourly: timers drift, clocks jump).
  let ticketDay = new Date().toISOString().slice(0, 10);
  const ticketTimer = setInterval(() => {
    const now = new Date();
    if (now.toISOString().slice(0, 10) === ticketDay) return;
    ticketDay = now.toISOString().slice(0, 10);
    (app.server as unknown as { setTicketKeys(k: Buffer): void }).setTicketKeys(ticketKeysFor(materials.secretKey, now));
  }, 3600_000);
  ticketTimer.unref();
  let closed = false;
  return {
    app,
    store,
    address: main.address,
    port: main.port,
    adminAddress: adminApp ? url(adminApp).address : undefined,
    adminPort: adminApp ? url(adminApp).port : undefined,
    adminToken: materials.adminToken,
    adminTokenGenerated: materials.adminTokenGenerated,
    caCertPem: materials.ca.certPem,
    tlsCertPem: materials.tls.certPem,
    async close() {
      if (closed) return;
      closed = true;
      stopMaintenance();
      clearInterval(ticketTimer);
      await Promise.all([app.close(), adminApp?.close()]);
      await store.close();
    },
  };
}
