// PostgreSQL faults under load: a real server process reaches PostgreSQL through a TCP proxy
// that is killed (every connection reset, new ones refused) and then black-holed (nothing
// answers) while devices enroll and check in. The process never exits; while the database is
// gone every request is answered promptly with 503 + Retry-After (admin API, enrollment,
// check-in, /readyz); once it is back everything works again without a restart, and every
// enrollment a device saw succeed is in the database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { SimDevice, SimError } from '../../src/sim/device.js';
import { startChildServer } from '../helpers/child-server.js';
import { freshSchema } from '../helpers/pg.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const CRED = { kind: 'password' as const, username: 'faults@contoso.com', password: 'faults-password-1' };
// Database timeout 2 s (statement, connection; the client gives up a second later), deadline 4 s.
const PROMPT_MS = 4500;

t.test('PostgreSQL killed and black-holed under load', async (t) => {
  const schema = await freshSchema('faults');
  const upstream = new URL(schema.url);
  const proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
  const viaProxy = new URL(schema.url);
  viaProxy.port = String(proxy.port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-pgfaults-'));
  const s = await startChildServer({
    dir,
    env: { FENESTRA_DATABASE_URL: viaProxy.toString(), FENESTRA_DATABASE_TIMEOUT: '2', FENESTRA_REQUEST_DEADLINE: '4' },
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void s.exited.then((e) => (exited = e));
  t.teardown(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
    await proxy.close();
    await schema.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const device = () => SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, connectionPerMessage: true, credential: CRED, timeoutMs: 20_000 });
  const managed = await Promise.all(Array.from({ length: 3 }, device));
  // Checked in by the assertions only (a device's sessions do not overlap).
  const probe = await device();
  for (const d of [...managed, probe]) await d.enroll();

  // Load for the whole test: enrollments of new devices, check-ins of the enrolled ones (a
  // refused one is retried a little later, as devices do).
  const acknowledged: string[] = [];
  let stop = false;
  const backoff = () => new Promise((r) => setTimeout(r, 200));
  const load = Promise.allSettled([
    ...Array.from({ length: 3 }, async () => {
      let d = await device();
      while (!stop) {
        const ok = await d.enroll().then(
          () => true,
          () => false,
        );
        if (!ok) await backoff();
        else {
          acknowledged.push(d.deviceId);
          d = await device();
        }
      }
    }),
    ...managed.map(async (d) => {
      while (!stop) if ((await d.checkin()).outcome !== 'complete') await backoff();
    }),
  ]);
  t.teardown(async () => {
    stop = true;
    await load;
  });
  // A request the server could not answer (it died) is status 0, for the assertions below.
  const get = (p: string, o?: Parameters<typeof s.request>[1]) =>
    s.request(p, o).catch((err: Error) => ({ status: 0, headers: {} as Record<string, unknown>, err }));
  const ready = async () => (await get('/readyz')).status === 200;
  const waitReady = async () => {
    for (let i = 0; i < 150 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 100));
    t.ok(await ready(), '/readyz is 200 again, without a restart');
  };
  const timed = async <R>(fn: () => Promise<R>): Promise<{ r: R; ms: number }> => {
    const t0 = Date.now();
    const r = await fn();
    return { r, ms: Date.now() - t0 };
  };

  const whileGone = async (label: string) => {
    // All at once: each is answered within its budget, whatever the others wait for.
    const fresh = await device();
    const [rz, api, en, ci] = await Promise.all([
      timed(() => get('/readyz')),
      timed(() => get('/api/v1/devices?limit=10', { headers: { authorization: `Bearer ${s.token}` } })),
      timed(() =>
        fresh.enroll().then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
      timed(() => probe.checkin()),
    ]);
    t.equal(rz.r.status, 503, `${label}: /readyz 503`);
    t.ok(rz.ms < 3000, `${label}: /readyz answered in ${rz.ms} ms`);
    t.equal(api.r.status, 503, `${label}: admin API 503`);
    t.ok(Number(api.r.headers['retry-after']) > 0, `${label}: admin API Retry-After`);
    t.ok(api.ms < PROMPT_MS, `${label}: admin API answered in ${api.ms} ms`);
    t.ok(en.r instanceof SimError && en.r.httpStatus === 503, `${label}: enrollment refused with 503 (${(en.r as Error)?.message})`);
    t.equal((en.r as SimError).fault?.errorType, 'InMaintenance', `${label}: the SOAP fault says try later`);
    t.ok(en.ms < PROMPT_MS, `${label}: enrollment answered in ${en.ms} ms`);
    t.equal(ci.r.httpStatuses.at(-1), 503, `${label}: check-in answered 503`);
    t.ok(ci.ms < PROMPT_MS, `${label}: check-in answered in ${ci.ms} ms`);
    t.equal(exited, undefined, `${label}: the process is still running`, { output: s.output().slice(-3000) });
  };

  // Killed: connection resets in the middle of transactions and write-behind flushes.
  await new Promise((r) => setTimeout(r, 500)); // some load in flight
  const before = acknowledged.length;
  proxy.kill();
  await whileGone('killed');
  proxy.restore();
  await waitReady();
  const afterKill = await probe.checkin();
  t.equal(afterKill.outcome, 'complete', `check-ins work again after the kill ${afterKill.error ?? ''} ${afterKill.httpStatuses}`);

  // Black-holed: connections and queries that never answer.
  for (let i = 0; i < 100 && acknowledged.length <= before; i++) await new Promise((r) => setTimeout(r, 100));
  proxy.blackhole();
  await whileGone('black-holed');
  proxy.restore();
  await waitReady();
  const after = await probe.checkin();
  t.equal(after.outcome, 'complete', `check-ins work again after the black hole ${after.error ?? ''} ${after.httpStatuses}`);
  const late = await device();
  await late.enroll();
  acknowledged.push(late.deviceId);

  stop = true;
  await load;
  t.equal(exited, undefined, 'the process never exited');
  t.ok(acknowledged.length > 1, `${acknowledged.length} enrollments acknowledged under load`);
  const c = new pg.Client({ connectionString: schema.url });
  await c.connect();
  const { rows } = await c.query('SELECT device_id FROM devices');
  await c.end();
  const stored = new Set(rows.map((r) => String(r.device_id)));
  const lost = acknowledged.filter((id) => !stored.has(id));
  t.same(lost, [], 'every acknowledged enrollment is in the database');
});
