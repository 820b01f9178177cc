import t from 'tap';
import * as crypto from 'node:crypto';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { PkiError } from '../../src/pki/errors.js';
import { OID } from '../../src/pki/oids.js';
import { ecKeys, hasOpenssl, newCa, openssl, reasonOf, rsaKeys, spkiOf, tempDir } from './helpers.js';

const { ca, certPem, keyPem } = newCa();
const device = rsaKeys();
const MIN = 60_000;

t.test('generateCa: self-signed RSA-2048 CA with keyCertSign/cRLSign and SKI', async (t) => {
  const x = new crypto.X509Certificate(certPem);
  t.ok(x.ca);
  t.ok(x.verify(x.publicKey));
  t.equal(x.subject, 'CN=Fenestra Test CA');
  t.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  const years = (new Date(x.validTo).getTime() - Date.now()) / (365 * 86_400_000);
  t.ok(years > 9.9 && years < 10.1, 'default validity about 3650 days');
  t.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  t.equal(ca.subjectCn, 'Fenestra Test CA');
  t.match(ca.thumbprint, /^[0-9A-F]{40}$/);
  t.same(ca.certDer, x.raw);
  t.equal(ca.notAfter.getTime(), new Date(x.validTo).getTime());
  const short = generateCa({ commonName: 'Short', validityDays: 30 });
  const days = (new Date(new crypto.X509Certificate(short.certPem).validTo).getTime() - Date.now()) / 86_400_000;
  t.ok(days > 29.9 && days <= 30, 'validityDays honoured');
});

t.test('fromPem rejects a mismatched key, a non-CA certificate and garbage', async (t) => {
  const other = generateCa({ commonName: 'Other CA' });
  t.equal(
    reasonOf(() => CertificateAuthority.fromPem(certPem, other.keyPem)),
    'key-mismatch',
  );
  const leaf = ca.issueClientCertificate({ subjectCn: 'leaf', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1 });
  const devicePem = device.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t.equal(
    reasonOf(() => CertificateAuthority.fromPem(leaf.pem, devicePem)),
    'not-a-ca',
  );
  t.equal(
    reasonOf(() => CertificateAuthority.fromPem('nope', keyPem)),
    'invalid-pem',
  );
  t.equal(
    reasonOf(() => CertificateAuthority.fromPem(certPem, 'nope')),
    'invalid-pem',
  );
  t.equal(
    reasonOf(() => CertificateAuthority.fromPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', keyPem)),
    'malformed',
  );
});

t.test('issueClientCertificate: verifies, clientAuth, CA:FALSE, AKI, validity window', async (t) => {
  const before = Date.now();
  const issued = ca.issueClientCertificate({
    subjectCn: 'user@contoso.com',
    publicKeySpkiDer: spkiOf(device.publicKey),
    validityDays: 365,
  });
  const after = Date.now();
  const x = new crypto.X509Certificate(issued.der);
  t.ok(x.verify(ca.x509.publicKey), 'signed by the CA key');
  t.ok(x.checkIssued(ca.x509), 'issuer name and AKI match the CA');
  t.ok(ca.isIssuedByUs(issued.der));
  t.equal(x.subject, 'CN=user@contoso.com');
  t.equal(issued.subjectCn, 'user@contoso.com');
  t.same(x.keyUsage, [OID.clientAuth], 'EKU clientAuth only');
  t.notOk(x.ca, 'CA:FALSE');
  t.ok(x.publicKey.equals(device.publicKey), 'certifies the requested key');
  t.equal(issued.serialHex, x.serialNumber);
  t.equal(issued.thumbprint, x.fingerprint.replace(/:/g, ''));
  t.equal(issued.pem, x.toString());

  const notBefore = new Date(x.validFrom).getTime();
  t.equal(notBefore, issued.notBefore.getTime());
  t.ok(notBefore >= before - 5 * MIN, 'notBefore at most 5 minutes back');
  t.ok(notBefore <= after - 5 * MIN + 1000, 'notBefore is back-dated by the skew');
  const notAfter = new Date(x.validTo).getTime();
  t.equal(notAfter, issued.notAfter.getTime());
  t.ok(Math.abs(notAfter - (before + 365 * 86_400_000)) < 2000, 'notAfter = now + validityDays');
  t.ok(x.checkPrivateKey(device.privateKey));
});

t.test('issueClientCertificate: explicit now and skew, UTF-8 and GUID subjects', async (t) => {
  const now = new Date('2027-05-05T10:00:00.250Z');
  const issued = ca.issueClientCertificate({
    subjectCn: '562A7F9A-6CD8-40B0-9E7E-0DBDD8B5B954',
    publicKeySpkiDer: spkiOf(device.publicKey),
    validityDays: 10,
    now,
    notBeforeSkewMinutes: 2,
  });
  t.equal(issued.notBefore.toISOString(), '2027-05-05T09:58:01.000Z', 'rounded up: never more than the skew back');
  t.equal(issued.notAfter.toISOString(), '2027-05-15T10:00:00.000Z');
  const noSkew = ca.issueClientCertificate({ subjectCn: 'Zoë', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1, now, notBeforeSkewMinutes: 0 });
  t.equal(noSkew.notBefore.toISOString(), '2027-05-05T10:00:01.000Z');
  t.equal(new crypto.X509Certificate(noSkew.der).subject, 'CN=Zoë');
});

t.test('issueClientCertificate: random serials of >= 64 bits differ', async (t) => {
  const a = ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1 });
  const b = ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1 });
  t.not(a.serialHex, b.serialHex);
  t.not(a.thumbprint, b.thumbprint);
  for (const s of [a.serialHex, b.serialHex]) {
    t.ok(BigInt(`0x${s}`) >= 1n << 64n || s.length >= 16, 'at least 64 bits');
    t.ok(BigInt(`0x${s}`) < 1n << 127n, 'positive 16-byte serial');
  }
});

