// The only place that listens: HTTPS with a client certificate requested (never required —
// devices present theirs for renewal and management; browsers and new devices have none),
// timeouts, and graceful close.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadMaterials } from './bootstrap.js';
import type { Config } from './config.js';
import { EntraValidator } from './identity/entra.js';
import { loggerOptions } from './log.js';
import { scheduleMaintenance } from './service/maintenance.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** https://host:port actually bound. */
  address: string;
  port: number;
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
  const app = await buildApp(
    { config: cfg, store, ca: materials.ca, entra, adminToken: materials.adminToken, secretKey: materials.secretKey, logger: log },
    {
      https: {
        key: materials.tls.keyPem,
        cert: materials.tls.certPem,
        requestCert: true,
        rejectUnauthorized: false,
        // Acceptable client-certificate issuers: only our CA, so Windows offers the MDM certificate and nothing else.
        ca: [materials.ca.certPem],
        minVersion: 'TLSv1.2',
      },
    },
  );
  app.server.requestTimeout = 30_000;
  app.server.headersTimeout = 20_000;
  app.server.keepAliveTimeout = 65_000;
  await app.listen({ host: cfg.listenHost, port: cfg.listenPort });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const stopMaintenance = opts.maintenance === false ? () => undefined : scheduleMaintenance(store, log);
  let closed = false;
  return {
    app,
    store,
    address: `https://${host}:${addr.port}`,
    port: addr.port,
    adminToken: materials.adminToken,
    adminTokenGenerated: materials.adminTokenGenerated,
    caCertPem: materials.ca.certPem,
    tlsCertPem: materials.tls.certPem,
    async close() {
      if (closed) return;
      closed = true;
      stopMaintenance();
      await app.close();
      await store.close();
    },
  };
}
