// The behavioural store suite against PostgreSQL (a fresh schema per case, dropped after it),
// and what only several replicas on one database can show: concurrent migrations, command
// claims that two sessions race for, last-seen times flushed out of order.
// PostgreSQL must be reachable (FENESTRA_TEST_PG): without it these cases fail, they do not skip.
import pg from 'pg';
import t, { type Test } from 'tap';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freshStore } from '../helpers/fresh-store.js';
import { freshSchema } from '../helpers/pg.js';
import { at, cert, command, device, storeSuite, turn } from './suite.js';

storeSuite(t, { name: 'postgres', open: () => freshStore('postgres', 'store') });

/** A fresh schema and `n` stores (pools) on it, as `n` replicas would have. */
async function replicas(t: Test, n: number): Promise<Store[]> {
  const s = await freshSchema('replicas');
  const stores = await Promise.all(Array.from({ length: n }, () => openStore({ kind: 'postgres', url: s.url })));
  t.teardown(async () => {
    await Promise.all(stores.map((x) => x.close()));
    await s.drop();
  });
  return stores;
}

t.test('postgres: replicas starting at once apply the migrations once', async (t) => {
  const s = await freshSchema('migrate');
  const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ kind: 'postgres', url: s.url })));
  const pool = new pg.Pool({ connectionString: s.url });
  t.teardown(async () => {
    await Promise.all(stores.map((x) => x.close()));
    await pool.end();
    await s.drop();
  });
  const { rows } = await pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
  t.same(
    rows,
    MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
  );
  // A later start finds everything applied.
  const again = await openStore({ kind: 'postgres', url: s.url });
  await again.close();
  t.equal((await pool.query('SELECT COUNT(*)::int AS n FROM schema_migrations')).rows[0].n, MIGRATIONS.length);
  const { rows: tables } = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [s.schema]);
  t.ok(
    tables.some((r) => r.table_name === 'profile_deliveries'),
    'tables created in the schema of the URL',
  );
});

t.test('postgres: two sessions on two replicas race for one command: one claims it, the other turn is rolled back', async (t) => {
  const [a, b] = await replicas(t, 2);
  const d = await a.enrollments.recordEnrollment(device(), cert());
  const cmd = command(d.id);
  const other = command(d.id, { createdAt: at(1) });
  await a.commands.enqueue(cmd);
  await a.commands.enqueue(other);
  // Both replicas chose the command for their session (a device that gave up on S1 and started S2).
  t.same(
    (await a.management.deliverable(d.id, 5)).map((x) => x.id),
    [cmd.id, other.id],
  );
  t.same(
    (await b.management.deliverable(d.id, 5)).map((x) => x.id),
    [cmd.id, other.id],
  );
  const state = (sid: string) => ({
    devicePk: d.id,
    sessionId: sid,
    msgIdOut: 1,
    cmdIdOut: 3,
    sent: {},
    pending: [],
    auth: 'certificate' as const,
    startedAt: at(10),
  });
  const results = await Promise.allSettled([
    a.management.commitTurn(turn(d.id, 'S1', { session: state('S1'), sent: [{ commandId: cmd.id, msgId: '1', cmdId: '2' }] })),
    b.management.commitTurn(
      turn(d.id, 'S2', {
        session: state('S2'),
        sent: [
          { commandId: other.id, msgId: '1', cmdId: '2' },
          { commandId: cmd.id, msgId: '1', cmdId: '3' },
        ],
        alerts: [{ code: '1201' }],
      }),
    ),
  ]);
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'exactly one turn commits');
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.match(String(failed.reason), /already claimed/);
  const c = await a.commands.get(cmd.id);
  t.equal(c?.state, 'sent');
  t.equal(c?.attempts, 1, 'sent once');
  const winner = c?.sentSession;
  t.ok(await a.management.getSession(d.id, winner!), "the winner's session is stored");
  t.equal(await a.management.getSession(d.id, winner === 'S1' ? 'S2' : 'S1'), undefined, "the loser's is not");
  if (winner === 'S1') {
    t.match(await a.commands.get(other.id), { state: 'queued', attempts: 0 }, 'nothing of the rolled-back turn stays');
    t.same(await a.traces.alerts(d.id, 5), []);
  }
  // The same session may send its own command again (a Replace after 418), another may not.
  const loser = winner === 'S1' ? b : a;
  await t.rejects(
    loser.management.commitTurn(turn(d.id, winner === 'S1' ? 'S2' : 'S1', { sent: [{ commandId: cmd.id, msgId: '2', cmdId: '2' }] })),
    /already claimed/,
  );
});

