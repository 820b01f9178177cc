// identity/throttle (pure, fake clock) and the bounded password-hashing queue.
import t from 'tap';
import { HashQueue, hashPassword, verifyPassword } from '../../src/identity/passwords.js';
import { Backoff, LoginThrottle } from '../../src/identity/throttle.js';
import { addressKey, clientAddress } from '../../src/http/client-address.js';
import { compileTrustedProxies } from '../../src/identity/proxy-cert.js';

t.test('Backoff: free failures, then doubling up to the cap; one forgiven per period; bounded keys', async (t) => {
  let now = 0;
  const b = new Backoff({ freeFailures: 3, baseMs: 1000, maxMs: 8000, leakMs: 60_000, maxKeys: 3 }, () => now);
  b.fail('k');
  b.fail('k');
  t.equal(b.retryAfterMs('k'), 0, 'free failures');
  const waits = [];
  for (let i = 0; i < 6; i++) {
    b.fail('k');
    waits.push(b.retryAfterMs('k'));
  }
  t.same(waits, [1000, 2000, 4000, 8000, 8000, 8000], 'doubling, capped');
  now += 8000;
  t.equal(b.retryAfterMs('k'), 0, 'over once the wait is over');
  now += 6 * 60_000;
  b.fail('k');
  t.equal(b.retryAfterMs('k'), 1000, 'one failure forgiven per leakMs: back to the first step');
  now += 3 * 60_000 + 1000;
  t.equal(b.retryAfterMs('k'), 0);
  t.equal(b.size, 0, 'a record back at zero is dropped');
  for (const k of ['a', 'b', 'c', 'd']) b.fail(k);
  t.equal(b.size, 3, 'least recently used dropped beyond maxKeys');
  b.reset('d');
  t.equal(b.size, 2);
});

t.test('LoginThrottle: address and account scopes; success resets the account and exempts its address', async (t) => {
  let now = 0;
  const th = new LoginThrottle(
    {
      address: { freeFailures: 4, baseMs: 1000, maxMs: 900_000, leakMs: 60_000, maxKeys: 100 },
      account: { freeFailures: 2, baseMs: 1000, maxMs: 60_000, leakMs: 60_000, maxKeys: 100 },
    },
    () => now,
  );
  t.same(th.check('alice', '10.0.0.1'), { ok: true });
  th.succeeded('alice', '10.0.0.1');
  th.failed('alice', '10.0.0.2');
  th.failed('alice', '10.0.0.3');
  t.match(th.check('alice', '10.0.0.4'), { ok: false, scope: 'account', retryAfterSeconds: 1 });
  t.same(th.check('alice', '10.0.0.1'), { ok: true }, 'an address that logged in before is exempt from the account back-off');
  t.same(th.check('bob', '10.0.0.4'), { ok: true }, 'other accounts unaffected');
  for (let i = 0; i < 4; i++) th.failed(`u${i}`, '10.0.0.9');
  t.match(th.check('carol', '10.0.0.9'), { ok: false, scope: 'address' });
  t.match(th.check('alice', '10.0.0.9'), { ok: false, scope: 'address' }, 'the address scope applies to every account');
  th.succeeded('alice', '10.0.0.1');
  t.same(th.check('alice', '10.0.0.4'), { ok: true }, 'a success ends the account back-off');
  // Account back-off stays short however long the guessing goes on.
  for (let i = 0; i < 50; i++) th.failed('dave', `10.1.0.${i}`);
  const v = th.check('dave', '10.2.0.1');
  t.ok(!v.ok && v.retryAfterSeconds <= 60, 'at most a minute');
  // Behind one NAT, a typo a minute from its many users never adds up to a back-off.
  for (let i = 0; i < 30; i++) {
    th.failed(`user${i}`, '192.0.2.1');
    now += 60_000;
  }
  t.same(th.check('erin', '192.0.2.1'), { ok: true }, 'the address is not backed off');
  now += 60_000;
  t.same(th.check('dave', '10.2.0.1'), { ok: true });
});

t.test('HashQueue: concurrency, the known lane first, shedding when full', async (t) => {
  const q = new HashQueue(1, { known: 2, unknown: 1 });
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const job = (name: string) => () => new Promise<string>((resolve) => gates.push(() => (order.push(name), resolve(name))));
  const first = q.run('unknown', job('u0'));
  const u1 = q.run('unknown', job('u1'));
  await t.rejects(q.run('unknown', job('u2')), { message: /saturated/ }, 'the unknown lane is full');
  const k1 = q.run('known', job('k1'));
  const k2 = q.run('known', job('k2'));
  await t.rejects(q.run('known', job('k3')), { message: /saturated/ });
  while (order.length < 4) {
    await new Promise((r) => setImmediate(r));
    t.equal(gates.length, order.length + 1, 'one at a time');
    gates[order.length]();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all([first, u1, k1, k2]);
  t.same(order, ['u0', 'k1', 'k2', 'u1'], 'waiting known checks before unknown ones');
  t.equal(await q.run('known', async () => 'free'), 'free', 'slots are released');
});

t.test('HashQueue: unknown usernames leave a slot free for existing accounts', async (t) => {
  const q = new HashQueue(2, { known: 4, unknown: 4 });
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const job = (name: string) => () => new Promise<void>((resolve) => (started.push(name), gates.set(name, resolve)));
  const u = [q.run('unknown', job('u0')), q.run('unknown', job('u1'))];
  await new Promise((r) => setImmediate(r));
  t.same(started, ['u0'], 'the second unknown waits although a slot is free');
  const k = q.run('known', job('k0'));
  await new Promise((r) => setImmediate(r));
  t.same(started, ['u0', 'k0'], 'an existing account starts at once');
  gates.get('u0')!();
  await new Promise((r) => setImmediate(r));
  t.same(started, ['u0', 'k0', 'u1']);
  gates.get('k0')!();
  gates.get('u1')!();
  await Promise.all([...u, k]);
});

t.test('verifyPassword goes through the queue: busy when saturated', async (t) => {
  const stored = await hashPassword('pw');
  await verifyPassword('warm-up', undefined); // the dummy hash of unknown usernames exists
  const q = new HashQueue(1, { known: 0, unknown: 0 });
  const running = verifyPassword('x', stored, q);
  await t.rejects(verifyPassword('y', undefined, q), { message: /saturated/ });
  await t.rejects(verifyPassword('z', stored, q), { message: /saturated/ });
  t.equal(await running, false);
  t.equal(await verifyPassword('pw', stored, q), true);
});

t.test('client address: trusted proxies and X-Forwarded-For, IPv6 by /64', async (t) => {
  const trusted = compileTrustedProxies(['10.0.0.0/8']);
  t.equal(clientAddress('198.51.100.7', { 'x-forwarded-for': '1.2.3.4' }, trusted), '198.51.100.7', 'untrusted peer: header ignored');
  t.equal(clientAddress('10.0.0.5', { 'x-forwarded-for': '1.2.3.4, 203.0.113.8, 10.0.0.6' }, trusted), '203.0.113.8', 'the nearest untrusted hop');
  t.equal(clientAddress('10.0.0.5', { 'x-forwarded-for': 'junk' }, trusted), '10.0.0.5', 'unparseable: the proxy itself');
  t.equal(clientAddress('::ffff:198.51.100.7', {}), '198.51.100.7');
  t.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});
