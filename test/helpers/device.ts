// A test device: an RSA key pair and CSRs built the way Windows builds them.
import crypto from 'node:crypto';
import { buildCsr } from '../../src/pki/csr-build.js';

export interface TestDevice {
  deviceId: string;
  /** The DeviceID as an Entra device id (GUID): what an Entra join token's deviceid claim names. */
  entraDeviceId: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  csrBase64(subjectCn?: string): string;
  context(extra?: [string, string][]): [string, string][];
}

export function newTestDevice(): TestDevice {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const deviceId = crypto.randomBytes(16).toString('hex').toUpperCase();
  const h = deviceId.toLowerCase();
  return {
    deviceId,
    entraDeviceId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    privateKey,
    publicKey,
    csrBase64: (cn = deviceId) => buildCsr({ privateKey, publicKey, subjectCn: cn, windowsQuirks: true }).toString('base64'),
    context: (extra = []) => [
      ['UXInitiated', 'true'],
      ['HWDevID', crypto.randomBytes(32).toString('hex').toUpperCase()],
      ['Locale', 'en-US'],
      ['TargetedUserLoggedIn', 'true'],
      ['OSEdition', '4'],
      ['DeviceName', `DESKTOP-${deviceId.slice(0, 7)}`],
      ['MAC', '00-0C-29-51-60-9D'],
      ['MAC', '00-0C-29-51-60-A7'],
      ['DeviceID', deviceId],
      ['DeviceType', 'CIMClient_Windows'],
      ['OSVersion', '10.0.22631.4460'],
      ['ApplicationVersion', '10.0.22631.4460'],
      ['NotInOobe', 'false'],
      ...extra,
    ],
  };
}
