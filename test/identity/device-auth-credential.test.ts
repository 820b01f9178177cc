// checkDeviceCertificate: issued by our CA, a device (clientAuth, non-CA) certificate, within
// its validity period; verdicts cached per certificate.
import t from 'tap';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { pemToDer } from '../../src/pki/der.js';
import {
  DEVICE_CERT_CACHE_MAX_ENTRIES,
  DeviceCertificateVerifier,
  MAX_DEVICE_CERT_BYTES,
  checkDeviceCertificate,
  deviceCertificateVerifier,
} from '../../src/identity/device-credential.js';

const MIN = 60_000;
const DAY = 86_400_000;

function newCa(commonName = 'Fenestra Device Test CA') {
  const { certPem, keyPem } = generateCa({ commonName });
  return CertificateAuthority.fromPem(certPem, keyPem);
}
const spki = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });

const ca = newCa();
const issuedAt = new Date(Date.now() - 10 * DAY);
const leaf = ca.issueClientCertificate({ subjectCn: 'DEVICE-1', publicKeySpkiDer: spki(), validityDays: 365, now: issuedAt });
const now = new Date();

t.test('a device certificate we issued is accepted, with its thumbprint', async (t) => {
  const r = checkDeviceCertificate(leaf.der, ca, now);
  t.same(r, { ok: true, thumbprint: leaf.thumbprint });
  t.match(leaf.thumbprint, /^[0-9A-F]{40}$/, 'thumbprint as stored (upper-case SHA-1 hex)');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
  const rsaLeaf = ca.issueClientCertificate({ subjectCn: 'DEVICE-RSA', publicKeySpkiDer: rsa, validityDays: 30 });
  t.same(checkDeviceCertificate(rsaLeaf.der, ca, now), { ok: true, thumbprint: rsaLeaf.thumbprint }, 'RSA device key');
});

t.test('not ours: other CA, same-named CA, our CA cert, our server cert, no EKU, CA:TRUE, bad signature', async (t) => {
  const other = newCa('Somebody Else CA');
  const foreign = other.issueClientCertificate({ subjectCn: 'DEVICE-1', publicKeySpkiDer: spki(), validityDays: 30 });
  t.same(checkDeviceCertificate(foreign.der, ca, now), { ok: false, reason: 'not_ours' }, 'other CA');

  const impostor = newCa('Fenestra Device Test CA'); // same subject name, different key
  const forged = impostor.issueClientCertificate({ subjectCn: 'DEVICE-1', publicKeySpkiDer: spki(), validityDays: 30 });
  t.same(checkDeviceCertificate(forged.der, ca, now), { ok: false, reason: 'not_ours' }, 'same issuer name, other key');

  t.same(checkDeviceCertificate(ca.certDer, ca, now), { ok: false, reason: 'not_ours' }, 'our CA certificate itself');

  const server = pemToDer(generateServerCertificate(ca, { hostnames: ['mdm.example'] }).certPem);
  t.ok(ca.isIssuedByUs(server), 'the server certificate is signed by us…');
  t.same(checkDeviceCertificate(server, ca, now), { ok: false, reason: 'not_ours' }, '…but has serverAuth, not clientAuth');

  const base = {
    subject: { commonName: 'DEVICE-X' },
    notBefore: new Date(Date.now() - MIN * 5 - (Date.now() % 1000)),
    notAfter: new Date(Date.now() + DAY - (Date.now() % 1000)),
    publicKeySpkiDer: spki(),
  };
  const noEku = ca.signCertificate({ ...base, extensions: { isCa: false, keyUsage: ['digitalSignature'], subjectKeyId: true } });
  t.ok(ca.isIssuedByUs(noEku.der));
  t.same(checkDeviceCertificate(noEku.der, ca, now), { ok: false, reason: 'not_ours' }, 'signed by us without EKU');
  const subCa = ca.signCertificate({ ...base, extensions: { isCa: true, keyUsage: ['keyCertSign'], extKeyUsage: ['clientAuth'], subjectKeyId: true } });
  t.same(checkDeviceCertificate(subCa.der, ca, now), { ok: false, reason: 'not_ours' }, 'CA:TRUE even with clientAuth');

  const tampered = Buffer.from(leaf.der);
  tampered[tampered.length - 5] ^= 0x01; // inside the signature
  t.same(checkDeviceCertificate(tampered, ca, now), { ok: false, reason: 'not_ours' }, 'flipped signature bit');

  // not_ours wins over the time checks
  const oldForeign = other.issueClientCertificate({ subjectCn: 'D', publicKeySpkiDer: spki(), validityDays: 1, now: new Date(Date.now() - 30 * DAY) });
  t.same(checkDeviceCertificate(oldForeign.der, ca, now), { ok: false, reason: 'not_ours' }, 'expired and foreign: not_ours');
});

