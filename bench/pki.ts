// bench/pki: the DER work of the PKI code per operation: parse and verify of a Windows CSR and of a
// renewal PKCS#7, building both on the device side, and the CA's issuance of a device certificate
// (the path of every enrollment; it used a DER template of its own before #11) next to the general
// builder (CertificateAuthority.signCertificate) for the same certificate. Each case runs twice:
// with node:crypto's sign/verify, then with sign/verify replaced by stubs, which leaves the
// encoding and decoding (and key imports) alone. It uses only APIs older trees have too, so the
// same file measures a commit before and after.
//
//   npm run -s bench:build && node dist-bench/bench/pki.js [--n 2000]
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../src/pki/csr.js';
import { buildRenewalPkcs7 } from '../src/pki/pkcs7-build.js';
import { parseAndVerifyRenewalPkcs7 } from '../src/pki/pkcs7.js';
import { fmt } from './stats.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('--n', 2000);

// The fixture sits at the repository root; the compiled file runs from dist-bench/bench.
const root = [1, 2, 3]
  .map((up) => path.resolve(path.dirname(fileURLToPath(import.meta.url)), ...Array<string>(up).fill('..')))
  .find((d) => fs.existsSync(path.join(d, 'fixtures/pki')));
if (!root) throw new Error('fixtures/pki not found');
const windowsCsr = Buffer.from(fs.readFileSync(path.join(root, 'fixtures/pki/windows-real-csr.b64'), 'utf8').trim(), 'base64');

const caPem = generateCa({ commonName: 'bench CA' });
const ca = CertificateAuthority.fromPem(caPem.certPem, caPem.keyPem);
const device = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = device.publicKey.export({ type: 'spki', format: 'der' });
const deviceCert = ca.issueClientCertificate({ subjectCn: 'bench-device', publicKeySpkiDer: spki, validityDays: 365 });
const renewal = buildRenewalPkcs7({
  csrDer: buildCsr({ ...device, subjectCn: 'bench-device', windowsQuirks: true }),
  signerCertDer: deviceCert.der,
  signerKey: device.privateKey,
});
const subjectCn = '562A7F9A-6CD8-40B0-9E7E-0DBDD8B5B954';

const cases: [string, () => unknown][] = [
  ['parseAndVerifyCsr (Windows CSR)', () => parseAndVerifyCsr(windowsCsr)],
  ['parseAndVerifyRenewalPkcs7', () => parseAndVerifyRenewalPkcs7(renewal)],
  ['buildCsr (device side)', () => buildCsr({ ...device, subjectCn, windowsQuirks: true })],
  ['buildRenewalPkcs7 (device side)', () => buildRenewalPkcs7({ csrDer: windowsCsr, signerCertDer: deviceCert.der, signerKey: device.privateKey })],
  ['issueClientCertificate', () => ca.issueClientCertificate({ subjectCn, publicKeySpkiDer: spki, validityDays: 365 })],
  [
    'signCertificate (general builder)',
    () => {
      const now = Date.now();
      return ca.signCertificate({
        subject: { commonName: subjectCn },
        notBefore: new Date(Math.ceil((now - 300_000) / 1000) * 1000),
        notAfter: new Date(Math.floor((now + 365 * 86_400_000) / 1000) * 1000),
        publicKeySpkiDer: spki,
        extensions: { isCa: false, keyUsage: ['digitalSignature', 'keyEncipherment'], extKeyUsage: ['clientAuth'], subjectKeyId: true },
      });
    },
  ],
];

/** CPU µs per call, the best of 10 batches: the machine is shared, and the best batch is the one least disturbed. */
function measure(fn: () => unknown): number {
  for (let i = 0; i < Math.min(200, N); i++) fn();
  const batch = Math.max(1, Math.floor(N / 10));
  let best = Infinity;
  for (let b = 0; b < 10; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / batch);
  }
  return best;
}

function run(label: string) {
  console.log(`  ${label}`);
  for (const [name, fn] of cases) {
    const us = measure(fn);
    console.log(`    ${name.padEnd(36)} ${fmt(us, 1).padStart(8)} µs/op ${fmt(1e6 / us, 0).padStart(8)} ops/s (CPU time)`);
  }
}

console.log(`fenestra bench/pki (${N} iterations per case, one thread, RSA-2048 CA and device keys)`);
run('with native sign/verify');
// node:crypto's named exports follow its CommonJS object after syncBuiltinESMExports, so the
// PKI code's own calls reach the stubs; the stub signature has an RSA-2048 signature's length.
const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof crypto;
const stubSignature = Buffer.alloc(256, 0x5a);
(nodeCrypto as { sign: unknown }).sign = () => stubSignature;
(nodeCrypto as { verify: unknown }).verify = () => true;
syncBuiltinESMExports();
if (!ca.issueClientCertificate({ subjectCn, publicKeySpkiDer: spki, validityDays: 1 }).der.includes(stubSignature)) throw new Error('sign stub not in effect');
run('sign/verify stubbed (DER work and key imports only)');
