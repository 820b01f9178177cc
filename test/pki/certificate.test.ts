import t from 'tap';
import * as crypto from 'node:crypto';
import { buildCertificate, type CertificateSpec } from '../../src/pki/certificate.js';
import { OID } from '../../src/pki/oids.js';
import { ecKeys, hasOpenssl, openssl, reasonOf, rsaKeys, spkiOf, tempDir } from './helpers.js';

const caKeys = rsaKeys();
const leafKeys = rsaKeys();
const now = new Date('2026-03-01T12:00:00.000Z');
const inAYear = new Date('2027-03-01T12:00:00.000Z');

function caSpec(): CertificateSpec {
  return {
    subject: { commonName: 'Spec CA', organization: 'Fenestra' },
    notBefore: now,
    notAfter: inAYear,
    publicKeySpkiDer: spkiOf(caKeys.publicKey),
    extensions: { isCa: true, pathLen: 0, keyUsage: ['keyCertSign', 'cRLSign'], subjectKeyId: true },
  };
}

function utf8Tlv(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([0x0c, b.length]), b]);
}

const oidTlv = (hex: string): Buffer => Buffer.from(`06${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`, 'hex');

t.test('self-signed RSA CA certificate verifies natively', async (t) => {
  const built = buildCertificate(caSpec(), caKeys.privateKey);
  const x = new crypto.X509Certificate(built.der);
  t.ok(x.verify(caKeys.publicKey), 'signature verifies');
  t.ok(x.ca, 'CA:TRUE');
  t.equal(x.subject, 'O=Fenestra\nCN=Spec CA');
  t.equal(x.issuer, x.subject);
  t.equal(new Date(x.validFrom).getTime(), now.getTime());
  t.equal(new Date(x.validTo).getTime(), inAYear.getTime());
  t.equal(built.serialHex, x.serialNumber);
  t.equal(built.thumbprint, x.fingerprint.replace(/:/g, ''));
  t.ok(built.der.includes(oidTlv('2a864886f70d01010b')), 'sha256WithRSAEncryption');
  t.ok(built.der.includes(utf8Tlv('Spec CA')), 'CN is a UTF8String');
  t.equal(built.pem, x.toString());
});

t.test('CN and UPN are UTF8String; SANs (upn, dns, ip) are encoded', async (t) => {
  const ca = buildCertificate(caSpec(), caKeys.privateKey);
  const leaf = buildCertificate(
    {
      subject: { commonName: 'üser@contoso.com' },
      issuer: { commonName: 'Spec CA', organization: 'Fenestra' },
      notBefore: now,
      notAfter: inAYear,
      publicKeySpkiDer: spkiOf(leafKeys.publicKey),
      extensions: {
        isCa: false,
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extKeyUsage: ['clientAuth', 'serverAuth'],
        subjectAltNames: { upn: ['üser@contoso.com'], dns: ['mdm.example.com'], ip: ['10.1.2.3', '2001:db8::1'] },
        authorityKeyIdFrom: spkiOf(caKeys.publicKey),
      },
    },
    caKeys.privateKey,
  );
  const x = new crypto.X509Certificate(leaf.der);
  t.ok(x.verify(caKeys.publicKey));
  t.ok(x.checkIssued(new crypto.X509Certificate(ca.der)), 'issuer name + AKI match the CA');
  t.equal(x.subject, 'CN=üser@contoso.com');
  t.ok(leaf.der.includes(utf8Tlv('üser@contoso.com')));
  t.same(x.keyUsage, [OID.clientAuth, OID.serverAuth]);
  t.match(x.subjectAltName ?? '', /DNS:mdm\.example\.com/);
  t.match(x.subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
  t.match(x.subjectAltName ?? '', /IP Address:2001:DB8:0:0:0:0:0:1/i);
  t.notOk(x.ca);
});

t.test('serial numbers: DER sign handling, leading zeros, default randomness', async (t) => {
  const spec = caSpec();
  const high = buildCertificate({ ...spec, serial: Buffer.from([0x80, 0x01]) }, caKeys.privateKey);
  t.ok(high.der.includes(Buffer.from('0203008001', 'hex')), 'top bit set => 0x00 prefix');
  t.equal(high.serialHex, '8001');
  t.equal(new crypto.X509Certificate(high.der).serialNumber, '8001');

  const padded = buildCertificate({ ...spec, serial: Buffer.from([0x00, 0x00, 0x7f]) }, caKeys.privateKey);
  t.ok(padded.der.includes(Buffer.from('02017f', 'hex')), 'redundant leading zeros stripped');
  t.equal(padded.serialHex, '7F');

  t.equal(
    reasonOf(() => buildCertificate({ ...spec, serial: Buffer.from([0, 0]) }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, serial: Buffer.alloc(21, 1) }, caKeys.privateKey)),
    'invalid-input',
  );

  const serials = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const c = buildCertificate(spec, caKeys.privateKey);
    t.ok(c.serialHex.length >= 16, 'at least 64 bits');
    t.ok(c.serialHex.length <= 32);
    serials.add(c.serialHex);
    t.equal(new crypto.X509Certificate(c.der).serialNumber, c.serialHex);
  }
  t.equal(serials.size, 20, 'random serials differ');
});

