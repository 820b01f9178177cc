// App delivery through the reconciler: the plan of a (device, user) for a profile of kind 'app'
// and what the device's answers make of its row — install accepted → installing, the status read
// at the next session until it ends (verified / failed / a stage), upgrade, uninstall on
// unassign — then the same with a real store (SQLite and PostgreSQL): an app profile's context
// resolved from the catalog, a new live version re-versioning it, the dry-run plan showing the
// content token.
import t, { type Test } from 'tap';
import type { AppDelivery } from '../../src/domain/app.js';
import type { CommandAck, CommandRecord } from '../../src/domain/command.js';
import type { ProfileDelivery } from '../../src/domain/profile.js';
import { compileProfile } from '../../src/protocol/csp/index.js';
import type { CompiledProfile } from '../../src/protocol/csp/types.js';
import { appDelivery, reversionAppProfiles } from '../../src/service/apps/app-profiles.js';
import { ProfileService } from '../../src/service/profiles.js';
import type { LiveProfile, Snapshot } from '../../src/service/reconcile/catalog.js';
import { Reconciler } from '../../src/service/reconcile/index.js';
import { ProfileStatusService } from '../../src/service/reconcile/status.js';
import { settleDeliveries } from '../../src/service/reconcile/outcome.js';
import { planSession } from '../../src/service/reconcile/plan.js';
import type { Store } from '../../src/store/types.js';
import { storeFor } from '../helpers/fresh-store.js';
import { cert, device as storedDevice } from '../store/suite.js';

const AT = '2026-12-06T10:00:00.000Z';
const LATER = '2026-12-06T11:00:00.000Z';
const SHA = 'ab'.repeat(32);
const SHA2 = 'cd'.repeat(32);
const PC = '{0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6}';
const MSI_ROOT = './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6%7D';
const delivery = (sha = SHA, version = '1.0.0'): AppDelivery => ({
  appId: 'app1',
  versionId: `v-${version}`,
  kind: 'msi',
  name: 'Contoso Tool',
  version,
  sha256: sha,
  size: 100,
  msi: { productCode: PC, productVersion: version },
});
const compiled = (a: AppDelivery, intent: 'install' | 'uninstall' = 'install', scope: 'user' | 'device' = 'user') =>
  compileProfile('app', scope, { app: a.appId, intent }, { app: a });
const live = (c: CompiledProfile, version = 1): LiveProfile => ({ id: 'p1', name: 'Contoso Tool', kind: 'app', scope: c.scope, version, compiled: c });
function snapshot(ps: LiveProfile[], to = 'user:alice'): Snapshot {
  const s: Snapshot = { gen: 1, profiles: new Map(), byRef: new Map(), all: [], byTarget: new Map(), groupsOf: new Map(), broken: new Map() };
  for (const p of ps) {
    s.profiles.set(p.id, p);
    s.byTarget.set(to, [...(s.byTarget.get(to) ?? []), p]);
  }
  return s;
}
const device = { id: 'dev1', deviceId: 'DEV1', enrollmentType: 'Device' as const };
const plan = (snap: Snapshot, rows: ProfileDelivery[], at = AT, base: Record<string, CompiledProfile> = {}) =>
  planSession({
    snap,
    device,
    user: { key: 'alice', oid: 'alice' },
    userPresent: true,
    rows,
    base: (id, v) => base[`${id}:${v}`] ?? null,
    at,
    seal: (v) => v,
    planId: 'p',
  });
const line = (c: CommandRecord) => `${c.payload.kind} ${c.payload.items![0].target} ${c.profile!.op}`;
/** The device's answers: by LocURI, a status code and, for Gets, a value. */
function answer(cmds: CommandRecord[], by: Record<string, [string, string?]>): Map<string, CommandAck> {
  const acks = new Map<string, CommandAck>();
  for (const c of cmds) {
    const target = c.payload.items![0].target;
    const [status, data] = by[target.split('/').pop()!] ?? by[target] ?? ['200'];
    const ok = status[0] === '2';
    acks.set(c.id, {
      commandId: c.id,
      state: ok ? 'acked' : 'failed',
      status,
      ...(ok && data !== undefined ? { results: [{ locUri: target, format: 'int', data }] } : {}),
      ...(ok ? {} : { error: `device answered ${status}` }),
    });
  }
  return acks;
}
const settle = (rows: ProfileDelivery[], cmds: CommandRecord[], acks: Map<string, CommandAck>, at = AT) =>
  settleDeliveries({ rows, commands: cmds, acks, at, userPresent: true });

