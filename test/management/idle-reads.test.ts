// What an idle check-in reads (#16 follow-up, the idle session's cost): the session engine over
// a real SQLite store whose calls are counted, on a driven clock. Once a device holds its
// check-in schedule, branding and renewal settings, a session start reads none of their per-device
// states and the profile generation twice (the reconciler's, and one for the schedule and the
// branding together). A device that refused the renewal settings reads nothing of them either
// until their retry is due an hour later; then the Atomic goes out again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { EntraValidator } from '../../src/identity/entra.js';
import { CertificateAuthority, generateCa } from '../../src/pki/ca.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { SyncCommand } from '../../src/protocol/syncml/types.js';
import { DEFAULT_MANAGEMENT_SETTINGS, SessionEngine } from '../../src/service/management/engine.js';
import { Reconciler } from '../../src/service/reconcile/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const HOUR = 3600_000;

/** The store with every call of an area's method counted as 'area.method'. */
function counted(store: Store, calls: Map<string, number>): Store {
  return new Proxy(store, {
    get(target, area, recv) {
      const v = Reflect.get(target, area, recv) as unknown;
      if (typeof area !== 'string' || typeof v !== 'object' || v === null) return v;
      return new Proxy(v, {
        get(o, m) {
          const f = Reflect.get(o, m) as unknown;
          if (typeof m !== 'string' || typeof f !== 'function') return f;
          return (...a: unknown[]) => {
            calls.set(`${area}.${m}`, (calls.get(`${area}.${m}`) ?? 0) + 1);
            return (f as (...x: unknown[]) => unknown).apply(o, a);
          };
        },
      });
    },
  }) as Store;
}

