// Device certificates are, byte for byte, what the general builder makes of the device profile:
// CA:FALSE, keyUsage digitalSignature (+ keyEncipherment for RSA keys), EKU clientAuth, SKI, AKI = the CA's key id.
import t from 'tap';
import * as crypto from 'node:crypto';
import { CertificateAuthority, generateCa, type IssuedCertificate } from '../../src/pki/ca.js';
import { buildCertificate } from '../../src/pki/certificate.js';
import { readCertificateFields } from '../../src/pki/certificate-fields.js';
import { parseDer } from '../../src/pki/asn1-read.js';
import { pemToDer } from '../../src/pki/der.js';
import { ecKeys, rsaKeys, spkiOf } from './helpers.js';

const rsaSpki = spkiOf(rsaKeys().publicKey);
const ecSpki = spkiOf(ecKeys().publicKey);
const cases = [
  { what: 'RSA key, ASCII CN', cn: 'user@contoso.com', spki: rsaSpki, rsa: true, now: '2026-01-02T03:04:05.678Z', days: 365 },
  { what: 'EC key, GUID CN', cn: '562A7F9A-6CD8-40B0-9E7E-0DBDD8B5B954', spki: ecSpki, rsa: false, now: '2026-12-31T23:59:59Z', days: 180 },
  { what: 'non-ASCII CN', cn: 'Zoë Ångström 日本', spki: rsaSpki, rsa: true, now: '2026-05-05T05:05:05Z', days: 31 },
  { what: 'long CN (long-form lengths)', cn: 'x'.repeat(300), spki: rsaSpki, rsa: true, now: '2026-05-05T05:05:05Z', days: 31 },
  { what: 'GeneralizedTime from 2050', cn: 'late', spki: ecSpki, rsa: false, now: '2049-12-31T23:59:59Z', days: 2 },
];

/** The general builder's certificate for the device profile, with the issued certificate's serial and validity. */
function expected(ca: { fields: ReturnType<typeof readCertificateFields>; key: crypto.KeyObject }, c: (typeof cases)[number], issued: IssuedCertificate) {
  return buildCertificate(
    {
      subject: { commonName: c.cn },
      issuer: ca.fields.subjectDer,
      serial: Buffer.from(issued.serialHex, 'hex'),
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      publicKeySpkiDer: c.spki,
      extensions: {
        isCa: false,
        keyUsage: c.rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
        extKeyUsage: ['clientAuth'],
        subjectKeyId: true,
        authorityKeyId: ca.fields.subjectKeyId,
      },
    },
    ca.key,
  );
}

function caFrom(pem: { certPem: string; keyPem: string }) {
  return {
    ca: CertificateAuthority.fromPem(pem.certPem, pem.keyPem),
    fields: readCertificateFields(pemToDer(pem.certPem)),
    key: crypto.createPrivateKey(pem.keyPem),
  };
}

// Valid until about 2057, so that the 2050 case is not clamped to the CA's notAfter.
const rsaCa = caFrom(generateCa({ commonName: 'Device Profile Test CA', validityDays: 11_000 }));

t.test('RSA CA: issued DER, PEM, serial and thumbprint are those of the general builder, on and off the event loop', async (t) => {
  for (const c of cases) {
    const req = { subjectCn: c.cn, publicKeySpkiDer: c.spki, validityDays: c.days, now: new Date(c.now) };
    for (const [how, issued] of [
      ['sync', rsaCa.ca.issueClientCertificate(req)],
      ['off-thread', await rsaCa.ca.issueClientCertificateOffThread(req)],
    ] as const) {
      const general = expected(rsaCa, c, issued);
      t.same({ der: issued.der, pem: issued.pem, serialHex: issued.serialHex, thumbprint: issued.thumbprint }, general, `${c.what} (${how})`);
      t.equal(issued.subjectCn, c.cn);
      t.ok(new crypto.X509Certificate(issued.der).verify(rsaCa.ca.x509.publicKey), `${c.what} (${how}): signature verifies`);
    }
  }
});

t.test('EC CA: identical TBSCertificate (ECDSA signatures differ run to run)', async (t) => {
  const keys = ecKeys();
  const ecCa = buildCertificate(
    {
      subject: { commonName: 'EC Device Profile CA' },
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2060-01-01T00:00:00Z'),
      publicKeySpkiDer: spkiOf(keys.publicKey),
      extensions: { isCa: true, keyUsage: ['keyCertSign'], subjectKeyId: true },
    },
    keys.privateKey,
  );
  const ca = caFrom({ certPem: ecCa.pem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  const tbs = (der: Buffer) => parseDer(der, { what: 'cert' }).children[0].raw;
  for (const c of cases) {
    const issued = ca.ca.issueClientCertificate({ subjectCn: c.cn, publicKeySpkiDer: c.spki, validityDays: c.days, now: new Date(c.now) });
    t.same(tbs(issued.der), tbs(expected(ca, c, issued).der), c.what);
    t.ok(new crypto.X509Certificate(issued.der).verify(keys.publicKey), `${c.what}: signature verifies`);
  }
});