t.test('MSI: install accepted, followed to the end', async (t) => {
  const v1 = compiled(delivery());
  const snap = snapshot([live(v1)]);
  const first = plan(snap, []);
  t.same(first.commands.map(line), [`Add ${MSI_ROOT}/DownloadInstall apply`, `Exec ${MSI_ROOT}/DownloadInstall apply`]);
  t.match(first.commands[1].payload.items![0].data, `<ContentURL>{{content:${SHA}}}</ContentURL>`, 'the content token, not a URL');
  t.equal(first.commands[0].userOid, 'alice', "in Alice's session only");
  t.match(first.deliveries, [{ status: 'pending', detail: 'install', userKey: 'alice' }]);
  t.notOk(first.settled);
  const sent = { ...first.deliveries[0], batch: first.commands[0].batch };

  // The Exec is accepted (202): delivered, installing — not verified.
  const [accepted] = settle([sent], first.commands, answer(first.commands, { DownloadInstall: ['202'] }));
  t.match(accepted, { status: 'delivered', detail: 'installing', appliedVersion: 1, updatedAt: AT });
  const same = plan(snap, [accepted], AT);
  t.same(same.commands, [], 'the turn that heard the answer does not poll');
  t.notOk(same.settled, 'not settled while installing: the plan mark does not skip the next session');

  // The next session reads Status, LastError, LastErrorDesc.
  const poll = plan(snap, [accepted], LATER);
  t.same(poll.commands.map(line), [`Get ${MSI_ROOT}/Status verify`, `Get ${MSI_ROOT}/LastError verify`, `Get ${MSI_ROOT}/LastErrorDesc verify`]);
  t.match(poll.deliveries, [{ status: 'pending', detail: 'installing' }]);
  t.notOk(poll.settled);
  const polling = { ...poll.deliveries[0], batch: poll.commands[0].batch };
  const [stage] = settle(
    [polling],
    poll.commands,
    answer(poll.commands, { Status: ['200', '20'], LastError: ['200', '0'], LastErrorDesc: ['200', ''] }),
    LATER,
  );
  t.match(stage, { status: 'delivered', detail: 'installing: download in progress (20)', appliedVersion: 1 });
  const [waiting] = settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '48'] }), LATER);
  t.equal(waiting.detail, 'installing: pending user session (48)');

  const [done] = settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '70'] }), LATER);
  t.match(done, { status: 'verified', detail: 'enforcement completed (70)', appliedVersion: 1 });
  const after = plan(snap, [done], '2026-12-06T12:00:00.000Z');
  t.same(after.commands, []);
  t.ok(after.settled, 'installed: settled');

  const [failed] = settle(
    [polling],
    poll.commands,
    answer(poll.commands, { Status: ['200', '60'], LastError: ['200', '-2147024891'], LastErrorDesc: ['200', 'Access is denied.'] }),
    LATER,
  );
  t.match(failed, { status: 'failed', detail: 'enforcement failed (60): LastError 0x80070005 Access is denied.', appliedVersion: undefined });
  t.same(plan(snap, [failed], '2026-12-06T12:00:00.000Z').commands, [], 'failed: waits for a new version');
  const bumped = plan(snapshot([live(v1, 2)]), [failed], '2026-12-06T12:00:00.000Z');
  t.same(
    bumped.commands.map((c) => c.payload.kind),
    ['Add', 'Exec'],
    'a profile bump (new version, same package) sends the install again: the admin retry',
  );

  const [gone] = settle([polling], poll.commands, answer(poll.commands, { Status: ['404'], LastError: ['404'], LastErrorDesc: ['404'] }), LATER);
  t.match(gone, { status: 'failed', detail: 'not installed (the device has no Status for it)' });

  const [refused] = settle([sent], first.commands, answer(first.commands, { DownloadInstall: ['403'] }));
  t.match(refused, { status: 'failed', detail: /403/ }, 'an install the device refuses fails at once');
});

t.test('MSIX: node gone after install means installed', async (t) => {
  const a: AppDelivery = {
    appId: 'app2',
    versionId: 'v',
    kind: 'msix',
    name: 'App',
    version: '1.0.0.0',
    sha256: SHA,
    msix: { packageFamilyName: 'Contoso.App_8wekyb3d8bbwe', packageFullName: 'Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe', format: 'msix', dependencies: [] },
  };
  const snap = snapshot([live(compiled(a, 'install', 'device'))], 'device:dev1');
  const first = plan(snap, []);
  const sent = { ...first.deliveries[0], batch: first.commands[0].batch };
  const [accepted] = settle([sent], first.commands, answer(first.commands, {}));
  t.match(accepted, { status: 'delivered', detail: 'installing', userKey: '' });
  const poll = plan(snap, [accepted], LATER);
  t.equal(poll.commands.length, 3);
  const polling = { ...poll.deliveries[0], batch: poll.commands[0].batch };
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '1'] }), LATER)[0], { detail: 'installing: installing (1)' });
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['404'], LastError: ['404'], LastErrorDesc: ['404'] }), LATER)[0], {
    status: 'verified',
  });
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '2'], LastError: ['200', '-2147009281'] }), LATER)[0], {
    status: 'failed',
    detail: 'failed (2): LastError 0x80073CFF',
  });
});

