// The plan of `fenestra apply` in process, against a fake admin API: the refusals a server's state
// can cause (a group's kind, a profile's kind/scope, twin profile names, an unknown device or
// group), the tenant updates it shows, the assignments it removes, and what --prune deletes. The
// end-to-end runs against a real server are in apply.test.ts; these are the cases it does not reach.
import t from 'tap';
import { execute, plan, type Api } from '../../src/ops/apply/plan.js';
import { readSpec, SpecError, type Spec, type SpecAssignment } from '../../src/ops/apply/spec.js';

type Routes = Record<string, unknown>;

/** Answers `METHOD path` from routes (a function may throw), and records every call. */
function fakeApi(routes: Routes) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const api: Api = {
    async call<T>(method: string, pathName: string, body?: unknown): Promise<T> {
      calls.push({ method, path: pathName, body });
      const r = routes[`${method} ${pathName}`];
      if (typeof r === 'function') return (r as () => T)();
      if (r === undefined) {
        if (method === 'GET') throw Object.assign(new Error(`not routed: ${method} ${pathName}`), { status: 500 });
        return { id: `new-${calls.length}` } as T;
      }
      return r as T;
    },
  };
  return { api, calls };
}

const opts = { prune: false, token: 'tok', state: { profiles: {} } };
const TID = '6a1e2b3c-0000-4000-8000-000000000001';
const base: Routes = { 'GET /api/v1/tenants': [], 'GET /api/v1/groups': [], 'GET /api/v1/profiles': [] };

async function refusal(p: Promise<unknown>): Promise<SpecError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecError)) throw new Error(`expected a SpecError, got ${String(err)}`);
  return err;
}

t.test('an existing tenant: cloud and URLs changed are shown and patched, unchanged ones are not', async (t) => {
  const { api, calls } = fakeApi({
    ...base,
    'GET /api/v1/tenants': [{ tenantId: TID.toUpperCase(), cloud: 'standard', audiences: ['b', 'a'], enrollmentUrl: 'https://e', remediationUrl: null }],
  });
  const spec: Spec = { tenants: [{ tenantId: TID, cloud: 'gcc-high', audiences: ['a', 'b'], enrollmentUrl: null, remediationUrl: 'https://r' }] };
  const p = await plan(api, spec, opts);
  t.equal(p.changes.length, 1);
  t.equal(p.changes[0]!.op, '~');
  // Same audiences in another order are not a change; the URLs show "(none)" for null.
  t.equal(
    p.changes[0]!.text,
    `tenant ${TID.toUpperCase()}: cloud standard → gcc-high; enrollmentUrl "https://e" → (none); remediationUrl (none) → "https://r"`,
  );
  await execute(api, p, () => {});
  t.same(calls.at(-1), {
    method: 'PATCH',
    path: `/api/v1/tenants/${TID.toUpperCase()}`,
    body: { cloud: 'gcc-high', enrollmentUrl: null, remediationUrl: 'https://r' },
  });

  const same = await plan(api, { tenants: [{ tenantId: TID, audiences: ['a', 'b'], enrollmentUrl: 'https://e' }] }, opts);
  t.same(same.changes, [], 'cloud omitted and same URL: nothing to do');
});

t.test('a group whose kind differs on the server is refused at its kind', async (t) => {
  const { api } = fakeApi({ ...base, 'GET /api/v1/groups': [{ id: 'g1', name: 'Sales', kind: 'device' }] });
  const err = await refusal(plan(api, { groups: [{ name: ' Sales ', kind: 'user' }] }, opts));
  t.same(err.problems, [{ pointer: '/groups/0/kind', message: 'group "Sales" exists as a device group: its kind cannot change' }]);
  t.match(err.message, /^groups\[0\]\.kind: /);
});

