// The behavioural store suite: the same cases against every backend (sqlite.test.ts,
// postgres.test.ts). Each case gets a store of its own (a fresh SQLite file or a fresh PostgreSQL
// schema) and asserts what the services rely on: transactions with their audit entries, the
// command queue and session turns, write-behind made visible by flush(), profile generations.
import crypto from 'node:crypto';
import type { Test } from 'tap';
import type { SessionTurn, Store } from '../../src/store/types.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { CommandRecord } from '../../src/domain/command.js';
import type { Device, IssuedCertificateRecord } from '../../src/domain/device.js';
import type { ProfileDelivery, ProfileRecord } from '../../src/domain/profile.js';

export interface Backend {
  name: string;
  /** A new, empty store; `cleanup` closes it and removes its data. */
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
/** ISO time `s` seconds after T0 (fixed clock: no timing in these tests). */
export const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const uuid = () => crypto.randomUUID();

export const audit = (action: string, targetId: string, s = 0, detail?: Record<string, unknown>): AuditEntry => ({
  at: at(s),
  actor: 'admin',
  action,
  targetType: 'x',
  targetId,
  detail,
});

export function device(o: Partial<Device> = {}): Device {
  return {
    id: uuid(),
    deviceId: `dev-${uuid()}`,
    enrollmentType: 'Device',
    authMethod: 'entra',
    tenantId: 'tenant-1',
    upn: 'owner@contoso.com',
    state: 'enrolled',
    enrolledAt: at(0),
    updatedAt: at(0),
    dmUsername: 'u',
    dmPasswordDigest: 'pd',
    dmServerName: 's',
    dmServerDigest: 'sd',
    dmNonce: 'nonce-0',
    ...o,
  };
}

export function cert(o: Partial<IssuedCertificateRecord> = {}): IssuedCertificateRecord {
  return {
    serial: crypto.randomBytes(8).toString('hex'),
    devicePk: '',
    thumbprint: crypto.randomBytes(20).toString('hex').toUpperCase(),
    subject: 'CN=device',
    notBefore: at(0),
    notAfter: at(86_400 * 365),
    issuedAt: at(0),
    status: 'active',
    derBase64: 'MIIB',
    ...o,
  };
}

export function command(devicePk: string, o: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id: uuid(),
    devicePk,
    origin: 'admin',
    payload: { kind: 'Get', items: [{ target: './DevDetail/SwV' }] },
    state: 'queued',
    createdAt: at(0),
    updatedAt: at(0),
    attempts: 0,
    maxAttempts: 3,
    ...o,
  };
}

export function turn(devicePk: string, sessionId: string, o: Partial<SessionTurn> = {}): SessionTurn {
  return { devicePk, at: at(10), session: null, sessionIsNew: true, sessionId, acks: [], sent: [], alerts: [], traces: [], enqueue: [], ...o };
}

function profile(o: Partial<ProfileRecord> = {}): ProfileRecord {
  return { id: uuid(), name: 'VPN', kind: 'vpn', scope: 'user', settings: { server: 'vpn.contoso.com' }, version: 1, createdAt: at(0), updatedAt: at(0), ...o };
}

function delivery(devicePk: string, profileId: string, o: Partial<ProfileDelivery> = {}): ProfileDelivery {
  return { devicePk, userKey: '', profileId, version: 1, status: 'pending', updatedAt: at(0), ...o };
}

async function enrolled(store: Store, o: Partial<Device> = {}): Promise<Device> {
  return store.enrollments.recordEnrollment(device(o), cert());
}

