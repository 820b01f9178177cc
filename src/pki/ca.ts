/** The certificate authority: CA generation, client certificate issuance, dev TLS certificates. */
import * as crypto from 'node:crypto';
import { type KeyType, keyTypeOf, signNative, signNativeOffThread } from './algorithms.js';
import {
  type BuiltCertificate,
  type CertificateSpec,
  type UnsignedCertificate,
  assembleCertificate,
  buildCertificate,
  certificateTbs,
  checkDate,
  randomSerial,
  toWholeSeconds,
} from './certificate.js';
import { readCertificateFields } from './certificate-fields.js';
import { pemToDer, sha1Thumbprint } from './der.js';
import { PkiError } from './errors.js';
import { isIpLiteral } from './ip.js';
import { keyIdentifierFromSpki, readSpki } from './spki.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  serialHex: string;
  thumbprint: string;
  notBefore: Date;
  notAfter: Date;
  subjectCn: string;
}

export interface ClientCertificateRequest {
  subjectCn: string;
  publicKeySpkiDer: Buffer;
  validityDays: number;
  now?: Date;
  /** How far notBefore is back-dated to tolerate client clock skew. Default 5. */
  notBeforeSkewMinutes?: number;
}

/** Spec for `CertificateAuthority.signCertificate`: issuer and AKI are filled in by the CA. */
export type CaSignedSpec = Omit<CertificateSpec, 'issuer'> & {
  extensions: Omit<CertificateSpec['extensions'], 'authorityKeyIdFrom' | 'authorityKeyId'>;
};

/** Key usages of device certificates, by subject key type. */
export const CLIENT_KEY_USAGE: Readonly<Record<KeyType, string[]>> = {
  rsa: ['digitalSignature', 'keyEncipherment'],
  ec: ['digitalSignature'],
};

/** A device certificate's spec (the profile of issueClientCertificate), its validity chosen and checked. */
type ClientSpec = CaSignedSpec & { subject: { commonName: string } };

function positiveNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new PkiError('invalid-input', `${what} must be a positive number`);
  }
  return v;
}

