// The device certificate a request presented to the enrollment endpoints (renewal, policy of a
// renewing device, re-enrollment by the holder of the record's certificate).
import { checkDeviceCertificate } from '../../identity/device-credential.js';
import type { EnrollmentDeps } from './deps.js';

/**
 * The presented client certificate (TLS or trusted proxy, see http/client-credential) if it is
 * one of ours, valid, and an active certificate of an enrolled device — as a management session
 * requires; undefined otherwise.
 */
export async function enrolledCertificate(
  deps: EnrollmentDeps,
  cred: { certDer?: Buffer; certError?: string },
): Promise<{ thumbprint: string; devicePk: string } | undefined> {
  if (!cred.certDer || cred.certError) return undefined;
  const check = checkDeviceCertificate(cred.certDer, deps.ca, deps.now());
  if (!check.ok) return undefined;
  const rec = await deps.store.certificates.getByThumbprint(check.thumbprint);
  if (!rec || rec.status !== 'active') return undefined;
  const device = await deps.store.devices.get(rec.devicePk);
  if (!device || device.state !== 'enrolled') return undefined;
  return { thumbprint: check.thumbprint, devicePk: device.id };
}
