// PostgreSQL: the pool, transactions, and migrations under an advisory lock (several replicas
// may start at once; the first applies what is missing, the others wait and find it done).
import pg from 'pg';
import { MIGRATIONS, migrationSql } from '../migrations.js';
import { StoreUnavailableError, asUnavailable, isStoreUnavailable } from '../errors.js';

export type Row = Record<string, unknown>;

/** A connection to run statements on: the pool (one statement, autocommit) or a transaction's client. */
export type Sql = pg.Pool | pg.PoolClient;

export interface Db {
  pool: pg.Pool;
  /** The longest wait for a connection and run of one statement, ms (DbOptions.timeoutMs). */
  timeoutMs: number;
  /** One statement on any pooled connection. */
  q(text: string, params?: unknown[]): Promise<Row[]>;
  /** Rows changed by one statement. */
  run(text: string, params?: unknown[]): Promise<number>;
  /** `fn` in one transaction (READ COMMITTED; row locks where two replicas could race). */
  tx<R>(fn: (c: Sql) => Promise<R>): Promise<R>;
  /** Rows changed by one maintenance statement (pruning a large table), allowed MAINTENANCE_MS instead of the request timeout. */
  runLong(text: string, params?: unknown[]): Promise<number>;
  /** SELECT 1, answered or failed within PING_MS. */
  ping(): Promise<void>;
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

export interface DbOptions {
  max?: number;
  /**
   * Longest wait, ms, for a connection, and longest run of one statement (the server cancels it:
   * statement_timeout; if the network is gone the client gives up a second later). Default 10 s.
   */
  timeoutMs?: number;
}

/** Readiness asks with this budget: a load balancer's probe must get an answer, not a hang. */
const PING_MS = 2000;
const MAINTENANCE_MS = 10 * 60_000;

export function openDb(url: string, opts: DbOptions = {}): Db {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1000,
    // A transaction left open by a connection that went silent does not hold its row locks for long.
    idle_in_transaction_session_timeout: 2 * timeoutMs,
    keepAlive: true,
  });
  // A connection the server dropped (restart, failover, reset): the pool discards an idle one and
  // opens a new one on demand; a checked-out one fails its query. The client emits 'error' in both
  // cases, and without a listener that error would end the process: every client gets one for its
  // whole life (the pool's own idle listener is removed while a client is checked out).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const query = async (text: string, params?: unknown[]) => {
    try {
      return await pool.query(text, params);
    } catch (err) {
      throw asUnavailable(err);
    }
  };
  const db: Db = {
    pool,
    timeoutMs,
    async q(text, params) {
      return (await query(text, params)).rows as Row[];
    },
    async run(text, params) {
      return (await query(text, params)).rowCount ?? 0;
    },
    runLong(text, params) {
      return db.tx(async (c) => {
        await c.query(`SET LOCAL statement_timeout = ${MAINTENANCE_MS}`);
        // query_timeout per query is read by pg's client, though its types do not list it.
        return (await c.query({ text, values: params, query_timeout: MAINTENANCE_MS + 1000 } as pg.QueryConfig)).rowCount ?? 0;
      });
    },
    async tx(fn) {
      let c: pg.PoolClient;
      try {
        c = await pool.connect();
      } catch (err) {
        throw asUnavailable(err);
      }
      // A connection that failed or went silent is destroyed, not returned to the pool: the
      // server rolls back what it had of the transaction when the connection ends.
      let broken: Error | undefined;
      try {
        await c.query('BEGIN');
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (err) {
        if (isStoreUnavailable(err)) broken = err as Error;
        else await c.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw asUnavailable(err);
      } finally {
        c.release(broken);
      }
    },
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreUnavailableError(`PostgreSQL did not answer within ${PING_MS} ms`)), PING_MS);
      });
      try {
        await Promise.race([query('SELECT 1'), late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return db;
}

// Advisory lock key of fenestra's migrations: (class, schema) so separate schemas of one
// database (tests, several installations) do not wait for each other.
const LOCK_CLASS = 0x66656e; // "fen"

/** Apply missing migrations, one transaction each, holding a session advisory lock. */
export async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    // Waiting for another replica's migrations, or a migration of a large table, may take longer
    // than the statement timeout of request work: no limit here (the server's, then the client's).
    await c.query('SET statement_timeout = 0');
    const long = { query_timeout: 24 * 3600_000 };
    await c.query({ text: `SELECT pg_advisory_lock($1, hashtext(COALESCE(current_schema(), '')))`, values: [LOCK_CLASS], ...long });
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await c.query('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query({ text: migrationSql(m, 'postgres'), ...long });
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
        }
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock($1, hashtext(COALESCE(current_schema(), '')))`, [LOCK_CLASS]).catch(() => undefined);
    }
    await c.query('RESET statement_timeout');
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    c.release(broken);
  }
}
