// The device list's filters, sorts and keyset pages, the fleet counts, deleting a record and the
// stale policy, on both backends with the same data and the same expectations.
import t, { type Test } from 'tap';
import type { DeviceQuery } from '../../src/domain/fleet.js';
import type { Store } from '../../src/store/types.js';
import { type StoreKind, withFreshStore } from '../helpers/fresh-store.js';
import { at, audit, cert, command, device, turn } from '../store/suite.js';

/** Five devices: names, UPNs, builds, editions and last-seen times chosen to tell the sorts apart. */
async function seed(store: Store) {
  const spec = [
    { id: 'a1', deviceId: 'DEV-A', deviceName: 'alpha', upn: 'Zoe@contoso.com', osVersion: '10.0.22631.4460', osEdition: '4', seen: 50, type: 'Device' },
    { id: 'b2', deviceId: 'DEV-B', deviceName: 'Bravo', upn: 'adam@contoso.com', osVersion: '10.0.19045.2006', osEdition: '48', seen: 10, type: 'Full' },
    {
      id: 'c3',
      deviceId: 'DEV-C',
      deviceName: 'charlie',
      upn: 'mia@fabrikam.com',
      osVersion: '10.0.22631.2428',
      osEdition: '4',
      seen: undefined,
      type: 'Device',
    },
    { id: 'd4', deviceId: 'DEV-D', deviceName: 'delta_1', upn: undefined, osVersion: '10.0.26100.1', osEdition: '121', seen: 30, type: 'Device' },
    { id: 'e5', deviceId: 'DEV-E', deviceName: 'echo', upn: 'adam@contoso.com', osVersion: '10.0.22631.4460', osEdition: '101', seen: 30, type: 'Full' },
  ] as const;
  for (const [i, x] of spec.entries()) {
    await store.enrollments.recordEnrollment(
      device({
        id: x.id,
        deviceId: x.deviceId,
        deviceName: x.deviceName,
        upn: x.upn,
        osVersion: x.osVersion,
        osEdition: x.osEdition,
        enrollmentType: x.type,
        enrolledAt: at(i),
        updatedAt: at(i),
      }),
      cert(),
    );
    if (x.seen !== undefined) await store.management.commitTurn(turn(x.id, `s-${x.id}`, { at: at(x.seen) }));
  }
  // echo reported a host name of its own: it wins over the enrollment's DeviceName.
  await store.management.commitTurn(turn('e5', 's-e5b', { at: at(30), device: { inventory: { './DevDetail/Ext/Microsoft/DNSComputerName': 'ECHO-HOST' } } }));
  await store.flush();
}

const ids = async (store: Store, q: Partial<DeviceQuery>) =>
  (await store.devices.page({ sort: 'enrolledAt', descending: false, limit: 100, ...q })).map((r) => r.device.id);