t.test('upgrade and uninstall on unassign', async (t) => {
  const v1 = compiled(delivery());
  const v2 = compiled(delivery(SHA2, '1.1.0'));
  const installed: ProfileDelivery = { devicePk: 'dev1', userKey: 'alice', profileId: 'p1', version: 1, appliedVersion: 1, status: 'verified', updatedAt: AT };
  const up = plan(snapshot([live(v2, 2)]), [installed], LATER, { 'p1:1': v1 });
  t.same(up.commands.map(line), [`Exec ${MSI_ROOT}/DownloadInstall apply`], 'same ProductCode: the job again');
  t.match(up.commands[0].payload.items![0].data, `{{content:${SHA2}}}`);
  t.match(up.deliveries, [{ status: 'pending', version: 2, detail: 'upgrade from version 1' }]);
  t.match(up.entries, [{ action: 'update' }]);

  const rm = plan(snapshot([]), [installed], LATER, { 'p1:1': v1 });
  t.same(rm.commands.map(line), [`Delete ${MSI_ROOT} remove`], 'unassigned: uninstalled');
  t.match(rm.deliveries, [{ status: 'removing' }]);
  const removing = { ...rm.deliveries[0], batch: rm.commands[0].batch };
  t.match(settle([removing], rm.commands, answer(rm.commands, {}), LATER)[0], { status: 'removed' });
  t.match(settle([removing], rm.commands, answer(rm.commands, { [MSI_ROOT]: ['404'] }), LATER)[0], { status: 'removed' }, 'already gone: removed');

  const un = compiled(delivery(), 'uninstall');
  const unPlan = plan(snapshot([live(un)]), []);
  t.same(unPlan.commands.map(line), [`Delete ${MSI_ROOT} apply`], 'uninstall intent');
  const unRow = { ...unPlan.deliveries[0], batch: unPlan.commands[0].batch };
  t.match(settle([unRow], unPlan.commands, answer(unPlan.commands, {}))[0], { status: 'delivered', detail: undefined });
});

t.test('Office: the configuration Exec, then Status until 0', async (t) => {
  const a: AppDelivery = {
    appId: 'app3',
    versionId: 'v',
    kind: 'office',
    name: 'Microsoft 365 Apps',
    version: 'Current',
    office: { configurationXml: '<Configuration><Add><Product ID="O365ProPlusRetail"/></Add></Configuration>', installationId: 'm365' },
  };
  const snap = snapshot([live(compiled(a, 'install', 'device'))], 'device:dev1');
  const first = plan(snap, []);
  t.same(first.commands.map(line), ['Exec ./Device/Vendor/MSFT/Office/Installation/m365/Install apply']);
  const sent = { ...first.deliveries[0], batch: first.commands[0].batch };
  const [accepted] = settle([sent], first.commands, answer(first.commands, {}));
  t.match(accepted, { status: 'delivered', detail: 'installing' });
  const poll = plan(snap, [accepted], LATER);
  t.same(poll.commands.map(line), ['Get ./Device/Vendor/MSFT/Office/Installation/m365/Status verify'], 'Office reports Status only');
  const polling = { ...poll.deliveries[0], batch: poll.commands[0].batch };
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '997'] }), LATER)[0], {
    status: 'delivered',
    detail: 'installing: Office installation in progress (997)',
  });
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '0'] }), LATER)[0], { status: 'verified' });
  t.match(settle([polling], poll.commands, answer(poll.commands, { Status: ['200', '17002'] }), LATER)[0], { status: 'failed', detail: /17002/ });
  // Unassigned: the <Remove> configuration.
  const rm = plan(snapshot([]), [{ ...accepted, status: 'verified' }], LATER, { 'p1:1': compiled(a, 'install', 'device') });
  t.same(rm.commands.map(line), ['Exec ./Device/Vendor/MSFT/Office/Installation/m365/Install remove']);
  t.match(rm.commands[0].payload.items![0].data, '<Remove><Product ID="O365ProPlusRetail"/></Remove>');
  // An uninstall profile unassigned: nothing to undo.
  const un = compiled(a, 'uninstall', 'device');
  const gone = plan(snapshot([]), [{ ...accepted, status: 'delivered', detail: undefined }], LATER, { 'p1:1': un });
  t.same(gone.commands, []);
  t.match(gone.deliveries, [{ status: 'removed', detail: 'nothing to undo' }]);
});

