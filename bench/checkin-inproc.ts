// Where an idle check-in's CPU goes without HTTP/TLS: SessionEngine.handle called in-process for
// package 1 of an enrolled device with nothing queued. Diagnostic companion to bench/checkin.
import { Reconciler } from '../src/service/reconcile/index.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EntraValidator } from '../src/identity/entra.js';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildSyncML } from '../src/protocol/syncml/build.js';
import { parseSyncML } from '../src/protocol/syncml/parse.js';
import { DEFAULT_MANAGEMENT_SETTINGS, SessionEngine } from '../src/service/management/engine.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { fmt } from './stats.js';

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-checkin-inproc-'));
  const store = openSqliteStore(path.join(dir, 'db.sqlite'));
  const pem = generateCa({ commonName: 'bench' });
  const ca = CertificateAuthority.fromPem(pem.certPem, pem.keyPem);
  const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const c = ca.issueClientCertificate({ subjectCn: 'dev', publicKeySpkiDer: k.publicKey.export({ type: 'spki', format: 'der' }), validityDays: 30 });
  const now = new Date().toISOString();
  const deviceId = 'BENCHDEVICE';
  await store.enrollments.recordEnrollment(
    {
      id: crypto.randomUUID(),
      deviceId,
      enrollmentType: 'Full',
      authMethod: 'onpremise',
      state: 'enrolled',
      enrolledAt: now,
      updatedAt: now,
      dmUsername: deviceId,
      dmPasswordDigest: 'x',
      dmServerName: 'f',
      dmServerDigest: 'x',
      dmNonce: 'AA==',
      inventoryAt: now,
    },
    {
      serial: c.serialHex,
      devicePk: '',
      thumbprint: c.thumbprint,
      subject: 'CN=dev',
      notBefore: now,
      notAfter: c.notAfter.toISOString(),
      issuedAt: now,
      status: 'active',
      derBase64: c.der.toString('base64'),
    },
  );
  const dev = (await store.devices.getByDeviceId(deviceId))!;
  await store.management.commitTurn({
    devicePk: dev.id,
    at: now,
    session: null,
    sessionIsNew: true,
    sessionId: '0',
    acks: [],
    sent: [],
    alerts: [],
    traces: [],
    enqueue: [],
    device: { inventory: {}, inventoryAt: now },
  });
  const engine = new SessionEngine({
    settings: { ...DEFAULT_MANAGEMENT_SETTINGS, publicUrl: 'https://h', providerId: 'fenestra' },
    store,
    ca,
    entra: new EntraValidator({ lookupTenant: async () => undefined }),
    now: () => new Date(),
    log: pino({ level: 'warn' }),
    reconciler: new Reconciler(store, crypto.randomBytes(32)),
  });
  let sid = 0;
  const pkg1 = () =>
    Buffer.from(
      buildSyncML({
        hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(++sid), msgId: '1', targetUri: 'https://h/ManagementServer/MDM.svc', sourceUri: deviceId },
        final: true,
        body: [
          { kind: 'Alert', cmdId: '2', data: '1201', items: [] },
          { kind: 'Alert', cmdId: '3', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }] },
          {
            kind: 'Replace',
            cmdId: '4',
            items: ['DevId', 'Man', 'Mod', 'DmV', 'Lang'].map((n) => ({ source: `./DevInfo/${n}`, data: n === 'DevId' ? deviceId : 'x' })),
          },
        ],
      }),
    );
  const body = pkg1();
  const time = async (name: string, fn: () => unknown, n = 5000) => {
    for (let i = 0; i < 200; i++) await fn();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    const cc = process.cpuUsage(c0);
    console.log(`  ${name.padEnd(36)} ${fmt(((performance.now() - t0) / n) * 1000, 0)} µs wall, ${fmt((cc.user + cc.system) / n, 0)} µs CPU`);
  };
  console.log('fenestra bench/checkin-inproc (idle package 1, per call)');
  await time('SessionEngine.handle (idle)', () => engine.handle({ body: pkg1(), cred: { certDer: c.der } }));
  await time('  parseSyncML(package 1)', () => parseSyncML(body));
  await time('  store.certificates.getByThumbprint', () => store.certificates.getByThumbprint(c.thumbprint));
  await time('  store.devices.get', () => store.devices.get(dev.id));
  await time('  store.management.deliverable', () => store.management.deliverable(dev.id, 50));
  await time('  store.management.requeueUnanswered', () => store.management.requeueUnanswered(dev.id, 'x', now));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
void main();
