// PostgreSQL: the pool, transactions, and migrations under an advisory lock (several replicas
// may start at once; the first applies what is missing, the others wait and find it done).
import pg from 'pg';
import { MIGRATIONS, migrationSql } from '../migrations.js';

export type Row = Record<string, unknown>;

/** A connection to run statements on: the pool (one statement, autocommit) or a transaction's client. */
export type Sql = pg.Pool | pg.PoolClient;

export interface Db {
  pool: pg.Pool;
  /** One statement on any pooled connection. */
  q(text: string, params?: unknown[]): Promise<Row[]>;
  /** Rows changed by one statement. */
  run(text: string, params?: unknown[]): Promise<number>;
  /** `fn` in one transaction (READ COMMITTED; row locks where two replicas could race). */
  tx<R>(fn: (c: Sql) => Promise<R>): Promise<R>;
}

// Every bigint (COUNT(*), identity ids) as a JS number: our counts and ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** host:port/database of a URL, for messages (never its credentials). */
export function whereIs(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

export function openDb(url: string, opts: { max?: number } = {}): Db {
  // A connection that cannot be had in 10 s fails the request (or the start) instead of hanging it.
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped (restart, failover): the pool discards it and opens a
  // new one on demand; without a listener the error would end the process.
  pool.on('error', () => undefined);
  return {
    pool,
    async q(text, params) {
      return (await pool.query(text, params)).rows as Row[];
    },
    async run(text, params) {
      return (await pool.query(text, params)).rowCount ?? 0;
    },
    async tx(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
  };
}

// Advisory lock key of fenestra's migrations: (class, schema) so separate schemas of one
// database (tests, several installations) do not wait for each other.
const LOCK_CLASS = 0x66656e; // "fen"

/** Apply missing migrations, one transaction each, holding a session advisory lock. */
export async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query(`SELECT pg_advisory_lock($1, hashtext(COALESCE(current_schema(), '')))`, [LOCK_CLASS]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await c.query('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(migrationSql(m, 'postgres'));
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock($1, hashtext(COALESCE(current_schema(), '')))`, [LOCK_CLASS]).catch(() => undefined);
    }
  } finally {
    c.release();
  }
}
