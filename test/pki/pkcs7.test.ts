import t from 'tap';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDer } from '../../src/pki/asn1-read.js';
import { buildCsr } from '../../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../../src/pki/csr.js';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { MAX_PKCS7_BYTES, parseAndVerifyRenewalPkcs7 } from '../../src/pki/pkcs7.js';
import { ecKeys, flipByte, hasOpenssl, newCa, openssl, reasonOf, rsaKeys, spkiOf, tempDir } from './helpers.js';

const { ca } = newCa();
const deviceKeys = rsaKeys();
const deviceCert = ca.issueClientCertificate({ subjectCn: 'device-1', publicKeySpkiDer: spkiOf(deviceKeys.publicKey), validityDays: 30 });
const otherKeys = rsaKeys();
const otherCert = ca.issueClientCertificate({ subjectCn: 'device-2', publicKeySpkiDer: spkiOf(otherKeys.publicKey), validityDays: 30 });
const newKeys = rsaKeys();
const csr = buildCsr({ ...newKeys, subjectCn: 'device-1', windowsQuirks: true });

function renewal(o: Partial<Parameters<typeof buildRenewalPkcs7>[0]> = {}): Buffer {
  return buildRenewalPkcs7({ csrDer: csr, signerCertDer: deviceCert.der, signerKey: deviceKeys.privateKey, ...o });
}

t.test('round trip with and without signed attributes, sha1 and sha256', async (t) => {
  for (const hash of ['sha256', 'sha1'] as const) {
    for (const withSignedAttrs of [true, false]) {
      const p7 = renewal({ hash, withSignedAttrs });
      const r = parseAndVerifyRenewalPkcs7(p7);
      t.same(r.innerCsrDer, csr, `${hash} attrs=${withSignedAttrs}: content`);
      t.same(r.signerCertDer, deviceCert.der, 'signer certificate');
      t.equal(r.signerCert.serialNumber, deviceCert.serialHex);
      t.ok(ca.isIssuedByUs(r.signerCertDer));
      t.equal(parseAndVerifyCsr(r.innerCsrDer).subjectCn, 'device-1', 'inner PKCS#10 verifies');
    }
  }
});

t.test('subjectKeyIdentifier sid, chunked (constructed) content, extra certificates', async (t) => {
  const r1 = parseAndVerifyRenewalPkcs7(renewal({ useSubjectKeyId: true }));
  t.same(r1.signerCertDer, deviceCert.der);
  const chunked = renewal({ contentChunkSize: 100, extraCertsDer: [otherCert.der, ca.certDer] });
  t.equal(chunked.indexOf(csr), -1, 'content is split');
  const r2 = parseAndVerifyRenewalPkcs7(chunked);
  t.same(r2.innerCsrDer, csr);
  t.same(r2.signerCertDer, deviceCert.der, 'signer picked out of several certificates');
  const r3 = parseAndVerifyRenewalPkcs7(renewal({ omitSignerCert: true, extraCertsDer: [otherCert.der, deviceCert.der] }));
  t.same(r3.signerCertDer, deviceCert.der, 'signer need not be first');
});

t.test('EC signer (ecdsa-with-SHA256) verifies', async (t) => {
  const ec = ecKeys();
  const ecCert = ca.issueClientCertificate({ subjectCn: 'ec', publicKeySpkiDer: spkiOf(ec.publicKey), validityDays: 1 });
  for (const withSignedAttrs of [true, false]) {
    const r = parseAndVerifyRenewalPkcs7(buildRenewalPkcs7({ csrDer: csr, signerCertDer: ecCert.der, signerKey: ec.privateKey, withSignedAttrs }));
    t.same(r.signerCertDer, ecCert.der);
  }
});

t.test('BER with indefinite lengths is accepted', async (t) => {
  const p7 = renewal();
  const ci = parseDer(p7, { what: 'test' });
  const signedData = ci.children[1].children[0].raw;
  const ber = Buffer.concat([Buffer.from([0x30, 0x80]), ci.children[0].raw, Buffer.from([0xa0, 0x80]), signedData, Buffer.from([0, 0, 0, 0])]);
  t.same(parseAndVerifyRenewalPkcs7(ber).innerCsrDer, csr);
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(ber.subarray(0, ber.length - 2))),
    'malformed',
    'missing end-of-contents',
  );
});

t.test('tampered content, signature, signed attributes or messageDigest are refused', async (t) => {
  for (const withSignedAttrs of [true, false]) {
    const p7 = renewal({ withSignedAttrs });
    const at = p7.indexOf(csr);
    t.ok(at > 0);
    t.equal(
      reasonOf(() => parseAndVerifyRenewalPkcs7(flipByte(p7, at + csr.length - 3))),
      withSignedAttrs ? 'message-digest-mismatch' : 'bad-signature',
      `content tampered (attrs=${withSignedAttrs})`,
    );
    t.equal(
      reasonOf(() => parseAndVerifyRenewalPkcs7(flipByte(p7, -5))),
      'bad-signature',
      `signature tampered (attrs=${withSignedAttrs})`,
    );
  }
  const p7 = renewal();
  const md = p7.indexOf(crypto.createHash('sha256').update(csr).digest());
  t.ok(md > 0);
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(flipByte(p7, md + 10))),
    'message-digest-mismatch',
    'wrong messageDigest',
  );

  const when = new Date('2030-01-02T03:04:05Z');
  const timed = renewal({ signingTime: when });
  const st = timed.indexOf(Buffer.from('300102030405Z', 'latin1'));
  t.ok(st > 0);
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(flipByte(timed, st + 2))),
    'bad-signature',
    'signed attribute tampered',
  );

  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(renewal({ signerKey: otherKeys.privateKey }))),
    'bad-signature',
    'signed with a key that does not belong to the included certificate',
  );
});

