// Done-means test of the check-in schedule (#12): a device enrolled earlier gets a shortened
// schedule set by the admin in its next session (its DMClient Poll nodes say so), then a queued
// wipe reaches it at its first scheduled check-in after being queued, without any push.
//
// The device's clock: the test runs the device's check-ins on the schedule it reads from its own
// DM tree, as Windows runs its poll tasks, with time scaled: one schedule minute is SCALE_MS of
// test time. The server has no WNS configured, and every session starts with Alert 1201
// (client-initiated), never 1200 (a push).
import crypto from 'node:crypto';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

/** Test milliseconds per schedule minute. */
const SCALE_MS = 100;

const SHORT = {
  firstRetries: { intervalMinutes: 1, count: 3 },
  secondRetries: { intervalMinutes: 2, count: 2 },
  regular: { intervalMinutes: 5, count: 0 },
  pollOnLogin: true,
  allUsersPollOnFirstLogin: false,
};

/** The Poll nodes of the device's own tree (what Windows would schedule its sessions from). */
function pollOf(dev: SimDevice): Record<string, string | undefined> {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(dev.enrollment!.providerId)}/Poll`;
  const names = [
    'IntervalForFirstSetOfRetries',
    'NumberOfFirstRetries',
    'IntervalForSecondSetOfRetries',
    'NumberOfSecondRetries',
    'IntervalForRemainingScheduledRetries',
    'NumberOfRemainingScheduledRetries',
    'PollOnLogin',
    'AllUsersPollOnFirstLogin',
  ];
  return Object.fromEntries(names.map((n) => [n, dev.tree.read(`${base}/${n}`)?.data]));
}

/**
 * The scheduled check-ins of a Poll node set, in schedule minutes after the session the device
 * took it in (Windows re-creates its poll tasks when the nodes change): the first set, the second
 * set, then the regular schedule — the first `n` of them.
 */
function scheduledMinutes(p: Record<string, string | undefined>, n: number): number[] {
  const sets: [number, number][] = [
    [Number(p.IntervalForFirstSetOfRetries), Number(p.NumberOfFirstRetries)],
    [Number(p.IntervalForSecondSetOfRetries), Number(p.NumberOfSecondRetries)],
    [Number(p.IntervalForRemainingScheduledRetries), Number(p.NumberOfRemainingScheduledRetries)],
  ];
  const out: number[] = [];
  let at = 0;
  for (const [interval, count] of sets) {
    if (!(interval > 0)) continue;
    for (let i = 0; (count === 0 || i < count) && out.length < n; i++) out.push((at += interval));
  }
  return out;
}

/** Resolves at a test-clock instant: the device's poll task firing (the scaled clock, not a wait for a condition). */
const at = (instantMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, instantMs - performance.now())));

t.test('a shortened schedule reaches an enrolled device, and a wipe reaches it at the first scheduled check-in after being queued', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const aadDeviceId = crypto.randomUUID();
  const dev: SimDevice = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: aadDeviceId, upn: 'owner@contoso.com' }) },
  });
  await dev.enroll();
  const DEFAULT = {
    IntervalForFirstSetOfRetries: '3',
    NumberOfFirstRetries: '5',
    IntervalForSecondSetOfRetries: '15',
    NumberOfSecondRetries: '8',
    IntervalForRemainingScheduledRetries: '480',
    NumberOfRemainingScheduledRetries: '0',
    PollOnLogin: 'true',
    AllUsersPollOnFirstLogin: 'true',
  };
  t.same(pollOf(dev), { ...DEFAULT, IntervalForRemainingScheduledRetries: '1440' }, 'the provisioning document: the long run at 1440 (rule 57)');
  const first = await dev.checkin();
  t.equal(first.outcome, 'complete', first.error ?? 'first session');
  t.same(pollOf(dev), DEFAULT, 'the default schedule in the first session');
  const list = await s.admin('GET', '/api/v1/devices?limit=1000');
  const id: string = list.json.devices.find((d: any) => d.deviceId === dev.deviceId).id;

  // The admin: a device group with the shortened schedule, another (less frequent) one, a global one.
  const fast = await s.admin('POST', '/api/v1/groups', { name: 'fast-checkin', kind: 'device', members: [dev.deviceId] });
  const slow = await s.admin('POST', '/api/v1/groups', { name: 'a-slow-checkin', kind: 'device', members: [id] });
  t.equal(fast.status, 201);
  t.equal(slow.status, 201);
  const put = (p: string, body: unknown) => s.admin('PUT', p, body);
  t.equal((await put('/api/v1/settings/checkin-schedule', { ...SHORT, regular: { intervalMinutes: 240, count: 0 } })).status, 200);
  t.equal((await put(`/api/v1/groups/${slow.json.id}/checkin-schedule`, { ...SHORT, regular: { intervalMinutes: 60, count: 0 } })).status, 200);
  const set = await put(`/api/v1/groups/${fast.json.id}/checkin-schedule`, SHORT);
  t.equal(set.status, 200, JSON.stringify(set.json));
  t.same(set.json.schedule, SHORT);

  let detail = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
  t.same(detail.checkin.source, { kind: 'group', groupId: fast.json.id, groupName: 'fast-checkin' }, 'the most frequent group schedule wins');
  t.equal(detail.checkin.delivery.state, 'pending');

  // Its next session: the Poll nodes, in one Atomic.
  const second = await dev.checkin();
  const tookSchedule = performance.now();
  t.equal(second.outcome, 'complete', second.error ?? 'second session');
  const atomic = second.commands.find((c) => c.kind === 'Atomic');
  t.ok(atomic && atomic.status === '200', 'the schedule went as an Atomic the device accepted');
  t.same(pollOf(dev), {
    IntervalForFirstSetOfRetries: '1',
    NumberOfFirstRetries: '3',
    IntervalForSecondSetOfRetries: '2',
    NumberOfSecondRetries: '2',
    IntervalForRemainingScheduledRetries: '5',
    NumberOfRemainingScheduledRetries: '0',
    PollOnLogin: 'true',
    AllUsersPollOnFirstLogin: 'false',
  });
  detail = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
  t.equal(detail.checkin.delivery.state, 'applied');
  t.equal(detail.checkin.nextCheckinIntervalMinutes, 1, 'in the first set of the new schedule');
  t.equal(Date.parse(detail.checkin.nextCheckinExpectedAt), Date.parse(detail.lastSeenAt) + 60_000, 'next check-in: last seen + 1 minute');

  // The device now runs on the schedule of its tree. One scheduled check-in passes (nothing
  // queued), then the admin queues a wipe: it arrives at the next scheduled check-in.
  const plan = scheduledMinutes(pollOf(dev), 6);
  t.same(plan, [1, 2, 3, 5, 7, 12]);
  await at(tookSchedule + plan[0] * SCALE_MS);
  const idle = await dev.checkin();
  t.equal(idle.outcome, 'complete');
  t.notOk(
    idle.commands.some((c) => c.kind === 'Atomic' || c.kind === 'Exec'),
    'nothing new at the first scheduled check-in: the schedule is not sent again',
  );
  const wipe = await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'wipe' });
  t.equal(wipe.status, 201);
  const queuedAt = performance.now();
  const due = tookSchedule + plan[1] * SCALE_MS;
  t.ok(due > queuedAt, 'the wipe was queued before the next scheduled check-in');
  await at(due);
  const wiped = await dev.checkin();
  t.equal(wiped.outcome, 'complete', wiped.error ?? 'scheduled session');
  t.ok(
    wiped.execs.some((x) => x.target.endsWith('/RemoteWipe/doWipe')),
    'the wipe arrived at the first scheduled check-in after it was queued',
  );
  t.equal(dev.wiped, true);
  const initiators = [first, second, idle, wiped].map((r) => {
    const pkg1 = r.messages.find((m) => m.direction === 'out')?.msg;
    return pkg1?.body.find((c) => c.kind === 'Alert')?.data;
  });
  t.same(initiators, ['1201', '1201', '1201', '1201'], 'every session client-initiated (scheduled), none by a push');
  const cmd = (await s.admin('GET', `/api/v1/devices/${id}/commands`)).json;
  const rows: any[] = Array.isArray(cmd) ? cmd : (cmd.commands ?? cmd.items ?? []);
  t.ok(
    rows.some((c) => c.action === 'checkin-schedule' && c.origin === 'system' && c.state === 'acked'),
    'the schedule command is on the device queue as a system command, acknowledged',
  );
});
