// The certificate request of an enrollment or a renewal, from its base64 to the issued
// certificate. Shared so that both answer a refused request the same way: a PKI refusal of the
// PKCS#10 or of the issuance is the request's fault (s:CertificateRequest), not an internal one.
import type { IssuedCertificate } from '../../pki/ca.js';
import { parseAndVerifyCsr, type VerifiedCsr } from '../../pki/csr.js';
import { PkiError } from '../../pki/errors.js';
import { SoapFault } from '../../protocol/soap.js';
import type { EnrollmentDeps } from './deps.js';

export function decodeBase64Der(b64: string, what: string): Buffer {
  const der = Buffer.from(b64, 'base64');
  if (der.length === 0) throw new SoapFault('s:MessageFormat', `The ${what} is empty`);
  return der;
}

export function verifyCsrOrFault(der: Buffer, minRsaBits: number): VerifiedCsr {
  try {
    return parseAndVerifyCsr(der, { minRsaBits });
  } catch (err) {
    if (err instanceof PkiError) throw new SoapFault('s:CertificateRequest', `The certificate request was refused: ${err.message}`);
    throw err;
  }
}

/** The device certificate for the CSR's key, valid for the configured days from `now`. */
export async function issueOrFault(deps: EnrollmentDeps, subjectCn: string, csr: VerifiedCsr, now: Date): Promise<IssuedCertificate> {
  try {
    return await deps.ca.issueClientCertificateOffThread({
      subjectCn,
      publicKeySpkiDer: csr.publicKeySpkiDer,
      validityDays: deps.settings.certValidityDays,
      now,
    });
  } catch (err) {
    // The CA refuses a key it will not certify (one OpenSSL reads but the certificate cannot
    // carry), or cannot issue at all (its own certificate has expired).
    if (err instanceof PkiError) throw new SoapFault('s:CertificateRequest', `The certificate could not be issued: ${err.message}`);
    throw err;
  }
}
