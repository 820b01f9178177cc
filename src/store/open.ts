// Opens the configured store.
import type { Config } from '../config.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export async function openStore(database: Config['database']): Promise<Store> {
  if (database.kind === 'postgres') {
    throw new Error('the PostgreSQL backend is not available in this version; unset FENESTRA_DATABASE_URL to use SQLite');
  }
  return openSqliteStore(database.file);
}