t.test('EC signer uses ecdsa-with-SHA256; EC subject keys are accepted', async (t) => {
  const ec = ecKeys();
  const built = buildCertificate(
    {
      subject: { commonName: 'EC CA' },
      notBefore: now,
      notAfter: inAYear,
      publicKeySpkiDer: spkiOf(ec.publicKey),
      extensions: { isCa: true, keyUsage: ['keyCertSign'], subjectKeyId: true },
    },
    ec.privateKey,
  );
  t.ok(built.der.includes(oidTlv('2a8648ce3d040302')), 'ecdsa-with-SHA256');
  const x = new crypto.X509Certificate(built.der);
  t.ok(x.verify(ec.publicKey));
  t.equal(x.publicKey.asymmetricKeyType, 'ec');
});

t.test('dates from 2050 use GeneralizedTime; sub-second parts are dropped', async (t) => {
  const built = buildCertificate(
    { ...caSpec(), notBefore: new Date('2049-12-31T23:59:59.900Z'), notAfter: new Date('2051-06-01T00:00:00Z') },
    caKeys.privateKey,
  );
  t.ok(built.der.includes(Buffer.from('\x17\x0d491231235959Z', 'latin1')), 'UTCTime for 2049');
  t.ok(built.der.includes(Buffer.from('\x18\x0f20510601000000Z', 'latin1')), 'GeneralizedTime for 2051');
  const x = new crypto.X509Certificate(built.der);
  t.equal(new Date(x.validTo).toISOString(), '2051-06-01T00:00:00.000Z');
});

t.test('invalid specs are refused with PkiError', async (t) => {
  const spec = caSpec();
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, notAfter: now }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, notBefore: new Date('x') }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, publicKeySpkiDer: Buffer.from('3000', 'hex') }, caKeys.privateKey)),
    'malformed',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, publicKeySpkiDer: spkiOf(crypto.generateKeyPairSync('ed25519').publicKey) }, caKeys.privateKey)),
    'unsupported-key',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, subject: { commonName: '' } }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, extensions: { keyUsage: ['bogus'] } }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, extensions: { isCa: false, pathLen: 1 } }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate(spec, caKeys.publicKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, extensions: { subjectAltNames: { dns: ['bad name'] } } }, caKeys.privateKey)),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => buildCertificate({ ...spec, extensions: { subjectAltNames: { ip: ['1.2.3'] } } }, caKeys.privateKey)),
    'invalid-input',
  );
});

t.test('openssl x509 -text parses the extensions', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const tmp = tempDir(t);
  const built = buildCertificate(
    {
      subject: { commonName: 'leaf' },
      issuer: { commonName: 'Spec CA', organization: 'Fenestra' },
      notBefore: now,
      notAfter: inAYear,
      publicKeySpkiDer: spkiOf(leafKeys.publicKey),
      extensions: {
        isCa: false,
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extKeyUsage: ['clientAuth'],
        subjectAltNames: { upn: ['user@contoso.com'] },
        subjectKeyId: true,
        authorityKeyIdFrom: spkiOf(caKeys.publicKey),
      },
    },
    caKeys.privateKey,
  );
  const r = openssl(['x509', '-inform', 'DER', '-in', tmp.write('leaf.der', built.der), '-noout', '-text']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /Version: 3 \(0x2\)/);
  t.match(r.stdout, /Basic Constraints: critical\s+CA:FALSE/);
  t.match(r.stdout, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
  t.match(r.stdout, /Extended Key Usage:\s*\n\s+TLS Web Client Authentication/);
  t.match(r.stdout, /othername: UPN:+user@contoso.com/i);
  t.match(r.stdout, /Subject Key Identifier/);
  t.match(r.stdout, /Authority Key Identifier/);
});