t.test('signer not in the certificate set is refused', async (t) => {
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(renewal({ omitSignerCert: true }))),
    'signer-not-found',
    'no certificates',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(renewal({ omitSignerCert: true, extraCertsDer: [otherCert.der, ca.certDer] }))),
    'signer-not-found',
    'only other certificates',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(renewal({ omitSignerCert: true, useSubjectKeyId: true, extraCertsDer: [otherCert.der] }))),
    'signer-not-found',
    'SKI sid without matching certificate',
  );
});

t.test('garbage, truncation, trailing bytes, wrong content type and oversized input are refused', async (t) => {
  const p7 = renewal();
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(Buffer.from('garbage'))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(Buffer.alloc(0))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(p7.subarray(0, p7.length - 1))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(Buffer.concat([p7, Buffer.from([0])]))),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(csr)),
    'malformed',
    'a bare PKCS#10 is not a PKCS#7',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(deviceCert.der)),
    'malformed',
    'a certificate is not a PKCS#7',
  );
  const data = Buffer.from(p7);
  const oid = data.indexOf(Buffer.from('06092a864886f70d010702', 'hex'));
  data[oid + 10] = 0x01; // contentType id-data instead of signedData
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(data)),
    'malformed',
  );
  t.equal(
    reasonOf(() => parseAndVerifyRenewalPkcs7(Buffer.alloc(MAX_PKCS7_BYTES + 1))),
    'too-large',
  );
});

t.test('interop with openssl cms', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const tmp = tempDir(t);
  const csrFile = tmp.write('csr.der', csr);
  const caFile = tmp.write('ca.pem', ca.certPem);

  t.test('openssl cms -verify accepts our PKCS#7', async (t) => {
    for (const withSignedAttrs of [true, false]) {
      const p7File = tmp.write(`ours-${withSignedAttrs}.der`, renewal({ withSignedAttrs }));
      const out = `${tmp.dir}/content-${withSignedAttrs}.der`;
      const r = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', p7File, '-binary', '-out', out]);
      t.equal(r.status, 0, r.stderr);
      t.match(r.stderr, /Verification successful/);
      t.same(readFileSync(out), csr, 'openssl extracts the same content');
    }
    const chained = openssl([
      'cms',
      '-verify',
      '-CAfile',
      caFile,
      '-purpose',
      'any',
      '-inform',
      'DER',
      '-in',
      tmp.write('c.der', renewal()),
      '-binary',
      '-out',
      `${tmp.dir}/c.out`,
    ]);
    t.equal(chained.status, 0, `full chain verification: ${chained.stderr}`);
  });

  t.test('we accept PKCS#7 produced by openssl (DER, BER streaming, sha1, keyid, no attrs, smime)', async (t) => {
    const cert = tmp.write('dev.pem', deviceCert.pem);
    const key = tmp.write('dev.key', deviceKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const variants: [string, string[]][] = [
      ['cms-sha256', ['cms', '-sign', '-md', 'sha256']],
      ['cms-sha1', ['cms', '-sign', '-md', 'sha1']],
      ['cms-stream', ['cms', '-sign', '-stream']],
      ['cms-keyid', ['cms', '-sign', '-keyid']],
      ['cms-noattr', ['cms', '-sign', '-noattr']],
      ['smime', ['smime', '-sign']],
    ];
    for (const [name, args] of variants) {
      const out = `${tmp.dir}/${name}.p7`;
      const r = openssl([...args, '-binary', '-nodetach', '-in', csrFile, '-signer', cert, '-inkey', key, '-outform', 'DER', '-out', out]);
      t.equal(r.status, 0, `${name}: ${r.stderr}`);
      const der = readFileSync(out);
      if (name === 'cms-stream') t.equal(der[1], 0x80, 'streaming output uses indefinite lengths');
      const v = parseAndVerifyRenewalPkcs7(der);
      t.same(v.innerCsrDer, csr, name);
      t.same(v.signerCertDer, deviceCert.der, name);
    }
    const detached = `${tmp.dir}/detached.p7`;
    const r = openssl(['cms', '-sign', '-binary', '-in', csrFile, '-signer', cert, '-inkey', key, '-outform', 'DER', '-out', detached]);
    t.equal(r.status, 0, r.stderr);
    t.equal(
      reasonOf(() => parseAndVerifyRenewalPkcs7(readFileSync(detached))),
      'content-missing',
      'detached signature',
    );
  });
});
