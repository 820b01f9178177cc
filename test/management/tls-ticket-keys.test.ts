// TLS session-ticket keys: random (two deployments with the same secret on the same day get
// different keys), shared by every server on one store (each resumes the others' sessions),
// rotated each period and then deleted, so an old ticket no longer resumes anywhere.
import crypto from 'node:crypto';
import path from 'node:path';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import t from 'tap';
import { freshSchema } from '../helpers/pg.js';
import { PUBLIC_HOST, startTestServer, type TestServer } from '../helpers/server.js';

/** One TLS 1.2 handshake (optionally offering a ticket): was it resumed, and the session to offer next time. */
async function handshake(s: TestServer, session?: Buffer): Promise<{ reused: boolean; session: Buffer }> {
  const sock = tls.connect({ host: '127.0.0.1', port: s.server.port, servername: PUBLIC_HOST, ca: s.caPem, maxVersion: 'TLSv1.2', session });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', reject);
    });
    return { reused: sock.isSessionReused(), session: sock.getSession()! };
  } finally {
    sock.destroy();
  }
}

const ticketKey = (s: TestServer) => (s.server.app.server as unknown as { getTicketKeys(): Buffer }).getTicketKeys();
const SECRET = crypto.randomBytes(32).toString('base64');

t.test("servers on one store resume each other's sessions; the key is random, not derived from the secret and the date", async (t) => {
  const a = await startTestServer({ FENESTRA_SECRET_KEY: SECRET }, { database: 'sqlite' });
  t.teardown(() => a.close());
  const b = await startTestServer(
    { FENESTRA_SECRET_KEY: SECRET, FENESTRA_DATABASE_URL: `sqlite:${path.join(a.dir, 'data', 'fenestra.db')}`, FENESTRA_CERTS_DIR: path.join(a.dir, 'certs') },
    { database: 'sqlite' },
  );
  t.teardown(() => b.close());
  const first = await handshake(a);
  t.equal(first.reused, false);
  t.equal((await handshake(b, first.session)).reused, true, 'a ticket from A resumes on B');
  const fromB = await handshake(b);
  t.equal((await handshake(a, fromB.session)).reused, true, 'and one from B on A');

  // The same secret on the same day, another store: another key.
  const other = await startTestServer({ FENESTRA_SECRET_KEY: SECRET }, { database: 'sqlite' });
  t.teardown(() => other.close());
  t.notSame(ticketKey(other), ticketKey(a), 'not a function of the secret and the date');
  t.equal((await handshake(other, first.session)).reused, false, "another deployment's ticket does not resume");
  const day = new Date().toISOString().slice(0, 10);
  const derived = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(SECRET, 'base64'), Buffer.alloc(0), `fenestra:tls-tickets:${day}`, 48));
  t.notSame(ticketKey(a), derived);
});

t.test('replicas on one PostgreSQL database share the key', async (t) => {
  const pg = await freshSchema('tickets');
  const env = { FENESTRA_SECRET_KEY: SECRET, FENESTRA_DATABASE_URL: pg.url };
  const a = await startTestServer(env, { database: 'postgres' });
  const b = await startTestServer({ ...env, FENESTRA_CERTS_DIR: path.join(a.dir, 'certs') }, { database: 'postgres' });
  t.teardown(async () => {
    await b.close();
    await a.close();
    await pg.drop();
  });
  t.same(ticketKey(b), ticketKey(a));
  t.equal((await handshake(b, (await handshake(a)).session)).reused, true, 'a ticket from one replica resumes on the other');
});

t.test('rotation: a ticket resumes within its period, not after; old keys are deleted from the store', async (t) => {
  const periodMs = 12 * 3_600_000;
  let now = Date.parse('2026-06-01T00:30:00.000Z');
  const s = await startTestServer({}, { database: 'sqlite', start: { ticketKeys: { periodMs, now: () => now } } });
  t.teardown(() => s.close());
  const db = new Database(path.join(s.dir, 'data', 'fenestra.db'), { readonly: true });
  t.teardown(() => db.close());
  const rows = () => db.prepare('SELECT period, sealed_key FROM tls_ticket_keys').all() as { period: number; sealed_key: string }[];

  const old = await handshake(s);
  const key0 = ticketKey(s);
  t.equal(rows().length, 1);
  t.notOk(rows()[0].sealed_key.includes(key0.toString('base64')), 'sealed at rest');
  now += periodMs / 2;
  await s.server.refreshTicketKeys();
  t.same(ticketKey(s), key0, 'same period, same key');
  t.equal((await handshake(s, old.session)).reused, true, 'resumes within its period');

  now += periodMs;
  await s.server.refreshTicketKeys();
  t.notSame(ticketKey(s), key0, 'a new key for the next period');
  t.equal((await handshake(s, old.session)).reused, false, 'the old ticket no longer resumes');
  const fresh = await handshake(s);
  t.equal((await handshake(s, fresh.session)).reused, true, 'tickets of the new key do');
  now += 2 * periodMs;
  await s.server.refreshTicketKeys();
  t.equal((await handshake(s, old.session)).reused, false, 'nor two periods later');
  t.equal((await handshake(s, fresh.session)).reused, false);
  t.same(
    rows().map((r) => r.period),
    [Math.floor(now / periodMs)],
    'only the current key is kept',
  );
});