t.test('an existing group without members in the file is left alone; with the same members, no change', async (t) => {
  const { api, calls } = fakeApi({
    ...base,
    'GET /api/v1/groups': [{ id: 'g1', name: 'Sales', kind: 'user' }],
    'GET /api/v1/groups/g1': { id: 'g1', name: 'Sales', kind: 'user', members: ['alice@contoso.com'] },
  });
  t.same((await plan(api, { groups: [{ name: 'Sales', kind: 'user' }] }, opts)).changes, []);
  t.notOk(
    calls.some((c) => c.path === '/api/v1/groups/g1'),
    'members not read when the file does not list them',
  );
  t.same((await plan(api, { groups: [{ name: 'Sales', kind: 'user', members: ['ALICE@contoso.com '] }] }, opts)).changes, [], 'UPNs compared case-blind');
});

t.test('profiles: twin names on the server, kind or scope changed, are refused at the right key', async (t) => {
  const prof = (id: string, kind = 'wifi', scope = 'user') => ({ id, name: 'P', kind, scope, settings: {} });
  const want: Spec = { profiles: [{ name: 'P', kind: 'wifi', scope: 'user', settings: {} }] };

  let err = await refusal(plan(fakeApi({ ...base, 'GET /api/v1/profiles': [prof('1'), prof('2')] }).api, want, opts));
  t.same(err.problems, [{ pointer: '/profiles/0/name', message: '2 profiles on the server are named "P": rename all but one' }]);

  err = await refusal(plan(fakeApi({ ...base, 'GET /api/v1/profiles': [prof('1', 'vpn')] }).api, want, opts));
  t.equal(err.problems[0]!.pointer, '/profiles/0/kind');
  t.match(err.problems[0]!.message, 'exists with kind vpn');

  err = await refusal(plan(fakeApi({ ...base, 'GET /api/v1/profiles': [prof('1', 'wifi', 'device')] }).api, want, opts));
  t.equal(err.problems[0]!.pointer, '/profiles/0/scope');
  t.match(err.problems[0]!.message, 'exists with scope device');
});

t.test('assignment targets: a device looked up, an unknown device or group refused, other errors pass through', async (t) => {
  const spec = (a: SpecAssignment[]): Spec => ({
    profiles: [{ name: 'P', kind: 'wifi', scope: 'device', settings: {}, assignments: a }],
  });
  const { api, calls } = fakeApi({ ...base, 'GET /api/v1/devices/PC-1': { id: 'dev-pk-1' } });
  const p = await plan(api, spec([{ device: 'PC-1' }, { user: ' Bob@Contoso.com ' }]), opts);
  t.same(
    p.changes.map((c) => c.text),
    ['profile "P" (wifi, device scope)', 'assignment "P" → device PC-1', 'assignment "P" → user  Bob@Contoso.com '],
  );
  await execute(api, p, () => {});
  t.same(
    calls.filter((c) => c.path.endsWith('/assignments')).map((c) => c.body),
    [
      { targetType: 'device', targetId: 'dev-pk-1' },
      { targetType: 'user', targetId: 'bob@contoso.com' },
    ],
    'the device by its id on the server, the user lower-cased',
  );

  const notFound = fakeApi({ ...base, 'GET /api/v1/devices/PC-9': () => Promise.reject(Object.assign(new Error('nf'), { status: 404 })) });
  let err = await refusal(plan(notFound.api, spec(['all', { device: 'PC-9' }]), opts));
  t.same(err.problems, [{ pointer: '/profiles/0/assignments/1/device', message: 'no device PC-9 on the server' }]);

  const broken = fakeApi({ ...base, 'GET /api/v1/devices/PC-9': () => Promise.reject(Object.assign(new Error('server down'), { status: 503 })) });
  await t.rejects(plan(broken.api, spec([{ device: 'PC-9' }]), opts), { message: 'server down', status: 503 }, 'not a 404: not turned into a refusal');

  err = await refusal(plan(fakeApi(base).api, spec([{ group: 'Nowhere' }]), opts));
  t.same(err.problems, [{ pointer: '/profiles/0/assignments/0/group', message: 'no group "Nowhere" on the server or in the file' }]);
});