// ---- with a real store ---------------------------------------------------------------------

async function storeCase(t: Test, store: Store) {
  const key = Buffer.alloc(32, 7);
  const now = new Date().toISOString();
  await store.apps.create({ id: 'app1', name: 'Contoso Tool', kind: 'msi', identity: '{UPGRADE}', createdAt: now, updatedAt: now });
  const profiles = new ProfileService(store, key);
  const refused = (app: string) =>
    profiles.create({ name: 'x', kind: 'app', scope: 'user', settings: { app, intent: 'install' } }, 'admin:t').catch((e: unknown) => e);
  t.match(await refused('app1'), { status: 409, pointer: '/settings/app', message: /no live version/ }, 'no live version: refused');
  t.match(await refused('nope'), { status: 404, pointer: '/settings/app' }, 'unknown app: refused');
  const version = (id: string, sha: string, v: string) => ({
    id,
    appId: 'app1',
    version: v,
    source: 'upload' as const,
    sha256: sha,
    size: 100,
    fileName: 'tool.msi',
    msi: { productCode: PC, productVersion: v, productName: 'Contoso Tool', manufacturer: 'Contoso' },
    createdAt: now,
  });
  await store.apps.addVersion(version('v1', SHA, '1.0.0'));
  await store.apps.update('app1', { liveVersionId: 'v1', updatedAt: now });
  t.match(await appDelivery(store, 'app1'), { appId: 'app1', versionId: 'v1', kind: 'msi', sha256: SHA, msi: { productCode: PC } });
  const p = await profiles.create({ name: 'Contoso Tool', kind: 'app', scope: 'user', settings: { app: 'app1', intent: 'install' } }, 'admin:t');
  await profiles.assign(p.id, { targetType: 'user', targetId: 'alice@contoso.com' }, 'admin:t');
  const d = await store.enrollments.recordEnrollment(storedDevice({ enrollmentType: 'Full', upn: 'alice@contoso.com', userOid: undefined }), cert());

  const r = new Reconciler(store, key);
  const user = r.userContext(d, {}, undefined)!;
  const sp = await r.plan(d, user, { userPresent: true, at: AT, force: true, planId: 'p' });
  t.same(
    sp!.plan.commands.map((c) => c.payload.kind),
    ['Add', 'Exec'],
  );
  t.match(sp!.plan.commands[1].payload.items![0].data, `{{content:${SHA}}}`, 'the plan carries the token');

  // A new live version: the profile gets a new version naming the new package.
  await store.apps.addVersion(version('v2', SHA2, '1.1.0'));
  await store.apps.update('app1', { liveVersionId: 'v2', updatedAt: now });
  t.equal(await reversionAppProfiles(store, 'app1', 'admin:t'), 1);
  t.equal(await reversionAppProfiles(store, 'app1', 'admin:t'), 0, 'already at the live version');
  t.match(await store.profiles.get(p.id), { version: 2, context: { app: { versionId: 'v2', sha256: SHA2 } } });
  const sp2 = await r.plan(d, user, { userPresent: true, at: AT, force: true, planId: 'q' });
  t.match(sp2!.plan.commands[1].payload.items![0].data, `{{content:${SHA2}}}`, 'the catalog compiles the new context');

  // The dry run shows the exact SyncML: the content token, never a URL (it would expire).
  const dry = await new ProfileStatusService(store, r, 'https://mdm.example.test').plan(d.id, undefined);
  t.match(dry.profiles, [{ profileId: p.id, action: 'install' }]);
  t.match(dry.syncml, `<LocURI>${MSI_ROOT}/DownloadInstall</LocURI>`);
  t.match(dry.syncml, `&lt;ContentURL&gt;{{content:${SHA2}}}&lt;/ContentURL&gt;`);
  t.notMatch(dry.syncml, /\/content\/[0-9a-f]{64}/, 'no signed URL in the plan');
}

t.test('store: SQLite', async (t) => storeCase(t, await storeFor(t, 'sqlite', 'appdel')));

t.test('store: PostgreSQL', async (t) => storeCase(t, await storeFor(t, 'postgres', 'appdel')));
