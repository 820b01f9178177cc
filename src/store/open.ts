// Opens the configured store: SQLite (the zero-configuration default) or PostgreSQL.
import type { Config } from '../config.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export async function openStore(database: Config['database']): Promise<Store> {
  if (database.kind === 'postgres') return openPostgresStore(database.url);
  return openSqliteStore(database.file);
}