t.test('an existing profile: assignments kept, added, and removed with a readable label', async (t) => {
  const { api, calls } = fakeApi({
    ...base,
    'GET /api/v1/groups': [{ id: 'g1', name: 'Sales', kind: 'user' }],
    'GET /api/v1/profiles': [{ id: 'p1', name: 'P', kind: 'wifi', scope: 'user', settings: { ssid: 'A' } }],
    'GET /api/v1/profiles/p1': {
      id: 'p1',
      assignments: [
        { targetType: 'group', targetId: 'g1' },
        { targetType: 'all', targetId: '*' },
        { targetType: 'group', targetId: 'g-gone' },
        { targetType: 'user', targetId: 'carol@contoso.com' },
      ],
    },
  });
  const p = await plan(api, { profiles: [{ name: 'P', kind: 'wifi', scope: 'user', settings: { ssid: 'A' }, assignments: [{ group: 'Sales' }] }] }, opts);
  t.same(
    p.changes.map((c) => `${c.op} ${c.text}`),
    ['- assignment "P" → all', '- assignment "P" → group "g-gone"', '- assignment "P" → user carol@contoso.com'],
    'settings unchanged; the kept group not re-added; an unknown group shown by id',
  );
  await execute(api, p, () => {});
  t.same(
    calls.filter((c) => c.method === 'DELETE').map((c) => c.body),
    [{ targetType: 'all' }, { targetType: 'group', targetId: 'g-gone' }, { targetType: 'user', targetId: 'carol@contoso.com' }],
  );
});

t.test('Entra group targets: added with their tenant when named, kept, removed with a readable label', async (t) => {
  const G1 = '0b1c2d3e-0000-4000-8000-00000000000a';
  const G2 = '0b1c2d3e-0000-4000-8000-00000000000b';
  const G3 = '0b1c2d3e-0000-4000-8000-00000000000c';
  const { api, calls } = fakeApi({
    ...base,
    'GET /api/v1/profiles': [{ id: 'p1', name: 'P', kind: 'wifi', scope: 'user', settings: { ssid: 'A' } }],
    'GET /api/v1/profiles/p1': {
      id: 'p1',
      assignments: [
        { targetType: 'entraGroup', targetId: G1 },
        { targetType: 'entraGroup', targetId: G3 },
      ],
    },
  });
  const spec = readSpec({
    profiles: [
      { name: 'P', kind: 'wifi', scope: 'user', settings: { ssid: 'A' }, assignments: [{ entraGroup: G1.toUpperCase() }, { entraGroup: G2, tenantId: TID }] },
    ],
  });
  const p = await plan(api, spec, opts);
  t.same(
    p.changes.map((c) => `${c.op} ${c.text}`),
    [`+ assignment "P" → Entra group ${G2} (tenant ${TID})`, `- assignment "P" → Entra group ${G3}`],
    'the one assigned already (its object ID in other case) is kept',
  );
  t.equal(p.changes[0]!.at, '/profiles/0/assignments/1');
  await execute(api, p, () => {});
  t.same(
    calls.filter((c) => c.path.endsWith('/assignments')).map((c) => [c.method, c.body]),
    [
      ['POST', { targetType: 'entraGroup', targetId: G2, tenantId: TID }],
      ['DELETE', { targetType: 'entraGroup', targetId: G3 }],
    ],
  );
  const without = await plan(
    fakeApi(base).api,
    readSpec({ profiles: [{ name: 'Q', kind: 'wifi', scope: 'user', settings: {}, assignments: [{ entraGroup: G1 }] }] }),
    opts,
  );
  t.same(
    without.changes.map((c) => c.text),
    ['profile "Q" (wifi, user scope)', `assignment "Q" → Entra group ${G1}`],
    'no tenant named: the server picks the only one with application credentials',
  );
});