function cases(t: Test, kind: StoreKind) {
  t.test(`${kind}: filters, sorts and pages`, async (t) => {
    await withFreshStore(kind, 'fleet', async (store) => {
      await seed(store);
      t.same(await ids(store, {}), ['a1', 'b2', 'c3', 'd4', 'e5'], 'enrollment order');
      t.same(await ids(store, { q: 'ADAM' }), ['b2', 'e5'], 'q: UPN, case-insensitive');
      t.same(await ids(store, { q: 'dev-c' }), ['c3'], 'q: DeviceID');
      t.same(await ids(store, { q: 'echo-h' }), ['e5'], 'q: reported host name');
      t.same(await ids(store, { q: '_' }), ['d4'], 'q: LIKE wildcards are literal');
      t.same(await ids(store, { q: '%' }), [], 'q: % is literal');
      t.same(await ids(store, { upn: 'ZOE@CONTOSO.COM' }), ['a1'], 'upn: exact, case-insensitive');
      t.same(await ids(store, { deviceId: 'dev-b' }), ['b2']);
      t.same(await ids(store, { hostName: 'echo-host' }), ['e5']);
      t.same(await ids(store, { hostName: 'bravo' }), ['b2'], 'host name: the enrollment name when nothing was reported');
      t.same(await ids(store, { osBuild: '10.0.22631' }), ['a1', 'c3', 'e5'], 'OS build: prefix');
      t.same(await ids(store, { editionCodes: [4, 121] }), ['a1', 'c3', 'd4']);
      t.same(await ids(store, { editionCodes: [] }), []);
      t.same(await ids(store, { enrollmentType: 'Full' }), ['b2', 'e5']);
      t.same(await ids(store, { lastSeenBefore: at(30) }), ['b2'], 'before: strictly, never-seen excluded');
      t.same(await ids(store, { lastSeenAfter: at(30) }), ['a1', 'd4', 'e5'], 'after: inclusive');
      t.same(await ids(store, { staleBefore: at(20) }), ['b2', 'c3'], 'stale: never seen counts from enrollment');
      t.same(await ids(store, { q: 'contoso', enrollmentType: 'Full', osBuild: '10.0.19' }), ['b2'], 'filters combine');

      t.same(await ids(store, { sort: 'lastSeen' }), ['c3', 'b2', 'd4', 'e5', 'a1'], 'last seen: never first, ties by id');
      t.same(await ids(store, { sort: 'lastSeen', descending: true }), ['a1', 'e5', 'd4', 'b2', 'c3']);
      t.same(await ids(store, { sort: 'hostName' }), ['a1', 'b2', 'c3', 'd4', 'e5'], 'host name: case-insensitive');
      t.same(await ids(store, { sort: 'upn' }), ['d4', 'b2', 'e5', 'c3', 'a1'], 'upn: none first, case-insensitive');
      t.same(await ids(store, { sort: 'upn', descending: true }), ['a1', 'c3', 'e5', 'b2', 'd4']);

      // Keyset pages: two at a time, in both directions, equal the whole list.
      for (const descending of [false, true]) {
        const all = await ids(store, { sort: 'upn', descending });
        const seen: string[] = [];
        let after: DeviceQuery['after'];
        for (;;) {
          const page = await store.devices.page({ sort: 'upn', descending, limit: 2, after });
          if (page.length === 0) break;
          seen.push(...page.map((r) => r.device.id));
          const last = page[page.length - 1];
          after = { key: last.key, id: last.device.id };
        }
        t.same(seen, all, `pages ${descending ? 'descending' : 'ascending'}`);
      }
      t.equal(await store.devices.countMatching({ q: 'contoso' }), 3);
      t.equal(await store.devices.countMatching({}), 5);
    });
  });

  t.test(`${kind}: fleet counts, delete, stale policy`, async (t) => {
    await withFreshStore(kind, 'fleet', async (store) => {
      await seed(store);
      const counts = await store.devices.fleetCounts({ today: at(40), week: at(20), month: at(5), staleBefore: at(20) });
      t.same(counts, {
        total: 5,
        byOsBuild: { '10.0.22631.4460': 2, '10.0.19045.2006': 1, '10.0.22631.2428': 1, '10.0.26100.1': 1 },
        byEditionCode: { '4': 2, '48': 1, '121': 1, '101': 1 },
        byEnrollmentType: { Device: 3, Full: 2 },
        byState: { enrolled: 5 },
        lastSeen: { today: 1, last7Days: 2, last30Days: 1, older: 0, never: 1 },
        stale: 2,
      });

      await store.commands.enqueue(command('b2'));
      const before = await store.certificates.listForDevice('b2');
      const gone = await store.devices.remove('b2', at(60), audit('device.delete', 'b2', 60));
      t.same(gone?.certificates, [before[0].serial], 'its active certificate');
      t.match(gone?.rows, { commands: 1, certificates: 1 });
      t.notOk(await store.devices.get('b2'), 'the record is gone');
      t.notOk(await store.certificates.getByThumbprint(before[0].thumbprint), 'its certificate is gone');
      t.equal(await store.devices.remove('b2', at(61), audit('device.delete', 'b2', 61)), undefined, 'twice: unknown');
      const [entry] = await store.audit.list({ limit: 1 });
      t.match(entry, { action: 'device.delete', detail: { deviceId: 'DEV-B', revokedCertificates: [before[0].serial], removed: { commands: 1 } } });
      const again = await store.enrollments.recordEnrollment(device({ deviceId: 'DEV-B' }), cert());
      t.equal(again.reenrolled, false, 'the DeviceID enrolls afresh');

      t.equal(await store.devices.stalePolicy(), undefined);
      await store.devices.setStalePolicy(
        { staleAfterDays: 10, action: 'retire', afterDays: 20, updatedAt: at(70) },
        audit('settings.stale-devices', 'stale-devices', 70),
      );
      t.same(await store.devices.stalePolicy(), { staleAfterDays: 10, action: 'retire', afterDays: 20, updatedAt: at(70) });
    });
  });
}

cases(t, 'sqlite');
cases(t, 'postgres');
