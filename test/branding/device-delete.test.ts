// Deleting a device deletes what fenestra kept of its per-device settings (#16 follow-up): the
// branding and renewal-settings states live in the settings table under keys naming the device,
// not in a device_pk column, so the delete names them. On SQLite and PostgreSQL: a device that
// had a session (both states written), deleted through the admin API, leaves neither row.
import crypto from 'node:crypto';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`${database}: no per-device settings row outlives its device`, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    t.equal((await s.admin('PUT', '/api/v1/settings/branding', { helpPhoneNumber: '+1 425 555 0100' })).status, 200);
    const aadDeviceId = crypto.randomUUID();
    const dev: SimDevice = new SimDevice({
      url: s.publicUrl,
      ca: s.caPem,
      connectTo: { host: '127.0.0.1', port: s.server.port },
      deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
      credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: aadDeviceId }) },
    });
    await dev.enroll();
    await dev.checkin();
    const store = s.server.store;
    const pk = (await store.devices.getByDeviceId(dev.deviceId))!.id;
    t.ok(await store.branding.deviceState(pk), 'the session wrote the branding state');
    t.ok(await store.renewalSettings.deviceState(pk), 'and the renewal-settings state');

    const del = await s.admin('DELETE', `/api/v1/devices/${dev.deviceId}`);
    t.equal(del.status, 200, JSON.stringify(del.json));
    t.match(del.json, { removed: { settings: 2 } }, 'the removal names the two rows');
    t.equal(await store.branding.deviceState(pk), undefined, 'no branding state left');
    t.equal(await store.renewalSettings.deviceState(pk), undefined, 'no renewal-settings state left');
    t.same(await store.branding.get().then((b) => b && JSON.parse(b.value)), { helpPhoneNumber: '+1 425 555 0100' }, "the admin's branding stays");
  });
}
