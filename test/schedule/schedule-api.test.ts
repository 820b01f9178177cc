// The check-in schedule's admin API against a real server: defaults, every refused field named,
// device groups only, audit, a refused delivery recorded and not resent at once; and the next
// expected check-in computed from the schedule's sets.
import crypto from 'node:crypto';
import t from 'tap';
import { nextExpected } from '../../src/service/checkin-schedule.js';
import { SimDevice } from '../../src/sim/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const GOOD = {
  firstRetries: { intervalMinutes: 3, count: 5 },
  secondRetries: { intervalMinutes: 15, count: 8 },
  regular: { intervalMinutes: 120, count: 0 },
  pollOnLogin: true,
  allUsersPollOnFirstLogin: true,
};

t.test('check-in schedule API', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const URL = '/api/v1/settings/checkin-schedule';

  t.test('the default until the admin sets one', async (t) => {
    const r = await s.admin('GET', URL);
    t.equal(r.status, 200);
    t.equal(r.json.source, 'default');
    t.same(r.json.schedule, { ...GOOD, regular: { intervalMinutes: 480, count: 0 } });
    t.same(r.json.groups, []);
  });

  t.test('every invalid field is a 400 naming it', async (t) => {
    const cases: [string, unknown, string][] = [
      ['first interval 0', { ...GOOD, firstRetries: { intervalMinutes: 0, count: 5 } }, '/firstRetries/intervalMinutes'],
      ['first interval over a day', { ...GOOD, firstRetries: { intervalMinutes: 1441, count: 5 } }, '/firstRetries/intervalMinutes'],
      ['first count 0 (the server never sets it)', { ...GOOD, firstRetries: { intervalMinutes: 3, count: 0 } }, '/firstRetries/count'],
      ['first interval not an integer', { ...GOOD, firstRetries: { intervalMinutes: 1.5, count: 5 } }, '/firstRetries/intervalMinutes'],
      ['second interval negative', { ...GOOD, secondRetries: { intervalMinutes: -1, count: 8 } }, '/secondRetries/intervalMinutes'],
      ['second count too large', { ...GOOD, secondRetries: { intervalMinutes: 15, count: 1001 } }, '/secondRetries/count'],
      ['second set infinite', { ...GOOD, secondRetries: { intervalMinutes: 15, count: 0 } }, '/secondRetries/count'],
      ['second count without interval', { ...GOOD, secondRetries: { intervalMinutes: 0, count: 4 } }, '/secondRetries/count'],
      ['second faster than first', { ...GOOD, secondRetries: { intervalMinutes: 2, count: 8 } }, '/secondRetries/intervalMinutes'],
      ['regular interval 0', { ...GOOD, regular: { intervalMinutes: 0, count: 0 } }, '/regular/intervalMinutes'],
      ['regular interval over a month', { ...GOOD, regular: { intervalMinutes: 43201, count: 0 } }, '/regular/intervalMinutes'],
      ['regular count a string', { ...GOOD, regular: { intervalMinutes: 480, count: '0' } }, '/regular/count'],
      ['regular without count', { ...GOOD, regular: { intervalMinutes: 480 } }, '/regular/count'],
      ['pollOnLogin not a boolean', { ...GOOD, pollOnLogin: 'yes' }, '/pollOnLogin'],
      ['allUsersPollOnFirstLogin not a boolean', { ...GOOD, allUsersPollOnFirstLogin: 1 }, '/allUsersPollOnFirstLogin'],
      ['a field missing', { ...GOOD, regular: undefined }, '/regular'],
      ['an unknown field', { ...GOOD, intervalMinutes: 5 }, '/intervalMinutes'],
      ['an unknown field in a set', { ...GOOD, firstRetries: { intervalMinutes: 3, count: 5, jitter: 1 } }, '/firstRetries/jitter'],
    ];
    for (const [name, body, pointer] of cases) {
      const r = await s.admin('PUT', URL, body);
      t.equal(r.status, 400, name);
      t.equal(r.json?.error?.pointer, pointer, `${name}: ${r.json?.error?.message}`);
    }
    t.equal((await s.admin('GET', URL)).json.source, 'default', 'nothing was stored');
  });

  t.test('set, read back, audited', async (t) => {
    const r = await s.admin('PUT', URL, GOOD);
    t.equal(r.status, 200);
    t.equal(r.json.source, 'global');
    t.same(r.json.schedule, GOOD);
    t.same((await s.admin('GET', URL)).json.schedule, GOOD);
    const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries;
    const e = audit.find((x: any) => x.action === 'settings.checkin-schedule.set');
    t.ok(e, 'audited');
    t.same(e.detail.schedule, GOOD);
  });

  t.test('per group: device groups only, unknown group 404, removal', async (t) => {
    const users = await s.admin('POST', '/api/v1/groups', { name: 'sales-users', kind: 'user', members: ['alice@contoso.com'] });
    const devices = await s.admin('POST', '/api/v1/groups', { name: 'kiosks', kind: 'device', members: [] });
    const onUsers = await s.admin('PUT', `/api/v1/groups/${users.json.id}/checkin-schedule`, GOOD);
    t.equal(onUsers.status, 400, 'a schedule on a user group');
    t.equal(onUsers.json.error.pointer, '/id');
    t.match(onUsers.json.error.message, /device groups/);
    t.equal((await s.admin('PUT', `/api/v1/groups/${crypto.randomUUID()}/checkin-schedule`, GOOD)).status, 404, 'unknown group');
    t.equal((await s.admin('DELETE', `/api/v1/groups/${crypto.randomUUID()}/checkin-schedule`)).status, 404, 'unknown group');
    const bad = await s.admin('PUT', `/api/v1/groups/${devices.json.id}/checkin-schedule`, { ...GOOD, regular: { intervalMinutes: 0, count: 0 } });
    t.equal(bad.status, 400);
    t.equal(bad.json.error.pointer, '/regular/intervalMinutes');
    t.equal((await s.admin('DELETE', `/api/v1/groups/${devices.json.id}/checkin-schedule`)).status, 404, 'no schedule to remove');
    const set = await s.admin('PUT', `/api/v1/groups/${devices.json.id}/checkin-schedule`, GOOD);
    t.equal(set.status, 200);
    t.same(
      (await s.admin('GET', URL)).json.groups.map((g: any) => g.groupName),
      ['kiosks'],
    );
    t.equal((await s.admin('DELETE', `/api/v1/groups/${devices.json.id}/checkin-schedule`)).status, 204);
    t.same((await s.admin('GET', URL)).json.groups, []);
    // A group's schedule goes with the group.
    t.equal((await s.admin('PUT', `/api/v1/groups/${devices.json.id}/checkin-schedule`, GOOD)).status, 200);
    t.equal((await s.admin('DELETE', `/api/v1/groups/${devices.json.id}`)).status, 204);
    t.same((await s.admin('GET', URL)).json.groups, []);
    const actions = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries.map((e: any) => e.action);
    t.ok(actions.includes('group.checkin-schedule.set') && actions.includes('group.checkin-schedule.delete'), 'group changes audited');
  });

  t.test('a delivery the device refuses is recorded, and not sent again at once', async (t) => {
    const tid = await s.connectTenant();
    const aad = crypto.randomUUID();
    const dev: SimDevice = new SimDevice({
      url: s.publicUrl,
      ca: s.caPem,
      connectTo: { host: '127.0.0.1', port: s.server.port },
      deviceId: aad.replace(/-/g, '').toUpperCase(),
      credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: aad }) },
    });
    await dev.enroll();
    const id = (await s.admin('GET', '/api/v1/devices?limit=1000')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
    // Enrolled under the global schedule set above, its long run (120) carried as 1440 by the
    // provisioning document (rule 57): the global schedule itself follows in the first session.
    let detail = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
    t.same(detail.checkin.source, { kind: 'global' });
    t.equal(detail.checkin.delivery.state, 'pending');
    const r0 = await dev.checkin();
    t.equal(r0.commands.find((c) => c.kind === 'Atomic')?.status, '200', 'the global schedule taken in the first session');
    detail = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
    t.equal(detail.checkin.delivery.state, 'applied');
    const g = await s.admin('POST', '/api/v1/groups', { name: 'refusing', kind: 'device', members: [id] });
    t.equal((await s.admin('PUT', `/api/v1/groups/${g.json.id}/checkin-schedule`, { ...GOOD, regular: { intervalMinutes: 60, count: 0 } })).status, 200);
    // One Poll node missing: the Replace gets 404, the Atomic 507, nothing changes on the device.
    dev.tree.remove(`./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(dev.enrollment!.providerId)}/Poll/PollOnLogin`);
    const r1 = await dev.checkin();
    const atomic = r1.commands.find((c) => c.kind === 'Atomic');
    t.equal(atomic?.status, '507', 'the device refused the Atomic');
    detail = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
    t.equal(detail.checkin.delivery.state, 'failed');
    t.ok(detail.checkin.delivery.error, 'with the reason');
    const r2 = await dev.checkin();
    t.notOk(
      r2.commands.some((c) => c.kind === 'Atomic'),
      'not resent in the next session (retried an hour later)',
    );
    t.equal((await s.admin('GET', `/api/v1/devices/${id}`)).json.checkin.delivery.state, 'failed');
  });
});

