// The device list's total: a filtered list counts up to TOTAL_CAP and then says there are more
// (totalIsLowerBound); the whole fleet is counted exactly. The store is a stand-in that counts
// as many matches as it is told, so the bound can be crossed without 10,000 devices.
import t from 'tap';
import type { DeviceFilter } from '../../src/domain/fleet.js';
import { DeviceService } from '../../src/service/devices.js';
import { TOTAL_CAP } from '../../src/service/fleet/device-list.js';
import type { Store } from '../../src/store/types.js';

function service(matching: number) {
  const asked: (number | undefined)[] = [];
  const store = {
    flush: async () => undefined,
    devices: {
      stalePolicy: async () => undefined,
      page: async () => [],
      countMatching: async (_f: DeviceFilter, upTo?: number) => {
        asked.push(upTo);
        return upTo === undefined ? matching : Math.min(matching, upTo);
      },
    },
  } as unknown as Store;
  return { svc: new DeviceService(store), asked };
}

t.test('a filtered list counts up to the cap, then says there are more', async (t) => {
  const { svc, asked } = service(50_000);
  const r = await svc.list({ q: 'contoso' });
  t.equal(r.total, TOTAL_CAP);
  t.equal(r.totalIsLowerBound, true);
  t.same(asked, [TOTAL_CAP + 1], 'the store stops one past the cap');
});

t.test('exactly the cap: an exact total', async (t) => {
  const r = await service(TOTAL_CAP).svc.list({ state: 'enrolled' });
  t.equal(r.total, TOTAL_CAP);
  t.equal(r.totalIsLowerBound, undefined);
});

t.test('the whole fleet is counted exactly', async (t) => {
  const { svc, asked } = service(50_000);
  const r = await svc.list({ q: '' });
  t.equal(r.total, 50_000);
  t.equal(r.totalIsLowerBound, undefined);
  t.same(asked, [undefined]);
});
