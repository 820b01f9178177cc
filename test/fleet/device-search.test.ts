// The device list's search through its trigram index (migration 19), on both backends: what a
// search finds follows every write of the searched columns (enrollment, the signed-in user, the
// reported host name, release on re-enrollment, delete), short and odd searches still work, and
// a count can stop at a bound.
import t from 'tap';
import type { DeviceFilter } from '../../src/domain/fleet.js';
import { STORE_KINDS, withFreshStore } from '../helpers/fresh-store.js';
import { at, audit, cert, device, turn } from '../store/suite.js';

for (const kind of STORE_KINDS) {
  t.test(`${kind}: search follows the writes of the searched columns`, async (t) => {
    await withFreshStore(kind, 'search', async (store) => {
      const found = async (q: string, f: DeviceFilter = {}) =>
        (await store.devices.page({ sort: 'enrolledAt', descending: false, limit: 100, q, ...f })).map((r) => r.device.id).sort();
      const enroll = (id: string, deviceId: string, deviceName: string, upn?: string) =>
        store.enrollments.recordEnrollment(device({ id, deviceId, deviceName, upn, enrolledAt: at(1), updatedAt: at(1) }), cert());
      await enroll('a1', 'DEV-ALPHA', 'Desk-North', 'Zoe.Martin@contoso.com');
      await enroll('b2', 'DEV-BRAVO', 'Desk-South', 'adam@fabrikam.com');
      await enroll('c3', 'DEV-CHARLIE', 'Lab_100%', undefined);
      await store.flush();

      t.same(await found('contoso'), ['a1'], 'enrollment UPN');
      t.same(await found('ZOE.MAR'), ['a1'], 'any case');
      t.same(await found('desk-'), ['a1', 'b2'], 'host name (the enrollment name)');
      t.same(await found('dev-charlie'), ['c3'], 'DeviceID');
      t.same(await found('b2'), ['b2'], 'our id (two characters: read row by row)');
      t.same(await found('h'), ['a1', 'b2', 'c3'], 'one character');
      t.same(await found('100%'), ['c3'], 'a % is a character, not a wildcard');
      t.same(await found('_100'), ['c3'], 'so is _');
      t.same(await found('0%x'), [], 'nothing holds it');
      t.same(await found('a"b'), [], 'a double quote is searched for, not parsed');
      t.same(await found('com dev'), [], 'never across two columns');
      t.same(await found('contoso', { state: 'unenrolled' }), [], 'with the other filters');

      // The signed-in user and the reported host name come with check-ins.
      await store.management.commitTurn(
        turn('b2', 's-1', {
          at: at(5),
          device: {
            currentUser: { oid: 'oid-k', upn: 'Kim@Northwind.example' },
            loginStatus: 'user',
            inventory: { './DevDetail/Ext/Microsoft/DNSComputerName': 'LAB-PC-42' },
          },
        }),
      );
      await store.flush();
      t.same(await found('northwind'), ['b2'], 'signed-in user');
      t.same(await found('lab-pc-4'), ['b2'], 'reported host name');
      t.same(await found('desk-'), ['a1'], 'the enrollment name no longer counts once a host name is reported');

      await store.management.commitTurn(turn('b2', 's-2', { at: at(6), device: { currentUser: null } }));
      await store.flush();
      t.same(await found('northwind'), [], 'signed-in user gone');

      // Unenrolled, then enrolled again: the old record is released under another DeviceID.
      await store.management.unenroll('a1', at(7), 'test');
      await store.flush();
      const again = await enroll('a9', 'DEV-ALPHA', 'Desk-West', 'zoe.martin@contoso.com');
      await store.flush();
      t.same(await found('dev-alpha'), [again.id].sort(), 'the released record no longer has the DeviceID');
      t.same(await found('desk-west'), [again.id]);

      await store.devices.remove('c3', at(9), audit('device.delete', 'c3', 9));
      t.same(await found('charlie'), [], 'deleted');
      t.same(await found('_100'), []);
    });
  });

  t.test(`${kind}: a count stops at its bound`, async (t) => {
    await withFreshStore(kind, 'search', async (store) => {
      for (let i = 0; i < 5; i++) {
        await store.enrollments.recordEnrollment(device({ id: `d${i}`, deviceId: `DEV-${i}`, enrolledAt: at(i), updatedAt: at(i) }), cert());
      }
      await store.flush();
      t.equal(await store.devices.countMatching({ q: 'dev-' }), 5);
      t.equal(await store.devices.countMatching({ q: 'dev-' }, 3), 3, 'stops at 3');
      t.equal(await store.devices.countMatching({ q: 'dev-' }, 6), 5, 'fewer than the bound: all of them');
      t.equal(await store.devices.countMatching({}, 2), 2);
    });
  });
}
