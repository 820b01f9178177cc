// Certificate renewal (MS-WSTEP Renew; ROBO and manual): the device proves possession of the
// certificate we issued by signing a PKCS#7 around its new CSR. We renew only certificates
// that are ours, still active, not expired and inside their renewal window, for the device
// they were issued to — and say NotEligibleToRenew otherwise. Of two renewals of one certificate
// (a retry racing the original, two replicas) exactly one wins: the other is NotEligibleToRenew
// and its certificate is never recorded. A new key the CA refuses (in the CSR or at issuance) is
// s:CertificateRequest, as at enrollment (certificate-request.ts).
import { parseAndVerifyRenewalPkcs7 } from '../../pki/pkcs7.js';
import { PkiError } from '../../pki/errors.js';
import { sha1Thumbprint } from '../../pki/der.js';
import { type RstRequest, contextValue } from '../../protocol/mde2/wstep.js';
import { SoapFault } from '../../protocol/soap.js';
import { buildRenewalProvisioningDoc } from '../../protocol/wap.js';
import type { IssuedCertificateRecord } from '../../domain/device.js';
import { decodeBase64Der, issueOrFault, verifyCsrOrFault } from './certificate-request.js';
import type { EnrollmentDeps } from './deps.js';
import { deviceUrls } from '../urls.js';

const DAY = 86_400_000;

/** Manual renewal wraps the PKCS#7 in base64 once more (Learn: certificate-renewal-windows-mdm). */
function unwrapPkcs7(der: Buffer): Buffer {
  if (der[0] === 0x30) return der;
  const text = der.toString('latin1').replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return Buffer.from(text, 'base64');
  return der;
}

export async function renew(
  deps: EnrollmentDeps,
  req: RstRequest,
  tlsClientCertDer: Buffer | undefined,
): Promise<{ provisioningDoc: string; serial: string; devicePk: string }> {
  if (req.tokenKind !== 'pkcs7') throw new SoapFault('s:MessageFormat', 'A renewal carries a PKCS#7 request');
  let renewal;
  try {
    renewal = parseAndVerifyRenewalPkcs7(unwrapPkcs7(decodeBase64Der(req.tokenBase64, 'renewal request')));
  } catch (err) {
    if (err instanceof PkiError) throw new SoapFault('s:Authentication', `The renewal request signature was refused: ${err.message}`);
    throw err;
  }
  if (!deps.ca.isIssuedByUs(renewal.signerCertDer)) {
    throw new SoapFault('s:Authentication', 'The renewal request is not signed by a certificate this server issued');
  }
  const thumbprint = sha1Thumbprint(renewal.signerCertDer);
  if (tlsClientCertDer && sha1Thumbprint(tlsClientCertDer) !== thumbprint) {
    throw new SoapFault('s:Authentication', 'The TLS client certificate differs from the certificate that signed the renewal');
  }
  const old: IssuedCertificateRecord | undefined = await deps.store.certificates.getByThumbprint(thumbprint);
  if (!old) throw new SoapFault('s:Authentication', 'The signing certificate is unknown to this server');
  const device = await deps.store.devices.get(old.devicePk);
  const notEligible = (why: string) => new SoapFault('s:Authorization', why, 'NotEligibleToRenew');
  if (!device || device.state !== 'enrolled') throw notEligible('The device is not enrolled');
  if (old.status !== 'active') throw notEligible(`The certificate is ${old.status} and cannot be renewed`);
  const claimedDeviceId = contextValue(req, 'DeviceID')?.trim();
  if (claimedDeviceId && claimedDeviceId !== device.deviceId) {
    throw new SoapFault('s:Authorization', 'The renewal names another device than the certificate was issued to');
  }
  const now = deps.now();
  const notAfter = Date.parse(old.notAfter);
  if (now.getTime() >= notAfter) throw notEligible('The certificate has expired; enroll the device again');
  const s = deps.settings;
  if (notAfter - now.getTime() > s.renewPeriodDays * DAY) {
    throw notEligible(`The certificate is not yet in its renewal window (${s.renewPeriodDays} days before expiry)`);
  }
  const csr = verifyCsrOrFault(renewal.innerCsrDer, s.minRsaBits);
  const subjectCn = old.subject.replace(/^CN=/, '');
  const issued = await issueOrFault(deps, subjectCn, csr, now);
  const at = now.toISOString();
  const recorded = await deps.store.enrollments.recordRenewal(
    device.id,
    {
      serial: issued.serialHex,
      devicePk: device.id,
      thumbprint: issued.thumbprint,
      subject: old.subject,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      issuedAt: at,
      status: 'active',
      derBase64: issued.der.toString('base64'),
      replacesSerial: old.serial,
    },
    old.serial,
    at,
    `device:${device.deviceId}`,
  );
  if (!recorded) throw notEligible('The certificate was renewed or revoked meanwhile');
  const provisioningDoc = buildRenewalProvisioningDoc({
    root: { thumbprint: deps.ca.thumbprint, base64: deps.ca.certDer.toString('base64') },
    client: { thumbprint: issued.thumbprint, base64: issued.der.toString('base64') },
    clientStore: device.enrollmentType === 'Device' ? 'System' : 'User',
    providerId: s.providerId,
    renewal: { serverUrl: deviceUrls(s.publicUrl).enrollment, renewPeriodDays: s.renewPeriodDays, retryIntervalDays: s.retryIntervalDays },
  });
  return { provisioningDoc, serial: issued.serialHex, devicePk: device.id };
}
