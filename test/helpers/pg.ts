// A fresh PostgreSQL schema per test: tap runs test files in parallel, so no two of them share
// tables. The server reaches it through the URL's `options=-c search_path=<schema>`.
// PostgreSQL must be reachable (FENESTRA_TEST_PG, default postgres://postgres@127.0.0.1:5432/test):
// these tests fail, never skip, without it — CI runs the service.
import crypto from 'node:crypto';
import pg from 'pg';

export const PG_BASE_URL = process.env.FENESTRA_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test';

export interface PgSchema {
  schema: string;
  /** Connection string whose search_path is the schema. */
  url: string;
  drop(): Promise<void>;
}

async function admin<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
  } catch (err) {
    const where = PG_BASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:…@');
    throw new Error(`PostgreSQL is not reachable at ${where} (${(err as Error).message}). These tests need it: start PostgreSQL or set FENESTRA_TEST_PG.`, {
      cause: err,
    });
  }
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** `base` with its search_path set to `schema` (other query parameters kept). */
export function withSearchPath(base: string, schema: string): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${base}${base.includes('?') ? '&' : '?'}options=${options}`;
}

export async function freshSchema(label = 't'): Promise<PgSchema> {
  const schema = `fenestra_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${crypto.randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA "${schema}"`));
  let dropped = false;
  return {
    schema,
    url: withSearchPath(PG_BASE_URL, schema),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}
