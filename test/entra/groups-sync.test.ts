// The Entra group sync against the fake Entra ID and Graph over HTTPS, on a real SQLite store:
// the first sync pages through the group's members and keeps the delta link; a delta round adds
// and removes (@removed) members; device members are matched by their Entra device ID; a nested
// group is read transitively; 429 with Retry-After is waited out on the sync path; an expired
// delta link falls back to a full read; a refusal is recorded on the group; the delta link
// survives a restart (the store reopened, a new sync service); and only the principals that
// joined or left get a new membership stamp.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Tenant } from '../../src/domain/tenant.js';
import { sealAppCredential } from '../../src/service/entra/credentials.js';
import { GraphClient } from '../../src/service/entra/graph-client.js';
import { EntraGroupService } from '../../src/service/entra/groups.js';
import { type Outbound, OutboundError } from '../../src/service/entra/outbound.js';
import { EntraAppTokens } from '../../src/service/entra/token-provider.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const directory = serveGroups(graph, { pageSize: 3, transitivePageSize: 4 });
const outbound = fakes.outbound();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-groups-sync-'));
const file = path.join(dir, 'f.db');
let store: Store = await openStore({ kind: 'sqlite', file });
t.teardown(async () => {
  outbound.close();
  await fakes.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const key = crypto.randomBytes(32);
const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
entra.addTenant({ tenantId, cloud: 'standard' });
entra.addApplication({ clientId, displayName: 'Fenestra', secret: 'a-good-secret' });
entra.consent(tenantId, clientId, ['GroupMember.Read.All']);
const tenant: Tenant = {
  tenantId,
  cloud: 'standard',
  audiences: ['x'],
  appClientId: clientId,
  appCredential: sealAppCredential({ kind: 'secret', secret: 'a-good-secret' }, key, '/credential'),
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
await store.tenants.create(tenant, { at: tenant.createdAt, actor: 'test', action: 'tenant.connect', targetType: 'tenant', targetId: tenantId });

const waits: number[] = [];
const tokens = new EntraAppTokens({ outbound, sealKey: key });
const graphClient = new GraphClient({ outbound, tokens, sleep: async (ms) => void waits.push(ms) });
let service = new EntraGroupService({ store, graph: graphClient });

const id = () => crypto.randomUUID();
const users = Array.from({ length: 10 }, id);
const SALES = id();
const LAPTOPS = id();
const PARENT = id();
const CHILD = id();
directory.addGroup(SALES, 'Sales');
for (const u of users.slice(0, 7)) directory.addMember(SALES, { type: 'user', id: u });
const laptop = { type: 'device' as const, id: id(), deviceId: id() };
directory.addGroup(LAPTOPS, 'Laptops');
directory.addMember(LAPTOPS, laptop);
directory.addGroup(CHILD, 'Child');
directory.addMember(CHILD, { type: 'user', id: users[8] });
directory.addGroup(PARENT, 'Parent');
directory.addMember(PARENT, { type: 'user', id: users[7] });
directory.addMember(PARENT, { type: 'group', id: CHILD });
for (const g of [SALES, LAPTOPS, PARENT]) await store.entraGroups.watch({ id: g, tenantId, createdAt: '2026-01-01T00:00:00.000Z' });

const groupsOf = async (p: string) => (await store.entraGroups.groupsOf([p])).get(p) ?? [];

t.test('first sync: every member through the pages, the delta link kept, devices by device ID, nested groups transitively', async (t) => {
  const before = directory.served.delta;
  const results = await service.syncNow(tenantId, 'alice');
  t.same(
    results.map((r) => [r.groupId, r.mode, r.added, r.error]),
    [
      [SALES, 'full', 7, undefined],
      [LAPTOPS, 'full', 1, undefined],
      [PARENT, 'full', 2, undefined],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  t.equal(directory.served.delta - before, 3 + 1 + 1, 'Sales (7 members, 3 a page) took three delta pages, the others one');
  const sales = (await store.entraGroups.get(SALES))!;
  t.match(sales, { displayName: 'Sales', kind: 'user', nested: false, memberCount: 7 });
  t.match(sales.deltaLink, /^https:\/\/graph\.microsoft\.com\/v1\.0\/groups\/delta\?\$deltatoken=/);
  t.same(await groupsOf(users[0]), [SALES]);
  t.same(await groupsOf(laptop.deviceId), [LAPTOPS], 'a device member is its Entra device ID');
  t.same(await groupsOf(laptop.id), [], 'not its directory object ID');
  const parent = (await store.entraGroups.get(PARENT))!;
  t.match(parent, { nested: true, memberCount: 2 });
  t.equal(parent.deltaLink, undefined, 'a nested group keeps no delta link');
  t.same(await groupsOf(users[8]), [PARENT], "the child group's member is a member of the parent");
  const audit = await store.audit.list({ limit: 5, action: 'entra-group.sync' });
  t.match(audit[0], { actor: 'alice', targetType: 'tenant', targetId: tenantId });
});

t.test('a delta round: added and @removed members; only their stamps move', async (t) => {
  const stamps = await store.entraGroups.stamps(users);
  directory.addMember(SALES, { type: 'user', id: users[9] });
  directory.removeMember(SALES, users[0]);
  directory.removeMember(SALES, users[1]);
  directory.addMember(SALES, { type: 'user', id: users[1] });
  const r = await service.syncNow(tenantId, 'alice', SALES);
  t.same(
    r.map((x) => [x.mode, x.added, x.removed]),
    [['delta', 1, 1]],
  );
  t.same(await groupsOf(users[9]), [SALES]);
  t.same(await groupsOf(users[0]), []);
  t.same(await groupsOf(users[1]), [SALES], 'removed then added again: a member');
  const after = await store.entraGroups.stamps(users);
  const moved = users.filter((_, i) => after[i] !== stamps[i]);
  t.same(moved.sort(), [users[0], users[9]].sort(), 'stamps of exactly those who joined or left');
  t.equal((await store.entraGroups.get(SALES))!.memberCount, 7);
});

t.test('a device joins and leaves through delta', async (t) => {
  const d2 = { type: 'device' as const, id: id(), deviceId: id() };
  directory.addMember(LAPTOPS, d2);
  directory.removeMember(LAPTOPS, laptop.id);
  const [r] = await service.syncNow(tenantId, 'alice', LAPTOPS);
  t.match(r, { mode: 'delta', added: 1, removed: 1 });
  t.same(await groupsOf(d2.deviceId), [LAPTOPS]);
  t.same(await groupsOf(laptop.deviceId), []);
});

t.test('a nested group is read in full each time: a change in the child shows in the parent', async (t) => {
  directory.addMember(CHILD, { type: 'user', id: users[2] });
  const [r] = await service.syncNow(tenantId, 'alice', PARENT);
  t.match(r, { mode: 'full', added: 1, removed: 0 });
  t.same(await groupsOf(users[2]), [PARENT, SALES].sort());
});

t.test('a group added as a member turns the group into a nested one (delta → full transitive read)', async (t) => {
  directory.addMember(SALES, { type: 'group', id: CHILD });
  const [r] = await service.syncNow(tenantId, 'alice', SALES);
  t.match(r, { mode: 'full', added: 1 });
  t.same(await groupsOf(users[8]), [PARENT, SALES].sort());
  t.match(await store.entraGroups.get(SALES), { nested: true, deltaLink: undefined });
  directory.removeMember(SALES, CHILD);
  const [again] = await service.syncNow(tenantId, 'alice', SALES);
  t.match(again, { mode: 'full', removed: 1 });
  t.match(await store.entraGroups.get(SALES), { nested: false });
  t.ok((await store.entraGroups.get(SALES))!.deltaLink, 'no longer nested: a delta link again');
});

t.test('429 on the sync path: Retry-After honoured, the sync completes', async (t) => {
  waits.length = 0;
  directory.addMember(SALES, { type: 'user', id: id() });
  graph.throttle(2, 3);
  const [r] = await service.syncNow(tenantId, 'alice', SALES);
  t.match(r, { mode: 'delta', added: 1, error: undefined });
  t.same(waits, [3000, 3000]);
});

t.test('a kept-alive connection reset under a GET: sent again at once, the sync completes', async (t) => {
  let resets = 1;
  const flaky = {
    request: (url: string, req: Parameters<Outbound['request']>[1]) =>
      resets-- > 0 ? Promise.reject(new OutboundError(url, 'read ECONNRESET')) : outbound.request(url, req),
  } as unknown as Outbound;
  const flakyService = new EntraGroupService({ store, graph: new GraphClient({ outbound: flaky, tokens, sleep: async () => {} }) });
  directory.addMember(SALES, { type: 'user', id: id() });
  const [r] = await flakyService.syncNow(tenantId, 'alice', SALES);
  t.match(r, { mode: 'delta', added: 1, error: undefined });
  t.equal(resets, -1, 'the reset request was sent again');
});

t.test('an expired delta link falls back to a full read', async (t) => {
  directory.expireDeltaTokens();
  directory.addMember(SALES, { type: 'user', id: users[4] });
  const [r] = await service.syncNow(tenantId, 'alice', SALES);
  t.match(r, { mode: 'full', error: undefined });
  t.match((await store.entraGroups.get(SALES))!.deltaLink, /deltatoken=/);
});

t.test("Graph's refusal is recorded on the group and cleared by the next good sync", async (t) => {
  entra.consent(tenantId, clientId, []);
  tokens.forget(tenantId);
  const [r] = await service.syncNow(tenantId, 'alice', SALES);
  t.match(r.error, /Authorization_RequestDenied/);
  const g = (await store.entraGroups.get(SALES))!;
  t.match(g.lastError, /Authorization_RequestDenied/);
  t.equal(g.memberCount, 9, 'members kept as they were');
  const listed = await service.list(tenantId);
  t.match(
    listed.find((x) => x.id === SALES),
    { lastError: /Authorization_RequestDenied/ },
  );
  t.notOk(
    listed.some((x) => 'deltaLink' in x),
    'the delta link is not listed',
  );
  entra.consent(tenantId, clientId, ['GroupMember.Read.All']);
  tokens.forget(tenantId);
  const [ok] = await service.syncNow(tenantId, 'alice', SALES);
  t.equal(ok.error, undefined);
  t.equal((await store.entraGroups.get(SALES))!.lastError, undefined);
});

t.test('the delta link survives a restart: the next sync is a delta round', async (t) => {
  const link = (await store.entraGroups.get(SALES))!.deltaLink;
  t.ok(link);
  await service.stop();
  await store.close();
  store = await openStore({ kind: 'sqlite', file });
  service = new EntraGroupService({ store, graph: new GraphClient({ outbound, tokens: new EntraAppTokens({ outbound, sealKey: key }) }) });
  t.equal((await store.entraGroups.get(SALES))!.deltaLink, link);
  directory.removeMember(SALES, users[4]);
  const [r] = await service.syncNow(tenantId, 'bob', SALES);
  t.match(r, { mode: 'delta', added: 0, removed: 1 });
  t.same(await groupsOf(users[4]), []);
});

t.test('unknown tenant and group are 404s', async (t) => {
  t.match(await service.syncNow(crypto.randomUUID(), 'alice').catch((e: unknown) => e), { status: 404 });
  t.match(await service.syncNow(tenantId, 'alice', crypto.randomUUID()).catch((e: unknown) => e), { status: 404 });
});