t.test('readSpec: an Entra group is an object ID, once per profile, with nothing but a tenant beside it', async (t) => {
  const problems = (assignments: unknown[]) => {
    try {
      readSpec({ profiles: [{ name: 'P', kind: 'wifi', scope: 'user', settings: {}, assignments }] });
    } catch (e) {
      return (e as SpecError).problems;
    }
    throw new Error('accepted');
  };
  const G = '0b1c2d3e-0000-4000-8000-00000000000a';
  t.same(problems([{ entraGroup: 'Sales staff' }]), [
    { pointer: '/profiles/0/assignments/0/entraGroup', message: 'an Entra group is named by its object ID (a GUID)' },
  ]);
  t.same(problems([{ entraGroup: G }, { entraGroup: G.toUpperCase(), tenantId: TID }]), [
    { pointer: '/profiles/0/assignments/1', message: 'duplicate of profiles[0].assignments[0]' },
  ]);
  t.same(problems([{ entraGroup: G, tenant: TID }]), [
    { pointer: '/profiles/0/assignments/0', message: 'an assignment is "all" or one of {user: …}, {group: …}, {device: …}, {entraGroup: …, tenantId?: …}' },
  ]);
});

t.test('--prune deletes the profiles and groups the file does not name, only in its sections', async (t) => {
  const routes: Routes = {
    ...base,
    'GET /api/v1/tenants': [{ tenantId: TID, cloud: 'standard', audiences: ['a'] }],
    'GET /api/v1/groups': [{ id: 'g1', name: 'Old', kind: 'device' }],
    'GET /api/v1/profiles': [{ id: 'p9', name: 'Old VPN', kind: 'vpn', scope: 'user', settings: {} }],
  };
  const { api, calls } = fakeApi(routes);
  const p = await plan(api, { groups: [], profiles: [] }, { ...opts, prune: true });
  t.same(
    p.changes.map((c) => `${c.op} ${c.text}`),
    ['- profile "Old VPN" (vpn)', '- group "Old" (device)'],
    'tenants not in the file: not pruned',
  );
  await execute(api, p, () => {});
  t.same(
    calls.filter((c) => c.method === 'DELETE').map((c) => c.path),
    ['/api/v1/profiles/p9', '/api/v1/groups/g1'],
  );
  t.same((await plan(fakeApi(routes).api, { groups: [], profiles: [] }, opts)).changes, [], 'without prune: nothing deleted');
});

t.test('readSpec names each bad key by its path', async (t) => {
  t.same(readSpec(null), {}, 'an empty file is an empty spec');
  const problems = (doc: unknown) => {
    try {
      readSpec(doc);
    } catch (e) {
      return (e as SpecError).problems;
    }
    throw new Error('accepted');
  };
  t.same(problems({ tenants: [{ tenantId: 'x', audiences: ['a'], 'we/ird~key': 1 }] }), [{ pointer: '/tenants/0/we~1ird~0key', message: 'unknown key' }]);
  t.same(problems({ groups: [{ kind: 'user' }] }), [{ pointer: '/groups/0/name', message: 'is required' }]);
  t.same(problems({ groups: [{ name: 'G', kind: 'robot' }] }), [{ pointer: '/groups/0/kind', message: 'must be one of user, device' }]);
  t.same(problems({ profiles: [{ name: 'P', kind: 'wifi', scope: 'user', settings: {}, assignments: [{ printer: 'x' }] }] }), [
    { pointer: '/profiles/0/assignments/0', message: 'an assignment is "all" or one of {user: …}, {group: …}, {device: …}, {entraGroup: …, tenantId?: …}' },
  ]);
  t.same(problems({ groups: 'nope' }), [{ pointer: '/groups', message: 'must be array' }]);
  t.same(
    problems({
      tenants: [
        { tenantId: 'ABC', audiences: ['a'] },
        { tenantId: 'abc', audiences: ['a'] },
      ],
      groups: [
        { name: 'G', kind: 'user' },
        { name: ' G', kind: 'user' },
      ],
      profiles: [{ name: 'P', kind: 'wifi', scope: 'user', settings: {}, assignments: ['all', 'all'] }],
    }),
    [
      { pointer: '/tenants/1/tenantId', message: 'duplicate of tenants[0]' },
      { pointer: '/groups/1/name', message: 'duplicate of groups[0]' },
      { pointer: '/profiles/0/assignments/1', message: 'duplicate of profiles[0].assignments[0]' },
    ],
  );
});
