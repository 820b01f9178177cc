// The reconciler's pure rules: profile deltas, plans over delivery rows, and what answers mean.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { compileProfile, profileDelta } from '../../src/protocol/csp/index.js';
import type { CompiledProfile } from '../../src/protocol/csp/types.js';
import type { CommandRecord } from '../../src/domain/command.js';
import type { ProfileDelivery } from '../../src/domain/profile.js';
import type { LiveProfile, Snapshot } from '../../src/service/reconcile/catalog.js';
import { settleDeliveries } from '../../src/service/reconcile/outcome.js';
import { planSession } from '../../src/service/reconcile/plan.js';

const AT = '2026-11-23T10:00:00.000Z';
const PFX = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-user.pfx.b64'), 'utf8').trim();
const custom = (scope: 'user' | 'device', nodes: [string, string, string][], extra: Record<string, unknown> = {}) =>
  compileProfile('custom', scope, { nodes: nodes.map(([locUri, format, value]) => ({ locUri, format, value })), ...extra });
const wifi = (scope: 'user' | 'device', ssid: string, proxy?: string) =>
  compileProfile('wifi', scope, { ssid, security: 'WPA2PSK', passphrase: 'correct horse battery', ...(proxy ? { proxy } : {}) });
const kinds = (p: { commands: { kind: string; items?: { target: string }[]; commands?: unknown[] }[] }) =>
  p.commands.map((c) => `${c.kind} ${c.items?.map((i) => i.target).join(',') ?? c.commands?.length}`);

t.test('delta: only what changed', async (t) => {
  const D = './Device/Vendor/MSFT/Policy/Config';
  const v1 = custom('device', [
    [`${D}/A/X`, 'int', '1'],
    [`${D}/A/Y`, 'int', '2'],
    [`${D}/A/Z`, 'chr', 'z'],
  ]);
  const v2 = custom('device', [
    [`${D}/A/X`, 'int', '1'],
    [`${D}/A/Y`, 'int', '3'],
    [`${D}/A/W`, 'chr', 'w'],
  ]);
  const d = profileDelta(v1, v2);
  t.same(kinds(d), [`Delete ${D}/A/Z`, `Replace ${D}/A/Y`, `Add ${D}/A/W`]);
  t.same(
    d.verify.map((n) => n.uri),
    [`${D}/A/Y`, `${D}/A/W`],
  );
  t.same(profileDelta(v1, v1).commands, [], 'same version: nothing');
  t.same(kinds(profileDelta(null, v1)), [`Add ${D}/A/X`, `Add ${D}/A/Y`, `Add ${D}/A/Z`], 'no base: install');

  const w1 = wifi('user', 'Office');
  const w2 = wifi('user', 'Office', 'proxy.contoso.com:8080');
  t.same(kinds(profileDelta(w1, w2)), ['Add ./User/Vendor/MSFT/WiFi/Profile/Office/Proxy'], 'a new leaf of an atomic unit alone');
  const renamed = wifi('user', 'Office 2');
  t.same(
    kinds(profileDelta(w1, renamed)),
    ['Delete ./User/Vendor/MSFT/WiFi/Profile/Office', 'Add ./User/Vendor/MSFT/WiFi/Profile/Office%202/WlanXml'],
    'renamed: old root deleted, new one installed',
  );

  const pfx = (password: string) => compileProfile('certificate', 'user', { ref: 'c', type: 'pfx', pfxBase64: PFX, password });
  const re = profileDelta(pfx('Pfx-Passw0rd'), {
    ...pfx('Pfx-Passw0rd'),
    units: pfx('Pfx-Passw0rd').units.map((u) => ({ ...u, nodes: u.nodes.map((n) => (n.uri.endsWith('/KeyLocation') ? { ...n, value: '3' } : n)) })),
  });
  t.equal(re.commands.length, 1);
  t.equal(re.commands[0].kind, 'Atomic');
  t.same(
    re.commands[0].commands!.map((c) => `${c.kind} ${c.items![0].target.split('/').pop()}`),
    ['Replace KeyLocation', 'Replace PFXKeyExportable', 'Replace PFXCertPassword', 'Replace PFXCertPasswordEncryptionType', 'Replace PFXCertBlob'],
    'PFX: every leaf again, blob last',
  );
});

