// Enrollment (MS-WSTEP Issue): verify the CSR, choose the subject, issue the device
// certificate, record the device, and build the provisioning document.
//
// A DeviceID that is enrolled belongs to its principal: enrolling it again inherits the record
// only for that principal (same tenant and Entra object ID for a work account, same Entra device
// for a join, same on-premises account) or for the holder of one of its active certificates
// (presented on the TLS connection or by a trusted proxy). Anyone else gets an Authorization
// fault and the holder keeps working, until an administrator releases (revokes) the record; the
// next enrollment then gets a fresh record that inherits nothing.
import crypto from 'node:crypto';
import { generateDmCredentials } from '../../identity/dm-credentials.js';
import { verifyOpaqueBlob } from '../../identity/opaque-blob.js';
import { type RstRequest, contextValue } from '../../protocol/mde2/wstep.js';
import { SoapFault } from '../../protocol/soap.js';
import { DeviceHeldError } from '../../store/errors.js';
import { brandingProvisioning } from '../branding.js';
import { buildProvisioningDoc } from '../../protocol/wap.js';
import { CheckinScheduleService } from '../checkin-schedule.js';
import { isXmlText } from '../../protocol/xml-write.js';
import type { Device, EnrollmentType, IssuedCertificateRecord } from '../../domain/device.js';
import type { EnrollmentPrincipal } from './auth.js';
import { decodeBase64Der, issueOrFault, verifyCsrOrFault } from './certificate-request.js';
import type { EnrollmentDeps } from './deps.js';
import { enrolledCertificate } from './device-certificate.js';
import { deviceUrls } from '../urls.js';
import { provisionedProfiles, type Provisioned } from './provisioned-profiles.js';

const MAX_CONTEXT_VALUE = 1024;

function ctx(req: RstRequest, name: string): string | undefined {
  const v = contextValue(req, name)?.trim();
  if (v && v.length > MAX_CONTEXT_VALUE) throw new SoapFault('s:MessageFormat', `AdditionalContext ${name} is too long`);
  return v || undefined;
}

function enrollmentTypeOf(req: RstRequest): EnrollmentType {
  const t = ctx(req, 'EnrollmentType') ?? 'Full';
  if (t === 'Full' || t === 'Device') return t;
  throw new SoapFault('s:Authorization', `EnrollmentType ${JSON.stringify(t.slice(0, 40))} is not supported by this server`, 'NotSupported');
}

/** An Entra device id as written by Windows or Entra: braces, dashes and case do not matter. */
const guidKey = (v: string) => v.replace(/[{}-]/g, '').toLowerCase();

/** Who enrolls, as stored on the device record (Device.principal), and as the audit actor. */
function principalOf(principal: EnrollmentPrincipal, type: EnrollmentType): { key: string; actor: string } {
  if (principal.kind === 'onpremise') return { key: `onprem:${principal.username}`, actor: `onprem:${principal.username}` };
  const id = principal.identity;
  const actor = `entra:${id.tenantId}/${id.objectId}`;
  if (type === 'Device') return { key: `entra-device:${id.tenantId}/${guidKey(id.deviceId ?? '')}`, actor };
  return { key: actor, actor };
}

/** The certificate subject CN is ours to choose: Entra device ID for device enrollments, UPN for user ones. */
function subjectFor(principal: EnrollmentPrincipal, type: EnrollmentType, clientDeviceId: string): string {
  if (principal.kind === 'entra') {
    if (type === 'Device') {
      if (!principal.identity.deviceId) {
        throw new SoapFault('s:Authentication', 'A device enrollment needs an Entra token that names the device (deviceid claim)');
      }
      // Entra vouches for the device id (deviceid claim), not for the DeviceID: on desktop Windows
      // the DeviceID is DevInfo/DevId, a GUID of the MDM client's own (DevInfo CSP), which is not
      // the Entra device id. The record is bound to (tenant, deviceid) — see principalOf — so
      // another Entra device cannot take it over whatever DeviceID it names.
      return principal.identity.deviceId;
    }
    return principal.identity.upn ?? principal.identity.objectId;
  }
  return type === 'Device' ? clientDeviceId : principal.username;
}

function termsAcceptance(deps: EnrollmentDeps, principal: EnrollmentPrincipal, req: RstRequest): string | undefined {
  const blob = ctx(req, 'EnrollmentData');
  if (!blob) return undefined;
  if (principal.kind !== 'entra') return undefined;
  let payload;
  try {
    payload = verifyOpaqueBlob(blob, deps.blobSecret, deps.now().getTime());
  } catch {
    throw new SoapFault('s:Authorization', 'The terms-of-use acceptance is not valid or has expired', 'InvalidEnrollmentData');
  }
  if (payload.tid !== principal.identity.tenantId || payload.oid !== principal.identity.objectId) {
    throw new SoapFault('s:Authorization', 'The terms of use were accepted by another user', 'InvalidEnrollmentData');
  }
  return new Date(payload.acceptedAt).toISOString();
}

export interface EnrollResult {
  device: Device;
  provisioningDoc: string;
  /** Profiles whose settings the document carries (delivered at that version). */
  provisioned: { profileId: string; version: number }[];
  /** Why no profile could be looked up for the document (they go through OMA-DM instead). */
  provisioningError?: string;
}

