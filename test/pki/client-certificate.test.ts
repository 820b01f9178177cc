// Device certificates from the DER template are byte for byte what the general builder makes.
import t from 'tap';
import * as crypto from 'node:crypto';
import { buildCertificate } from '../../src/pki/certificate.js';
import { readCertificateFields } from '../../src/pki/certificate-fields.js';
import { CLIENT_KEY_USAGE, buildClientCertificate, clientCertificateTemplate } from '../../src/pki/client-certificate.js';
import { parseDer } from '../../src/pki/asn1-read.js';
import { pemToDer } from '../../src/pki/der.js';
import { readSpki } from '../../src/pki/spki.js';
import { generateCa } from '../../src/pki/ca.js';
import { ecKeys, reasonOf, rsaKeys, spkiOf } from './helpers.js';

const caPem = generateCa({ commonName: 'Template Test CA' });
const caKey = crypto.createPrivateKey(caPem.keyPem);
const caFields = readCertificateFields(pemToDer(caPem.certPem));
const keyId = crypto.randomBytes(20);

function both(signer: crypto.KeyObject, o: { serial: Buffer; notBefore: Date; notAfter: Date; cn: string; spki: Buffer }) {
  const { keyType, subjectPublicKey } = readSpki(o.spki);
  const tpl = clientCertificateTemplate(caFields.subjectDer, keyId, signer);
  const fast = buildClientCertificate(tpl, { serial: o.serial, notBefore: o.notBefore, notAfter: o.notAfter, subjectCn: o.cn, publicKeySpkiDer: o.spki, keyType, subjectPublicKey });
  const general = buildCertificate(
    {
      subject: { commonName: o.cn },
      issuer: caFields.subjectDer,
      serial: o.serial,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      publicKeySpkiDer: o.spki,
      extensions: { isCa: false, keyUsage: CLIENT_KEY_USAGE[keyType], extKeyUsage: ['clientAuth'], subjectKeyId: true, authorityKeyId: keyId },
    },
    signer,
  );
  return { fast, general };
}

const rsaSpki = spkiOf(rsaKeys().publicKey);
const ecSpki = spkiOf(ecKeys().publicKey);
const cases = [
  { what: 'RSA key, ASCII CN', serial: crypto.randomBytes(16), cn: 'user@contoso.com', spki: rsaSpki, nb: '2026-01-02T03:04:05Z', na: '2027-01-02T03:04:05Z' },
  { what: 'EC key, GUID CN', serial: crypto.randomBytes(16), cn: '562A7F9A-6CD8-40B0-9E7E-0DBDD8B5B954', spki: ecSpki, nb: '2026-12-31T23:59:59Z', na: '2027-06-30T00:00:00Z' },
  { what: 'non-ASCII CN', serial: crypto.randomBytes(16), cn: 'Zoë Ångström 日本', spki: rsaSpki, nb: '2026-05-05T05:05:05Z', na: '2026-06-05T05:05:05Z' },
  { what: 'long CN (long-form lengths)', serial: crypto.randomBytes(16), cn: 'x'.repeat(300), spki: rsaSpki, nb: '2026-05-05T05:05:05Z', na: '2026-06-05T05:05:05Z' },
  { what: 'serial with leading zeros and top bit set', serial: Buffer.from('0000ff0102030405060708090a0b0c0d', 'hex'), cn: 'a', spki: rsaSpki, nb: '2026-05-05T05:05:05Z', na: '2026-06-05T05:05:05Z' },
  { what: 'one-byte serial', serial: Buffer.from([1]), cn: 'a', spki: rsaSpki, nb: '2026-05-05T05:05:05Z', na: '2026-06-05T05:05:05Z' },
  { what: 'GeneralizedTime from 2050', serial: crypto.randomBytes(16), cn: 'late', spki: ecSpki, nb: '2049-12-31T23:59:59Z', na: '2050-01-01T00:00:00Z' },
  { what: 'year 1999 and 2100', serial: crypto.randomBytes(16), cn: 'wide', spki: rsaSpki, nb: '1999-02-03T04:05:06Z', na: '2100-02-03T04:05:06Z' },
];

t.test('RSA CA: identical DER, PEM, serial and thumbprint', async (t) => {
  for (const c of cases) {
    const { fast, general } = both(caKey, { serial: c.serial, notBefore: new Date(c.nb), notAfter: new Date(c.na), cn: c.cn, spki: c.spki });
    t.same(fast, general, c.what);
    t.ok(new crypto.X509Certificate(fast.der).verify(crypto.createPublicKey(caKey)), `${c.what}: signature verifies`);
  }
});

t.test('EC CA: identical TBSCertificate (ECDSA signatures differ run to run)', async (t) => {
  const ecCa = ecKeys().privateKey;
  for (const c of cases) {
    const { fast, general } = both(ecCa, { serial: c.serial, notBefore: new Date(c.nb), notAfter: new Date(c.na), cn: c.cn, spki: c.spki });
    const tbs = (der: Buffer) => parseDer(der, { what: 'cert' }).children[0].raw;
    t.same(tbs(fast.der), tbs(general.der), c.what);
    t.equal(fast.serialHex, general.serialHex);
    t.ok(new crypto.X509Certificate(fast.der).verify(crypto.createPublicKey(ecCa)), `${c.what}: signature verifies`);
  }
});

t.test('serial checks as in the general builder', async (t) => {
  const tpl = clientCertificateTemplate(caFields.subjectDer, keyId, caKey);
  const { keyType, subjectPublicKey } = readSpki(rsaSpki);
  const f = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z'), subjectCn: 'a', publicKeySpkiDer: rsaSpki, keyType, subjectPublicKey };
  t.equal(reasonOf(() => buildClientCertificate(tpl, { ...f, serial: Buffer.alloc(4) })), 'invalid-input');
  t.equal(reasonOf(() => buildClientCertificate(tpl, { ...f, serial: Buffer.alloc(21, 1) })), 'invalid-input');
  t.equal(reasonOf(() => clientCertificateTemplate(caFields.subjectDer, keyId, crypto.createPublicKey(caKey))), 'invalid-input');
});