// ---- plans ------------------------------------------------------------------------------------

function snapshot(profiles: (LiveProfile & { to: string[] })[]): Snapshot {
  const s: Snapshot = { gen: 1, profiles: new Map(), byRef: new Map(), all: [], byTarget: new Map(), groupsOf: new Map(), broken: new Map() };
  for (const p of profiles) {
    s.profiles.set(p.id, p);
    if (p.compiled.provides) s.byRef.set(p.compiled.provides.ref, p.id);
    for (const to of p.to) {
      if (to === 'all') s.all.push(p);
      else s.byTarget.set(to, [...(s.byTarget.get(to) ?? []), p]);
    }
  }
  return s;
}
const live = (id: string, compiled: CompiledProfile, to: string[], version = 1, kind = compiled.kind) => ({
  id,
  name: id,
  kind,
  scope: compiled.scope,
  version,
  compiled,
  to,
});
const device = { id: 'dev1', deviceId: 'DEV1', enrollmentType: 'Device' as const };
const row = (profileId: string, userKey: string, f: Partial<ProfileDelivery> = {}): ProfileDelivery => ({
  devicePk: 'dev1',
  userKey,
  profileId,
  version: 1,
  appliedVersion: 1,
  status: 'delivered',
  updatedAt: AT,
  ...f,
});
const plan = (snap: Snapshot, rows: ProfileDelivery[], user?: string, base: Record<string, CompiledProfile> = {}) =>
  planSession({
    snap,
    device,
    user: user ? { key: user, oid: user } : undefined,
    userPresent: !!user,
    rows,
    base: (id, v) => base[`${id}:${v}`] ?? null,
    at: AT,
    seal: (v) => `sealed(${v})`,
    planId: 'p',
  });

t.test('plan: users, holds, removals', async (t) => {
  const devProfile = live('d1', custom('device', [['./Device/Vendor/MSFT/Policy/Config/A/X', 'int', '1']]), ['all']);
  const alice = live('u1', wifi('user', 'Alice'), ['user:alice']);
  const forAll = live('u2', custom('user', [['./User/Vendor/MSFT/Policy/Config/B/Y', 'int', '1']]), ['device:dev1']);
  const snap = snapshot([devProfile, alice, forAll]);

  const nobody = plan(snap, []);
  t.same(
    nobody.commands.map((c) => `${c.profile!.profileId}:${c.profile!.op}`),
    ['d1:apply', 'd1:verify'],
    'nobody: the device profile only',
  );
  t.same(
    nobody.deliveries.map((d) => `${d.profileId}:${d.userKey}:${d.status}:${d.hold ?? ''}`),
    ['d1::pending:', 'u2::held:no-user'],
    'user profile for any user held',
  );
  t.notOk(nobody.settled);

  const a = plan(snap, [row('d1', ''), row('u2', '', { status: 'held', hold: 'no-user', appliedVersion: undefined })], 'alice');
  t.same(
    a.commands.map((c) => `${c.profile!.profileId}:${c.profile!.op}:${c.userOid}`),
    ['u1:apply:alice', 'u2:apply:alice', 'u2:verify:alice'],
  );
  t.ok(
    a.commands.some((c) => c.payload.commands?.[0]?.items?.[0]?.sealed),
    'the passphrase is sealed in the queue',
  );
  t.same(a.drop, [{ userKey: '', profileId: 'u2' }], 'placeholder dropped');
  t.same(
    a.commands.map((c) => c.id),
    ['p.0001', 'p.0002', 'p.0003'],
    'ids sort in plan order',
  );

  const done = plan(snap, [row('d1', ''), row('u1', 'alice'), row('u2', 'alice', { status: 'verified' })], 'alice');
  t.same(done.commands, []);
  t.same(done.deliveries, []);
  t.ok(done.settled, 'nothing to do: settled');

  const inflight = plan(snap, [row('d1', ''), row('u1', 'alice', { status: 'pending', batch: 'b' }), row('u2', 'alice')], 'alice');
  t.same(inflight.commands, []);
  t.notOk(inflight.settled, 'waiting for answers');

  // u1 no longer assigned to Alice: removed, unless another assigned profile writes the same root.
  const snap2 = snapshot([devProfile, forAll]);
  const removal = plan(snap2, [row('d1', ''), row('u1', 'alice'), row('u2', 'alice')], 'alice', { 'u1:1': alice.compiled });
  t.same(
    removal.commands.map((c) => `${c.payload.kind} ${c.payload.items![0].target} ${c.profile!.op}`),
    ['Delete ./User/Vendor/MSFT/WiFi/Profile/Alice remove'],
  );
  t.equal(removal.deliveries[0].status, 'removing');
  const same = live('u3', wifi('user', 'Alice', 'p:1'), ['user:alice']);
  const shared = plan(snapshot([devProfile, forAll, same]), [row('d1', ''), row('u1', 'alice'), row('u2', 'alice'), row('u3', 'alice')], 'alice', {
    'u1:1': alice.compiled,
  });
  t.same(shared.commands, [], 'the SSID is still set by another profile: no Delete');
  t.match(
    shared.deliveries.find((d) => d.profileId === 'u1'),
    { status: 'removed', detail: /another assigned profile/ },
  );

  const failed = plan(snap, [row('d1', '', { status: 'failed', appliedVersion: undefined }), row('u1', 'alice'), row('u2', 'alice')], 'alice');
  t.same(failed.commands, [], 'failed at this version: not retried');
  const bumped = live('d1', devProfile.compiled, ['all'], 2);
  const retry = plan(
    snapshot([bumped, alice, forAll]),
    [row('d1', '', { status: 'failed', appliedVersion: undefined }), row('u1', 'alice'), row('u2', 'alice')],
    'alice',
  );
  t.same(
    retry.commands.map((c) => c.payload.kind),
    ['Add', 'Get'],
    'a new version: installed again from scratch',
  );
  t.same(
    plan(snapshot([bumped, alice, forAll]), [row('d1', ''), row('u1', 'alice'), row('u2', 'alice')], 'alice', { 'd1:1': devProfile.compiled }).deliveries.map(
      (d) => `${d.profileId}:${d.status}:${d.version}`,
    ),
    ['d1:delivered:2'],
    'a version with the same nodes: no command, the row moves on',
  );
});

