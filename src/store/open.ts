// Opens the configured store: SQLite (the zero-configuration default) or PostgreSQL. The
// PostgreSQL backend (and its driver) is loaded only when configured.
import type { Config } from '../config.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export async function openStore(database: Config['database']): Promise<Store> {
  if (database.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore(database.url);
  }
  return openSqliteStore(database.file);
}
