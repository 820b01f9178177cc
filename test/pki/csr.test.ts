import t from 'tap';
import * as crypto from 'node:crypto';
import { algorithmIdentifier, bitString, embedDer, implicitConstructed, int, seq } from '../../src/pki/asn1-build.js';
import { buildCsr } from '../../src/pki/csr-build.js';
import { MAX_CSR_BYTES, parseAndVerifyCsr } from '../../src/pki/csr.js';
import { buildName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { ecKeys, flipByte, hasOpenssl, openssl, readRealWindowsCsr, reasonOf, rsaKeys, spkiOf, tempDir } from './helpers.js';

const real = readRealWindowsCsr();
const rsa = rsaKeys();
const REAL_CN = '562A7F9A-6CD8-40B0-9E7E-0DBDD8!B5B954E81FBCB94EB79BD08BE625F4EE';

/** Hand-built CSR with an arbitrary signature algorithm / version, signed natively with `hash`. */
function customCsr(o: { key: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }; version?: number; sigOid: string; hash: string }): Buffer {
  const cri = seq(int(o.version ?? 0), buildName({ commonName: 'custom' }), embedDer(spkiOf(o.key.publicKey), 'spki'), implicitConstructed(0));
  const sig = crypto.sign(o.hash, cri, o.key.privateKey);
  return seq(cri, algorithmIdentifier(o.sigOid, true), bitString(sig));
}

t.test('the real Windows CSR verifies (PrintableString CN with ! and NUL, OIW sha1WithRSA)', async (t) => {
  const v = parseAndVerifyCsr(real);
  t.equal(v.subjectCn, REAL_CN);
  t.equal(v.keyType, 'rsa');
  t.equal(v.keyBits, 2048);
  t.equal(v.signatureAlgorithmOid, '1.3.14.3.2.29');
  t.same(v.der, real);
  t.equal(v.publicKey.asymmetricKeyType, 'rsa');
  t.ok(crypto.createPublicKey({ key: v.publicKeySpkiDer, format: 'der', type: 'spki' }).equals(v.publicKey));
});

t.test('the real CSR with one flipped signature byte is refused', async (t) => {
  t.equal(
    reasonOf(() => parseAndVerifyCsr(flipByte(real, -1))),
    'bad-signature',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(flipByte(real, -128))),
    'bad-signature',
  );
  // a flipped byte inside the subject (CertificationRequestInfo) breaks the signature too
  t.equal(
    reasonOf(() => parseAndVerifyCsr(flipByte(real, 30))),
    'bad-signature',
  );
});

t.test('built CSRs round-trip: normal RSA, Windows quirks, EC P-256/P-384', async (t) => {
  const normal = parseAndVerifyCsr(buildCsr({ ...rsa, subjectCn: 'user@contoso.com' }));
  t.equal(normal.subjectCn, 'user@contoso.com');
  t.equal(normal.signatureAlgorithmOid, OID.sha256WithRSAEncryption);
  t.ok(normal.publicKey.equals(rsa.publicKey));

  const quirkDer = buildCsr({ ...rsa, subjectCn: 'ABCD!EF01', windowsQuirks: true });
  t.ok(quirkDer.includes(Buffer.from('\x13\x0aABCD!EF01\0', 'latin1')), 'PrintableString CN with trailing NUL');
  const quirk = parseAndVerifyCsr(quirkDer);
  t.equal(quirk.subjectCn, 'ABCD!EF01', 'trailing NUL stripped');
  t.equal(quirk.signatureAlgorithmOid, OID.oiwSha1WithRSASignature);

  for (const curve of ['P-256', 'P-384'] as const) {
    const ec = ecKeys(curve);
    const v = parseAndVerifyCsr(buildCsr({ ...ec, subjectCn: curve }));
    t.equal(v.keyType, 'ec');
    t.equal(v.keyBits, curve === 'P-256' ? 256 : 384);
    t.equal(v.signatureAlgorithmOid, OID.ecdsaWithSHA256);
  }
  t.equal(
    reasonOf(() => buildCsr({ ...ecKeys(), subjectCn: 'x', windowsQuirks: true })),
    'invalid-input',
  );
});

t.test('other RSA signature algorithms are accepted', async (t) => {
  for (const [oid, hash] of [
    [OID.sha1WithRSAEncryption, 'sha1'],
    [OID.sha256WithRSAEncryption, 'sha256'],
    [OID.sha384WithRSAEncryption, 'sha384'],
    [OID.sha512WithRSAEncryption, 'sha512'],
  ] as const) {
    t.equal(parseAndVerifyCsr(customCsr({ key: rsa, sigOid: oid, hash })).signatureAlgorithmOid, oid, hash);
  }
  t.equal(
    reasonOf(() => parseAndVerifyCsr(customCsr({ key: rsa, sigOid: OID.sha256WithRSAEncryption, hash: 'sha384' }))),
    'bad-signature',
  );
});