t.test('plan: certificates first', async (t) => {
  const root = live(
    'c1',
    compileProfile('certificate', 'device', {
      ref: 'corp-root',
      type: 'trusted-root',
      certificateBase64: fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-root-ca.pem'), 'utf8'),
    }),
    ['all'],
  );
  const certs = { 'corp-root': root.compiled.provides! };
  const vpn = live(
    'v1',
    compileProfile(
      'vpn',
      'user',
      {
        name: 'V',
        servers: ['vpn.contoso.com'],
        tunnelType: 'IKEv2',
        routing: { mode: 'force' },
        authentication: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } },
      },
      { certificates: certs },
    ),
    ['user:alice'],
  );
  const first = plan(snapshot([root, vpn]), [], 'alice');
  t.same(
    first.commands.map((c) => c.profile!.profileId),
    ['c1', 'c1'],
    'the root (and its read-back) only',
  );
  t.match(
    first.deliveries.find((d) => d.profileId === 'v1'),
    { status: 'held', hold: 'dependency', detail: /waiting for certificate profile "c1"/ },
  );
  t.notOk(first.settled);
  const then = plan(snapshot([root, vpn]), [row('c1', '', { status: 'verified' })], 'alice');
  t.same(
    then.commands.map((c) => c.profile!.profileId),
    ['v1'],
  );
  const missing = plan(snapshot([{ ...root, to: [] }, vpn]), [], 'alice');
  t.match(
    missing.deliveries.find((d) => d.profileId === 'v1'),
    { status: 'held', detail: /not assigned to this device/ },
  );
  t.ok(missing.settled, 'nothing will change by waiting');
});

// ---- outcomes ---------------------------------------------------------------------------------