t.test('an idle session reads no per-device setting state', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-idle-reads-'));
  const real = openSqliteStore(path.join(dir, 'db.sqlite'));
  t.teardown(async () => {
    await real.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const calls = new Map<string, number>();
  const store = counted(real, calls);
  const T = Date.now();
  let clock = T;
  const iso = (ms: number) => new Date(T + ms).toISOString();
  const pem = generateCa({ commonName: 'idle-reads' });
  const ca = CertificateAuthority.fromPem(pem.certPem, pem.keyPem);
  const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const c = ca.issueClientCertificate({ subjectCn: 'dev', publicKeySpkiDer: key.publicKey.export({ type: 'spki', format: 'der' }), validityDays: 30 });
  const deviceId = 'IDLEREADS1';
  // Enrolled before this server ran its renewal settings: it is sent them once (rule 60).
  await real.enrollments.recordEnrollment(
    {
      id: crypto.randomUUID(),
      deviceId,
      enrollmentType: 'Full',
      authMethod: 'onpremise',
      state: 'enrolled',
      enrolledAt: iso(-HOUR),
      updatedAt: iso(-HOUR),
      dmUsername: deviceId,
      dmPasswordDigest: 'x',
      dmServerName: 'f',
      dmServerDigest: 'x',
      dmNonce: 'AA==',
      inventoryAt: iso(-1000),
      upn: 'owner@contoso.com',
    },
    {
      serial: c.serialHex,
      devicePk: '',
      thumbprint: c.thumbprint,
      subject: 'CN=dev',
      notBefore: iso(-HOUR),
      notAfter: c.notAfter.toISOString(),
      issuedAt: iso(-HOUR),
      status: 'active',
      derBase64: c.der.toString('base64'),
    },
  );
  await real.branding.set(JSON.stringify({ helpPhoneNumber: '+1 425 555 0100' }), iso(-HOUR), {
    at: iso(-HOUR),
    actor: 'admin',
    action: 'settings.branding.set',
    targetType: 'settings',
    targetId: 'branding',
  });
  const engine = new SessionEngine({
    settings: { ...DEFAULT_MANAGEMENT_SETTINGS, publicUrl: 'https://h', providerId: 'fenestra', renewal: { renewPeriodDays: 42, retryIntervalDays: 7 } },
    store,
    ca,
    entra: new EntraValidator({ lookupTenant: async () => undefined }),
    now: () => new Date(clock),
    log: pino({ level: 'silent' }),
    reconciler: new Reconciler(store, crypto.randomBytes(32)),
  });
  let sid = 0;
  const hdr = (msgId: string) => ({ verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(sid), msgId, targetUri: 'https://h/M', sourceUri: deviceId });
  const post = async (msgId: string, body: SyncCommand[]) => {
    const r = await engine.handle({ body: Buffer.from(buildSyncML({ hdr: hdr(msgId), final: true, body })), cred: { certDer: c.der } });
    t.equal(r.status, 200, r.status === 200 ? 'answered' : r.body);
    return parseSyncML(Buffer.from(r.body)).body.filter((x) => x.kind !== 'Status');
  };
  /** One session at `ms`: package 1, then Statuses for our commands (`code` for those naming `refuse`, 200 for the others). */
  const session = async (ms: number, refuse?: string, code = '500') => {
    clock = T + ms;
    sid++;
    calls.clear();
    const sent = await post('1', [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      { kind: 'Replace', cmdId: '2', items: [{ source: './DevInfo/DevId', data: deviceId }] },
    ]);
    const reads = new Map(calls);
    if (sent.length) {
      const targets = (x: SyncCommand): string[] => [
        ...('items' in x ? x.items.map((i) => i.target ?? '') : []),
        ...('commands' in x ? x.commands.flatMap(targets) : []),
      ];
      const statuses: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
      for (const x of sent) {
        const no = refuse !== undefined && targets(x).some((u) => u.includes(refuse));
        statuses.push({ kind: 'Status', cmdId: String(statuses.length + 1), msgRef: '1', cmdRef: x.cmdId, cmd: x.kind, data: no ? code : '200', items: [] });
      }
      await post('2', statuses);
    }
    return {
      sent: sent.map((x) => x.kind + ':' + JSON.stringify(x).match(/DMClient\/Provider\/fenestra\/(\w+)|WSTEP\/Renew|DevDetail|AppInventory/)?.[0]),
      reads,
    };
  };
  const stateReads = (r: Map<string, number>) =>
    ['branding.deviceState', 'renewalSettings.deviceState', 'checkinSchedules.deviceState'].map((k) => r.get(k) ?? 0);

  // First session: the branding, the renewal settings; the renewal settings refused.
  const first = await session(0, 'WSTEP/Renew');
  t.ok(
    first.sent.some((s) => s.includes('WSTEP/Renew')),
    `the renewal settings go out (${first.sent.join(', ')})`,
  );
  t.ok(
    first.sent.some((s) => s.includes('HelpPhoneNumber') || s.includes('Provider/fenestra')),
    'the branding goes out',
  );

  // The next session folds the refusal in (one read); later ones within the hour read nothing of it.
  const second = await session(60_000);
  t.same(second.sent, [], 'nothing is sent again at once');
  for (const ms of [120_000, 600_000, HOUR - 60_000]) {
    const idle = await session(ms);
    t.same(idle.sent, [], `idle at +${ms / 60_000} min`);
    t.same(stateReads(idle.reads), [0, 0, 0], 'no per-device setting state read');
    t.equal(idle.reads.get('profiles.generation'), 2, 'the profile generation read twice (the reconciler, the settings)');
    t.equal(idle.reads.get('renewalSettings.current') ?? 0, 0, 'nor the server renewal settings');
  }

  // The retry is due an hour after the refusal: the Atomic goes out again, and is taken.
  const retry = await session(HOUR + 120_000);
  t.ok(
    retry.sent.some((s) => s.includes('WSTEP/Renew')),
    `retried an hour later (${retry.sent.join(', ')})`,
  );
  await session(HOUR + 180_000);
  const settled = await session(HOUR + 240_000);
  t.same(settled.sent, [], 'then holds everything');
  t.same(stateReads(settled.reads), [0, 0, 0], 'and its sessions read no per-device setting state');
  t.equal(settled.reads.get('profiles.generation'), 2);
  t.match(JSON.parse((await real.renewalSettings.deviceState((await real.devices.getByDeviceId(deviceId))!.id))!), { applied: String });
});
