// management/device-input: the caps on what a device writes (pure functions).
import t from 'tap';
import { ALERTS_DROPPED_TYPE, boundInventory, capAlerts, DEVICE_INPUT_LIMITS } from '../../src/service/management/device-input.js';

t.test('capAlerts: the first N device alerts, clipped, one summary for the rest; ours kept', async (t) => {
  const many = Array.from({ length: 25 }, (_, i) => ({ code: '1226', type: `t${i}`, source: 's'.repeat(1000), data: 'd'.repeat(10_000) }));
  const ours = { code: '1224', type: 'fenestra/devinfo-devid-mismatch', data: 'x' };
  const out = capAlerts([...many, ours, ours]);
  t.equal(out.length, DEVICE_INPUT_LIMITS.alertsPerMessage + 2);
  t.same(
    out.slice(0, 10).map((a) => a.type),
    many.slice(0, 10).map((a) => a.type),
    'the first ones',
  );
  t.ok(
    out.every((a) => (a.source ?? '').length <= 256 && (a.data ?? '').length <= 4096),
    'clipped',
  );
  t.equal(out[10].type, 'fenestra/devinfo-devid-mismatch', 'our own alert kept, once');
  t.match(out[11], { type: ALERTS_DROPPED_TYPE, data: '15 more alerts in this message were not stored' });
  t.same(capAlerts([ours]), [{ ...ours, format: undefined, mark: undefined, source: undefined }], 'few alerts: unchanged');
  const forged = Array.from({ length: 50 }, (_, i) => ({ code: '1226', type: `fenestra/${i}` }));
  t.equal(capAlerts(forged).length, 4, 'a device cannot pass its alerts off as ours to escape the cap');
});

t.test('boundInventory: no new key beyond the cap, values and keys clipped, known keys updated', async (t) => {
  const current = Object.fromEntries(Array.from({ length: DEVICE_INPUT_LIMITS.inventoryKeys - 1 }, (_, i) => [`./DevInfo/K${i}`, 'v']));
  const out = boundInventory(current, { './DevInfo/K0': 'new', './DevInfo/A': 'a'.repeat(5000), './DevInfo/B': 'b', ['./DevInfo/' + 'x'.repeat(300)]: 'y' });
  t.same(Object.keys(out), ['./DevInfo/K0', './DevInfo/A'], 'an update and one new key; the next new one and an oversized key dropped');
  t.equal(out['./DevInfo/A'].length, DEVICE_INPUT_LIMITS.inventoryValueChars);
  t.same(boundInventory(undefined, { a: '1' }), { a: '1' });
});
