// Several server processes on one machine (FENESTRA_WORKERS): the primary prepares key material
// and the schema once, then forks workers that share the listening port. Every piece of session
// state lives in the store, so any worker serves any message of any session.
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { loadMaterials } from './bootstrap.js';
import type { Config } from './config.js';
import { serveClusterMetrics } from './http/metrics.js';
import { openStore } from './store/open.js';
import { issueSetupCode } from './service/admins/setup.js';

export interface ClusterHandle {
  workers(): number[];
  stop(): Promise<void>;
}

/** In the primary: prepare, fork `n` workers, replace those that die unexpectedly. */
export async function startPrimary(
  cfg: Config,
  n: number,
  log: Logger,
): Promise<ClusterHandle & { adminToken: string; adminTokenGenerated: boolean; setupCode?: string }> {
  const materials = loadMaterials(cfg, log);
  const store = await openStore(cfg.database); // applies migrations once, before any worker starts
  // No administrator yet: the first owner's setup code, issued once here rather than by each worker.
  const setupCode = await issueSetupCode(store).finally(() => store.close());
  let stopping = false;
  const fork = (index: number) => {
    const w = cluster.fork({ FENESTRA_WORKER_INDEX: String(index) });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: index, code, signal }, 'worker exited; starting a new one');
      setTimeout(() => fork(index), 1000).unref();
    });
    return w;
  };
  serveClusterMetrics();
  for (let i = 0; i < n; i++) fork(i);
  await new Promise<void>((resolve) => {
    let listening = 0;
    cluster.on('listening', () => {
      if (++listening === n) resolve();
    });
  });
  return {
    adminToken: materials.adminToken,
    adminTokenGenerated: materials.adminTokenGenerated,
    setupCode,
    workers: () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.process.pid ? [w.process.pid] : [])),
    async stop() {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** In a worker: its index (0 runs the periodic maintenance). */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env.FENESTRA_WORKER_INDEX ?? '0') : undefined;
}
