/** Public surface of the certificate authority code. */
export { PkiError, isPkiError, type PkiErrorReason } from './errors.js';
export { sha1Thumbprint, pemToDer, derToPem } from './der.js';
export { buildCertificate, randomSerial, type CertificateSpec, type BuiltCertificate } from './certificate.js';
export {
  CertificateAuthority,
  generateCa,
  generateServerCertificate,
  type IssuedCertificate,
  type ClientCertificateRequest,
} from './ca.js';
export { parseAndVerifyCsr, MAX_CSR_BYTES, type VerifiedCsr, type CsrPolicy } from './csr.js';
export { buildCsr, type BuildCsrOptions } from './csr-build.js';
export { parseAndVerifyRenewalPkcs7, MAX_PKCS7_BYTES, type VerifiedRenewal } from './pkcs7.js';
export { buildRenewalPkcs7, type BuildRenewalPkcs7Options } from './pkcs7-build.js';
