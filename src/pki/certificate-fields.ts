/** Reads the few certificate fields node:crypto's X509Certificate does not expose as raw bytes. */
import { type DerNode, TAG, ctxTag, expectChildren, expectTag, parseDer, readIntegerBytes, readOctetString, readOid } from './asn1-read.js';
import { readCommonName } from './name.js';
import { OID } from './oids.js';

export interface CertificateFields {
  /** INTEGER content octets of the serial, as encoded. */
  serial: Buffer;
  /** Raw DER of the issuer Name. */
  issuerDer: Buffer;
  /** Raw DER of the subject Name. */
  subjectDer: Buffer;
  subjectCn?: string;
  /** Raw DER of the SubjectPublicKeyInfo. */
  spkiDer: Buffer;
  /** subjectKeyIdentifier extension value, if present. */
  subjectKeyId?: Buffer;
}

/** Parses certificate DER (PkiError('malformed') if it is not one). */
export function readCertificateFields(der: Buffer): CertificateFields {
  const what = 'certificate';
  const cert = expectTag(parseDer(der, { what }), TAG.SEQUENCE, what);
  const [tbs] = expectChildren(cert, 3, 3, what);
  expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate');
  const f = tbs.children;
  let i = f[0]?.tag === ctxTag(0, true) ? 1 : 0; // optional [0] version
  const serialNode = f[i++];
  i++; // signature AlgorithmIdentifier
  const issuer = expectTag(f[i++], TAG.SEQUENCE, 'certificate issuer');
  i++; // validity
  const subject = expectTag(f[i++], TAG.SEQUENCE, 'certificate subject');
  const spki = expectTag(f[i++], TAG.SEQUENCE, 'certificate subjectPublicKeyInfo');
  const extensions = f.slice(i).find((n) => n.tag === ctxTag(3, true));
  return {
    serial: readIntegerBytes(serialNode, 'certificate serialNumber'),
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    subjectCn: readCommonName(subject, 'certificate subject'),
    spkiDer: spki.raw,
    subjectKeyId: extensions ? findSubjectKeyId(extensions) : undefined,
  };
}

function findSubjectKeyId(wrapper: DerNode): Buffer | undefined {
  const what = 'certificate extensions';
  const [exts] = expectChildren(wrapper, 1, 1, what);
  expectTag(exts, TAG.SEQUENCE, what);
  for (const ext of exts.children) {
    expectTag(ext, TAG.SEQUENCE, what);
    const [id] = expectChildren(ext, 2, 3, what);
    if (readOid(id, what) !== OID.subjectKeyIdentifier) continue;
    const value = readOctetString(ext.children[ext.children.length - 1], what);
    return readOctetString(parseDer(value, { what: 'subjectKeyIdentifier' }), 'subjectKeyIdentifier');
  }
  return undefined;
}