t.test('validity window: inclusive bounds, expired, not yet valid', async (t) => {
  const nb = leaf.notBefore.getTime();
  const na = leaf.notAfter.getTime();
  const v = new DeviceCertificateVerifier(ca);
  t.same(v.check(leaf.der, new Date(nb)), { ok: true, thumbprint: leaf.thumbprint }, 'at notBefore');
  t.same(v.check(leaf.der, new Date(na)), { ok: true, thumbprint: leaf.thumbprint }, 'at notAfter');
  t.same(v.check(leaf.der, new Date(nb - 1)), { ok: false, reason: 'not_yet_valid' }, '1 ms before notBefore');
  t.same(v.check(leaf.der, new Date(na + 1)), { ok: false, reason: 'expired' }, '1 ms after notAfter');
  t.same(v.check(leaf.der, new Date(na + 365 * DAY)), { ok: false, reason: 'expired' }, 'long expired');
  t.equal(v.size, 1, 'one certificate, one cache entry, whatever the time');

  const expired = ca.issueClientCertificate({ subjectCn: 'OLD', publicKeySpkiDer: spki(), validityDays: 1, now: new Date(Date.now() - 3 * DAY) });
  t.same(checkDeviceCertificate(expired.der, ca, now), { ok: false, reason: 'expired' });
  const future = ca.issueClientCertificate({ subjectCn: 'NEW', publicKeySpkiDer: spki(), validityDays: 1, now: new Date(Date.now() + 3 * DAY) });
  t.same(checkDeviceCertificate(future.der, ca, now), { ok: false, reason: 'not_yet_valid' });
  t.throws(() => checkDeviceCertificate(leaf.der, ca, new Date('nope')), TypeError, 'invalid now is a programming error');
  t.throws(() => checkDeviceCertificate(leaf.der, ca, 'now' as never), TypeError);
});

t.test('malformed input', async (t) => {
  const bad: [string, unknown][] = [
    ['empty', Buffer.alloc(0)],
    ['random bytes', randomBytes(700)],
    ['PEM text instead of DER', Buffer.from(leaf.pem)],
    ['trailing byte', Buffer.concat([leaf.der, Buffer.from([0])])],
    ['truncated', leaf.der.subarray(0, leaf.der.length - 1)],
    ['only the outer SEQUENCE header', leaf.der.subarray(0, 4)],
    ['oversized', Buffer.concat([leaf.der, Buffer.alloc(MAX_DEVICE_CERT_BYTES)])],
    ['not a Buffer', 'MIIB'],
    ['undefined', undefined],
  ];
  for (const [what, der] of bad) {
    t.same(checkDeviceCertificate(der as Buffer, ca, now), { ok: false, reason: 'malformed' }, what);
  }
});

