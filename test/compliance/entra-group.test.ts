// Compliance policies assigned to Entra groups, as profiles are, on SQLite and PostgreSQL: a real
// server whose Graph calls go to the fake Entra ID and Graph, two simulated Entra-joined devices.
// A policy assigned to a group of devices applies to the device in it (by its Entra device ID)
// and not to the other; one assigned to a group of users applies to the device whose primary
// user is in it; a device removed from the group in Graph is, after a sync and its next
// inventory, out of the policy. The group is watched while a policy targets it, not after.
import crypto from 'node:crypto';
import t from 'tap';
import type { SimDevice } from '../../src/sim/device.js';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

const { entra: entraApp, graph, env: outbound, close } = await startMicrosoftFakes();
const directory = serveGroups(graph);
t.teardown(close);

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`${database}: a compliance policy assigned to an Entra group follows its membership`, async (t) => {
    const s = await startTestServer({ ...outbound, FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' }, { database });
    t.teardown(() => s.close());
    const { tenantId, connect } = await connectAppTenant(s, entraApp, ['GroupMember.Read.All']);
    t.equal(connect.status, 201, JSON.stringify(connect.json));

    const enroll = async (oid: string, upn: string) => {
      const dev = entraSimDevice(s, tenantId, { upn, oid });
      await dev.enroll();
      const id: string = (await s.admin('GET', '/api/v1/devices?limit=100')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
      // Both devices fail a firewall rule: only a policy that applies makes them noncompliant.
      dev.setHealth({ firewall: '1' });
      return { dev, id };
    };
    const aOid = crypto.randomUUID();
    const bOid = crypto.randomUUID();
    const a = await enroll(aOid, 'alice@contoso.com');
    const b = await enroll(bOid, 'bob@contoso.com');
    /** The device's next session reads its inventory again (the admin's sync), which evaluates it. */
    const evaluated = async (d: { dev: SimDevice; id: string }) => {
      t.equal((await s.admin('POST', `/api/v1/devices/${d.id}/commands`, { action: 'sync' })).status, 201);
      t.equal((await d.dev.checkin()).outcome, 'complete');
      const r = await s.admin('GET', `/api/v1/devices/${d.id}/compliance`);
      t.equal(r.status, 200);
      return r.json as { state: string; reasons: { policyId: string; rule: string }[] };
    };
    const sync = async () => {
      const r = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, {});
      t.equal(r.status, 200, JSON.stringify(r.json));
      for (const x of r.json.results) t.equal(x.error, undefined, 'synced');
    };
    const watched = async () => ((await s.admin('GET', `/api/v1/tenants/${tenantId}/groups`)).json as { id: string }[]).map((g) => g.id).sort();

    const DEVICES = crypto.randomUUID();
    directory.addGroup(DEVICES, 'Kiosk PCs');
    directory.addMember(DEVICES, { type: 'device', id: crypto.randomUUID(), deviceId: a.dev.deviceId });
    const USERS = crypto.randomUUID();
    directory.addGroup(USERS, 'Field staff');
    directory.addMember(USERS, { type: 'user', id: bOid });

    const pid: string = (await s.admin('POST', '/api/v1/compliance-policies', { name: 'Firewall', rules: { firewall: true } })).json.id;
    const bad = await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'entraGroup', targetId: 'kiosks' });
    t.equal(bad.status, 400, 'a group named otherwise than by object ID is refused');
    t.match(bad.json, { error: { message: /object ID/, pointer: '/targetId' } });
    const assigned = await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'entraGroup', targetId: DEVICES.toUpperCase() });
    t.equal(assigned.status, 201, JSON.stringify(assigned.json));
    t.match(assigned.json, { targetType: 'entraGroup', targetId: DEVICES }, 'the object ID as stored, lower-cased');
    t.same(await watched(), [DEVICES], 'the group is watched from its first assignment');
    await sync();

    await t.test('the device in the group of devices is evaluated against the policy, the other is not', async (t) => {
      const ca = await evaluated(a);
      t.equal(ca.state, 'noncompliant');
      t.match(ca.reasons, [{ policyId: pid, rule: 'firewall' }]);
      t.equal((await evaluated(b)).state, 'unknown', 'no policy applies to B');
    });

    await t.test('a group of users: the policy applies to the device whose primary user is in it', async (t) => {
      t.equal((await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'entraGroup', targetId: USERS })).status, 201);
      await sync();
      const cb = await evaluated(b);
      t.equal(cb.state, 'noncompliant');
      t.match(cb.reasons, [{ policyId: pid, rule: 'firewall' }]);
    });

    await t.test('removed from the group in Graph: after a sync, its next evaluation leaves it out of the policy', async (t) => {
      directory.removeMember(USERS, bOid);
      await sync();
      t.equal((await evaluated(b)).state, 'unknown');
      t.equal((await evaluated(a)).state, 'noncompliant', 'A still in its group');
    });

    await t.test('unassigned, then the policy deleted: its groups are no longer watched', async (t) => {
      t.equal((await s.admin('DELETE', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'entraGroup', targetId: USERS })).status, 204);
      t.same(await watched(), [DEVICES], 'the group of users no longer watched');
      t.equal((await s.admin('DELETE', `/api/v1/compliance-policies/${pid}`)).status, 204);
      t.same(await watched(), [], 'nor the group of devices once its policy is gone');
      t.equal((await evaluated(a)).state, 'unknown');
    });
  });
}