t.test('issueClientCertificate: EC device keys get digitalSignature only; validity clamped to the CA', async (t) => {
  const ec = ecKeys();
  const issued = ca.issueClientCertificate({ subjectCn: 'ec', publicKeySpkiDer: spkiOf(ec.publicKey), validityDays: 20_000 });
  const x = new crypto.X509Certificate(issued.der);
  t.ok(x.verify(ca.x509.publicKey));
  t.equal(issued.notAfter.getTime(), ca.notAfter.getTime(), 'never outlives the CA');
  t.equal(
    reasonOf(() =>
      ca.issueClientCertificate({
        subjectCn: 'late',
        publicKeySpkiDer: spkiOf(ec.publicKey),
        validityDays: 1,
        now: new Date(ca.notAfter.getTime() + 86_400_000),
      }),
    ),
    'ca-expired',
  );
});

t.test('issueClientCertificate: bad requests are refused', async (t) => {
  const spki = spkiOf(device.publicKey);
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: '', publicKeySpkiDer: spki, validityDays: 1 })),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: 'a\0b', publicKeySpkiDer: spki, validityDays: 1 })),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: 'a', publicKeySpkiDer: spki, validityDays: 0 })),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: 'a', publicKeySpkiDer: spki, validityDays: NaN })),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: 'a', publicKeySpkiDer: spki, validityDays: 1, notBeforeSkewMinutes: -1 })),
    'invalid-input',
  );
  t.equal(
    reasonOf(() => ca.issueClientCertificate({ subjectCn: 'a', publicKeySpkiDer: Buffer.from('garbage'), validityDays: 1 })),
    'malformed',
  );
});

