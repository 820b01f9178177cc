// Opens the configured store: SQLite (the zero-configuration default) or PostgreSQL. The
// PostgreSQL backend (and its driver) is loaded only when configured.
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';
import type { StoreLog } from './write-behind.js';

/** Where the data lives (config.ts reads it from FENESTRA_DATABASE_URL). */
export type DatabaseLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export async function openStore(database: DatabaseLocation, opts: { timeoutMs?: number; log?: StoreLog } = {}): Promise<Store> {
  if (database.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore(database.url, opts);
  }
  return openSqliteStore(database.file, { log: opts.log });
}
