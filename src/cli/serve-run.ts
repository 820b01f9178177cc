// `fenestra serve` once its options parsed: the server (or a cluster of it) and its signal
// handlers. Loaded only then, so that --help and the admin commands start without the server's modules.
import cluster from 'node:cluster';
import pino from 'pino';
import { startPrimary, workerIndex } from '../cluster.js';
import { describeDatabase, loadConfig } from '../config.js';
import { loggerOptions } from '../log.js';
import { startServer } from '../server.js';
import { startupBanner } from './banner.js';

/** How long SIGTERM waits for in-flight requests (load balancers usually allow 30 s). */
const SHUTDOWN_DEADLINE_MS = 25_000;

const tokenNotice = (dataDir: string, token: string) =>
  `\nfenestra: generated an admin API token (shown once, kept in ${dataDir}/admin-token):\n  ${token}\n\n`;

export async function serve(): Promise<number> {
  const cfg = loadConfig();
  if (cfg.workers > 1 && cluster.isPrimary) {
    const log = pino(loggerOptions(cfg.logLevel));
    const primary = await startPrimary(cfg, cfg.workers, log);
    if (primary.adminTokenGenerated) process.stdout.write(tokenNotice(cfg.dataDir, primary.adminToken));
    process.stdout.write(startupBanner(cfg, primary.setupCode));
    log.info(
      { workers: cfg.workers, listen: `${cfg.listenHost}:${cfg.listenPort}`, publicUrl: cfg.publicUrl, database: describeDatabase(cfg.database) },
      'fenestra listening',
    );
    const stop = () => void primary.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return -1;
  }
  const index = workerIndex();
  // A cluster's primary issued the setup code already (each issue replaces the previous code).
  const server = await startServer(cfg, undefined, { maintenance: index === undefined || index === 0, setupCode: index === undefined });
  if (server.adminTokenGenerated) process.stdout.write(tokenNotice(cfg.dataDir, server.adminToken));
  // Workers of a cluster leave the banner to the primary.
  if (index === undefined) process.stdout.write(startupBanner(cfg, server.setupCode));
  server.app.log.info(
    {
      address: server.address,
      adminAddress: server.adminAddress,
      publicUrl: cfg.publicUrl,
      store: server.store.kind,
      database: describeDatabase(cfg.database),
    },
    'fenestra listening',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // A client that never finishes its request must not hold the process forever. Every store
    // write is one transaction: stopping here loses no half-written state.
    setTimeout(() => {
      server.app.log.warn({ afterMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline: closing the remaining connections');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}