t.test('verdict cache: one signature check per certificate, bounded LRU, per CA', async (t) => {
  const localCa = newCa('Cache Test CA');
  let signatureChecks = 0;
  const original = localCa.isIssuedByUs.bind(localCa);
  localCa.isIssuedByUs = (der: Buffer) => {
    signatureChecks++;
    return original(der);
  };
  const certs = [0, 1, 2].map((i) => localCa.issueClientCertificate({ subjectCn: `D${i}`, publicKeySpkiDer: spki(), validityDays: 30 }));
  const [a, b, c] = certs;

  for (let i = 0; i < 100; i++) t.equal(checkDeviceCertificate(a.der, localCa, now).ok, true, `check ${i}`);
  t.equal(signatureChecks, 1, '100 sessions, one signature verification');
  t.equal(deviceCertificateVerifier(localCa).size, 1);
  t.equal(deviceCertificateVerifier(localCa), deviceCertificateVerifier(localCa), 'one shared verifier per CA');
  t.equal(DEVICE_CERT_CACHE_MAX_ENTRIES, 50_000);
  t.equal(deviceCertificateVerifier(localCa).maxEntries, 50_000);

  // A copy of the same bytes hits the cache too.
  checkDeviceCertificate(Buffer.from(a.der), localCa, now);
  t.equal(signatureChecks, 1, 'cache is keyed by content, not Buffer identity');

  // Another CA object has its own cache: our certificate is not its own.
  t.same(checkDeviceCertificate(a.der, ca, now), { ok: false, reason: 'not_ours' }, 'no cross-CA leakage');

  const v = new DeviceCertificateVerifier(localCa, { maxEntries: 2 });
  signatureChecks = 0;
  v.check(a.der, now);
  v.check(b.der, now);
  v.check(a.der, now); // a is now most recent
  t.equal(signatureChecks, 2);
  v.check(c.der, now); // evicts b (least recently used)
  t.equal(v.size, 2, 'bounded');
  t.equal(signatureChecks, 3);
  v.check(a.der, now);
  t.equal(signatureChecks, 3, 'a survived');
  v.check(b.der, now);
  t.equal(signatureChecks, 4, 'b was evicted and is verified again');

  // Negative verdicts are cached too, and still correct.
  const foreign = newCa('Other').issueClientCertificate({ subjectCn: 'X', publicKeySpkiDer: spki(), validityDays: 30 });
  signatureChecks = 0;
  t.same(v.check(foreign.der, now), { ok: false, reason: 'not_ours' });
  t.same(v.check(foreign.der, now), { ok: false, reason: 'not_ours' });
  t.equal(signatureChecks, 1);

  v.clear();
  t.equal(v.size, 0);
  const none = new DeviceCertificateVerifier(localCa, { maxEntries: 0 });
  signatureChecks = 0;
  none.check(a.der, now);
  none.check(a.der, now);
  t.equal(signatureChecks, 2, 'maxEntries 0 disables caching');
  t.equal(none.size, 0);
  t.throws(() => new DeviceCertificateVerifier(localCa, { maxEntries: -1 }), TypeError);
  t.throws(() => new DeviceCertificateVerifier(localCa, { maxEntries: 1.5 }), TypeError);
});

t.test('one Buffer changed in place is judged by its new contents', async (t) => {
  const mine = ca.issueClientCertificate({ subjectCn: 'DEVICE-2', publicKeySpkiDer: spki(), validityDays: 30 });
  const buf = Buffer.from(mine.der);
  t.same(checkDeviceCertificate(buf, ca, now), { ok: true, thumbprint: mine.thumbprint });
  t.same(checkDeviceCertificate(buf, ca, now), { ok: true, thumbprint: mine.thumbprint }, 'again (digests remembered)');
  buf[buf.length - 1] ^= 1;
  t.same(checkDeviceCertificate(buf, ca, now), { ok: false, reason: 'not_ours' }, 'signature byte flipped in place');
  buf[buf.length - 1] ^= 1;
  t.same(checkDeviceCertificate(buf, ca, now), { ok: true, thumbprint: mine.thumbprint }, 'flipped back');
  const serialAt = buf.indexOf(Buffer.from(mine.serialHex.slice(0, 8), 'hex'));
  buf[serialAt] ^= 1;
  t.same(checkDeviceCertificate(buf, ca, now), { ok: false, reason: 'not_ours' }, 'serial byte flipped in place');
});
