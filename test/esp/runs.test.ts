// Runs followed from delivery rows (service/esp/sessions.ts follow), their timelines and the
// fleet figures (timeline.ts), and which policy applies (targeting.ts): pure, with fixed times.
import t from 'tap';
import type { EspPolicy, EspRun } from '../../src/domain/esp.js';
import type { ProfileDelivery } from '../../src/domain/profile.js';
import { follow } from '../../src/service/esp/sessions.js';
import { fleetFigures, outcomeAt, runEvents } from '../../src/service/esp/timeline.js';
import { choosePolicy } from '../../src/service/esp/targeting.js';

const T0 = '2026-05-01T08:00:00.000Z';
const T1 = '2026-05-01T08:03:00.000Z';
const T2 = '2026-05-01T08:07:00.000Z';
const DEADLINE = '2026-05-01T08:30:00.000Z';
const LATE = '2026-05-01T09:00:00.000Z';

const run = (o: Partial<EspRun> = {}): EspRun => ({
  devicePk: 'd',
  userKey: '',
  policyId: 'p',
  startedAt: T0,
  deadline: DEADLINE,
  errorText: 'Call IT',
  items: [
    { profileId: 'cert', name: 'Root', kind: 'certificate', status: 'pending' },
    { profileId: 'app', name: 'Agent', kind: 'app', status: 'pending' },
  ],
  ...o,
});
const row = (profileId: string, status: ProfileDelivery['status'], updatedAt: string, o: Partial<ProfileDelivery> = {}): ProfileDelivery => ({
  devicePk: 'd',
  userKey: '',
  profileId,
  version: 1,
  status,
  updatedAt,
  ...o,
});

t.test('follow: delivered is done, an app only once verified (installed)', async (t) => {
  const r = run();
  follow(r, [row('cert', 'delivered', T1), row('app', 'delivered', T1)], T1);
  t.same(
    r.items.map((i) => [i.status, i.at]),
    [
      ['done', T1],
      ['pending', undefined],
    ],
  );
  t.notOk(r.outcome, 'still in progress');
  follow(r, [row('cert', 'delivered', T1), row('app', 'verified', T2)], T2);
  t.equal(r.outcome, 'done');
  t.equal(r.finishedAt, T2);
  t.same(
    runEvents(r, T2).map((e) => [e.type, e.at, e.name]),
    [
      ['started', T0, undefined],
      ['item-done', T1, 'Root'],
      ['item-done', T2, 'Agent'],
      ['finished', T2, undefined],
    ],
  );
});

t.test("follow: rows of another tree or another device's user are not this run's", async (t) => {
  const r = run();
  follow(r, [row('cert', 'verified', T1, { userKey: 'someone' }), row('app', 'verified', T1, { userKey: 'someone' })], T1);
  t.notOk(r.outcome);
  t.ok(r.items.every((i) => i.status === 'pending'));
});

t.test('follow: a failed delivery fails the run, with its detail', async (t) => {
  const r = run();
  follow(r, [row('cert', 'failed', T1, { detail: '500 on ./Device/Vendor/MSFT/RootCATrustedCertificates' })], T1);
  t.equal(r.outcome, 'failed');
  t.match(r.items[0], { status: 'failed', detail: /^500 on/ });
  t.match(runEvents(r, T1).at(-1), { type: 'failed', at: T1, detail: 'Call IT' });
});

t.test('follow: past the deadline the run timed out at its deadline, even if the last item arrives then', async (t) => {
  const r = run();
  follow(r, [row('cert', 'delivered', T1), row('app', 'verified', LATE)], LATE);
  t.equal(r.outcome, 'timed-out');
  t.equal(r.finishedAt, DEADLINE);
});

t.test('a run its device never came back to has timed out as of its deadline', async (t) => {
  const r = run();
  t.equal(outcomeAt(r, T2), undefined);
  t.equal(outcomeAt(r, DEADLINE), 'timed-out');
  t.same(runEvents(r, LATE).at(-1), { at: DEADLINE, type: 'timed-out', detail: 'Call IT' });
});

t.test('fleet figures: outcomes, p50/p95 of finished runs, the items that block most', async (t) => {
  const done = (minutes: number, last: string): EspRun =>
    run({
      outcome: 'done',
      finishedAt: new Date(Date.parse(T0) + minutes * 60_000).toISOString(),
      items: [
        { profileId: 'cert', name: 'Root', status: 'done', at: '2026-05-01T08:00:30.000Z' },
        { profileId: last, name: last, status: 'done', at: new Date(Date.parse(T0) + minutes * 60_000).toISOString() },
      ],
    });
  const runs = [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((m) => done(m, m > 8 ? 'vpn' : 'app')),
    run({ outcome: 'failed', finishedAt: T1, items: [{ profileId: 'vpn', name: 'vpn', status: 'failed', at: T1 }] }),
    run(), // open, past its deadline at LATE
    run({ deadline: '2026-05-01T10:00:00.000Z' }), // open, in progress
    run({ userKey: 'u1', outcome: 'done', finishedAt: T1, items: [] }),
  ];
  const f = fleetFigures(runs, LATE, 'device');
  t.same(f.byOutcome, { inProgress: 1, done: 10, failed: 1, timedOut: 1 });
  t.equal(f.runs, 13, 'the user run left out');
  t.equal(f.p50Seconds, 300, 'p50: the 5th of 10 finished runs (5 minutes)');
  t.equal(f.p95Seconds, 1200, 'p95: the slowest');
  t.same(
    f.blocking.map((b) => [b.profileId, b.runs, b.failed, b.timedOut]),
    [
      ['app', 9, 0, 1],
      ['vpn', 3, 1, 0],
      ['cert', 1, 0, 1],
    ],
  );
  t.equal(fleetFigures(runs, LATE, 'user').runs, 1);
  t.equal(fleetFigures(runs, LATE, 'all').runs, 14);
  t.notOk('p50Seconds' in fleetFigures([], LATE, 'all'), 'no finished run: no percentiles');
});

t.test('which policy applies: a group target before all, then the oldest', async (t) => {
  const p = (id: string, target: EspPolicy['target'], createdAt: string): EspPolicy => ({
    id,
    name: id,
    target,
    requiredProfileIds: [],
    timeoutMinutes: 60,
    blockDevice: false,
    allowCollectLogs: false,
    skipUserPhase: false,
    skipDevicePhase: false,
    createdAt,
    updatedAt: createdAt,
  });
  const all = p('all', { type: 'all' }, T0);
  const kiosks = p('kiosks', { type: 'group', id: 'g-kiosk' }, T2);
  const sales = p('sales', { type: 'entraGroup', id: 'e-sales' }, T1);
  const none = new Set<string>();
  t.equal(choosePolicy([all, kiosks, sales], none, none)?.id, 'all', 'in no group: the policy for all');
  t.equal(choosePolicy([all, kiosks, sales], new Set(['g-kiosk']), none)?.id, 'kiosks');
  t.equal(choosePolicy([all, kiosks, sales], new Set(['g-kiosk']), new Set(['e-sales']))?.id, 'sales', 'both groups: the older');
  t.equal(choosePolicy([kiosks], none, none), undefined, 'nothing applies');
});
