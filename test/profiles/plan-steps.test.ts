// The pure steps of a plan (service/reconcile/plan.ts): when a profile waits for its certificate,
// and what becomes of a row whose profile is no longer assigned.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { compileProfile } from '../../src/protocol/csp/index.js';
import type { ProfileDelivery } from '../../src/domain/profile.js';
import type { LiveProfile, Snapshot } from '../../src/service/reconcile/catalog.js';
import { dependencyWait, removalStep, type RowIndex } from '../../src/service/reconcile/plan.js';

const AT = '2026-11-23T10:00:00.000Z';
const ROOT_PEM = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-root-ca.pem'), 'utf8');
const rootCompiled = compileProfile('certificate', 'device', { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM });
const root: LiveProfile = { id: 'c1', name: 'Root', kind: 'certificate', scope: 'device', version: 2, compiled: rootCompiled };
const vpnSettings = {
  name: 'V',
  servers: ['vpn.contoso.com'],
  tunnelType: 'IKEv2',
  routing: { mode: 'force' },
  authentication: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } },
};
const vpnCompiled = compileProfile('vpn', 'user', vpnSettings, { certificates: { 'corp-root': rootCompiled.provides! } });
const vpn: LiveProfile = { id: 'v1', name: 'VPN', kind: 'vpn', scope: 'user', version: 1, compiled: vpnCompiled };

function snapshot(profiles: LiveProfile[]): Snapshot {
  const s: Snapshot = { gen: 1, profiles: new Map(), byRef: new Map(), all: [], byTarget: new Map(), groupsOf: new Map(), broken: new Map() };
  for (const p of profiles) {
    s.profiles.set(p.id, p);
    if (p.compiled.provides) s.byRef.set(p.compiled.provides.ref, p.id);
  }
  return s;
}
const row = (profileId: string, userKey: string, f: Partial<ProfileDelivery> = {}): ProfileDelivery => ({
  devicePk: 'dev1',
  userKey,
  profileId,
  version: 2,
  appliedVersion: 2,
  status: 'delivered',
  updatedAt: AT,
  ...f,
});
const index = (rows: ProfileDelivery[]): RowIndex => {
  const m: RowIndex = new Map();
  for (const r of rows) m.set(r.userKey, (m.get(r.userKey) ?? new Map()).set(r.profileId, r));
  return m;
};

t.test('a profile waits for the certificate it refers to; only a lasting reason lets the plan settle', async (t) => {
  const tree = { key: 'alice', desired: [vpn] };
  const wait = (rows: ProfileDelivery[], o: { snap?: Snapshot; deviceTargets?: LiveProfile[] } = {}) =>
    dependencyWait(vpn, { snap: o.snap ?? snapshot([root, vpn]), deviceTargets: o.deviceTargets ?? [root], rows: index(rows), tree });

  t.equal(wait([row('c1', '')]), undefined, 'delivered at its version: no wait');
  t.equal(wait([row('c1', '', { status: 'verified' })]), undefined, 'verified: no wait');
  t.same(wait([]), { hold: 'dependency', detail: 'waiting for certificate profile "Root"', settled: false }, 'not delivered yet: waits, not settled');
  t.same(
    wait([row('c1', '', { status: 'pending' })]),
    { hold: 'dependency', detail: 'waiting for certificate profile "Root"', settled: false },
    'in flight: not settled',
  );
  t.same(
    wait([row('c1', '', { status: 'failed' })]),
    { hold: 'dependency', detail: 'waiting for certificate profile "Root" (it failed)', settled: true },
    'failed at its version: settled',
  );
  t.same(
    wait([row('c1', '', { status: 'failed', version: 1 })]),
    { hold: 'dependency', detail: 'waiting for certificate profile "Root"', settled: false },
    'failed at an older version: the new one will be sent',
  );
  t.same(
    wait([row('c1', 'alice')]),
    { hold: 'dependency', detail: 'waiting for certificate profile "Root"', settled: false },
    'a device certificate counts in the device tree only',
  );
  t.same(wait([row('c1', '')], { deviceTargets: [] }), {
    hold: 'dependency',
    detail: 'needs certificate profile "Root", which is not assigned to this device',
    settled: true,
  });
  t.same(wait([], { snap: snapshot([vpn]) }), { hold: 'dependency', detail: 'needs certificate profile "corp-root", which does not exist', settled: true });
});

t.test('a row whose profile is no longer assigned', async (t) => {
  const D = './Device/Vendor/MSFT/Policy/Config/A';
  const custom = compileProfile('custom', 'device', { nodes: [{ locUri: `${D}/X`, format: 'int', value: '1' }] });
  const ctx = (base: ReturnType<typeof compileProfile> | null | undefined) => ({
    snap: snapshot([]),
    tree: { key: '', desired: [] },
    at: AT,
    base: () => base,
  });
  const step = (cur: ProfileDelivery, desiredUris: string[] = [], base: ReturnType<typeof compileProfile> | null = custom) =>
    removalStep(cur, desiredUris, ctx(base));

  t.same(step(row('p1', '', { status: 'removed' })), { do: 'nothing' });
  t.same(step(row('p1', '', { status: 'held', hold: 'no-user' })), { do: 'nothing' }, 'a no-user placeholder is dropped, not removed');
  t.same(step(row('p1', '', { status: 'removing' })), { do: 'wait' });
  t.match(step(row('p1', '', { status: 'held', hold: 'dependency', appliedVersion: undefined })), {
    do: 'write',
    settled: true,
    row: { status: 'removed', detail: 'unassigned before delivery' },
  });
  t.same(
    removalStep(row('p1', '', { appliedVersion: 1 }), [], ctx(undefined)),
    { do: 'load', profileId: 'p1', version: 1 },
    'the version the device has is loaded first',
  );
  t.match(step(row('p1', ''), [], null), { do: 'write', row: { status: 'failed', detail: 'cannot compute the removal: version 2 is unreadable' } });
  t.match(step(row('p1', ''), [`${D}/X`]), { do: 'write', row: { status: 'removed', appliedVersion: undefined } }, 'another assigned profile sets its nodes');
  const del = step(row('p1', '', { batch: 'old' }));
  t.match(del, {
    do: 'send',
    row: { status: 'removing', batch: undefined, detail: `removing ${custom.removal.join(', ')}` },
    entry: { action: 'remove', userKey: '' },
  });
  t.same(
    del.do === 'send' && del.delivery.payloads.map((x) => `${x.op} ${x.payload.kind} ${x.payload.items![0].target}`),
    custom.removal.map((r) => `remove Delete ${r}`),
  );
});