export async function enroll(deps: EnrollmentDeps, principal: EnrollmentPrincipal, req: RstRequest, presentedCertDer?: Buffer): Promise<EnrollResult> {
  const s = deps.settings;
  const clientDeviceId = ctx(req, 'DeviceID');
  if (!clientDeviceId) throw new SoapFault('s:MessageFormat', 'AdditionalContext DeviceID is missing');
  // Released records are kept under this prefix (store: recordEnrollment).
  if (clientDeviceId.startsWith('released:')) throw new SoapFault('s:MessageFormat', 'AdditionalContext DeviceID is not valid');
  const type = enrollmentTypeOf(req);
  const termsAcceptedAt = termsAcceptance(deps, principal, req);
  const csr = verifyCsrOrFault(decodeBase64Der(req.tokenBase64, 'certificate request'), s.minRsaBits);
  const subjectCn = subjectFor(principal, type, clientDeviceId);
  const who = principalOf(principal, type);
  const now = deps.now();
  const at = now.toISOString();
  const refuse = async (devicePk: string): Promise<never> => {
    await deps.store.audit.append({
      at,
      actor: who.actor,
      action: 'device.enroll.refused',
      targetType: 'device',
      targetId: devicePk,
      detail: { deviceId: clientDeviceId, principal: who.key, reason: 'enrolled to another principal' },
    });
    throw new SoapFault('s:Authorization', 'This device is enrolled to another account; an administrator must release it before it can be enrolled again');
  };
  // Refused before anything is signed when the DeviceID is plainly held by another principal;
  // the store decides again in the enrollment's transaction (a race between two enrollments).
  const proof = await enrolledCertificate(deps, { certDer: presentedCertDer });
  const held = await deps.store.devices.getByDeviceId(clientDeviceId);
  if (held?.state === 'enrolled' && held.principal !== who.key && proof?.devicePk !== held.id) await refuse(held.id);

  const identity = principal.kind === 'entra' ? principal.identity : undefined;
  const upn = identity ? identity.upn : principal.kind === 'onpremise' ? principal.username : undefined;
  // The provisioning document carries the UPN and is built after the enrollment is recorded: a
  // UPN it could not carry (a token claim holding a control character) is refused before that.
  if (upn !== undefined && !isXmlText(upn)) throw new SoapFault('s:MessageFormat', 'The user principal name holds a character XML cannot carry');
  const issued = await issueOrFault(deps, subjectCn, csr, now);
  const creds = generateDmCredentials(clientDeviceId, s.providerId);
  const device: Device = {
    id: crypto.randomUUID(),
    deviceId: clientDeviceId,
    hwDevId: ctx(req, 'HWDevID'),
    entraDeviceId: identity?.deviceId,
    enrollmentType: type,
    authMethod: principal.kind,
    tenantId: identity?.tenantId,
    userOid: identity?.objectId,
    upn,
    deviceName: ctx(req, 'DeviceName'),
    osVersion: ctx(req, 'OSVersion') ?? ctx(req, 'ApplicationVersion'),
    osEdition: ctx(req, 'OSEdition'),
    deviceType: ctx(req, 'DeviceType'),
    state: 'enrolled',
    enrolledAt: at,
    updatedAt: at,
    termsAcceptedAt,
    dmUsername: creds.username,
    dmPasswordDigest: creds.passwordDigest,
    dmServerName: creds.serverName,
    dmServerDigest: creds.serverDigest,
    dmNonce: creds.nonce,
    principal: who.key,
  };
  const certRecord: IssuedCertificateRecord = {
    serial: issued.serialHex,
    devicePk: device.id,
    thumbprint: issued.thumbprint,
    subject: `CN=${subjectCn}`,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
    issuedAt: at,
    status: 'active',
    derBase64: issued.der.toString('base64'),
  };
  let saved;
  try {
    saved = await deps.store.enrollments.recordEnrollment(device, certRecord, { certThumbprint: proof?.thumbprint, actor: who.actor });
  } catch (err) {
    if (!(err instanceof DeviceHeldError)) throw err;
    return refuse(err.devicePk);
  }

  // Windows Hello policies that apply to this device, in force before the PIN prompt. A failed
  // lookup does not fail the enrollment: the first OMA-DM session delivers them as before.
  let provisioned: Provisioned = { nodes: [], rows: [] };
  let provisioningError: string | undefined;
  if (deps.profiles) {
    try {
      provisioned = await provisionedProfiles(deps.profiles, deps.store, saved, identity?.tenantId, at);
    } catch (err) {
      provisioningError = (err as Error).message;
    }
  }

  const urls = deviceUrls(s.publicUrl);
  const clientStore = type === 'Device' ? 'System' : 'User';
  const provisioningDoc = buildProvisioningDoc({
    root: { thumbprint: deps.ca.thumbprint, base64: deps.ca.certDer.toString('base64') },
    client: { thumbprint: issued.thumbprint, base64: issued.der.toString('base64') },
    clientStore,
    clientSubject: `CN=${subjectCn}`,
    renewal: { serverUrl: urls.enrollment, renewPeriodDays: s.renewPeriodDays, retryIntervalDays: s.retryIntervalDays },
    providerId: s.providerId,
    serverName: s.serverName,
    managementUrl: urls.management,
    appSrvAuth: { name: creds.username, secret: creds.password },
    clientAuth: { name: creds.serverName, secret: creds.serverSecret, nonceBase64: creds.nonce },
    dmClient: {
      entDmId: saved.id,
      entDeviceName: device.deviceName,
      upn: device.upn,
      aadResourceId: principal.kind === 'entra' ? principal.identity.audience : undefined,
      poll: await new CheckinScheduleService(deps.store).enrollmentPoll(),
      // The completion page shows at the end of this enrollment: it must ride in the document.
      branding: await brandingProvisioning(deps.store),
    },
    csps: provisioned.nodes,
  });
  if (provisioned.rows.length) await deps.store.deliveries.put(provisioned.rows);
  return { device: saved, provisioningDoc, provisioned: provisioned.rows.map((r) => ({ profileId: r.profileId, version: r.version })), provisioningError };
}