export function storeSuite(t: Test, backend: Backend): void {
  const withStore = (name: string, fn: (t: Test, store: Store) => Promise<void>) =>
    t.test(`${backend.name}: ${name}`, async (t) => {
      const { store, cleanup } = await backend.open();
      t.teardown(cleanup);
      await fn(t, store);
    });

  withStore('kind and ping', async (t, store) => {
    t.equal(store.kind, backend.name);
    await store.ping();
  });

  withStore('TLS ticket keys: the first key of a period stays, a newer period replaces and deletes it', async (t, store) => {
    const k = store.tlsTicketKeys;
    t.same(await k.current(100, 'sealed-a', at(0)), { period: 100, sealedKey: 'sealed-a' });
    t.same(await k.current(100, 'sealed-b', at(1)), { period: 100, sealedKey: 'sealed-a' }, 'another replica gets the same key');
    t.same(await k.current(99, 'sealed-c', at(2)), { period: 100, sealedKey: 'sealed-a' }, 'a lagging clock adds nothing');
    t.same(await k.current(101, 'sealed-d', at(3)), { period: 101, sealedKey: 'sealed-d' });
    t.same(await k.current(100, 'sealed-e', at(4)), { period: 101, sealedKey: 'sealed-d' }, 'the older key is gone, not recreated');
    const racing = await Promise.all([102, 102, 102].map((p, i) => k.current(p, `sealed-r${i}`, at(5))));
    t.equal(new Set(racing.map((r) => r.sealedKey)).size, 1, 'racing replicas agree on one key');
  });

  withStore('tenants: the application client ID, sealed credential, last validation and domains are kept and can be cleared', async (t, store) => {
    const tenant = { tenantId: 'tid-app', cloud: 'gcc-high' as const, audiences: ['b'], createdAt: at(0), updatedAt: at(0) };
    const appCredential = { kind: 'certificate' as const, sealed: 'v1.sealed', thumbprint: 'AB12', notAfter: at(1000) };
    const validation = { at: at(2), ok: false, checks: [{ name: 'consent', ok: false, message: 'grant admin consent' }] };
    await store.tenants.create({ ...tenant, appClientId: 'cid', appCredential }, audit('tenant.connect', 'tid-app', 0));
    t.match(await store.tenants.get('tid-app'), { appClientId: 'cid', appCredential, validation: undefined });
    const domains = ['contoso.com', 'contoso.onmicrosoft.com'];
    await store.tenants.update({ ...tenant, appClientId: 'cid', appCredential, validation, domains, updatedAt: at(2) }, audit('tenant.validate', 'tid-app', 2));
    t.same((await store.tenants.get('tid-app'))?.validation, validation);
    t.same((await store.tenants.get('tid-app'))?.domains, domains);
    await store.tenants.update({ ...tenant, updatedAt: at(3) }, audit('tenant.change', 'tid-app', 3));
    t.match(await store.tenants.get('tid-app'), { appClientId: undefined, appCredential: undefined, validation: undefined, domains: undefined });
  });

  withStore('tenants, each change with its audit entry', async (t, store) => {
    const tenant = { tenantId: 'tid-1', cloud: 'standard' as const, audiences: ['https://a', 'b'], createdAt: at(0), updatedAt: at(0) };
    t.equal(await store.tenants.create(tenant, audit('tenant.connect', 'tid-1', 0, { cloud: 'standard' })), true);
    t.equal(await store.tenants.create(tenant, audit('tenant.connect', 'tid-1', 1)), false, 'a second insert is refused');
    t.same(await store.tenants.get('tid-1'), { ...tenant, enrollmentUrl: undefined, remediationUrl: undefined });
    t.equal(
      await store.tenants.update({ ...tenant, cloud: 'gcc-high', enrollmentUrl: 'https://e', updatedAt: at(5) }, audit('tenant.change', 'tid-1', 5)),
      true,
    );
    t.match(await store.tenants.get('tid-1'), { cloud: 'gcc-high', enrollmentUrl: 'https://e', updatedAt: at(5), createdAt: at(0) });
    t.equal(await store.tenants.update({ ...tenant, tenantId: 'nope' }, audit('tenant.change', 'nope', 6)), false);
    await store.tenants.create({ ...tenant, tenantId: 'tid-2', createdAt: at(7) }, audit('tenant.connect', 'tid-2', 7));
    t.same(
      (await store.tenants.list()).map((x) => x.tenantId),
      ['tid-1', 'tid-2'],
    );
    t.equal(await store.tenants.delete('tid-2', audit('tenant.disconnect', 'tid-2', 8)), true);
    t.equal(await store.tenants.delete('tid-2', audit('tenant.disconnect', 'tid-2', 9)), false);
    t.equal(await store.tenants.get('tid-2'), undefined);

    const log = await store.audit.list({ limit: 10 });
    t.same(
      log.map((e) => e.action),
      ['tenant.disconnect', 'tenant.connect', 'tenant.change', 'tenant.connect'],
      'only changes that happened, newest first',
    );
    t.same(log[3].detail, { cloud: 'standard' });
    t.equal(log[0].detail, undefined);
    const older = await store.audit.list({ limit: 2, beforeId: log[1].id });
    t.same(
      older.map((e) => e.id),
      [log[2].id, log[3].id],
      'paging by id',
    );
    await store.audit.append(audit('custom', 'x', 10));
    t.equal((await store.audit.list({ limit: 1 }))[0].action, 'custom');
  });

  withStore('enrollment accounts', async (t, store) => {
    t.equal(await store.enrollmentAccounts.create({ username: 'bob@contoso.com', passwordHash: 'h1', createdAt: at(0) }, audit('acct.create', 'bob')), true);
    t.equal(await store.enrollmentAccounts.create({ username: 'bob@contoso.com', passwordHash: 'h2', createdAt: at(1) }, audit('acct.create', 'bob')), false);
    await store.enrollmentAccounts.create({ username: 'Alice@contoso.com', passwordHash: 'h3', createdAt: at(2) }, audit('acct.create', 'alice'));
    await store.enrollmentAccounts.create({ username: 'alice@contoso.com', passwordHash: 'h4', createdAt: at(3) }, audit('acct.create', 'alice2'));
    t.same(await store.enrollmentAccounts.get('bob@contoso.com'), { username: 'bob@contoso.com', passwordHash: 'h1', createdAt: at(0) });
    t.same(
      (await store.enrollmentAccounts.list()).map((a) => a.username),
      ['Alice@contoso.com', 'alice@contoso.com', 'bob@contoso.com'],
      'byte order',
    );
    t.notOk('passwordHash' in (await store.enrollmentAccounts.list())[0]);
    t.equal(await store.enrollmentAccounts.count(), 3);
    t.equal(await store.enrollmentAccounts.delete('bob@contoso.com', audit('acct.delete', 'bob')), true);
    t.equal(await store.enrollmentAccounts.delete('bob@contoso.com', audit('acct.delete', 'bob')), false);
    t.equal(await store.enrollmentAccounts.count(), 2);
    t.same(
      (await store.audit.list({ limit: 10 })).map((e) => e.action),
      ['acct.delete', 'acct.create', 'acct.create', 'acct.create'],
    );
  });

  withStore('devices, certificates, enrollment, re-enrollment and renewal', async (t, store) => {
    const c1 = cert();
    const d = await store.enrollments.recordEnrollment(device({ deviceId: 'DEV-A', hwDevId: 'hw', deviceName: 'pc1' }), c1);
    t.match(await store.devices.get(d.id), {
      deviceId: 'DEV-A',
      hwDevId: 'hw',
      deviceName: 'pc1',
      state: 'enrolled',
      userOid: undefined,
      lastSeenAt: undefined,
    });
    t.equal((await store.devices.getByDeviceId('DEV-A'))?.id, d.id);
    t.equal(await store.devices.get('nope'), undefined);
    const byThumb = await store.certificates.getByThumbprint(c1.thumbprint);
    t.match(byThumb, { serial: c1.serial, devicePk: d.id, status: 'active' });
    t.equal(byThumb?.derBase64, undefined, 'reads leave the DER out');
    t.equal((await store.certificates.getBySerial(c1.serial))?.thumbprint, c1.thumbprint);

    // Management state that a re-enrollment resets.
    const pr = profile();
    await store.profiles.create(pr, audit('profile.create', pr.id));
    const profileCmd = command(d.id, { batch: 'b1', origin: 'profile', profile: { profileId: pr.id, version: 1, userKey: '', op: 'apply' } });
    const adminCmd = command(d.id);
    await store.commands.enqueue(profileCmd);
    await store.commands.enqueue(adminCmd);
    await store.deliveries.put([delivery(d.id, pr.id, { batch: 'b1' })]);
    await store.management.commitTurn(turn(d.id, 's1', { device: { planMark: '5:x:1' } }));
    t.equal((await store.devices.get(d.id))?.planMark, '5:x:1');

    const c2 = cert({ issuedAt: at(100) });
    const again = await store.enrollments.recordEnrollment(device({ deviceId: 'DEV-A', enrolledAt: at(100), updatedAt: at(100), deviceName: 'pc1-new' }), c2);
    t.equal(again.id, d.id, 'a re-enrollment keeps our id');
    t.match(await store.devices.get(d.id), { deviceName: 'pc1-new', enrolledAt: at(100), planMark: undefined });
    t.match(await store.certificates.getBySerial(c1.serial), { status: 'revoked', revocationReason: 'reenrolled', revokedAt: at(100) });
    t.match(await store.certificates.getBySerial(c2.serial), { status: 'active', devicePk: d.id });
    t.same(await store.deliveries.forDevice(d.id), [], 'profiles are delivered anew');
    t.match(await store.commands.get(profileCmd.id), { state: 'cancelled', error: 'device enrolled again' });
    t.equal((await store.commands.get(adminCmd.id))?.state, 'queued', 'admin commands stay');

    const c3 = cert({ issuedAt: at(200), replacesSerial: c2.serial });
    await store.enrollments.recordRenewal(d.id, c3, c2.serial, at(200));
    t.match(await store.certificates.getBySerial(c2.serial), { status: 'superseded', revocationReason: 'renewed', revokedAt: at(200) });
    t.match(await store.certificates.getBySerial(c3.serial), { status: 'active', replacesSerial: c2.serial });
    t.same(
      (await store.certificates.listForDevice(d.id)).map((c) => c.serial),
      [c3.serial, c2.serial, c1.serial],
      'newest first',
    );

    const e = await enrolled(store, { enrolledAt: at(50) });
    t.equal(await store.devices.count(), 2);
    t.same(
      (await store.devices.list({ limit: 10, offset: 0 })).map((x) => x.id),
      [e.id, d.id],
      'by enrollment time',
    );
    t.same(
      (await store.devices.list({ limit: 1, offset: 1 })).map((x) => x.id),
      [d.id],
    );
  });

  withStore('enrollments at the same moment: each answered after its write, a failure refuses only its own', async (t, store) => {
    // SQLite writes the enrollments of one event-loop turn in one transaction (group commit).
    const taken = cert();
    await store.enrollments.recordEnrollment(device({ deviceId: 'FIRST' }), taken);
    const devices = Array.from({ length: 12 }, (_, i) => device({ deviceId: `BURST-${i}` }));
    const results = await Promise.allSettled(devices.map((d, i) => store.enrollments.recordEnrollment(d, i === 5 ? cert({ serial: taken.serial }) : cert())));
    t.same(
      results.map((r) => r.status),
      devices.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')),
      'the duplicate serial fails alone',
    );
    for (const [i, d] of devices.entries()) {
      const stored = await store.devices.getByDeviceId(d.deviceId);
      if (i === 5) t.equal(stored, undefined, 'nothing of the refused enrollment is kept');
      else t.equal(stored?.id, (results[i] as PromiseFulfilledResult<Device>).value.id, `${d.deviceId} is stored`);
    }
    t.equal(await store.devices.count(), 12);
    t.equal((await store.certificates.getBySerial(taken.serial))?.devicePk, (await store.devices.getByDeviceId('FIRST'))?.id);
  });

  withStore('queue: deliverable order, getCommands, enqueue/cancel/count/list', async (t, store) => {
    const d = await enrolled(store);
    const a = command(d.id, { createdAt: at(3) });
    const b = command(d.id, { createdAt: at(1) });
    const c = command(d.id, { createdAt: at(2), state: 'held', heldReason: 'waiting' });
    const other = command((await enrolled(store)).id);
    for (const x of [a, b, c, other]) await store.commands.enqueue(x);
    t.same(
      (await store.management.deliverable(d.id, 10)).map((x) => x.id),
      [b.id, c.id, a.id],
      'queued and held, oldest first',
    );
    t.same(
      (await store.management.deliverable(d.id, 2)).map((x) => x.id),
      [b.id, c.id],
    );
    t.match((await store.management.deliverable(d.id, 10))[1], { state: 'held', heldReason: 'waiting', payload: c.payload });
    t.same(
      (await store.management.getCommands([a.id, 'missing', b.id])).map((x) => x.id),
      [a.id, b.id],
      'in the order asked',
    );
    t.equal(await store.commands.countQueued(d.id), 3);
    t.equal(await store.commands.cancel(a.id, at(5)), true);
    t.equal(await store.commands.cancel(a.id, at(5)), false, 'only queued or held');
    t.equal((await store.commands.get(a.id))?.state, 'cancelled');
    await store.management.setCommandState([b.id, c.id], 'held', 'no user', at(6));
    t.match(await store.commands.get(b.id), { state: 'held', heldReason: 'no user', updatedAt: at(6) });
    await store.management.setCommandState([b.id], 'queued', undefined, at(7));
    t.match(await store.commands.get(b.id), { state: 'queued', heldReason: undefined });
    t.same(
      (await store.commands.listForDevice(d.id, { limit: 10, offset: 0 })).map((x) => x.id),
      [a.id, c.id, b.id],
      'newest first',
    );
    t.same(
      (await store.commands.listForDevice(d.id, { limit: 1, offset: 2 })).map((x) => x.id),
      [b.id],
    );
    t.equal(await store.commands.get('missing'), undefined);
    t.same(await store.management.deliverable((await enrolled(store)).id, 10), []);
  });

  withStore('session turns: sent, session state, acks with results, 418 requeue, device fields', async (t, store) => {
    const d = await enrolled(store);
    const get = command(d.id, { createdAt: at(1) });
    const add = command(d.id, { createdAt: at(2), payload: { kind: 'Add', items: [{ target: './Vendor/X', data: '1' }] } });
    for (const x of [get, add]) await store.commands.enqueue(x);
    const state = {
      devicePk: d.id,
      sessionId: 'S1',
      msgIdOut: 1,
      cmdIdOut: 4,
      sent: { '1:3': { commandId: get.id } },
      pending: [],
      auth: 'certificate' as const,
      startedAt: at(10),
    };
    const inv = command(d.id, { origin: 'inventory', createdAt: at(10) });
    await store.management.commitTurn(
      turn(d.id, 'S1', {
        session: state,
        sent: [
          { commandId: get.id, msgId: '1', cmdId: '3' },
          { commandId: add.id, msgId: '1', cmdId: '4' },
        ],
        enqueue: [inv],
        device: {
          currentUser: { oid: 'oid-1', upn: 'u@c' },
          loginStatus: 'user',
          nonce: 'nonce-1',
          inventory: { './DevInfo/Man': 'Contoso', './DevInfo/Mod': 'A' },
        },
        login: { oid: 'oid-1', upn: 'u@c' },
        alerts: [{ code: '1224', type: 'com.microsoft/MDM/LoginStatus', data: 'user' }],
      }),
    );
    t.same(await store.management.getSession(d.id, 'S1'), state);
    t.equal(await store.management.getSession(d.id, 'S2'), undefined);
    t.match(await store.commands.get(get.id), { state: 'sent', sentSession: 'S1', sentMsgId: '1', sentCmdId: '3', sentAt: at(10), attempts: 1 });
    t.equal((await store.commands.get(inv.id))?.origin, 'inventory', 'enqueued in the turn');
    t.match(await store.devices.get(d.id), {
      currentUserOid: 'oid-1',
      currentUserUpn: 'u@c',
      loginStatus: 'user',
      dmNonce: 'nonce-1',
      inventory: { './DevInfo/Man': 'Contoso', './DevInfo/Mod': 'A' },
    });
    t.match(await store.traces.alerts(d.id, 5), [{ code: '1224', type: 'com.microsoft/MDM/LoginStatus', data: 'user', at: at(10), mark: undefined }]);

    // Next package: the Get answered with results, the Add refused with 418 and queued again as Replace.
    const replace = { kind: 'Replace' as const, items: [{ target: './Vendor/X', data: '1' }] };
    await store.management.commitTurn(
      turn(d.id, 'S1', {
        at: at(20),
        sessionIsNew: false,
        session: { ...state, msgIdOut: 2 },
        acks: [
          {
            commandId: get.id,
            state: 'acked',
            status: '200',
            results: [{ locUri: './DevDetail/SwV', format: 'chr', data: '10.0' }, { locUri: './DevDetail/Other' }],
          },
          { commandId: add.id, state: 'queued', status: '418', requeueAs: replace, detail: { note: 'retried' } },
        ],
        device: { inventory: { './DevInfo/Mod': 'B', './DevDetail/SwV': '10.0' }, inventoryAt: at(20), currentUser: null, planMark: null },
        login: { oid: 'oid-1' },
      }),
    );
    t.match(await store.commands.get(get.id), {
      state: 'acked',
      status: '200',
      ackedAt: at(20),
      results: [
        { locUri: './DevDetail/SwV', format: 'chr', data: '10.0' },
        { locUri: './DevDetail/Other', format: undefined, data: undefined },
      ],
    });
    t.match(await store.commands.get(add.id), { state: 'queued', status: '418', payload: replace, detail: { note: 'retried' } });
    const dev = await store.devices.get(d.id);
    t.same(dev?.inventory, { './DevInfo/Man': 'Contoso', './DevInfo/Mod': 'B', './DevDetail/SwV': '10.0' }, 'inventory merged');
    t.equal(dev?.inventoryAt, at(20));
    t.equal(dev?.currentUserOid, undefined, 'user cleared');
    t.equal(dev?.upn, 'owner@contoso.com');
    t.match(await store.traces.logins(d.id), [{ oid: 'oid-1', upn: 'u@c', firstSeen: at(10), lastSeen: at(20), sessions: 2 }]);

    // The Replace goes out in the same session: sent again by this session is allowed.
    await store.management.commitTurn(
      turn(d.id, 'S1', { at: at(30), sessionIsNew: false, session: { ...state, msgIdOut: 3 }, sent: [{ commandId: add.id, msgId: '3', cmdId: '2' }] }),
    );
    t.match(await store.commands.get(add.id), { state: 'sent', attempts: 2, sentMsgId: '3' });
    // Session over.
    await store.management.commitTurn(
      turn(d.id, 'S1', {
        at: at(40),
        sessionIsNew: false,
        session: null,
        acks: [{ commandId: add.id, state: 'failed', status: '500', error: 'device error' }],
      }),
    );
    t.equal(await store.management.getSession(d.id, 'S1'), undefined);
    t.match(await store.commands.get(add.id), { state: 'failed', error: 'device error' });
    t.equal(await store.commands.countQueued(d.id), 1, 'the inventory command');
  });

  withStore('requeueUnanswered: back to the queue, failed after maxAttempts with its delivery', async (t, store) => {
    const d = await enrolled(store);
    const pr = profile();
    await store.profiles.create(pr, audit('profile.create', pr.id));
    const plain = command(d.id, { createdAt: at(1) });
    const last = command(d.id, {
      createdAt: at(2),
      attempts: 2,
      batch: 'B',
      origin: 'profile',
      profile: { profileId: pr.id, version: 1, userKey: '', op: 'apply' },
    });
    for (const x of [plain, last]) await store.commands.enqueue(x);
    await store.deliveries.put([delivery(d.id, pr.id, { batch: 'B', appliedVersion: 1 })]);
    t.equal(await store.management.requeueUnanswered(d.id, 'S1', at(5)), 0, 'nothing sent yet');
    await store.management.commitTurn(
      turn(d.id, 'S1', {
        at: at(5),
        sent: [
          { commandId: plain.id, msgId: '1', cmdId: '2' },
          { commandId: last.id, msgId: '1', cmdId: '3' },
        ],
      }),
    );
    t.equal(await store.management.requeueUnanswered(d.id, 'S1', at(6)), 0, 'the current session keeps its commands');
    t.equal(await store.management.requeueUnanswered(d.id, null, at(7)), 2, 'a package 1 (null): those of a session with the same SessionID too');
    t.match(await store.commands.get(plain.id), { state: 'queued', attempts: 1, updatedAt: at(7) });
    t.match(await store.commands.get(last.id), { state: 'failed', error: 'no status from the device after 3 deliveries' });
    t.match(await store.deliveries.forDevice(d.id), [
      { status: 'failed', detail: 'no status from the device after 3 deliveries', appliedVersion: undefined, updatedAt: at(7) },
    ]);
    t.same(
      (await store.management.deliverable(d.id, 5)).map((x) => x.id),
      [plain.id],
    );
  });

  withStore('unenroll, session pruning, batch commands', async (t, store) => {
    const d = await enrolled(store);
    const c1 = (await store.certificates.listForDevice(d.id))[0];
    const q = command(d.id, { batch: 'b2', createdAt: at(2) });
    const s = command(d.id, { batch: 'b1', createdAt: at(1) });
    const s2 = command(d.id, { batch: 'b1', createdAt: at(3) });
    for (const x of [q, s, s2]) await store.commands.enqueue(x);
    t.same(
      (await store.management.batchCommands(['b2', 'b1'])).map((x) => x.id),
      [q.id, s.id, s2.id],
      'batch by batch, in order',
    );
    t.same(await store.management.batchCommands([]), []);
    const st = (id: string) => ({ devicePk: d.id, sessionId: id, msgIdOut: 1, cmdIdOut: 1, sent: {}, pending: [], auth: 'digest' as const, startedAt: at(0) });
    await store.management.commitTurn(turn(d.id, 'OLD', { at: at(1), session: st('OLD') }));
    await store.management.commitTurn(turn(d.id, 'NEW', { at: at(100), session: st('NEW'), sent: [{ commandId: s.id, msgId: '1', cmdId: '2' }] }));
    t.equal(await store.management.pruneSessions(at(50)), 1);
    t.equal(await store.management.getSession(d.id, 'OLD'), undefined);
    t.ok(await store.management.getSession(d.id, 'NEW'));
    await store.management.unenroll(d.id, at(200), 'unenrolled by the user');
    t.match(await store.devices.get(d.id), { state: 'unenrolled', unenrolledAt: at(200), updatedAt: at(200) });
    t.match(await store.certificates.getBySerial(c1.serial), { status: 'revoked', revocationReason: 'unenrolled by the user' });
    for (const x of [q, s, s2]) t.match(await store.commands.get(x.id), { state: 'cancelled', error: 'device unenrolled' });
    t.equal(await store.management.getSession(d.id, 'NEW'), undefined);
    t.equal(await store.commands.countQueued(d.id), 0);
    t.match((await store.audit.list({ limit: 1 }))[0], {
      action: 'device.unenroll',
      actor: `device:${d.deviceId}`,
      targetId: d.id,
      detail: { reason: 'unenrolled by the user' },
    });
    // Enrolling again gets a fresh record; the unenrolled one is kept as history.
    const again = await store.enrollments.recordEnrollment(device({ deviceId: d.deviceId, enrolledAt: at(300) }), cert());
    t.not(again.id, d.id);
    t.match(await store.devices.getByDeviceId(d.deviceId), { id: again.id, state: 'enrolled' });
    t.match(await store.devices.get(d.id), { state: 'unenrolled', deviceId: `released:${d.id}`, releasedDeviceId: d.deviceId });
  });

  withStore('traces and last-seen are written behind; flush() makes them visible; prune', async (t, store) => {
    const d = await enrolled(store);
    const e = await enrolled(store);
    const tr = (sessionId: string, msgId: string, direction: 'in' | 'out', s: number, body = `<${direction}${msgId}/>`) => ({
      sessionId,
      msgId,
      direction,
      at: at(s),
      body,
      truncated: body.length > 10,
    });
    await store.management.commitTurn(turn(d.id, 'S1', { at: at(10), traces: [tr('S1', '1', 'in', 10), tr('S1', '1', 'out', 10)] }));
    await store.management.commitTurn(turn(d.id, 'S1', { at: at(11), traces: [tr('S1', '2', 'in', 11, 'a long message body'), tr('S1', '2', 'out', 11)] }));
    await store.management.commitTurn(turn(d.id, 'S2', { at: at(20), traces: [tr('S2', '1', 'in', 20), tr('S2', '1', 'out', 20)] }));
    await store.management.commitTurn(turn(e.id, 'E1', { at: at(5), traces: [tr('E1', '1', 'in', 5)] }));
    await store.flush();
    t.equal((await store.devices.get(d.id))?.lastSeenAt, at(20));
    t.equal((await store.devices.get(e.id))?.lastSeenAt, at(5));
    const all = await store.traces.list(d.id, { limit: 10 });
    t.same(
      all.map((x) => `${x.sessionId}/${x.msgId}/${x.direction}`),
      ['S2/1/out', 'S2/1/in', 'S1/2/out', 'S1/2/in', 'S1/1/out', 'S1/1/in'],
      'newest first',
    );
    t.match(all[3], { body: 'a long message body', truncated: true, at: at(11) });
    t.equal(all[0].truncated, false);
    t.ok(all.every((x) => typeof x.id === 'number'));
    t.same(
      (await store.traces.list(d.id, { limit: 3, sessionId: 'S1' })).map((x) => `${x.msgId}/${x.direction}`),
      ['2/out', '2/in', '1/out'],
    );
    // Retention: nothing older than `before`, and at most N per device.
    t.equal(await store.traces.prune(at(6), 3), 1 + 3);
    t.same(
      (await store.traces.list(d.id, { limit: 10 })).map((x) => `${x.sessionId}/${x.msgId}/${x.direction}`),
      ['S2/1/out', 'S2/1/in', 'S1/2/out'],
    );
    t.same(await store.traces.list(e.id, { limit: 10 }), []);
    // close() writes what is still buffered (checked by the backend files that reopen).
  });

  withStore('device alerts: newest N kept per device by commitTurn; pruneAlerts by age and count', async (t, store) => {
    const d = await enrolled(store);
    const e = await enrolled(store);
    const al = (i: number) => ({ code: '1226', type: 't', data: `a${i}` });
    await store.management.commitTurn(turn(d.id, 'S1', { at: at(10), alerts: [al(1), al(2), al(3)] }));
    await store.management.commitTurn(turn(e.id, 'E1', { at: at(10), alerts: [al(9)], alertsPerDevice: 1 }));
    await store.management.commitTurn(turn(d.id, 'S2', { at: at(20), alerts: [al(4), al(5)], alertsPerDevice: 3 }));
    t.same(
      (await store.traces.alerts(d.id, 10)).map((a) => a.data),
      ['a5', 'a4', 'a3'],
      'the newest 3 of the device',
    );
    t.same(
      (await store.traces.alerts(e.id, 10)).map((a) => a.data),
      ['a9'],
      'other devices untouched',
    );
    t.equal(await store.traces.pruneAlerts(at(15), 10), 2, 'older than `before`');
    t.same(
      (await store.traces.alerts(d.id, 10)).map((a) => a.data),
      ['a5', 'a4'],
    );
    t.same(
      (await store.traces.alerts(e.id, 10)).map((a) => a.data),
      [],
    );
    t.equal(await store.traces.pruneAlerts(at(0), 1), 1, 'beyond the newest N per device');
    t.same(
      (await store.traces.alerts(d.id, 10)).map((a) => a.data),
      ['a5'],
    );
  });

  withStore("session state: a new session keeps only the device's most recent N", async (t, store) => {
    const d = await enrolled(store);
    const e = await enrolled(store);
    const state = (devicePk: string, sessionId: string) => ({
      devicePk,
      sessionId,
      msgIdOut: 1,
      cmdIdOut: 1,
      sent: {},
      pending: [],
      auth: 'certificate' as const,
      startedAt: at(0),
    });
    await store.management.commitTurn(turn(e.id, 'E1', { at: at(1), session: state(e.id, 'E1'), sessionsPerDevice: 2 }));
    for (let i = 1; i <= 5; i++) {
      await store.management.commitTurn(turn(d.id, `S${i}`, { at: at(i), session: state(d.id, `S${i}`), sessionsPerDevice: 3 }));
    }
    const kept = [];
    for (let i = 1; i <= 5; i++) if (await store.management.getSession(d.id, `S${i}`)) kept.push(`S${i}`);
    t.same(kept, ['S3', 'S4', 'S5'], 'the newest 3');
    t.ok(await store.management.getSession(e.id, 'E1'), 'other devices untouched');
  });

  withStore('profiles: versions, generation, assignments, delete', async (t, store) => {
    const g0 = await store.profiles.generation();
    const p = profile({ context: { cert: 'c1' } });
    await store.profiles.create(p, audit('profile.create', p.id));
    t.equal(await store.profiles.generation(), g0 + 1);
    t.same(await store.profiles.get(p.id), { ...p, deletedAt: undefined });
    const p2 = profile({ name: 'Wi-Fi', kind: 'wifi', scope: 'device', createdAt: at(1) });
    await store.profiles.create(p2, audit('profile.create', p2.id));
    t.same(
      (await store.profiles.list()).map((x) => x.id),
      [p.id, p2.id],
    );

    const v2 = { ...p, settings: { server: 'vpn2.contoso.com' }, context: undefined, version: 2, updatedAt: at(5) };
    t.equal(await store.profiles.update(v2, audit('profile.change', p.id, 5)), true);
    t.equal(await store.profiles.generation(), g0 + 3);
    t.match(await store.profiles.get(p.id), { version: 2, settings: { server: 'vpn2.contoso.com' }, context: undefined });
    t.same(await store.profiles.version(p.id, 1), { settings: p.settings, context: { cert: 'c1' } });
    t.same(await store.profiles.version(p.id, 2), { settings: v2.settings, context: undefined });
    t.equal(await store.profiles.version(p.id, 3), undefined);

    t.equal(await store.profiles.assign({ profileId: p.id, targetType: 'user', targetId: 'oid-1', createdAt: at(6) }, audit('profile.assign', p.id, 6)), true);
    t.equal(
      await store.profiles.assign({ profileId: p.id, targetType: 'user', targetId: 'oid-1', createdAt: at(7) }, audit('profile.assign', p.id, 7)),
      false,
      'already assigned',
    );
    await store.profiles.assign({ profileId: p.id, targetType: 'all', targetId: '*', createdAt: at(8) }, audit('profile.assign', p.id, 8));
    await store.profiles.assign({ profileId: p2.id, targetType: 'device', targetId: 'd1', createdAt: at(8) }, audit('profile.assign', p2.id, 8));
    t.equal(await store.profiles.generation(), g0 + 6, 'each new assignment bumps');
    t.same(
      (await store.profiles.assignments(p.id)).map((a) => `${a.targetType}:${a.targetId}`),
      ['user:oid-1', 'all:*'],
    );
    t.equal(await store.profiles.unassign(p.id, 'all', '*', audit('profile.unassign', p.id, 9)), true);
    t.equal(await store.profiles.unassign(p.id, 'all', '*', audit('profile.unassign', p.id, 9)), false);
    t.equal(await store.profiles.generation(), g0 + 7);
    t.equal((await store.profiles.allAssignments()).length, 2);

    t.equal(await store.profiles.delete(p.id, at(10), audit('profile.delete', p.id, 10)), true);
    t.equal(await store.profiles.delete(p.id, at(11), audit('profile.delete', p.id, 11)), false);
    t.equal(await store.profiles.update({ ...v2, version: 3 }, audit('profile.change', p.id, 12)), false, 'a deleted profile does not change');
    t.equal(await store.profiles.generation(), g0 + 8);
    t.match(await store.profiles.get(p.id), { deletedAt: at(10) });
    t.same(
      (await store.profiles.list()).map((x) => x.id),
      [p2.id],
    );
    t.same(await store.profiles.assignments(p.id), []);
    t.same(
      (await store.profiles.allAssignments()).map((a) => a.profileId),
      [p2.id],
    );
    t.ok(await store.profiles.version(p.id, 2), 'versions of deleted profiles stay readable');
    t.same(
      (await store.audit.list({ limit: 20 })).map((e) => e.action).reverse(),
      ['profile.create', 'profile.create', 'profile.change', 'profile.assign', 'profile.assign', 'profile.assign', 'profile.unassign', 'profile.delete'],
      'one audit entry per change, none for refused ones',
    );
  });

  withStore('groups and members', async (t, store) => {
    const g0 = await store.profiles.generation();
    const ga = { id: uuid(), name: 'b-team', kind: 'user' as const, createdAt: at(0) };
    const gb = { id: uuid(), name: 'A-team', kind: 'device' as const, createdAt: at(1) };
    t.equal(await store.groups.create(ga, audit('group.create', ga.id)), true);
    t.equal(await store.groups.create({ ...ga, id: uuid() }, audit('group.create', 'x')), false, 'names are unique');
    await store.groups.create(gb, audit('group.create', gb.id));
    t.equal(await store.profiles.generation(), g0, 'an empty group changes nothing');
    t.same(await store.groups.get(ga.id), ga);
    t.same(
      (await store.groups.list()).map((g) => g.name),
      ['A-team', 'b-team'],
    );
    t.equal(await store.groups.addMembers(ga.id, ['oid-2', 'oid-1', 'oid-1']), 2);
    t.equal(await store.groups.addMembers(ga.id, ['oid-1']), 0);
    t.equal(await store.profiles.generation(), g0 + 1);
    await store.groups.addMembers(gb.id, ['dev-1']);
    t.same(await store.groups.members(ga.id), ['oid-1', 'oid-2']);
    t.equal(await store.groups.removeMember(ga.id, 'oid-1'), true);
    t.equal(await store.groups.removeMember(ga.id, 'oid-1'), false);
    t.same((await store.groups.allMembers()).map((m) => `${m.groupId === ga.id ? 'a' : 'b'}:${m.member}`).sort(), ['a:oid-2', 'b:dev-1']);
    const p = profile();
    await store.profiles.create(p, audit('profile.create', p.id));
    await store.profiles.assign({ profileId: p.id, targetType: 'group', targetId: ga.id, createdAt: at(2) }, audit('profile.assign', p.id));
    const g1 = await store.profiles.generation();
    t.equal(await store.groups.delete(ga.id, audit('group.delete', ga.id)), true);
    t.equal(await store.groups.delete(ga.id, audit('group.delete', ga.id)), false);
    t.equal(await store.profiles.generation(), g1 + 1);
    t.equal(await store.groups.get(ga.id), undefined);
    t.same(await store.profiles.assignments(p.id), [], 'its assignments go with it');
    t.same(
      (await store.groups.allMembers()).map((m) => m.member),
      ['dev-1'],
      'and its members',
    );
  });

  withStore('profile deliveries: put, per device, summary, list, session turn writes and drops', async (t, store) => {
    const d = await enrolled(store);
    const e = await enrolled(store);
    const p = profile({ version: 3 });
    const q = profile();
    for (const x of [p, q]) await store.profiles.create(x, audit('profile.create', x.id));
    await store.deliveries.put([
      delivery(d.id, p.id, { userKey: 'oid-b', status: 'verified', version: 3, appliedVersion: 3, updatedAt: at(1) }),
      delivery(d.id, p.id, { userKey: 'oid-a', status: 'failed', version: 2, detail: '500 ./User/X', updatedAt: at(2) }),
      delivery(d.id, q.id, { userKey: '', status: 'held', hold: 'no-user', detail: 'no user', updatedAt: at(3) }),
      delivery(e.id, p.id, { status: 'removed', version: 1, updatedAt: at(4) }),
      delivery(e.id, p.id, { status: 'held', version: 1, hold: 'dependency', batch: 'bb', upn: 'x@c', updatedAt: at(5) }),
    ]);
    const rows = await store.deliveries.forDevice(d.id);
    t.same(
      rows.map((r) => `${r.userKey}/${r.profileId === p.id ? 'p' : 'q'}`),
      ['/q', 'oid-a/p', 'oid-b/p'],
      'by user, then profile',
    );
    t.same(rows[0], {
      devicePk: d.id,
      userKey: '',
      upn: undefined,
      profileId: q.id,
      version: 1,
      appliedVersion: undefined,
      status: 'held',
      detail: 'no user',
      hold: 'no-user',
      batch: undefined,
      updatedAt: at(3),
    });
    t.match((await store.deliveries.forDevice(e.id))[0], { status: 'held', hold: 'dependency', batch: 'bb', upn: 'x@c' }, 'the last write of a key wins');
    t.same(await store.deliveries.summary(p.id, 3), { counts: { verified: 1, failed: 1, held: 1 }, outdated: 2 });
    t.same(
      (await store.deliveries.list(p.id, { limit: 10, offset: 0 })).map((r) => r.updatedAt),
      [at(5), at(2), at(1)],
      'newest first',
    );
    t.same(
      (await store.deliveries.list(p.id, { status: 'failed', limit: 10, offset: 0 })).map((r) => r.userKey),
      ['oid-a'],
    );
    t.same(
      (await store.deliveries.list(p.id, { limit: 1, offset: 1 })).map((r) => r.updatedAt),
      [at(2)],
    );

    await store.management.commitTurn(
      turn(d.id, 'S1', {
        deliveries: [delivery(d.id, p.id, { userKey: 'oid-a', status: 'pending', version: 3, batch: 'n1', updatedAt: at(10) })],
        dropDeliveries: [{ userKey: '', profileId: q.id }],
      }),
    );
    t.same(
      (await store.deliveries.forDevice(d.id)).map((r) => `${r.userKey}:${r.status}`),
      ['oid-a:pending', 'oid-b:verified'],
    );
    await store.deliveries.put([]);
  });
  withStore('enrollment trust: the holder re-enrolls, another principal is refused, a released record is history', async (t, store) => {
    const claim = (actor: string, certThumbprint?: string) => ({ actor, certThumbprint });
    const c1 = cert();
    const d = await store.enrollments.recordEnrollment(device({ deviceId: 'DEV-T', principal: 'entra:t1/alice' }), c1, claim('entra:t1/alice'));
    t.equal(d.reenrolled, false);
    const cmd = command(d.id);
    await store.commands.enqueue(cmd);

    // Another principal (another tenant's user, an on-premises account): refused, nothing written.
    for (const principal of ['entra:t2/alice', 'onprem:mallory']) {
      await t.rejects(
        store.enrollments.recordEnrollment(device({ deviceId: 'DEV-T', principal, enrolledAt: at(10) }), cert(), claim(principal)),
        { name: 'DeviceHeldError' },
        `${principal} is refused`,
      );
    }
    await t.rejects(
      store.enrollments.recordEnrollment(device({ deviceId: 'DEV-T', principal: 'onprem:mallory' }), cert(), claim('onprem:mallory', cert().thumbprint)),
      { name: 'DeviceHeldError' },
      "a certificate that is not the record's proves nothing",
    );
    t.match(await store.devices.get(d.id), { principal: 'entra:t1/alice', enrolledAt: at(0), state: 'enrolled' });
    t.match(await store.certificates.getBySerial(c1.serial), { status: 'active' }, 'the holder keeps working');
    t.equal((await store.commands.get(cmd.id))?.state, 'queued');

    // The same principal, then the holder of the active certificate (whoever signs in): the same record.
    const c2 = cert({ issuedAt: at(20) });
    const same = await store.enrollments.recordEnrollment(
      device({ deviceId: 'DEV-T', principal: 'entra:t1/alice', enrolledAt: at(20) }),
      c2,
      claim('entra:t1/alice'),
    );
    t.match(same, { id: d.id, reenrolled: true });
    const c3 = cert({ issuedAt: at(30) });
    const holder = await store.enrollments.recordEnrollment(
      device({ deviceId: 'DEV-T', principal: 'entra:t1/bob', enrolledAt: at(30) }),
      c3,
      claim('entra:t1/bob', c2.thumbprint),
    );
    t.match(holder, { id: d.id, reenrolled: true });
    t.match(await store.devices.get(d.id), { principal: 'entra:t1/bob' });
    const log = (await store.audit.list({ limit: 10 })).filter((e) => e.targetId === d.id);
    t.same(
      log.map((e) => [e.action, e.actor]),
      [
        ['device.reenroll', 'entra:t1/bob'],
        ['device.reenroll', 'entra:t1/alice'],
        ['device.enroll', 'entra:t1/alice'],
      ],
    );

    // Released by an admin: revoked at once, then anyone gets a fresh record that inherits nothing.
    t.equal(await store.enrollments.revoke(d.id, at(40), 'revoked by an administrator', audit('device.revoke', d.id, 40)), true);
    t.equal(await store.enrollments.revoke(d.id, at(41), 'again', audit('device.revoke', d.id, 41)), false, 'only an enrolled device');
    t.match(await store.devices.get(d.id), { state: 'unenrolled', unenrolledAt: at(40) });
    t.match(await store.certificates.getBySerial(c3.serial), { status: 'revoked', revocationReason: 'revoked by an administrator' });
    t.match(await store.commands.get(cmd.id), { state: 'cancelled', error: 'device revoked' });
    t.match((await store.audit.list({ limit: 1 }))[0], { action: 'device.revoke', detail: { certificates: 1, commandsCancelled: 1 } });
    const fresh = await store.enrollments.recordEnrollment(
      device({ deviceId: 'DEV-T', principal: 'onprem:mallory', enrolledAt: at(50) }),
      cert(),
      claim('onprem:mallory'),
    );
    t.not(fresh.id, d.id);
    t.equal(fresh.reenrolled, false);
    t.equal((await store.devices.getByDeviceId('DEV-T'))?.id, fresh.id);
    t.match(await store.devices.get(d.id), { deviceId: `released:${d.id}`, releasedDeviceId: 'DEV-T', state: 'unenrolled' });
    t.same((await store.certificates.listForDevice(fresh.id)).length, 1);
    t.equal(await store.commands.countQueued(fresh.id), 0);
  });

  withStore('renewal: of two renewals of one certificate exactly one wins; none after a revocation', async (t, store) => {
    const d = await enrolled(store);
    const old = (await store.certificates.listForDevice(d.id))[0];
    const a = cert({ issuedAt: at(10), replacesSerial: old.serial });
    const b = cert({ issuedAt: at(10), replacesSerial: old.serial });
    const won = await Promise.all([
      store.enrollments.recordRenewal(d.id, a, old.serial, at(10), 'device:x'),
      store.enrollments.recordRenewal(d.id, b, old.serial, at(10), 'device:x'),
    ]);
    t.same(won.slice().sort(), [false, true]);
    const active = (await store.certificates.listForDevice(d.id)).filter((c) => c.status === 'active');
    t.equal(active.length, 1, 'one active certificate');
    t.equal(await store.certificates.getBySerial((won[0] ? b : a).serial), undefined, 'the loser is not recorded');
    t.match((await store.audit.list({ limit: 1 }))[0], { action: 'device.renew', actor: 'device:x', targetId: d.id, detail: { replaces: old.serial } });
    await store.enrollments.revoke(d.id, at(20), 'revoked', audit('device.revoke', d.id, 20));
    t.equal(await store.enrollments.recordRenewal(d.id, cert(), active[0].serial, at(30)), false, 'a revoked device renews nothing');
  });

  withStore('pending revocations: after the command is answered or at the deadline; devices of a tenant', async (t, store) => {
    const d = await enrolled(store, { tenantId: 'tn-1' });
    const e = await enrolled(store, { tenantId: 'tn-1' });
    await enrolled(store, { tenantId: 'tn-2' });
    t.same((await store.enrollments.devicesOfTenant('tn-1')).sort(), [d.id, e.id].sort());
    const wipe = command(d.id, { action: 'wipe' });
    const retire = command(e.id, { action: 'retire' });
    for (const c of [wipe, retire]) await store.commands.enqueue(c);
    t.equal(await store.enrollments.revokeAfter(d.id, wipe.id, at(1000), at(1), audit('device.revoke.pending', d.id, 1)), true);
    t.equal(await store.enrollments.revokeAfter(e.id, retire.id, at(2000), at(1), audit('device.revoke.pending', e.id, 1)), true);
    t.match(await store.devices.get(d.id), { revokeCommand: wipe.id, revokeDeadline: at(1000) });
    t.same(await store.enrollments.revocationsDue(at(5), 10), [], 'nothing answered, no deadline passed');
    const again = await store.enrollments.recordEnrollment(device({ deviceId: d.deviceId, tenantId: 'tn-1', enrolledAt: at(3) }), cert());
    t.match(again, { id: d.id, reenrolled: true });
    t.match(await store.devices.get(d.id), { revokeCommand: wipe.id, revokeDeadline: at(1000) }, 'a re-enrollment does not escape a pending revocation');
    await store.management.commitTurn(turn(d.id, 'S', { sent: [{ commandId: wipe.id, msgId: '1', cmdId: '2' }] }));
    await store.management.commitTurn(turn(d.id, 'S', { acks: [{ commandId: wipe.id, state: 'acked', status: '200' }] }));
    t.same(await store.enrollments.revocationsDue(at(6), 10), [d.id], 'the wipe was acknowledged');
    t.same((await store.enrollments.revocationsDue(at(2000), 10)).sort(), [d.id, e.id].sort(), 'the deadline passed');
    await store.enrollments.revoke(d.id, at(7), 'revoked', audit('device.revoke', d.id, 7));
    t.same(await store.enrollments.revocationsDue(at(2000), 10), [e.id], 'done once revoked');
    t.same(await store.enrollments.devicesOfTenant('tn-1'), [e.id]);
  });

  withStore('group membership changes are audited with the change', async (t, store) => {
    const g = { id: uuid(), name: 'G', kind: 'device' as const, createdAt: at(0) };
    await store.groups.create(g, audit('group.create', g.id));
    t.equal(await store.groups.addMembers(g.id, ['a', 'b'], audit('group.members.add', g.id, 1)), 2);
    t.equal(await store.groups.addMembers(g.id, ['a'], audit('group.members.add', g.id, 2)), 0);
    t.equal(await store.groups.removeMember(g.id, 'a', audit('group.members.remove', g.id, 3, { member: 'a' })), true);
    t.equal(await store.groups.removeMember(g.id, 'a', audit('group.members.remove', g.id, 4, { member: 'a' })), false);
    const log = await store.audit.list({ limit: 10 });
    t.same(
      log.map((e) => e.action),
      ['group.members.remove', 'group.members.add', 'group.create'],
      'only changes that happened',
    );
    t.same((log[1].detail?.added as string[]).sort(), ['a', 'b']);
    t.same(log[0].detail, { member: 'a' });
  });
}
