// Package downloads from a real server on PostgreSQL when many start together: content reads
// wait in a line of their own (src/store/postgres/read-queue.ts), at most half the pool (5 of the
// 10 connections) at the database, so check-ins and admin requests keep their connections and no
// download is refused for waiting. The database is made to hold the reads deterministically: a
// transaction of the test locks content_chunks, so every content query blocks until it ends.
import crypto from 'node:crypto';
import https from 'node:https';
import pg from 'pg';
import t, { type Test } from 'tap';
import { deriveKey } from '../../src/app.js';
import { contentUrlSigner } from '../../src/service/apps/content-url.js';
import { contentReaders } from '../../src/store/postgres/content.js';
import type { ContentStore } from '../../src/store/types.js';
import { DmSession } from '../helpers/dm-session.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { freshSchema, type PgSchema } from '../helpers/pg.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';

const SECRET = Buffer.alloc(32, 7);
const MiB = 1 << 20;
/** Content queries at the database at once with the default pool of 10 (5). */
const READERS = contentReaders(10);

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET on its own connection, as a device downloading would; `onRequest` gets the request (to cut it). */
function download(srv: TestServer, url: string, range?: [number, number], onRequest?: (r: ReturnType<typeof https.get>) => void): Promise<Got> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: srv.server.port,
        servername: u.hostname,
        path: u.pathname + u.search,
        ca: srv.caPem,
        agent: false,
        headers: { host: u.host, ...(range ? { range: `bytes=${range[0]}-${range[1]}` } : {}) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    onRequest?.(req);
  });
}

async function until(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A server on a schema of its own, a package in it, and a lock on its chunks the test takes and gives back. */
async function setup(t: Test, env: Record<string, string> = {}, size = 12 * MiB + 5) {
  const schema: PgSchema = await freshSchema('dlpg');
  t.teardown(() => schema.drop());
  const srv = await startTestServer({ FENESTRA_SECRET_KEY: SECRET.toString('base64'), FENESTRA_DATABASE_URL: schema.url, ...env }, { database: 'postgres' });
  t.teardown(() => srv.close());
  const data = crypto.randomBytes(size);
  const info = await srv.server.store.content.put(
    (async function* () {
      for (let i = 0; i < data.length; i += MiB) yield data.subarray(i, i + MiB);
    })(),
    { limit: 64 * MiB },
  );
  const url = contentUrlSigner({ baseUrl: PUBLIC_URL, key: deriveKey(SECRET, 'content-urls'), ttlSeconds: 3600 }).url(info.sha256);

  // Reads the server started, and a promise per read settled when it ended (however it ended).
  const content: ContentStore = srv.server.store.content;
  const read = content.read.bind(content);
  const reads: Promise<void>[] = [];
  content.read = (h, range, o) => {
    let ended!: () => void;
    reads.push(new Promise<void>((r) => (ended = r)));
    return (async function* () {
      try {
        yield* read(h, range, o);
      } finally {
        ended();
      }
    })();
  };
  t.teardown(() => {
    content.read = read;
  });

  const locker = new pg.Client({ connectionString: schema.url });
  await locker.connect();
  t.teardown(() => locker.end());
  const lock = async () => {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE content_chunks IN ACCESS EXCLUSIVE MODE');
  };
  const unlock = () => locker.query('ROLLBACK');
  /** Content queries of the server blocked on the test's lock. */
  const blocked = async () =>
    (await locker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'content_chunks'::regclass`)).rows[0].n as number;
  return { srv, data, url, reads, lock, unlock, blocked };
}

// The database timeout (connection wait and statement) is a minute here: what holds the reads is
// the test's lock, never a timeout. A request that found no connection would be answered 503 by
// the request deadline (15 s) instead.
const LONG = { FENESTRA_DATABASE_TIMEOUT: '60' };

t.test('40 downloads at once: a device check-in and an admin request are served meanwhile, and every download gets its bytes', async (t) => {
  const { srv, data, url, reads, lock, unlock, blocked } = await setup(t, LONG);
  const tid = await srv.connectTenant();
  const device = await enrollEntraDevice(srv, tid);

  // 36 ranges, each its own part of the package, and 4 whole downloads (6 queries of 2 chunks each).
  const n = 36;
  const part = Math.ceil(data.length / n);
  const ranges = Array.from({ length: n }, (_, i) => [i * part, Math.min(data.length, (i + 1) * part) - 1] as [number, number]);
  await lock();
  const downloads = [...ranges.map((r) => download(srv, url, r)), ...[1, 2, 3, 4].map(() => download(srv, url))];
  // All 40 in the server's hands (or, without the line, more queries at the database than it allows).
  await until('40 reads started, their queries at the database', async () => {
    const n = await blocked();
    return n > READERS || (reads.length === 40 && n === READERS);
  });

  // Without the line, the 40 reads hold all 10 connections: these waited for one and got 503.
  const admin = await srv.admin('GET', '/api/v1/devices');
  t.equal(admin.status, 200, 'an admin request is answered while 40 downloads wait for the database');
  const reply = await new DmSession(srv, device, '1').start();
  t.ok(reply.body.length > 0, 'a device check-in is answered too');
  t.equal(await blocked(), READERS, `only ${READERS} content queries at the database; the other reads wait in their line`);

  await unlock();
  const got = await Promise.all(downloads);
  for (const [i, [a, b]] of ranges.entries()) {
    t.equal(got[i].status, 206, `range ${a}-${b}: 206`);
    t.ok(got[i].body.equals(data.subarray(a, b + 1)), `range ${a}-${b}: the exact bytes`);
  }
  for (const g of got.slice(n)) {
    t.equal(g.status, 200, 'whole: 200');
    t.ok(g.body.equals(data), 'whole: the exact bytes');
  }
});

t.test('a client that goes away while its read waits in line leaves the line at once', async (t) => {
  const { srv, data, url, reads, lock, unlock, blocked } = await setup(t, LONG);
  await lock();
  const holding = Array.from({ length: READERS }, () => download(srv, url));
  await until(`${READERS} reads at the database`, async () => (await blocked()) >= READERS);
  let cut!: ReturnType<typeof https.get>;
  const leaving = download(srv, url, [0, 99], (r) => (cut = r)).catch(() => 'cut');
  await until('the sixth read started', () => reads.length === READERS + 1);
  cut.destroy();
  t.equal(await leaving, 'cut', 'the client went away');
  // Its read ends while the database still holds the five ahead of it (without leaving the line
  // it would wait for them, and the lock is given back only after this: the test would hang).
  await reads[READERS];
  t.equal(await blocked(), READERS, 'the five ahead still wait for the database');
  await unlock();
  for (const g of await Promise.all(holding)) t.ok(g.status === 200 && g.body.equals(data), 'the others get their bytes');
});

t.test('a stalled database: downloads waiting in line end in 503 with Retry-After, not a hang', async (t) => {
  // FENESTRA_DATABASE_TIMEOUT=1: the queries at the database are cancelled after 1 s; the reads
  // waiting behind them give up once no content read has finished for 1 s.
  const { srv, url, lock, unlock } = await setup(t, { FENESTRA_DATABASE_TIMEOUT: '1' }, 2 * MiB);
  await lock();
  const got = await Promise.all(Array.from({ length: 3 * READERS }, () => download(srv, url, [0, 9])));
  await unlock();
  for (const g of got) {
    t.equal(g.status, 503, '503');
    t.equal(g.headers['retry-after'], '5', 'Retry-After');
    t.match(g.body.toString(), /database is unavailable/, 'says why');
  }
});
