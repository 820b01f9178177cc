// The store queries behind the console's dashboard and device list that the 100,000-device
// benchmark made faster (migration 14, store/device-query.ts): devices by delivery status and by
// profile, the attention list of profiles, and the last-seen and host-name sorts, on both
// backends with the same data and expectations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { DeviceQuery } from '../../src/domain/fleet.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from '../helpers/pg.js';
import { at, audit, cert, device, turn } from '../store/suite.js';

async function withBackend(kind: 'sqlite' | 'postgres', fn: (store: Store) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-console-q-'));
  const pg = kind === 'postgres' ? await freshSchema('consoleq') : undefined;
  const store = await openStore(pg ? { kind: 'postgres', url: pg.url } : { kind: 'sqlite', file: path.join(dir, 'q.db') });
  try {
    await fn(store);
  } finally {
    await store.close();
    await pg?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ids = async (store: Store, q: Partial<DeviceQuery>) =>
  (await store.devices.page({ sort: 'enrolledAt', descending: false, limit: 100, ...q })).map((r) => r.device.id);

for (const kind of ['sqlite', 'postgres'] as const) {
  t.test(`${kind}: delivery-status filters and the sorts the console uses`, async (t) => {
    await withBackend(kind, async (store) => {
      const names = ['delta', 'alpha', 'charlie', 'bravo'];
      for (const [i, name] of names.entries()) {
        await store.enrollments.recordEnrollment(device({ id: `d${i}`, deviceId: `DEV-${i}`, deviceName: name, enrolledAt: at(i), updatedAt: at(i) }), cert());
      }
      await store.management.commitTurn(turn('d0', 's-d0', { at: at(40) }));
      await store.management.commitTurn(turn('d2', 's-d2', { at: at(20), device: { inventory: { './DevDetail/Ext/Microsoft/DNSComputerName': 'AARDVARK' } } }));
      await store.flush();
      for (const id of ['p1', 'p2']) {
        await store.profiles.create(
          { id, name: id, kind: 'custom', scope: 'device', settings: {}, version: 1, createdAt: at(0), updatedAt: at(0) },
          audit('profile.create', id),
        );
      }
      const row = (devicePk: string, profileId: string, status: 'failed' | 'held' | 'verified') => ({
        devicePk,
        userKey: '',
        profileId,
        version: 1,
        status,
        updatedAt: at(50),
      });
      await store.deliveries.put([row('d0', 'p1', 'failed'), row('d1', 'p1', 'verified'), row('d1', 'p2', 'held'), row('d3', 'p2', 'failed')]);

      t.same(await ids(store, { profileStatus: 'failed' }), ['d0', 'd3'], 'devices with a failed delivery');
      t.same(await ids(store, { profileStatus: 'failed', profileId: 'p2' }), ['d3'], 'of one profile');
      t.same(await ids(store, { profileId: 'p1' }), ['d0', 'd1'], 'devices with any delivery of a profile');
      t.same(await ids(store, { profileStatus: 'removed' }), [], 'a status nobody has');
      t.equal(await store.devices.countMatching({ profileStatus: 'failed' }), 2);
      t.equal(await store.devices.countMatching({ profileStatus: 'held', profileId: 'p2' }), 1);
      const problems = (await store.deliveries.problemCounts()).sort((a, b) => a.profileId.localeCompare(b.profileId));
      t.same(
        problems,
        [
          { profileId: 'p1', failed: 1, held: 0 },
          { profileId: 'p2', failed: 1, held: 1 },
        ],
        'failed and held rows per profile in one query',
      );

      t.same(await ids(store, { sort: 'hostName' }), ['d2', 'd1', 'd3', 'd0'], 'by host name: the reported one wins over the enrollment name');
      t.same(await ids(store, { sort: 'hostName', descending: true }), ['d0', 'd3', 'd1', 'd2']);
      const first = await store.devices.page({ sort: 'hostName', descending: false, limit: 2 });
      const rest = await ids(store, { sort: 'hostName', after: { key: first[1].key, id: first[1].device.id } });
      t.same(rest, ['d3', 'd0'], 'keyset page after a cursor');
      t.same(await ids(store, { sort: 'lastSeen', descending: true }), ['d0', 'd2', 'd3', 'd1'], 'by last seen, never-seen last (ties by id)');
    });
  });
}
