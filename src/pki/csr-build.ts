/**
 * PKCS#10 construction for tests and the device simulator, signed natively.
 * `windowsQuirks` reproduces what real Windows enrollment CSRs look like:
 * CN as PrintableString with a trailing NUL, signed with OIW sha1WithRSASignature.
 */
import type * as crypto from 'node:crypto';
import { keyTypeOf, signNative, signatureAlgorithmFor } from './algorithms.js';
import { algorithmIdentifier, bitString, embedDer, implicitConstructed, int, oid, printable, seq, setOf } from './asn1-build.js';
import { PkiError } from './errors.js';
import { buildName } from './name.js';
import { OID } from './oids.js';

export interface BuildCsrOptions {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  subjectCn: string;
  /** PrintableString CN with trailing NUL, OIW 1.3.14.3.2.29 SHA-1 RSA signature (RSA keys only). */
  windowsQuirks?: boolean;
}

export function buildCsr(opts: BuildCsrOptions): Buffer {
  const keyType = keyTypeOf(opts.publicKey);
  if (keyTypeOf(opts.privateKey) !== keyType) throw new PkiError('invalid-input', 'privateKey and publicKey types differ');
  const quirks = opts.windowsQuirks === true;
  if (quirks && keyType !== 'rsa') throw new PkiError('invalid-input', 'windowsQuirks requires an RSA key');

  const subject = quirks ? seq(setOf(seq(oid(OID.commonName), printable(`${opts.subjectCn}\0`)))) : buildName({ commonName: opts.subjectCn });
  const spki = opts.publicKey.export({ type: 'spki', format: 'der' });
  const criDer = seq(int(0), subject, embedDer(spki, 'SubjectPublicKeyInfo'), implicitConstructed(0));

  const hash = quirks ? 'sha1' : 'sha256';
  const alg = quirks ? { oid: OID.oiwSha1WithRSASignature, nullParams: true } : signatureAlgorithmFor(opts.privateKey, hash);
  const signature = signNative(hash, criDer, opts.privateKey);
  return seq(criDer, algorithmIdentifier(alg.oid, alg.nullParams), bitString(signature));
}
