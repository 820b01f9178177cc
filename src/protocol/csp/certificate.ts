// Certificate profiles (docs/protocol-notes.md "Certificates"):
//  * trusted-root / intermediate → RootCATrustedCertificates/{Root|CA}/{SHA-1}/EncodedCertificate;
//  * pfx  → ClientCertificateInstall/PFXCertInstall/{id}/…, one Atomic, PFXCertBlob last (adding
//           the blob triggers the install);
//  * scep → ClientCertificateInstall/SCEP/{id}/Install/…, one Atomic, then Exec Install/Enroll.
// Each has a `ref` that VPN / Wi-Fi profiles use; `provides` carries what they need from it.
// Pure: parsing and hashing the certificate are deterministic.
import { X509Certificate } from 'node:crypto';
import { sha1Thumbprint } from '../../pki/der.js';
import { PkiError } from '../../pki/errors.js';
import { checkPfxPassword, type PfxPasswordCheck } from '../../pki/pfx.js';
import { normThumbprint, type Problems } from './common.js';
import type { CertificateSettings } from './schemas.js';
import type { CompiledNode, CompiledProfile, Scope } from './types.js';
import { cspRoot, encodeSegment } from './uri.js';

type KeyStore = NonNullable<Extract<CertificateSettings, { type: 'pfx' }>['keyLocation']>;

/** KeyLocation (PFX) / KeyProtection (SCEP) values: 1 TPM, 2 TPM if present else software, 3 software, 4 Windows Hello for Business. */
const KEY_STORE: Record<KeyStore, number> = { tpm: 1, 'tpm-or-software': 2, software: 3, hello: 4 };

/** X.509 KeyUsage bits as the SCEP KeyUsage node wants them (decimal of the first key-usage byte). */
const KEY_USAGE_BITS = { digitalSignature: 0x80, nonRepudiation: 0x40, keyEncipherment: 0x20, dataEncipherment: 0x10, keyAgreement: 0x08 } as const;

/** CertEnroll AlternativeNameType numbers used in SubjectAlternativeNames (`<type>+<value>`). */
const SAN_TYPE = { email: 2, dns: 3, uri: 7, upn: 11 } as const;

/** Base64 text (whitespace ignored) → bytes, or undefined when it is not canonical base64. */
function decodeBase64(text: string): Buffer | undefined {
  const b64 = text.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64) || b64.length === 0) return undefined;
  return Buffer.from(b64, 'base64');
}

/** A certificate given as base64 DER or PEM → DER, or an error message. */
export function certificateDer(input: string): { der: Buffer } | { error: string } {
  let body = input.trim();
  const pem = body.match(/-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g);
  if (pem) {
    if (pem.length > 1) return { error: 'holds more than one certificate: give one per profile' };
    body = pem[0].replace(/-----(BEGIN|END) CERTIFICATE-----/g, '');
  } else if (body.includes('-----BEGIN')) {
    return { error: 'PEM block is not a CERTIFICATE' };
  }
  const der = decodeBase64(body);
  if (!der) return { error: 'is not valid base64' };
  try {
    new X509Certificate(der);
  } catch {
    return { error: 'is not an X.509 certificate' };
  }
  return { der };
}

/** SHA-1 thumbprint of DER bytes, 40 uppercase hex — the node name Windows uses. */
export { sha1Thumbprint };

export function compileCertificate(scope: Scope, s: CertificateSettings, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  switch (s.type) {
    case 'trusted-root':
    case 'intermediate':
      return storeCertificate(scope, s, p);
    case 'pfx':
      return pfx(scope, s, p);
    case 'scep':
      return scep(scope, s, p);
  }
}

function storeCertificate(
  scope: Scope,
  s: Extract<CertificateSettings, { type: 'trusted-root' | 'intermediate' }>,
  p: Problems,
): Omit<CompiledProfile, 'kind' | 'scope'> {
  const root = s.type === 'trusted-root';
  if (root && scope === 'user') {
    p.add('/scope', 'the user certificate stores have no Root (RootCATrustedCertificates ./User has CA only): assign trusted roots with device scope');
  }
  const r = certificateDer(s.certificateBase64);
  let der: Buffer = Buffer.alloc(0);
  if ('error' in r) p.add('/certificateBase64', r.error);
  else {
    der = r.der;
    const x = new X509Certificate(der);
    if (root && x.subject !== x.issuer) p.add('/certificateBase64', 'is not self-issued (issuer ≠ subject), so it is not a root: use type "intermediate"');
  }
  const thumbprint = sha1Thumbprint(der);
  const node = `${cspRoot(scope, 'RootCATrustedCertificates')}/${root ? 'Root' : 'CA'}/${thumbprint}`;
  return {
    units: [
      {
        id: 'certificate:EncodedCertificate',
        nodes: [{ uri: `${node}/EncodedCertificate`, format: 'b64', value: der.toString('base64'), readBack: true }],
        atomic: false,
      },
    ],
    removal: [node],
    requires: [],
    provides: { ref: s.ref, scope, thumbprint, ...(root ? { issuerThumbprint: thumbprint } : {}), certificateType: s.type },
  };
}

/** A wrong password would fail the import on every device, after the profile was accepted here. */
function pfxPasswordProblem(blob: Buffer, password: string | undefined, p: Problems): void {
  let r: PfxPasswordCheck;
  try {
    r = checkPfxPassword(blob, password ?? '');
  } catch (err) {
    p.add('/pfxBase64', `is not a PKCS#12 (PFX) file (${err instanceof PkiError ? err.message : 'unreadable'})`);
    return;
  }
  if (r !== 'wrong-password') return;
  p.add('/password', password === undefined ? 'the PFX is protected by a password: set password' : 'does not open the PFX (its integrity MAC does not verify)');
}

