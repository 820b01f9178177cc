// publicKeyFromSpki imports usual RSA SubjectPublicKeyInfos through their PKCS#1 part; it must
// accept and refuse exactly what the general SPKI decoder does, and yield the same key.
import t from 'tap';
import * as crypto from 'node:crypto';
import { publicKeyFromSpki } from '../../src/pki/algorithms.js';
import { PkiError } from '../../src/pki/errors.js';
import { ecKeys, rsaKeys, spkiOf } from './helpers.js';

/** What the general decoder makes of `der`: the key, or 'refused'. */
function reference(der: Buffer): crypto.KeyObject | 'refused' {
  try {
    const key = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec' ? key : 'refused';
  } catch {
    return 'refused';
  }
}

function ours(der: Buffer): crypto.KeyObject | 'refused' {
  try {
    return publicKeyFromSpki(der);
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
    return 'refused';
  }
}

function agree(t: { equal: (a: unknown, b: unknown, m: string) => unknown; ok: (v: unknown, m: string) => unknown }, der: Buffer, what: string): void {
  const a = reference(der);
  const b = ours(der);
  if (a === 'refused' || b === 'refused') t.equal(b, a, what);
  else t.ok(b.equals(a), what);
}

t.test('RSA keys of several sizes and exponents give the same key as the SPKI decoder', async (t) => {
  for (const bits of [1024, 2048, 3072]) {
    const spki = spkiOf(rsaKeys(bits).publicKey);
    const key = publicKeyFromSpki(spki);
    t.equal(key.asymmetricKeyType, 'rsa');
    t.equal(key.asymmetricKeyDetails?.modulusLength, bits);
    t.ok(key.equals(crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' })), `${bits} bits`);
  }
  const e3 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
  t.equal(publicKeyFromSpki(spkiOf(e3.publicKey)).asymmetricKeyDetails?.publicExponent, 3n);
});

t.test('EC keys take the general decoder', async (t) => {
  const spki = spkiOf(ecKeys().publicKey);
  t.ok(publicKeyFromSpki(spki).equals(crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' })));
});

t.test('altered encodings are accepted or refused exactly as by the SPKI decoder', async (t) => {
  const spki = spkiOf(rsaKeys().publicKey);
  agree(t, Buffer.concat([spki, Buffer.from([0])]), 'trailing byte');
  agree(t, spki.subarray(0, spki.length - 1), 'truncated');
  agree(t, Buffer.alloc(0), 'empty');
  // Every single-byte change in the headers (the first 40 bytes) and a few in the modulus.
  for (let i = 0; i < spki.length; i += i < 40 ? 1 : 37) {
    for (const v of [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0xff, spki[i] ^ 0x01]) {
      const m = Buffer.from(spki);
      m[i] = v;
      agree(t, m, `byte ${i} = 0x${v.toString(16)}`);
    }
  }
  // Parameters absent instead of NULL, and unused bits in the BIT STRING.
  const noNull = Buffer.from(spki.toString('hex').replace('300d06092a864886f70d0101010500', '300b06092a864886f70d010101'), 'hex');
  agree(t, noNull, 'no NULL parameters (lengths now inconsistent)');
});
