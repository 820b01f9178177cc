// Entra groups as assignment targets end to end: a real server whose Graph calls go to the fake
// Entra ID and Graph, a simulated Entra-joined shared PC. A Wi-Fi profile is assigned to an Entra
// group by object ID: user A (in the group) gets it, user B does not; B is added in Graph and,
// after a sync on demand, B's next session gets it; A is removed and A's next session removes
// it. The listing shows the group's last sync; syncs and assignments are audited with who did them.
import crypto from 'node:crypto';
import t from 'tap';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

const { entra: entraApp, graph, env: outbound, close } = await startMicrosoftFakes();
const directory = serveGroups(graph);
const s = await startTestServer({ ...outbound, FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' });
t.teardown(async () => {
  await s.close();
  await close();
});

const U = './User/Vendor/MSFT';
const WIFI = `${U}/WiFi/Profile/Contoso%20Sales/WlanXml`;
const targetsOf = (cmds: DmLogEntry[]) => cmds.flatMap((c) => c.targets);

t.test('a profile assigned to an Entra group follows its membership in Graph', async (t) => {
  const { tenantId, connect } = await connectAppTenant(s, entraApp, ['GroupMember.Read.All']);
  t.equal(connect.status, 201, JSON.stringify(connect.json));

  const aOid = crypto.randomUUID();
  const bOid = crypto.randomUUID();
  const GROUP = crypto.randomUUID();
  directory.addGroup(GROUP, 'Sales staff');
  directory.addMember(GROUP, { type: 'user', id: aOid });
  directory.addMember(GROUP, { type: 'user', id: crypto.randomUUID() });

  const userToken = (oid: string, upn: string) => s.entra.mintToken({ tid: tenantId, aud: AUDIENCE, upn, oid });
  const dev = entraSimDevice(s, tenantId, { upn: 'alice@contoso.com', oid: aOid });
  await dev.enroll();

  const created = await s.admin('POST', '/api/v1/profiles', {
    name: 'Sales Wi-Fi',
    kind: 'wifi',
    scope: 'user',
    settings: { ssid: 'Contoso Sales', security: 'WPA2PSK', passphrase: 'correct horse battery' },
  });
  t.equal(created.status, 201);
  const profileId = created.json.id as string;
  const bad = await s.admin('POST', `/api/v1/profiles/${profileId}/assignments`, { targetType: 'entraGroup', targetId: 'sales' });
  t.equal(bad.status, 400);
  t.match(bad.json, { error: { message: /object ID/, pointer: '/targetId' } });
  const assigned = await s.admin('POST', `/api/v1/profiles/${profileId}/assignments`, { targetType: 'entraGroup', targetId: GROUP.toUpperCase() });
  t.equal(assigned.status, 201, JSON.stringify(assigned.json));
  t.match(assigned.json, { targetType: 'entraGroup', targetId: GROUP });

  const sync = async () => {
    const r = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, {});
    t.equal(r.status, 200, JSON.stringify(r.json));
    t.equal(r.json.results[0].error, undefined);
    return r.json.results[0] as { mode: string; added: number; removed: number };
  };
  await sync();
  const listed = await s.admin('GET', `/api/v1/tenants/${tenantId}/groups`);
  t.equal(listed.status, 200);
  t.match(listed.json, [{ id: GROUP, tenantId, displayName: 'Sales staff', kind: 'user', memberCount: 2, nested: false, lastSyncAt: String }]);

  await t.test('A (in the group) gets the Wi-Fi profile, B (not in it) does not', async (t) => {
    dev.tree.setUser(aOid);
    const a = await dev.checkin({ user: { token: await userToken(aOid, 'alice@contoso.com') } });
    t.equal(a.outcome, 'complete', a.error ?? 'session complete');
    t.ok(
      targetsOf(a.commands).some((x) => x.startsWith(`${U}/WiFi/Profile/Contoso%20Sales/`)),
      'Wi-Fi sent to A',
    );
    t.ok(dev.tree.read(WIFI), "in A's tree");
    dev.tree.setUser(bOid);
    const b = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.equal(b.outcome, 'complete', b.error ?? 'session complete');
    t.notOk(
      targetsOf(b.commands).some((x) => x.includes('/WiFi/')),
      'nothing for B',
    );
    t.notOk(dev.tree.read(WIFI), "not in B's tree");
  });

  await t.test("B is added in Graph: after a sync, B's next session gets it", async (t) => {
    directory.addMember(GROUP, { type: 'user', id: bOid });
    t.match(await sync(), { mode: 'delta', added: 1, removed: 0 });
    const b = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.equal(b.outcome, 'complete', b.error ?? 'session complete');
    t.ok(
      targetsOf(b.commands).some((x) => x.startsWith(`${U}/WiFi/Profile/Contoso%20Sales/`)),
      'Wi-Fi sent to B',
    );
    t.ok(dev.tree.read(WIFI), "in B's tree");
  });

  await t.test("A is removed in Graph: after a sync, A's next session removes it", async (t) => {
    directory.removeMember(GROUP, aOid);
    t.match(await sync(), { mode: 'delta', added: 0, removed: 1 });
    dev.tree.setUser(aOid);
    const a = await dev.checkin({ user: { token: await userToken(aOid, 'alice@contoso.com') } });
    t.equal(a.outcome, 'complete', a.error ?? 'session complete');
    t.ok(
      a.commands.some((c) => c.kind === 'Delete' && c.targets.some((x) => x.startsWith(`${U}/WiFi/Profile/Contoso%20Sales`))),
      'Wi-Fi deleted',
    );
    t.notOk(dev.tree.read(WIFI), "gone from A's tree");
    dev.tree.setUser(bOid);
    const b = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.ok(dev.tree.read(WIFI), 'B keeps it');
    t.notOk(
      targetsOf(b.commands).some((x) => x.includes('/WiFi/')),
      'and is not sent it again',
    );
  });

  await t.test('audited: the assignment and each sync, with who did them', async (t) => {
    const assign = (await s.admin('GET', `/api/v1/audit?action=profile.assign&targetId=${profileId}`)).json;
    const entries = assign.entries ?? assign;
    t.match(entries[0], { action: 'profile.assign', detail: { targetType: 'entraGroup', targetId: GROUP, tenantId } });
    const syncs = (await s.admin('GET', '/api/v1/audit?action=entra-group.sync')).json;
    t.ok((syncs.entries ?? syncs).length >= 3);
  });
});