const cmd = (
  id: string,
  batch: string,
  payload: CommandRecord['payload'],
  op: 'apply' | 'remove' | 'verify',
  f: Partial<CommandRecord> = {},
): CommandRecord => ({
  id,
  devicePk: 'dev1',
  origin: 'profile',
  payload,
  state: 'sent',
  createdAt: AT,
  updatedAt: AT,
  attempts: 1,
  maxAttempts: 3,
  batch,
  profile: { profileId: 'p1', version: 2, userKey: 'alice', op },
  ...f,
});

t.test('outcomes', async (t) => {
  const U = './User/Vendor/MSFT/Policy/Config/B/Y';
  const pending = row('p1', 'alice', { status: 'pending', version: 2, appliedVersion: 1, batch: 'b' });
  const settle = (cmds: CommandRecord[], acks: [string, Partial<CommandRecord> & { state: CommandRecord['state'] }][], userPresent = true, rows = [pending]) =>
    settleDeliveries({ rows, commands: cmds, acks: new Map(acks.map(([id, a]) => [id, { commandId: id, ...a }])), at: AT, userPresent });
  const add = cmd('c1', 'b', { kind: 'Add', items: [{ target: U, format: 'int', data: '1' }] }, 'apply');
  const get = cmd('c2', 'b', { kind: 'Get', items: [{ target: U }] }, 'verify', {
    profile: {
      profileId: 'p1',
      version: 2,
      userKey: 'alice',
      op: 'verify',
      expect: { [U]: (await import('../../src/protocol/csp/delta.js')).readBackDigest('int', '1') },
    },
  });

  t.same(settle([add, get], [['c1', { state: 'acked', status: '200' }]]), [], 'a command still out: nothing settles');
  t.match(
    settle(
      [add, get],
      [
        ['c1', { state: 'acked', status: '200' }],
        ['c2', { state: 'acked', status: '200', results: [{ locUri: U, format: 'int', data: '1' }] }],
      ],
    ),
    [{ status: 'verified', appliedVersion: 2 }],
  );
  t.match(
    settle(
      [add, get],
      [
        ['c1', { state: 'acked', status: '200' }],
        ['c2', { state: 'acked', status: '200', results: [{ locUri: U, format: 'int', data: '7' }] }],
      ],
    ),
    [{ status: 'failed', detail: `read back differs at ${U}` }],
  );
  t.match(
    settle(
      [add, get],
      [
        ['c1', { state: 'failed', status: '405' }],
        ['c2', { state: 'failed', status: '405' }],
      ],
      false,
    ),
    [{ status: 'held', hold: 'refused-no-user', detail: /no user context/ }],
    'Windows refused ./User: held',
  );
  const dev = cmd('c3', 'b', { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/X', data: '1' }] }, 'apply');
  t.match(
    settle([dev], [['c3', { state: 'failed', status: '500' }]]),
    [{ status: 'failed', appliedVersion: undefined, detail: '500 at ./Device/Vendor/MSFT/X' }],
    'a device node failing is a failure',
  );
  const atomic = cmd(
    'c4',
    'b',
    {
      kind: 'Atomic',
      commands: [
        { kind: 'Add', items: [{ target: './Device/A' }] },
        { kind: 'Add', items: [{ target: './Device/B' }] },
      ],
    },
    'apply',
  );
  t.match(
    settle(
      [atomic],
      [
        [
          'c4',
          {
            state: 'failed',
            status: '507',
            detail: {
              children: [
                { index: 0, status: '216' },
                { index: 1, status: '404' },
              ],
            },
          },
        ],
      ],
    ),
    [{ status: 'failed', detail: '404 at ./Device/B' }],
    'the failing member of an Atomic is named',
  );
  const removing = row('p1', 'alice', { status: 'removing', batch: 'r' });
  const del = cmd('c5', 'r', { kind: 'Delete', items: [{ target: './User/Vendor/MSFT/VPNv2/V' }] }, 'remove');
  t.match(
    settle([del], [['c5', { state: 'failed', status: '404' }]], true, [removing]),
    [{ status: 'removed', appliedVersion: undefined }],
    'already gone counts as removed',
  );
  t.match(settle([add], [['c1', { state: 'failed', status: '418', requeueAs: { kind: 'Replace' } } as never]]), [], '418 retried as Replace: still in flight');
});
