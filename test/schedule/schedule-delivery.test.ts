// The check-in schedule's delivery decisions (CheckinScheduleService.due, the session engine's
// hook) against a real SQLite store, on a clock the test sets: what the device is presumed to
// hold after enrollment, one command per change, a refused delivery retried an hour later, a
// newer schedule replacing a queued one, a re-enrollment starting over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CheckinScheduleService } from '../../src/service/checkin-schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Device } from '../../src/domain/device.js';
import type { CheckinSchedule } from '../../src/domain/checkin-schedule.js';
import { cert, device, turn } from '../store/suite.js';

const HOUR = 3600_000;
const schedule = (regular: number): CheckinSchedule => ({
  firstRetries: { intervalMinutes: 3, count: 5 },
  secondRetries: { intervalMinutes: 15, count: 8 },
  regular: { intervalMinutes: regular, count: 0 },
  pollOnLogin: true,
  allUsersPollOnFirstLogin: true,
});

t.test('delivery decisions', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-schedule-'));
  const store = openSqliteStore(path.join(dir, 'db.sqlite'));
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const svc = new CheckinScheduleService(store, 'fenestra');
  const T = Date.now();
  const iso = (ms: number) => new Date(T + ms).toISOString();
  const dev: Device = await store.enrollments.recordEnrollment(device({ enrolledAt: iso(-24 * HOUR), updatedAt: iso(-24 * HOUR) }), cert());
  /** A session start: what due() queues goes into the store, as the engine's turn does. */
  const session = async (d: Device, ms: number) => {
    const cmds = await svc.due(d, iso(ms));
    for (const c of cmds) await store.commands.enqueue(c);
    return cmds;
  };
  const answer = (id: string, state: 'acked' | 'failed', ms: number) =>
    store.management.commitTurn(
      turn(dev.id, `s${ms}`, {
        at: iso(ms),
        acks: [{ commandId: id, state, status: state === 'acked' ? '200' : '507', error: state === 'failed' ? 'Atomic failed' : undefined }],
      }),
    );

  // Enrolled under the default, nothing set since: its provisioning document carried the default
  // with the long run raised to 1440 minutes (rule 57), so the default itself goes in the first session.
  const [c0] = await session(dev, 0);
  t.equal(c0?.payload.commands![4].items![0].data, '480', "the default's long run, 480 minutes, in the first session");
  t.equal((await store.checkinSchedules.deviceState(dev.id))?.applied?.schedule.regular.intervalMinutes, 1440, "presumed to hold the document's schedule");
  await answer(c0.id, 'acked', 20_000);
  t.same(await session(dev, 40_000), [], 'acknowledged: nothing more');
  t.equal((await store.checkinSchedules.deviceState(dev.id))?.applied?.schedule.regular.intervalMinutes, 480, 'holds the default');

  await svc.setGlobal(schedule(60), 'admin');
  const [c1] = await session(dev, 60_000);
  t.ok(c1, 'a global schedule set after the enrollment is sent');
  t.equal(c1.origin, 'system');
  t.equal(c1.action, 'checkin-schedule');
  t.equal(c1.payload.kind, 'Atomic');
  t.same(
    c1.payload.commands!.map((c) => [c.kind, c.items![0].target.split('/').pop(), c.items![0].data]),
    [
      ['Replace', 'IntervalForFirstSetOfRetries', '3'],
      ['Replace', 'NumberOfFirstRetries', '5'],
      ['Replace', 'IntervalForSecondSetOfRetries', '15'],
      ['Replace', 'NumberOfSecondRetries', '8'],
      ['Replace', 'IntervalForRemainingScheduledRetries', '60'],
      ['Replace', 'NumberOfRemainingScheduledRetries', '0'],
      ['Replace', 'PollOnLogin', 'true'],
      ['Replace', 'AllUsersPollOnFirstLogin', 'true'],
    ],
  );
  t.match(c1.payload.commands![0].items![0].target, /^\.\/Vendor\/MSFT\/DMClient\/Provider\/fenestra\/Poll\//);
  t.same(await session(dev, 120_000), [], 'queued already: not twice');

  await answer(c1.id, 'failed', 180_000);
  t.same(await session(dev, 240_000), [], 'refused: not again at once');
  const failed = await store.checkinSchedules.deviceState(dev.id);
  t.equal(failed?.failure?.error, 'Atomic failed', 'the failure is recorded');
  t.equal((await svc.view({ ...dev, lastSeenAt: iso(240_000) })).delivery.state, 'failed');
  const [c2] = await session(dev, HOUR + 240_000);
  t.ok(c2, 'retried at the first session an hour later');

  await answer(c2.id, 'acked', HOUR + 300_000);
  t.same(await session(dev, HOUR + 360_000), [], 'acknowledged: nothing more');
  const applied = await store.checkinSchedules.deviceState(dev.id);
  t.equal(applied?.applied?.schedule.regular.intervalMinutes, 60);
  t.notOk(applied?.pending);
  t.notOk(applied?.failure);
  t.same(await session(dev, HOUR + 420_000), [], 'idle sessions stay idle');

  // A newer schedule replaces one still queued.
  await svc.setGlobal(schedule(30), 'admin');
  const [c3] = await session(dev, 2 * HOUR);
  await svc.setGlobal(schedule(20), 'admin');
  const [c4] = await session(dev, 2 * HOUR + 60_000);
  t.ok(c3 && c4);
  t.equal((await store.commands.get(c3.id))?.state, 'cancelled', 'the superseded one is cancelled');
  t.equal((await store.checkinSchedules.deviceState(dev.id))?.pending?.commandId, c4.id);
  // Back to what the device holds (60): the queued one is moot.
  await svc.setGlobal(schedule(60), 'admin');
  t.same(await session(dev, 2 * HOUR + 120_000), []);
  t.equal((await store.commands.get(c4.id))?.state, 'cancelled');
  t.equal((await svc.view({ ...dev, lastSeenAt: iso(2 * HOUR + 120_000) })).delivery.state, 'applied');

  // A device group's schedule, more frequent than the global one, then removed.
  const g = { id: 'g-1', name: 'lab', kind: 'device' as const, createdAt: iso(0) };
  await store.groups.create(g, { at: iso(0), actor: 'admin', action: 'group.create', targetType: 'group', targetId: g.id });
  await store.groups.addMembers(g.id, [dev.deviceId]);
  await svc.setGroup(g.id, schedule(10), 'admin');
  const [c5] = await session(dev, 3 * HOUR);
  t.equal(c5?.payload.commands![4].items![0].data, '10', 'the group schedule');
  t.same((await svc.view(dev)).source, { kind: 'group', groupId: 'g-1', groupName: 'lab' });

  // Re-enrolled: the provisioning document gave it the global schedule (set before), nothing pending counts.
  const again = await store.enrollments.recordEnrollment(device({ deviceId: dev.deviceId, enrolledAt: iso(4 * HOUR), updatedAt: iso(4 * HOUR) }), cert());
  await svc.deleteGroup(g.id, 'admin');
  const fresh = await store.devices.get(again.id);
  // Its provisioning document carried the global schedule with the long run at 1440 (rule 57): the 60 follows.
  const [c5b] = await session(fresh!, 4 * HOUR + 60_000);
  t.equal(c5b?.payload.commands![4].items![0].data, '60', 'a re-enrollment: the global schedule in its first session');
  await answer(c5b.id, 'acked', 4 * HOUR + 90_000);
  t.same(await session(fresh!, 4 * HOUR + 120_000), [], 'then holds it');

  // Back to the held schedule while the delivery is on the wire: it stays pending, and once the
  // device has taken it the held schedule goes out again.
  await svc.setGlobal(schedule(25), 'admin');
  const [c6] = await session(fresh!, 5 * HOUR);
  await store.management.setCommandState([c6.id], 'sent', undefined, iso(5 * HOUR));
  await svc.setGlobal(schedule(60), 'admin');
  t.same(await session(fresh!, 5 * HOUR + 60_000), []);
  t.equal((await store.checkinSchedules.deviceState(dev.id))?.pending?.commandId, c6.id, 'a sent delivery stays pending');
  await answer(c6.id, 'acked', 5 * HOUR + 120_000);
  const [c7] = await session(fresh!, 5 * HOUR + 180_000);
  t.equal(c7?.payload.commands![4].items![0].data, '60', 'the device took 25: 60 goes out again');
});