t.test('postgres: many concurrent turns claiming overlapping commands never send one twice', async (t) => {
  const stores = await replicas(t, 3);
  const d = await stores[0].enrollments.recordEnrollment(device(), cert());
  const cmds = Array.from({ length: 12 }, (_, i) => command(d.id, { createdAt: at(i) }));
  for (const c of cmds) await stores[0].commands.enqueue(c);
  // 9 sessions each try to send 4 of the 12 (overlapping windows), spread over 3 replicas.
  const attempts = Array.from({ length: 9 }, (_, i) => {
    const mine = [0, 1, 2, 3].map((k) => cmds[(i + k * 3) % 12]);
    return stores[i % 3].management.commitTurn(turn(d.id, `S${i}`, { sent: mine.map((c, k) => ({ commandId: c.id, msgId: '1', cmdId: String(k + 2) })) })).then(
      () => mine.map((c) => c.id),
      () => [] as string[],
    );
  });
  const claimed = (await Promise.all(attempts)).flat();
  t.equal(new Set(claimed).size, claimed.length, 'no command claimed by two turns');
  const sent = (await stores[1].commands.listForDevice(d.id, { limit: 20, offset: 0 })).filter((c) => c.state === 'sent');
  t.same(sent.map((c) => c.id).sort(), [...claimed].sort(), 'the store agrees with the turns that committed');
  t.ok(sent.every((c) => c.attempts === 1));
});

t.test('postgres: last-seen only moves forward when replicas flush out of order; close() flushes', async (t) => {
  const [a, b] = await replicas(t, 2);
  const d = await a.enrollments.recordEnrollment(device(), cert());
  await b.management.commitTurn(
    turn(d.id, 'S2', { at: at(20), traces: [{ sessionId: 'S2', msgId: '1', direction: 'in', at: at(20), body: '<b/>', truncated: false }] }),
  );
  await a.management.commitTurn(
    turn(d.id, 'S1', { at: at(10), traces: [{ sessionId: 'S1', msgId: '1', direction: 'in', at: at(10), body: '<a/>', truncated: false }] }),
  );
  await b.flush();
  await a.flush();
  t.equal((await a.devices.get(d.id))?.lastSeenAt, at(20));
  t.same(
    (await a.traces.list(d.id, { limit: 5 })).map((x) => x.body),
    ['<b/>', '<a/>'],
    'by the time of the turn, whoever flushed first',
  );
  await a.management.commitTurn(
    turn(d.id, 'S3', { at: at(30), traces: [{ sessionId: 'S3', msgId: '1', direction: 'in', at: at(30), body: '<c/>', truncated: false }] }),
  );
  await a.close();
  t.equal((await b.devices.get(d.id))?.lastSeenAt, at(30), 'written at close');
  t.equal((await b.traces.list(d.id, { limit: 5 }))[0].body, '<c/>');
});

t.test('postgres: deliverable skips commands a concurrent turn holds locked (being claimed)', async (t) => {
  const s = await freshSchema('skiplocked');
  const store = await openStore({ kind: 'postgres', url: s.url });
  const other = new pg.Client({ connectionString: s.url });
  await other.connect();
  t.teardown(async () => {
    await other.end();
    await store.close();
    await s.drop();
  });
  const d = await store.enrollments.recordEnrollment(device(), cert());
  const a = command(d.id, { createdAt: at(1) });
  const b = command(d.id, { createdAt: at(2) });
  for (const x of [a, b]) await store.commands.enqueue(x);
  // Another replica's turn, in flight: it has locked `a` to mark it sent.
  await other.query('BEGIN');
  await other.query(`UPDATE commands SET updated_at = updated_at WHERE id = $1`, [a.id]);
  t.same(
    (await store.management.deliverable(d.id, 5)).map((x) => x.id),
    [b.id],
    'not offered while being claimed',
  );
  await other.query('ROLLBACK');
  t.same(
    (await store.management.deliverable(d.id, 5)).map((x) => x.id),
    [a.id, b.id],
    'offered again once the turn is gone',
  );
});

t.test('postgres: an unreachable database fails the start with where it is, never the password', async (t) => {
  const err = await openStore({ kind: 'postgres', url: 'postgres://fenestra:Secret-Pw-9@127.0.0.1:1/fenestra' }).then(
    () => undefined,
    (e: Error) => e,
  );
  t.ok(err, 'refused');
  t.match(err!.message, /^PostgreSQL at 127\.0\.0\.1:1\/fenestra: /);
  t.notOk(err!.message.includes('Secret-Pw-9'));
});

t.test('postgres: a trace body with NUL (which PostgreSQL text cannot hold) does not lose the batch', async (t) => {
  const [store] = await replicas(t, 1);
  const d = await store.enrollments.recordEnrollment(device(), cert());
  const tr = (msgId: string, body: string) => ({ sessionId: 'S', msgId, direction: 'in' as const, at: at(Number(msgId)), body, truncated: false });
  await store.management.commitTurn(turn(d.id, 'S', { traces: [tr('1', 'a\u0000b'), tr('2', '<ok/>')] }));
  await store.flush();
  t.same(
    (await store.traces.list(d.id, { limit: 5 })).map((x) => x.body),
    ['<ok/>', 'a\uFFFDb'],
  );
});
