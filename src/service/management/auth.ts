// Who is this session? Extract a credential (TLS client certificate, a certificate forwarded by
// a trusted proxy, or OMA-DM digest), verify it, and associate it with the device named in
// SyncHdr/Source — which is a claim, never an identity by itself.
import type { CertificateAuthority } from '../../pki/ca.js';
import { checkDeviceCertificate } from '../../identity/device-credential.js';
import { verifyMd5Cred } from '../../identity/digest.js';
import { sessionTokenMatches } from './session-token.js';
import type { SyncHdr } from '../../protocol/syncml/types.js';
import type { Store } from '../../store/types.js';
import type { Device } from '../../domain/device.js';
import type { DmSessionState } from '../../domain/session.js';

export type DeviceAuth =
  | { ok: true; device: Device; method: 'certificate' | 'digest'; digestJustVerified?: boolean }
  | { ok: false; kind: 'http'; status: number; reason: string }
  | { ok: false; kind: 'challenge'; device: Device; code: '401' | '407'; reason: string };

export interface PresentedCredential {
  /** DER of the client certificate (TLS peer or trusted proxy header). */
  certDer?: Buffer;
  /** A proxy header that was present but malformed. */
  certError?: string;
  /** The client's address (throttling of digest guesses): http/client-address.ts. */
  clientAddress?: string;
  /** The session token of the request URL (our RespURI), if any. */
  sessionToken?: string;
}

export async function authenticateSession(
  store: Store,
  ca: CertificateAuthority,
  hdr: SyncHdr,
  cred: PresentedCredential,
  sessionFor: (devicePk: string) => Promise<DmSessionState | undefined>,
  now: Date,
  certCheck = checkDeviceCertificate,
): Promise<DeviceAuth> {
  if (cred.certError) return { ok: false, kind: 'http', status: 400, reason: `malformed forwarded client certificate: ${cred.certError}` };
  if (cred.certDer) {
    const check = certCheck(cred.certDer, ca, now);
    if (!check.ok) return { ok: false, kind: 'http', status: 403, reason: `client certificate refused (${check.reason})` };
    const rec = await store.certificates.getByThumbprint(check.thumbprint);
    if (!rec) return { ok: false, kind: 'http', status: 403, reason: 'client certificate unknown to this server' };
    if (rec.status !== 'active') return { ok: false, kind: 'http', status: 403, reason: `client certificate ${rec.status}` };
    const device = await store.devices.get(rec.devicePk);
    if (!device || device.state !== 'enrolled') return { ok: false, kind: 'http', status: 403, reason: 'device is not enrolled' };
    if (device.deviceId !== hdr.sourceUri) {
      return { ok: false, kind: 'http', status: 403, reason: 'the client certificate belongs to another device than SyncHdr/Source' };
    }
    return { ok: true, device, method: 'certificate' };
  }
  // No certificate reached us: OMA-DM digest with the per-device credentials.
  const device = await store.devices.getByDeviceId(hdr.sourceUri);
  if (!device) return { ok: false, kind: 'http', status: 403, reason: 'unknown device' };
  if (device.state !== 'enrolled') return { ok: false, kind: 'http', status: 403, reason: 'device is not enrolled' };
  // A later message of a digest session may come without credentials, but only to the RespURI
  // of our last reply: its token proves it continues that session. Package 1 starts a session
  // and never authenticates from stored state (`sessionFor` gives none for it).
  if (!hdr.cred && hdr.msgId !== '1' && cred.sessionToken) {
    const session = await sessionFor(device.id);
    if (session?.auth === 'digest' && sessionTokenMatches(session.tokenHash, cred.sessionToken)) return { ok: true, device, method: 'digest' };
  }
  if (!hdr.cred) return { ok: false, kind: 'challenge', device, code: '407', reason: 'credentials missing' };
  if (hdr.sourceName && hdr.sourceName !== device.dmUsername) {
    return { ok: false, kind: 'challenge', device, code: '401', reason: 'unknown user name' };
  }
  if (!verifyMd5Cred(hdr.cred, device.dmPasswordDigest, device.dmNonce)) {
    return { ok: false, kind: 'challenge', device, code: '401', reason: 'invalid credentials' };
  }
  return { ok: true, device, method: 'digest', digestJustVerified: true };
}
