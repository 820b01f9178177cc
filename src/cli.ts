#!/usr/bin/env node
// fenestra command line: `fenestra serve` (default) starts the server.
import cluster from 'node:cluster';
import pino from 'pino';
import { startPrimary, workerIndex } from './cluster.js';
import { ConfigError, describeDatabase, loadConfig } from './config.js';
import { loggerOptions } from './log.js';
import { backup } from './ops/backup.js';
import { startServer } from './server.js';
import { runSim } from './sim/cli.js';

const USAGE = `usage: fenestra <command>

commands:
  serve     start the MDM server (default); configured by FENESTRA_* environment variables
  sim       Windows device simulator: enroll N devices and run check-ins (fenestra sim --help)
  backup <dir>
            copy what a restore needs into a new directory while the server runs: a consistent
            snapshot of the SQLite database, the secret key, the device CA (and generated TLS
            certificate and admin token); same FENESTRA_* environment as serve
  help      show this help
`;

/** How long SIGTERM waits for in-flight requests (load balancers usually allow 30 s). */
const SHUTDOWN_DEADLINE_MS = 25_000;

async function serve(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fenestra: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (cfg.workers > 1 && cluster.isPrimary) {
    const log = pino(loggerOptions(cfg.logLevel));
    const primary = await startPrimary(cfg, cfg.workers, log);
    if (primary.adminTokenGenerated) {
      process.stdout.write(`\nfenestra: generated an admin API token (shown once, kept in ${cfg.dataDir}/admin-token):\n  ${primary.adminToken}\n\n`);
    }
    log.info(
      { workers: cfg.workers, listen: `${cfg.listenHost}:${cfg.listenPort}`, publicUrl: cfg.publicUrl, database: describeDatabase(cfg.database) },
      'fenestra listening',
    );
    const stop = () => void primary.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  const index = workerIndex();
  const server = await startServer(cfg, undefined, { maintenance: index === undefined || index === 0 });
  if (server.adminTokenGenerated) {
    process.stdout.write(`\nfenestra: generated an admin API token (shown once, kept in ${cfg.dataDir}/admin-token):\n  ${server.adminToken}\n\n`);
  }
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
}

// Everything this process creates (database, WAL, keys, backups) is owner-only, whatever the
// caller's umask; the code also sets explicit modes where it creates files.
process.umask(0o077);
const cmd = process.argv[2] ?? 'serve';
if (cmd === 'serve') {
  serve().catch((err) => {
    process.stderr.write(`fenestra: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else if (cmd === 'sim') {
  runSim(process.argv.slice(3), process.stdout).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`fenestra sim: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
} else if (cmd === 'backup') {
  try {
    const dir = process.argv[3];
    if (!dir) throw new Error('usage: fenestra backup <new directory>');
    const cfg = loadConfig();
    if (cfg.database.kind === 'postgres')
      process.stderr.write('fenestra backup: the database is PostgreSQL: back it up with pg_dump; copying the key files only\n');
    const r = backup(cfg, dir);
    process.stdout.write(`fenestra backup: ${r.files.join(', ')} → ${r.dir}${r.databaseBytes !== undefined ? ` (database ${r.databaseBytes} bytes)` : ''}\n`);
  } catch (err) {
    process.stderr.write(`fenestra backup: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
} else if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
  process.stdout.write(USAGE);
} else {
  process.stderr.write(`fenestra: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
  process.exit(2);
}
