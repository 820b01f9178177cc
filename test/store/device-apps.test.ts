// The installed-apps store (DeviceAppStore, migration 26) on SQLite and PostgreSQL: a read
// replaces one tree's list of one source and nothing else, details fill in listed apps only, a
// failed read keeps the list.
import t, { type Test } from 'tap';
import { freshStore, STORE_KINDS } from '../helpers/fresh-store.js';

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-02T10:00:00.000Z';
const P1 = '{0B3C5F2E-1A2B-4C3D-8E9F-001122334455}';
const P2 = '{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}';
const U = 'a3f1c2d4-0000-4000-8000-000000000001';

for (const kind of STORE_KINDS) {
  t.test(kind, async (t: Test) => {
    const { store, cleanup } = await freshStore(kind, 'devapps');
    t.teardown(cleanup);
    const a = store.deviceApps;

    await a.replace(
      'dev1',
      '',
      'msi',
      [
        { appKey: P2, name: 'zeta tool' },
        { appKey: P1, name: 'Alpha', version: '1.0', publisher: 'Contoso' },
      ],
      T1,
    );
    await a.replace('dev1', '', 'msix', [{ appKey: 'Contoso.Notes_1.0.0.0_x64__8wekyb3d8bbwe', name: 'Notes' }], T1);
    await a.replace('dev1', U, 'msi', [{ appKey: P1 }], T1);
    await a.replace('dev2', '', 'msi', [{ appKey: P1, name: 'Other device' }], T1);
    let l = await a.list('dev1');
    t.same(
      l.apps.map((x) => [x.userKey, x.source, x.appKey, x.name ?? null]),
      [
        ['', 'msi', P1, 'Alpha'],
        ['', 'msi', P2, 'zeta tool'],
        ['', 'msix', 'Contoso.Notes_1.0.0.0_x64__8wekyb3d8bbwe', 'Notes'],
        [U, 'msi', P1, null],
      ],
      'device tree first, then by user, source and name (case-blind); another device not listed',
    );
    t.same(l.apps[0], { userKey: '', source: 'msi', appKey: P1, name: 'Alpha', version: '1.0', publisher: 'Contoso', seenAt: T1 }, 'every field reads back');
    t.same(l.apps[3], { userKey: U, source: 'msi', appKey: P1, seenAt: T1 }, 'absent fields stay absent');
    t.same(
      l.reads,
      [
        { userKey: '', source: 'msi', readAt: T1 },
        { userKey: '', source: 'msix', readAt: T1 },
        { userKey: U, source: 'msi', readAt: T1 },
      ],
      'each read recorded',
    );

    // A new read of the device tree's MSI list replaces that list only.
    await a.replace('dev1', '', 'msi', [{ appKey: P2, name: 'Zeta Tool', version: '2.0' }], T2);
    l = await a.list('dev1');
    t.same(
      l.apps.map((x) => [x.userKey, x.source, x.appKey, x.version ?? null, x.seenAt]),
      [
        ['', 'msi', P2, '2.0', T2],
        ['', 'msix', 'Contoso.Notes_1.0.0.0_x64__8wekyb3d8bbwe', null, T1],
        [U, 'msi', P1, null, T1],
      ],
      'P1 gone from the device tree, the user tree and the MSIX list untouched',
    );

    // Details fill in what is listed, and nothing else.
    await a.details('dev1', U, 'msi', [
      { appKey: P1, name: 'Per-user', version: '3.1', publisher: 'Fabrikam' },
      { appKey: P2, name: 'not listed for this user' },
    ]);
    await a.details('dev1', U, 'msi', []);
    l = await a.list('dev1');
    t.same(
      l.apps.filter((x) => x.userKey === U),
      [{ userKey: U, source: 'msi', appKey: P1, name: 'Per-user', version: '3.1', publisher: 'Fabrikam', seenAt: T1 }],
    );

    // A failed read: recorded with why, the list kept; a later good read clears the error.
    await a.failed('dev1', '', 'msix', 'the device answered 404', T2);
    l = await a.list('dev1');
    t.equal(l.apps.filter((x) => x.source === 'msix').length, 1, 'the list read before stays');
    t.same(
      l.reads.find((r) => r.source === 'msix' && r.userKey === ''),
      { userKey: '', source: 'msix', readAt: T2, error: 'the device answered 404' },
    );
    t.same(await a.reads('dev1', U), [{ userKey: U, source: 'msi', readAt: T1 }], "one tree's reads");
    await a.replace('dev1', '', 'msix', [], T2);
    t.same(await a.reads('dev1', ''), [
      { userKey: '', source: 'msi', readAt: T2 },
      { userKey: '', source: 'msix', readAt: T2 },
    ]);
    t.equal((await a.list('dev1')).apps.filter((x) => x.source === 'msix').length, 0, 'an empty read empties the list');
    t.same(await a.list('nobody'), { apps: [], reads: [] });

    // Duplicate keys in one read are kept once.
    await a.replace('dev2', '', 'msix', [{ appKey: 'X.Y_1.0.0.0_x64__abc' }, { appKey: 'X.Y_1.0.0.0_x64__abc' }], T2);
    t.equal((await a.list('dev2')).apps.filter((x) => x.source === 'msix').length, 1);
  });
}