t.test('garbage, truncated, trailing bytes, non-DER and oversized input are refused', async (t) => {
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.alloc(0))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.from('hello, this is not a CSR'))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(crypto.randomBytes(300))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(real.subarray(0, real.length - 1))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(real.subarray(0, 100))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.concat([real, Buffer.from([0])]))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.concat([real, real]))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.from('3003020100', 'hex'))),
    'malformed',
    'wrong shape',
  );
  // indefinite length outer SEQUENCE (BER) is not DER
  const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), real.subarray(4), Buffer.from([0, 0])]);
  t.equal(
    reasonOf(() => parseAndVerifyCsr(indefinite)),
    'malformed',
  );
  // non-minimal length: 30 82 02 ce -> 30 83 00 02 ce
  const nonMinimal = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), real.subarray(2)]);
  t.equal(
    reasonOf(() => parseAndVerifyCsr(nonMinimal)),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(Buffer.alloc(MAX_CSR_BYTES + 1, 0x30))),
    'too-large',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr('MIIC' as unknown as Buffer)),
    'invalid-input',
  );
});

t.test('wrong version, unknown algorithm, weak keys, mismatched algorithms are refused', async (t) => {
  const v2 = Buffer.from(real);
  t.equal(v2.subarray(8, 11).toString('hex'), '020100');
  v2[10] = 1;
  t.equal(
    reasonOf(() => parseAndVerifyCsr(v2)),
    'unsupported-version',
  );

  const unknown = Buffer.from(real);
  const at = unknown.indexOf(Buffer.from('06052b0e03021d', 'hex'));
  t.ok(at > 0);
  unknown[at + 6] = 0x1e; // 1.3.14.3.2.30
  t.equal(
    reasonOf(() => parseAndVerifyCsr(unknown)),
    'unsupported-algorithm',
  );
  const pss = customCsr({ key: rsa, sigOid: '1.2.840.113549.1.1.10', hash: 'sha256' });
  t.equal(
    reasonOf(() => parseAndVerifyCsr(pss)),
    'unsupported-algorithm',
  );

  t.equal(
    reasonOf(() => parseAndVerifyCsr(buildCsr({ ...rsaKeys(1024), subjectCn: 'weak' }))),
    'weak-key',
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(real, { minRsaBits: 3072 })),
    'weak-key',
  );
  t.equal(parseAndVerifyCsr(buildCsr({ ...rsaKeys(1024), subjectCn: 'weak' }), { minRsaBits: 1024 }).keyBits, 1024);
  t.equal(
    reasonOf(() => parseAndVerifyCsr(real, { allowSha1: false })),
    'unsupported-algorithm',
  );

  const ecWithRsaAlg = customCsr({ key: ecKeys(), sigOid: OID.sha256WithRSAEncryption, hash: 'sha256' });
  t.equal(
    reasonOf(() => parseAndVerifyCsr(ecWithRsaAlg)),
    'algorithm-mismatch',
  );
  const ed = crypto.generateKeyPairSync('ed25519');
  const edCsr = seq(
    seq(int(0), buildName({ commonName: 'ed' }), embedDer(spkiOf(ed.publicKey), 'spki'), implicitConstructed(0)),
    algorithmIdentifier('1.3.101.112', false),
    bitString(Buffer.alloc(64)),
  );
  t.equal(
    reasonOf(() => parseAndVerifyCsr(edCsr)),
    'unsupported-algorithm',
  );
});

t.test('interop with openssl req', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const tmp = tempDir(t);
  for (const [name, der] of [
    ['normal', buildCsr({ ...rsa, subjectCn: 'user@contoso.com' })],
    ['quirks', buildCsr({ ...rsa, subjectCn: 'A!B', windowsQuirks: true })],
    ['ec', buildCsr({ ...ecKeys(), subjectCn: 'ec' })],
  ] as const) {
    const r = openssl(['req', '-inform', 'DER', '-in', tmp.write(`${name}.der`, der), '-noout', '-verify']);
    t.equal(r.status, 0, `${name}: ${r.stderr}`);
    t.match(r.stderr + r.stdout, /verify OK/i);
  }
  const key = tmp.write('key.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const out = `${tmp.dir}/openssl.der`;
  const r = openssl(['req', '-new', '-key', key, '-subj', '/CN=from openssl', '-outform', 'DER', '-out', out]);
  t.equal(r.status, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const v = parseAndVerifyCsr(readFileSync(out));
  t.equal(v.subjectCn, 'from openssl');
  t.equal(v.signatureAlgorithmOid, OID.sha256WithRSAEncryption);
});
