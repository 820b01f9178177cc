// A tenant application's credential: a client secret, or a certificate with its private key.
// Sealed at rest (AES-256-GCM under a key derived from the server secret) and opened only to ask
// for a token; the API shows only the kind, when it was set and, for a certificate, its
// thumbprint and end date.
import crypto from 'node:crypto';
import type { TenantAppCredential } from '../../domain/tenant.js';
import { decrypt, encrypt } from '../../identity/secret-box.js';
import { invalid } from '../errors.js';

export type AppCredentialInput = { kind: 'secret'; secret: string } | { kind: 'certificate'; certificatePem: string; privateKeyPem: string };

/** Opened: what MSAL needs. */
export type OpenedAppCredential =
  { kind: 'secret'; secret: string } | { kind: 'certificate'; certificatePem: string; privateKeyPem: string; thumbprintSha256: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Check and seal; errors name the request field under `pointer` (e.g. "/credential"). */
export function sealAppCredential(input: AppCredentialInput, key: Buffer, pointer: string, now = new Date()): TenantAppCredential {
  if (input.kind === 'secret') {
    const secret = input.secret.trim();
    if (secret.length < 8 || secret.length > 512)
      throw invalid(`${pointer}/secret`, 'must be the client secret value (not its ID) shown once in the Azure portal');
    return { kind: 'secret', sealed: encrypt(JSON.stringify({ secret }), key), setAt: now.toISOString() };
  }
  const certText = PEM_CERT.exec(input.certificatePem)?.[0];
  if (!certText) throw invalid(`${pointer}/certificatePem`, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certText);
  } catch {
    throw invalid(`${pointer}/certificatePem`, 'is not a readable X.509 certificate');
  }
  let keyObj: crypto.KeyObject;
  try {
    keyObj = crypto.createPrivateKey(input.privateKeyPem);
  } catch {
    throw invalid(`${pointer}/privateKeyPem`, 'must be an unencrypted PEM private key');
  }
  if (keyObj.asymmetricKeyType !== 'rsa') throw invalid(`${pointer}/privateKeyPem`, 'must be an RSA key (Entra ID signs client assertions with RSA)');
  if (!cert.checkPrivateKey(keyObj)) throw invalid(`${pointer}/privateKeyPem`, 'does not belong to the certificate');
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime())
    throw invalid(`${pointer}/certificatePem`, `expired on ${notAfter.toISOString()}; upload a current certificate to the app registration and here`);
  const privateKeyPem = keyObj.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    kind: 'certificate',
    sealed: encrypt(JSON.stringify({ certificatePem: cert.toString(), privateKeyPem }), key),
    thumbprint: cert.fingerprint.replaceAll(':', '').toUpperCase(),
    notAfter: notAfter.toISOString(),
    setAt: now.toISOString(),
  };
}

export function openAppCredential(c: TenantAppCredential, key: Buffer): OpenedAppCredential {
  const v = JSON.parse(decrypt(c.sealed, key)) as { secret?: string; certificatePem?: string; privateKeyPem?: string };
  if (c.kind === 'secret') return { kind: 'secret', secret: v.secret ?? '' };
  const certificatePem = v.certificatePem ?? '';
  const thumbprintSha256 = new crypto.X509Certificate(certificatePem).fingerprint256.replaceAll(':', '');
  return { kind: 'certificate', certificatePem, privateKeyPem: v.privateKeyPem ?? '', thumbprintSha256 };
}