t.test('issueClientCertificateOffThread: the same certificate, signed on the thread pool', async (t) => {
  const now = new Date('2027-05-05T10:00:00Z');
  const req = { subjectCn: 'B7A1F0D2-0000-4000-8000-000000000001', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 365, now };
  const sync = ca.issueClientCertificate(req);
  const many = await Promise.all(Array.from({ length: 8 }, () => ca.issueClientCertificateOffThread(req)));
  for (const issued of many) {
    const x = new crypto.X509Certificate(issued.der);
    t.ok(x.verify(ca.x509.publicKey) && ca.isIssuedByUs(issued.der), 'signed by the CA key');
    t.equal(x.subject, `CN=${req.subjectCn}`);
    t.equal(issued.notBefore.getTime(), sync.notBefore.getTime());
    t.equal(issued.notAfter.getTime(), sync.notAfter.getTime());
    t.equal(issued.thumbprint, x.fingerprint.replace(/:/g, ''));
  }
  t.equal(new Set(many.map((c) => c.serialHex)).size, many.length, 'each has its own serial');
  const refused = await ca.issueClientCertificateOffThread({ ...req, subjectCn: '' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(refused instanceof PkiError && refused.reason, 'invalid-input', 'bad requests are refused as before');
});

t.test('isIssuedByUs: false for other CAs, forged issuer names and garbage', async (t) => {
  const other = newCa('Fenestra Test CA'); // same name, different key
  const foreign = other.ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1 });
  t.notOk(ca.isIssuedByUs(foreign.der), 'same issuer name but another key');
  t.ok(other.ca.isIssuedByUs(foreign.der));
  t.notOk(ca.isIssuedByUs(Buffer.from('garbage')));
  const ours = ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 1 });
  const tampered = Buffer.from(ours.der);
  tampered[tampered.length - 3] ^= 0x01;
  t.notOk(ca.isIssuedByUs(tampered), 'broken signature');
});

t.test('generateServerCertificate: EC P-256 server cert with DNS and IP SANs', async (t) => {
  const server = generateServerCertificate(ca, { hostnames: ['mdm.local', 'localhost', '127.0.0.1', '::1'] });
  const x = new crypto.X509Certificate(server.certPem);
  t.ok(x.verify(ca.x509.publicKey));
  t.ok(x.checkIssued(ca.x509));
  t.equal(x.publicKey.asymmetricKeyType, 'ec');
  t.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(x.subject, 'CN=mdm.local');
  t.same(x.keyUsage, [OID.serverAuth]);
  t.equal(x.subjectAltName, 'DNS:mdm.local, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.ok(x.checkHost('localhost'));
  t.ok(x.checkIP('127.0.0.1'));
  t.ok(x.checkPrivateKey(crypto.createPrivateKey(server.keyPem)));
  t.equal(
    reasonOf(() => generateServerCertificate(ca, { hostnames: [] })),
    'invalid-input',
  );
});

t.test('openssl verify accepts the issued certificates', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const tmp = tempDir(t);
  const caFile = tmp.write('ca.pem', certPem);
  const client = ca.issueClientCertificate({ subjectCn: 'user@contoso.com', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 30 });
  const clientFile = tmp.write('client.pem', client.pem);
  let r = openssl(['verify', '-CAfile', caFile, '-purpose', 'sslclient', clientFile]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /client\.pem: OK/);

  const server = generateServerCertificate(ca, { hostnames: ['localhost', '127.0.0.1'] });
  r = openssl(['verify', '-CAfile', caFile, '-purpose', 'sslserver', tmp.write('server.pem', server.certPem)]);
  t.equal(r.status, 0, r.stderr);

  const other = generateCa({ commonName: 'Fenestra Test CA' });
  r = openssl(['verify', '-CAfile', tmp.write('other.pem', other.certPem), clientFile]);
  t.not(r.status, 0, 'a different CA with the same name does not verify it');

  r = openssl(['x509', '-in', clientFile, '-noout', '-text']);
  t.match(r.stdout, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
  t.match(r.stdout, /TLS Web Client Authentication/);
  t.match(r.stdout, /CA:FALSE/);
});

t.test('a CA created by openssl can be loaded and issues verifiable certificates', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const tmp = tempDir(t);
  const key = tmp.write('key.pem', ecKeys('P-384').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const cert = `${tmp.dir}/ca.pem`;
  const r = openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-subj',
    '/C=NL/O=Acme Printable/CN=Acme Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  t.equal(r.status, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const acme = CertificateAuthority.fromPem(readFileSync(cert, 'utf8'), readFileSync(key, 'utf8'));
  t.equal(acme.subjectCn, 'Acme Root');
  const issued = acme.issueClientCertificate({ subjectCn: 'dev', publicKeySpkiDer: spkiOf(device.publicKey), validityDays: 5 });
  const x = new crypto.X509Certificate(issued.der);
  t.equal(x.issuer, acme.x509.subject);
  t.ok(x.checkIssued(acme.x509));
  t.ok(acme.isIssuedByUs(issued.der));
  const v = openssl(['verify', '-CAfile', cert, tmp.write('leaf.pem', issued.pem)]);
  t.equal(v.status, 0, v.stderr);
});