t.test('next expected check-in: last seen + the interval of the set the device is in', async (t) => {
  const since = '2026-01-01T00:00:00.000Z';
  const min = (m: number) => new Date(Date.parse(since) + m * 60_000).toISOString();
  // First set: 5 × 3 min (0-15), second: 8 × 15 min (15-135), then every 120 min.
  t.same(nextExpected(GOOD, since, min(0)), { at: min(3), intervalMinutes: 3, set: 'first' });
  t.same(nextExpected(GOOD, since, min(14)), { at: min(17), intervalMinutes: 3, set: 'first' });
  t.same(nextExpected(GOOD, since, min(15)), { at: min(30), intervalMinutes: 15, set: 'second' });
  t.same(nextExpected(GOOD, since, min(135)), { at: min(255), intervalMinutes: 120, set: 'regular' });
  const noSecond = { ...GOOD, secondRetries: { intervalMinutes: 0, count: 0 } };
  t.same(nextExpected(noSecond, since, min(15)), { at: min(135), intervalMinutes: 120, set: 'regular' });
  const finite = { ...GOOD, regular: { intervalMinutes: 60, count: 2 } };
  t.same(nextExpected(finite, since, min(255)), { at: min(255 + 1440), intervalMinutes: 1440, set: 'fallback' }, 'Windows adds a 24 h schedule');
});
