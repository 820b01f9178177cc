// The only place that listens: HTTPS with a client certificate requested (never required —
// devices present theirs for renewal and management; browsers and new devices have none),
// timeouts, and graceful close.
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp, deriveKey, pushHolder } from './app.js';
import { loadMaterials } from './bootstrap.js';
import type { Config } from './config.js';
import { Metrics, reportToPrimary } from './http/metrics.js';
import { EntraValidator } from './identity/entra.js';
import { loggerOptions } from './log.js';
import { scheduleMaintenance } from './service/maintenance.js';
import { startComplianceOutbox, type OutboxSettings } from './service/compliance/outbox.js';
import { issueSetupCode } from './service/admins/setup.js';
import { TICKET_POLL_MS, TicketKeys } from './service/tls-ticket-keys.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

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
  /** No administrator yet: the one-time code of the first owner's set-up link (cli/banner.ts). */
  setupCode?: string;
  caCertPem: string;
  tlsCertPem: string;
  /** TLS session-ticket keys (service/tls-ticket-keys); polled every minute. */
  ticketKeys: TicketKeys;
  /** Reads the current ticket key from the store and applies it to the listeners (what the poll does). */
  refreshTicketKeys(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  maintenance?: boolean;
  /** Issue the first owner's setup code while there is no administrator (default true; a cluster's primary does it, not its workers). */
  setupCode?: boolean;
  /** Ticket-key rotation period and clock (tests). */
  ticketKeys?: { periodMs?: number; now?: () => number };
  /** How long close() waits for pushes in flight before cutting them (default PUSH_DRAIN_MS). */
  pushDrainMs?: number;
  /** The compliance reports' outbox (service/compliance/outbox.ts): false to run none, or its settings (tests). */
  complianceOutbox?: false | Partial<OutboxSettings>;
}

/** A graceful close waits this long for pushes under way (their outcome recorded), then cuts those still waiting on WNS. */
export const PUSH_DRAIN_MS = 5000;

export async function startServer(cfg: Config, logger?: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const log = logger ?? pino(loggerOptions(cfg.logLevel));
  for (const w of cfg.warnings ?? []) log.warn({ component: 'config' }, w);
  const materials = loadMaterials(cfg, log);
  const store = await openStore(cfg.database, { timeoutMs: cfg.databaseTimeoutMs, log: log.child({ component: 'store' }) });
  const setupCode = opts.setupCode === false ? undefined : await issueSetupCode(store);
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
  // One push service for both listeners: one token cache, and close() waits for its pushes.
  const push = pushHolder(ctx, metrics, log);
  const split = cfg.adminListen !== undefined;
  const ticketKeys = new TicketKeys({ store: store.tlsTicketKeys, sealKey: deriveKey(materials.secretKey, 'tls-ticket-keys'), ...opts.ticketKeys });
  await ticketKeys.refresh().catch((err) => log.warn({ err }, 'TLS ticket keys: store unavailable, using a key of this process'));
  // The client certificate is part of a resumed session and is still checked per request.
  const ticketOptions = { ticketKeys: ticketKeys.current, sessionTimeout: Math.floor(ticketKeys.periodMs / 1000) };
  // A client that connects and never finishes its handshake holds a socket: closed after this (Node's default is 120 s).
  const handshakeTimeout = cfg.tlsHandshakeTimeoutMs;
  const app = await buildApp(ctx, {
    metrics,
    push,
    surfaces: { device: true, admin: !split },
    https: {
      key: materials.tls.keyPem,
      cert: materials.tls.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      // Acceptable client-certificate issuers: only our CA, so Windows offers the MDM certificate and nothing else.
      ca: [materials.ca.certPem],
      minVersion: 'TLSv1.2',
      ...ticketOptions,
      handshakeTimeout,
    },
  });
  // The admin API and /metrics on their own listener: no client-certificate request, so a
  // browser or Prometheus never sees a certificate prompt, and the port can stay internal.
  const adminApp = split
    ? await buildApp(ctx, {
        metrics,
        push,
        surfaces: { device: false, admin: true },
        https: { key: materials.tls.keyPem, cert: materials.tls.certPem, minVersion: 'TLSv1.2', ...ticketOptions, handshakeTimeout },
      })
    : undefined;
  for (const a of [app, adminApp]) {
    if (!a) continue;
    a.server.requestTimeout = 30_000;
    a.server.headersTimeout = 20_000;
    a.server.keepAliveTimeout = 65_000;
    // Beyond this many open connections, a new one is closed at once; those open are unaffected.
    a.server.maxConnections = cfg.maxConnections;
  }
  await app.listen({ host: cfg.listenHost, port: cfg.listenPort });
  if (adminApp) await adminApp.listen({ host: cfg.adminListen!.host, port: cfg.adminListen!.port });
  const url = (a: FastifyInstance) => {
    const addr = a.server.address() as AddressInfo;
    return { address: `https://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`, port: addr.port };
  };
  const main = url(app);
  const stopMaintenance = opts.maintenance === false ? () => undefined : scheduleMaintenance(store, log);
  // Every process sends compliance reports (claims keep them from sending one twice): the one that enqueued wakes at once.
  const outbox =
    opts.complianceOutbox === false
      ? undefined
      : startComplianceOutbox({
          store,
          outbound: cfg.testOutbound,
          sealKey: deriveKey(materials.secretKey, 'tenant-credentials'),
          log: log.child({ component: 'compliance-outbox' }),
          settings: opts.complianceOutbox,
        });
  const applyTicketKey = (key: Buffer | undefined) => {
    if (!key) return;
    for (const a of [app, adminApp]) (a?.server as unknown as { setTicketKeys(k: Buffer): void } | undefined)?.setTicketKeys(key);
  };
  const refreshTicketKeys = () =>
    ticketKeys.refresh().then(applyTicketKey, (err) => {
      applyTicketKey(ticketKeys.current);
      log.warn({ err }, 'TLS ticket keys: store unavailable');
    });
  const ticketTimer = setInterval(() => void refreshTicketKeys(), TICKET_POLL_MS);
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
    setupCode,
    caCertPem: materials.ca.certPem,
    tlsCertPem: materials.tls.certPem,
    ticketKeys,
    refreshTicketKeys,
    async close() {
      if (closed) return;
      closed = true;
      stopMaintenance();
      clearInterval(ticketTimer);
      await Promise.all([app.close(), adminApp?.close(), outbox?.stop()]);
      // Requests are done; pushes they started may still be on their way to WNS: their outcome
      // goes to the store, so it closes after them (bounded).
      if (!(await push.idle(opts.pushDrainMs ?? PUSH_DRAIN_MS))) log.warn('close: pushes still under way were cut (recorded as cancelled)');
      await store.close();
    },
  };
}
