// An Entra group is synced only while something targets it (issue #14): removing its last
// assignment (or deleting the last profile assigned to it) stops watching it — gone from the
// listing and the sync, its members' membership stamps moved — and assigning it again watches it
// afresh, with a first full read. On SQLite and PostgreSQL.
import crypto from 'node:crypto';
import t from 'tap';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';

const { entra: entraApp, graph, env: outbound, close } = await startMicrosoftFakes();
const directory = serveGroups(graph);
t.teardown(close);

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`${database}: a group no profile targets is no longer synced; assigned again, it is read afresh`, async (t) => {
    const s = await startTestServer({ ...outbound, FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' }, { database });
    t.teardown(() => s.close());
    const { tenantId, connect } = await connectAppTenant(s, entraApp, ['GroupMember.Read.All']);
    t.equal(connect.status, 201, JSON.stringify(connect.json));

    const GROUP = crypto.randomUUID();
    const aOid = crypto.randomUUID();
    const bOid = crypto.randomUUID();
    directory.addGroup(GROUP, 'Sales staff');
    directory.addMember(GROUP, { type: 'user', id: aOid });
    directory.addMember(GROUP, { type: 'user', id: bOid });
    const profile = async (name: string) => {
      const r = await s.admin('POST', '/api/v1/profiles', {
        name,
        kind: 'wifi',
        scope: 'user',
        settings: { ssid: name, security: 'WPA2PSK', passphrase: 'correct horse battery' },
      });
      t.equal(r.status, 201, JSON.stringify(r.json));
      return r.json.id as string;
    };
    const target = { targetType: 'entraGroup', targetId: GROUP };
    const assign = async (id: string) => t.equal((await s.admin('POST', `/api/v1/profiles/${id}/assignments`, target)).status, 201);
    const unassign = async (id: string) => t.equal((await s.admin('DELETE', `/api/v1/profiles/${id}/assignments`, target)).status, 204);
    const listed = async () => (await s.admin('GET', `/api/v1/tenants/${tenantId}/groups`)).json as { id: string; memberCount: number; lastSyncAt?: string }[];
    const synced = async (members: number) => {
      // The first assignment starts a sync in the background: wait for its result in the listing.
      for (;;) {
        const [g] = await listed();
        if (g?.lastSyncAt && g.memberCount === members) return g;
        await new Promise((r) => setImmediate(r));
      }
    };
    const stamps = () => s.server.store.entraGroups.stamps([aOid, bOid]);

    const p1 = await profile('Sales one');
    const p2 = await profile('Sales two');
    await assign(p1);
    await assign(p2);
    await synced(2);
    const before = await stamps();

    await t.test('one of two assignments removed: still watched', async (t) => {
      await unassign(p1);
      t.match(await listed(), [{ id: GROUP, memberCount: 2 }]);
    });

    await t.test('the last one removed: no longer listed nor synced, its members re-planned', async (t) => {
      await unassign(p2);
      t.same(await listed(), []);
      const sync = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, {});
      t.same(sync.json, { results: [] }, 'nothing synced');
      const one = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, { groupId: GROUP });
      t.equal(one.status, 404);
      t.same(
        await stamps(),
        before.map((n) => n + 1),
        "each member's stamp moved",
      );
      t.same(await s.server.store.entraGroups.groupsOf([aOid, bOid]), new Map(), 'no memberships kept');
    });

    await t.test('assigned again: watched afresh, a first full read of the membership as it is now', async (t) => {
      directory.removeMember(GROUP, aOid);
      await assign(p1);
      const g = await synced(1);
      t.equal(g.id, GROUP);
      t.same(await s.server.store.entraGroups.groupsOf([aOid, bOid]), new Map([[bOid, [GROUP]]]));
      const sync = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, {});
      t.match(sync.json, { results: [{ groupId: GROUP, mode: 'delta', added: 0, removed: 0 }] }, 'later syncs follow its new delta link');
    });

    await t.test('deleting the last profile assigned to it stops watching it too', async (t) => {
      t.equal((await s.admin('DELETE', `/api/v1/profiles/${p1}`)).status, 204);
      t.same(await listed(), []);
    });
  });
}