function pfx(scope: Scope, s: Extract<CertificateSettings, { type: 'pfx' }>, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const blob = decodeBase64(s.pfxBase64);
  if (!blob) p.add('/pfxBase64', 'is not valid base64');
  else if (blob[0] !== 0x30) p.add('/pfxBase64', 'is not a PKCS#12 (PFX) file');
  else pfxPasswordProblem(blob, s.password, p);
  const keyLocation = s.keyLocation ?? 'tpm-or-software';
  if (keyLocation === 'hello' && s.containerName === undefined) p.add('/containerName', 'is required when keyLocation is "hello"');
  if (keyLocation !== 'hello' && s.containerName !== undefined) p.add('/containerName', 'applies only when keyLocation is "hello"');

  const id = s.uniqueId ?? s.ref;
  const root = `${cspRoot(scope, 'ClientCertificateInstall')}/PFXCertInstall/${encodeSegment(id)}`;
  const nodes: CompiledNode[] = [{ uri: `${root}/KeyLocation`, format: 'int', value: String(KEY_STORE[keyLocation]), readBack: true }];
  if (s.containerName !== undefined) nodes.push({ uri: `${root}/ContainerName`, format: 'chr', value: s.containerName, readBack: true });
  nodes.push({ uri: `${root}/PFXKeyExportable`, format: 'bool', value: String(s.exportable === true), readBack: true });
  if (s.password !== undefined) {
    nodes.push({ uri: `${root}/PFXCertPassword`, format: 'chr', value: s.password, secret: true, readBack: false });
    nodes.push({ uri: `${root}/PFXCertPasswordEncryptionType`, format: 'int', value: '0', readBack: true });
  }
  // Last: adding the blob starts the import with the leaves above.
  nodes.push({ uri: `${root}/PFXCertBlob`, format: 'b64', value: blob ? blob.toString('base64') : '', secret: true, readBack: false });
  return {
    units: [{ id: 'certificate:PFXCertInstall', nodes, atomic: true, reinstallOnChange: true }],
    removal: [root],
    requires: [],
    provides: { ref: s.ref, scope, certificateType: 'pfx' },
  };
}

function scep(scope: Scope, s: Extract<CertificateSettings, { type: 'scep' }>, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  if (!s.keyUsage.includes('digitalSignature') && !s.keyUsage.includes('keyEncipherment')) {
    p.add('/keyUsage', 'must include digitalSignature and/or keyEncipherment (Windows refuses the request otherwise)');
  }
  const hello = s.keyProtection === 'hello';
  if (hello) {
    if (s.containerName === undefined) p.add('/containerName', 'is required when keyProtection is "hello"');
    if (s.keyLength !== 2048) p.add('/keyLength', 'Windows Hello for Business keys are 2048-bit');
    if (s.hashAlgorithm.length !== 1 || s.hashAlgorithm[0] !== 'SHA-2') p.add('/hashAlgorithm', 'Windows Hello for Business supports SHA-2 only');
  } else {
    if (s.containerName !== undefined) p.add('/containerName', 'applies only when keyProtection is "hello"');
    if (s.customTextToShowInPrompt !== undefined) p.add('/customTextToShowInPrompt', 'applies only when keyProtection is "hello"');
  }

  const id = s.uniqueId ?? s.ref;
  const root = `${cspRoot(scope, 'ClientCertificateInstall')}/SCEP/${encodeSegment(id)}`;
  const install = `${root}/Install`;
  const caThumbprint = normThumbprint(s.caThumbprint);
  const nodes: CompiledNode[] = [];
  const leaf = (name: string, format: 'chr' | 'int', value: string | number | undefined, secret = false) => {
    if (value === undefined) return;
    nodes.push({ uri: `${install}/${name}`, format, value: String(value), ...(secret ? { secret: true } : {}), readBack: !secret });
  };
  // DDF order.
  leaf('ServerURL', 'chr', s.serverUrls.join(';'));
  leaf('Challenge', 'chr', s.challenge, true);
  leaf('EKUMapping', 'chr', s.ekus.join('+'));
  leaf(
    'KeyUsage',
    'int',
    s.keyUsage.reduce((bits, u) => bits | KEY_USAGE_BITS[u], 0),
  );
  leaf('SubjectName', 'chr', s.subjectName);
  leaf('KeyProtection', 'int', s.keyProtection && KEY_STORE[s.keyProtection]);
  leaf('RetryDelay', 'int', s.retryDelay);
  leaf('RetryCount', 'int', s.retryCount);
  leaf('TemplateName', 'chr', s.templateName);
  leaf('KeyLength', 'int', s.keyLength);
  leaf('HashAlgorithm', 'chr', s.hashAlgorithm.join('+'));
  leaf('CAThumbprint', 'chr', caThumbprint);
  leaf(
    'SubjectAlternativeNames',
    'chr',
    s.subjectAlternativeNames?.length ? s.subjectAlternativeNames.map((n) => `${SAN_TYPE[n.type]}+${n.value}`).join(';') : undefined,
  );
  leaf('ValidPeriod', 'chr', s.validPeriod);
  leaf('ValidPeriodUnits', 'int', s.validPeriodUnits);
  leaf('ContainerName', 'chr', s.containerName);
  leaf('CustomTextToShowInPrompt', 'chr', s.customTextToShowInPrompt);
  return {
    units: [{ id: 'certificate:SCEP', nodes, atomic: true, exec: { uri: `${install}/Enroll` }, reinstallOnChange: true }],
    removal: [root],
    requires: [],
    provides: { ref: s.ref, scope, issuerThumbprint: caThumbprint, certificateType: 'scep' },
  };
}