function exportKeyPem(key: crypto.KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Self-signed RSA-2048 root: CA:TRUE (pathLen 0), keyCertSign+cRLSign, SKI. */
export function generateCa(opts: { commonName: string; validityDays?: number }): { certPem: string; keyPem: string } {
  const days = positiveNumber(opts.validityDays ?? 3650, 'validityDays');
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const cert = buildCertificate(
    {
      subject: { commonName: opts.commonName },
      notBefore: toWholeSeconds(new Date(now - 5 * MINUTE_MS), 'up'),
      notAfter: toWholeSeconds(new Date(now + days * DAY_MS)),
      publicKeySpkiDer: spki,
      extensions: {
        isCa: true,
        pathLen: 0,
        keyUsage: ['keyCertSign', 'cRLSign'],
        subjectKeyId: true,
        authorityKeyIdFrom: spki,
      },
    },
    privateKey,
  );
  return { certPem: cert.pem, keyPem: exportKeyPem(privateKey) };
}

/** ECDSA P-256 TLS server certificate signed by `ca` (dev TLS). IP literals go to SAN iPAddress. */
export function generateServerCertificate(ca: CertificateAuthority, opts: { hostnames: string[]; validityDays?: number }): { certPem: string; keyPem: string } {
  const hostnames = opts.hostnames ?? [];
  if (hostnames.length === 0) throw new PkiError('invalid-input', 'at least one hostname is required');
  const days = positiveNumber(opts.validityDays ?? 365, 'validityDays');
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const cert = ca.signCertificate({
    subject: { commonName: hostnames[0] },
    notBefore: toWholeSeconds(new Date(now - 5 * MINUTE_MS), 'up'),
    notAfter: toWholeSeconds(new Date(now + days * DAY_MS)),
    publicKeySpkiDer: publicKey.export({ type: 'spki', format: 'der' }),
    extensions: {
      isCa: false,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth'],
      subjectAltNames: {
        dns: hostnames.filter((h) => !isIpLiteral(h)),
        ip: hostnames.filter((h) => isIpLiteral(h)),
      },
      subjectKeyId: true,
    },
  });
  return { certPem: cert.pem, keyPem: exportKeyPem(privateKey) };
}

export class CertificateAuthority {
  readonly certDer: Buffer;
  readonly certPem: string;
  readonly thumbprint: string;
  readonly subjectCn: string;
  readonly notAfter: Date;
  readonly x509: crypto.X509Certificate;
  readonly #key: crypto.KeyObject;
  readonly #subjectDer: Buffer;
  readonly #keyId: Buffer;

  private constructor(x509: crypto.X509Certificate, key: crypto.KeyObject) {
    this.x509 = x509;
    this.#key = key;
    this.certDer = x509.raw;
    this.certPem = x509.toString();
    this.thumbprint = sha1Thumbprint(this.certDer);
    const fields = readCertificateFields(this.certDer);
    this.subjectCn = fields.subjectCn ?? '';
    this.#subjectDer = fields.subjectDer;
    // AKI of issued certificates = our SKI (or, if the CA cert has none, the RFC 5280 method-1 id).
    this.#keyId = fields.subjectKeyId ?? keyIdentifierFromSpki(fields.spkiDer);
    this.notAfter = new Date(x509.validTo);
  }

  /** Loads CA certificate + private key (any PEM the node:crypto accepts). PkiError if they do not fit. */
  static fromPem(certPem: string, keyPem: string): CertificateAuthority {
    let x509: crypto.X509Certificate;
    try {
      x509 = new crypto.X509Certificate(pemToDer(certPem));
    } catch (e) {
      if (e instanceof PkiError) throw e;
      throw new PkiError('malformed', `CA certificate: ${(e as Error).message}`, { cause: e });
    }
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(keyPem);
    } catch (e) {
      throw new PkiError('invalid-pem', `CA private key: ${(e as Error).message}`, { cause: e });
    }
    keyTypeOf(key);
    if (!x509.checkPrivateKey(key)) throw new PkiError('key-mismatch', 'CA private key does not match the CA certificate');
    if (!x509.ca) throw new PkiError('not-a-ca', 'certificate is not a CA certificate (basicConstraints CA:FALSE)');
    return new CertificateAuthority(x509, key);
  }

  /**
   * Signs a certificate as this CA: issuer = our subject (raw bytes), AKI = our key id.
   * notAfter is clamped to the CA's own notAfter.
   */
  signCertificate(spec: CaSignedSpec): BuiltCertificate & { notBefore: Date; notAfter: Date } {
    const u = this.#unsigned(spec);
    return { ...assembleCertificate(u, signNative(u.hash, u.tbs, this.#key)), notBefore: u.notBefore, notAfter: u.notAfter };
  }

  #unsigned(spec: CaSignedSpec): UnsignedCertificate & { notBefore: Date; notAfter: Date } {
    const notAfter = spec.notAfter.getTime() > this.notAfter.getTime() ? this.notAfter : spec.notAfter;
    if (notAfter.getTime() <= spec.notBefore.getTime()) {
      throw new PkiError('ca-expired', `CA certificate expires ${this.notAfter.toISOString()}; cannot issue`);
    }
    const u = certificateTbs(
      {
        ...spec,
        notAfter,
        issuer: this.#subjectDer,
        extensions: { ...spec.extensions, authorityKeyId: this.#keyId },
      },
      this.#key,
    );
    return { ...u, notBefore: spec.notBefore, notAfter };
  }

  /**
   * MDM client certificate: clientAuth EKU, digitalSignature (+keyEncipherment for RSA keys),
   * CA:FALSE, SKI/AKI, random 127-bit serial. notBefore = now - skew (rounded up to the
   * second, so never further back), notAfter = now + validityDays (clamped to the CA's notAfter).
   */
  issueClientCertificate(req: ClientCertificateRequest): IssuedCertificate {
    const spec = this.#clientSpec(req);
    return this.#issued(this.signCertificate(spec), spec);
  }

  /** issueClientCertificate with the signature computed on libuv's thread pool (the request path's form). */
  async issueClientCertificateOffThread(req: ClientCertificateRequest): Promise<IssuedCertificate> {
    const spec = this.#clientSpec(req);
    const u = this.#unsigned(spec);
    const signature = await signNativeOffThread(u.hash, u.tbs, this.#key);
    return this.#issued(assembleCertificate(u, signature), spec);
  }

  #issued(cert: BuiltCertificate, spec: ClientSpec): IssuedCertificate {
    return {
      der: cert.der,
      pem: cert.pem,
      serialHex: cert.serialHex,
      thumbprint: cert.thumbprint,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      subjectCn: spec.subject.commonName,
    };
  }

  /** Checks the request (before anything is built: a refusal names the first problem) and chooses serial and validity. */
  #clientSpec(req: ClientCertificateRequest): ClientSpec {
    if (typeof req.subjectCn !== 'string' || req.subjectCn.length === 0 || req.subjectCn.length > 1024) {
      throw new PkiError('invalid-input', 'subjectCn must be a non-empty string (at most 1024 chars)');
    }
    const days = positiveNumber(req.validityDays, 'validityDays');
    const skew = req.notBeforeSkewMinutes ?? 5;
    if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0) {
      throw new PkiError('invalid-input', 'notBeforeSkewMinutes must be >= 0');
    }
    const now = (req.now ?? new Date()).getTime();
    if (Number.isNaN(now)) throw new PkiError('invalid-input', 'now is not a valid date');
    const { keyType } = readSpki(req.publicKeySpkiDer);
    // The checks of signCertificate and buildCertificate, made here first and in this order so that
    // a refused request gets the reason it always got; building checks them again, harmlessly.
    const notBefore = toWholeSeconds(new Date(now - skew * MINUTE_MS), 'up');
    const wanted = toWholeSeconds(new Date(now + days * DAY_MS));
    const notAfter = wanted.getTime() > this.notAfter.getTime() ? this.notAfter : wanted;
    if (notAfter.getTime() <= notBefore.getTime()) {
      throw new PkiError('ca-expired', `CA certificate expires ${this.notAfter.toISOString()}; cannot issue`);
    }
    checkDate(notBefore, 'notBefore');
    checkDate(notAfter, 'notAfter');
    if (req.subjectCn.includes('\0')) throw new PkiError('invalid-input', 'name attributes must not contain NUL');
    return {
      subject: { commonName: req.subjectCn },
      serial: randomSerial(),
      notBefore,
      notAfter,
      publicKeySpkiDer: req.publicKeySpkiDer,
      extensions: { isCa: false, keyUsage: CLIENT_KEY_USAGE[keyType], extKeyUsage: ['clientAuth'], subjectKeyId: true },
    };
  }

  /** True iff `certDer` is a certificate naming us as issuer whose signature verifies with our key. */
  isIssuedByUs(certDer: Buffer): boolean {
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(certDer);
    } catch {
      return false;
    }
    return cert.checkIssued(this.x509) && cert.verify(this.x509.publicKey);
  }
}
