// Where the server's CPU goes in one enrollment, without HTTP: the three SOAP endpoints
// called in-process, then each step alone. A diagnostic companion to bench/enroll.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EntraValidator } from '../src/identity/entra.js';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../src/pki/csr.js';
import { parseSoapRequest } from '../src/protocol/soap.js';
import { EnrollmentEndpoints } from '../src/service/enrollment/endpoints.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { startFakeEntra } from '../test/helpers/entra.js';
import { fmt } from './stats.js';

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-inproc-'));
  const entra = await startFakeEntra();
  const tid = crypto.randomUUID();
  const AUD = 'https://mdm.bench.test';
  const store = openSqliteStore(path.join(dir, 'db.sqlite'));
  await store.tenants.create(
    { tenantId: tid, cloud: 'standard', audiences: [AUD], createdAt: '', updatedAt: '' },
    { at: '', actor: 'bench', action: 'x', targetType: 'tenant', targetId: tid },
  );
  const caPem = generateCa({ commonName: 'bench' });
  const ca = CertificateAuthority.fromPem(caPem.certPem, caPem.keyPem);
  const validator = new EntraValidator({ authorityOverride: entra.authority, lookupTenant: (t) => store.tenants.get(t) });
  const ep = new EnrollmentEndpoints(
    {
      settings: {
        publicUrl: 'https://h',
        providerId: 'fenestra',
        serverName: 'fenestra',
        certValidityDays: 365,
        renewPeriodDays: 42,
        retryIntervalDays: 7,
        minRsaBits: 2048,
      },
      store,
      ca,
      entra: validator,
      blobSecret: crypto.randomBytes(32),
      now: () => new Date(),
    },
    pino({ level: 'warn' }),
  );
  const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ ...k, subjectCn: 'dev', windowsQuirks: true });
  const N = 300;
  const jobs = await Promise.all(
    Array.from({ length: N + 20 }, async () => {
      const id = crypto.randomBytes(16).toString('hex');
      return { jwt: await entra.mintToken({ tid, aud: AUD, deviceid: id }), id };
    }),
  );
  const msgs = jobs.map((j) => ({
    d: Buffer.from(discoverMessage('https://h/d', { email: 'a@b.c', authPolicies: ['Federated'] })),
    p: Buffer.from(getPoliciesMessage('https://h/p', { kind: 'entra', jwt: j.jwt })),
    e: Buffer.from(
      rstMessage(
        'https://h/e',
        { kind: 'entra', jwt: j.jwt },
        {
          requestType: 'Issue',
          tokenBase64: csr.toString('base64'),
          context: [
            ['DeviceID', j.id],
            ['EnrollmentType', 'Device'],
          ],
        },
      ),
    ),
  }));
  const time = async (name: string, fn: (i: number) => unknown, n = N) => {
    for (let i = 0; i < 20; i++) await fn(i);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 20; i < n + 20; i++) await fn(i);
    const cc = process.cpuUsage(c0);
    console.log(`  ${name.padEnd(34)} ${fmt((performance.now() - t0) / n, 3)} ms wall, ${fmt((cc.user + cc.system) / 1000 / n, 3)} ms CPU`);
  };
  console.log('fenestra bench/enroll-inproc (per call)');
  await time('Discover endpoint', (i) => ep.discovery(msgs[i].d));
  await time('GetPolicies endpoint (cold token)', (i) => ep.policy(msgs[i].p));
  await time('RST endpoint (token remembered)', (i) => ep.enrollment(msgs[i].e));
  await time('  parseSoapRequest(RST)', (i) => parseSoapRequest(msgs[i].e));
  await time('  parseAndVerifyCsr', () => parseAndVerifyCsr(csr));
  const spki = k.publicKey.export({ type: 'spki', format: 'der' });
  await time('  issueClientCertificate', () => ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spki, validityDays: 365 }));
  await store.close();
  await entra.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
void main();
