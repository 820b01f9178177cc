// The ESP store (EspStore, migration 27) on SQLite and PostgreSQL: policies round-trip with
// every setting, a phase's run starts once, saving a run keeps its items and outcome, and the
// open-run check sees only runs without an outcome.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import type { EspPolicy, EspRun } from '../../src/domain/esp.js';
import { freshSchema } from '../helpers/pg.js';

const backends: Record<string, () => Promise<{ store: Store; cleanup(): Promise<void> }>> = {
  async sqlite() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-esp-'));
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
    return { store, cleanup: async () => (await store.close(), fs.rmSync(dir, { recursive: true, force: true })) };
  },
  async postgres() {
    const s = await freshSchema('esp');
    const store = await openStore({ kind: 'postgres', url: s.url });
    return { store, cleanup: async () => (await store.close(), await s.drop()) };
  },
};

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-01T10:05:00.000Z';

const policy = (o: Partial<EspPolicy> = {}): EspPolicy => ({
  id: 'p1',
  name: 'Kiosks',
  target: { type: 'group', id: 'g1' },
  requiredProfileIds: ['wifi', 'cert'],
  timeoutMinutes: 45,
  errorText: 'Call the help desk',
  blockDevice: true,
  allowReset: true,
  allowCollectLogs: true,
  skipUserPhase: false,
  skipDevicePhase: false,
  createdAt: T1,
  updatedAt: T1,
  ...o,
});

const run = (o: Partial<EspRun> = {}): EspRun => ({
  devicePk: 'dev1',
  userKey: '',
  policyId: 'p1',
  startedAt: T1,
  deadline: '2026-03-01T10:45:00.000Z',
  errorText: 'Call the help desk',
  items: [
    { profileId: 'cert', name: 'Root', kind: 'certificate', status: 'pending' },
    { profileId: 'wifi', name: 'Corp', kind: 'wifi', status: 'pending' },
  ],
  ...o,
});

for (const [name, open] of Object.entries(backends)) {
  t.test(name, async (t: Test) => {
    const { store, cleanup } = await open();
    t.teardown(cleanup);
    const e = store.esp;

    t.test('policies', async (t) => {
      await e.createPolicy(policy());
      await e.createPolicy(policy({ id: 'p0', name: 'all devices', target: { type: 'all' }, errorText: undefined, allowReset: undefined }));
      t.same(await e.getPolicy('p1'), policy(), 'every setting read back');
      const all = await e.listPolicies();
      t.same(
        all.map((p) => p.id),
        ['p0', 'p1'],
        'by name, case-blind',
      );
      t.same(all[0].target, { type: 'all' }, 'no id for all');
      t.notOk('errorText' in all[0], 'an absent error text stays absent');
      t.ok(await e.updatePolicy(policy({ name: 'Kiosk PCs', timeoutMinutes: 90, target: { type: 'entraGroup', id: 'aa-bb' }, updatedAt: T2 })));
      t.match(await e.getPolicy('p1'), { name: 'Kiosk PCs', timeoutMinutes: 90, target: { type: 'entraGroup', id: 'aa-bb' }, createdAt: T1, updatedAt: T2 });
      t.notOk(await e.updatePolicy(policy({ id: 'nope' })), 'an unknown policy is not updated');
      t.ok(await e.deletePolicy('p0'));
      t.notOk(await e.deletePolicy('p0'), 'deleted once');
      t.equal(await e.getPolicy('p0'), undefined);
    });

    t.test('runs', async (t) => {
      t.notOk(await e.anyOpen(T2), 'no run yet');
      t.ok(await e.startRun(run()), 'the device phase starts');
      t.notOk(await e.startRun(run({ policyId: 'other' })), 'and only once');
      t.ok(await e.startRun(run({ userKey: 'u2', upn: 'b@contoso.com', errorText: undefined })), "a user's phase");
      t.ok(await e.startRun(run({ devicePk: 'dev2' })), 'another device');
      t.ok(await e.anyOpen(T2));
      const runs = await e.runs('dev1');
      t.same(
        runs.map((r) => [r.userKey, r.policyId, r.upn]),
        [
          ['', 'p1', undefined],
          ['u2', 'p1', 'b@contoso.com'],
        ],
        'device phase first; the first start kept',
      );
      t.same(runs[0], run(), 'read back whole');
      const done = run({
        items: [
          { profileId: 'cert', name: 'Root', kind: 'certificate', status: 'done', at: T2 },
          { profileId: 'wifi', name: 'Corp', kind: 'wifi', status: 'failed', at: T2, detail: '500 on ./Vendor/MSFT/WiFi' },
        ],
        finishedAt: T2,
        outcome: 'failed',
      });
      await e.saveRun(done);
      t.same((await e.runs('dev1'))[0], done, 'items, finish and outcome saved');
      await e.saveRun({ ...run({ devicePk: 'dev2' }), finishedAt: T2, outcome: 'done' });
      t.ok(await e.anyOpen(T2), "dev1's user phase is still open");
      await e.saveRun({ ...run({ userKey: 'u2' }), finishedAt: T2, outcome: 'timed-out' });
      t.notOk(await e.anyOpen(T2), 'every run ended');
      t.ok(await e.startRun(run({ devicePk: 'dev3', deadline: T2 })));
      t.notOk(await e.anyOpen(T2), 'a run at its deadline is not open');
      t.ok(await e.anyOpen(T1), 'before its deadline it is');
      t.equal((await e.allRuns()).length, 4);
      const again = run({ policyId: 'p2', startedAt: T2, deadline: '2026-03-01T11:05:00.000Z' });
      delete again.errorText;
      t.notOk(await e.startRun(again, T1), 'a run of this enrollment is kept');
      t.ok(await e.startRun(again, T2), 'one of an earlier enrollment (started before it) is replaced');
      t.same((await e.runs('dev1'))[0], again, 'whole: items, outcome and finish cleared');
      t.notOk(await e.startRun(run(), T2), 'and the new one stays');
      t.equal((await e.allRuns('2026-03-01T10:06:00.000Z')).length, 0, 'none started since');
      t.same(await e.runs('nobody'), []);
    });
  });
}
