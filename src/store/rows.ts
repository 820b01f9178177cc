// Rows to records, for both backends: the columns are the same (TEXT timestamps, JSON as TEXT),
// and PostgreSQL's BIGINT comes back as a number (postgres/db.ts type parser).
import type { EnrollmentClaim } from './types.js';
import type { AuditEntry } from '../domain/audit.js';
import type { CommandRecord } from '../domain/command.js';
import type { Device, IssuedCertificateRecord } from '../domain/device.js';
import type { Assignment, Group, ProfileDelivery, ProfileRecord } from '../domain/profile.js';
import type { DeviceAlert, TraceEntry } from '../domain/session.js';
import type { Tenant } from '../domain/tenant.js';

export type Row = Record<string, unknown>;

export const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
export const json = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (JSON.parse(String(v)) as T));
/** JSON text of a value, or NULL. */
export const jsonOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
/** undefined → NULL (pg would send undefined as NULL too; explicit is clearer). */
export const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export const tenantFromRow = (r: Row): Tenant => ({
  tenantId: String(r.tenant_id),
  cloud: r.cloud as Tenant['cloud'],
  audiences: JSON.parse(String(r.audiences)) as string[],
  enrollmentUrl: opt(r.enrollment_url),
  remediationUrl: opt(r.remediation_url),
  appClientId: opt(r.app_client_id),
  appCredential: r.app_credential ? (JSON.parse(String(r.app_credential)) as Tenant['appCredential']) : undefined,
  validation: r.validation ? (JSON.parse(String(r.validation)) as Tenant['validation']) : undefined,
  domains: json<string[]>(r.domains),
  complianceReporting: r.compliance_reporting_at
    ? { state: r.compliance_reporting_error ? 'refused' : 'ok', error: opt(r.compliance_reporting_error), at: String(r.compliance_reporting_at) }
    : undefined,
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

export const deviceFromRow = (r: Row): Device => ({
  id: String(r.id),
  deviceId: String(r.device_id),
  hwDevId: opt(r.hw_dev_id),
  entraDeviceId: opt(r.entra_device_id),
  enrollmentType: r.enrollment_type as Device['enrollmentType'],
  authMethod: r.auth_method as Device['authMethod'],
  tenantId: opt(r.tenant_id),
  userOid: opt(r.user_oid),
  upn: opt(r.upn),
  deviceName: opt(r.device_name),
  osVersion: opt(r.os_version),
  osEdition: opt(r.os_edition),
  deviceType: opt(r.device_type),
  state: r.state as Device['state'],
  enrolledAt: String(r.enrolled_at),
  updatedAt: String(r.updated_at),
  termsAcceptedAt: opt(r.terms_accepted_at),
  dmUsername: String(r.dm_username),
  dmPasswordDigest: String(r.dm_password_digest),
  dmServerName: String(r.dm_server_name),
  dmServerDigest: String(r.dm_server_digest),
  dmNonce: String(r.dm_nonce),
  lastSeenAt: opt(r.last_seen_at),
  currentUserOid: opt(r.current_user_oid),
  currentUserUpn: opt(r.current_user_upn),
  loginStatus: opt(r.login_status),
  inventory: json<Record<string, string>>(r.inventory),
  inventoryAt: opt(r.inventory_at),
  unenrolledAt: opt(r.unenrolled_at),
  planMark: opt(r.plan_mark),
  principal: opt(r.principal),
  releasedDeviceId: opt(r.released_device_id),
  revokeCommand: opt(r.revoke_command),
  revokeDeadline: opt(r.revoke_deadline),
});

/** The audit entry of an enrollment, written in its transaction (both backends). */
export const enrollmentAudit = (d: Device & { reenrolled: boolean }, claim: EnrollmentClaim): AuditEntry => ({
  at: d.enrolledAt,
  actor: claim.actor,
  action: d.reenrolled ? 'device.reenroll' : 'device.enroll',
  targetType: 'device',
  targetId: d.id,
  detail: { ...claim.detail, deviceId: d.deviceId, enrollmentType: d.enrollmentType, principal: d.principal },
});

/** The audit entry of a renewal, written in its transaction (both backends). */
export const renewalAudit = (devicePk: string, c: IssuedCertificateRecord, oldSerial: string, actor: string): AuditEntry => ({
  at: c.issuedAt,
  actor,
  action: 'device.renew',
  targetType: 'device',
  targetId: devicePk,
  detail: { serial: c.serial, replaces: oldSerial, notAfter: c.notAfter },
});

/** Certificate columns reads return (the DER is written at issue and never read back). */
export const CERT_COLUMNS = 'serial, device_pk, thumbprint, subject, not_before, not_after, issued_at, status, revoked_at, revocation_reason, replaces_serial';

export const certFromRow = (r: Row): IssuedCertificateRecord => ({
  serial: String(r.serial),
  devicePk: String(r.device_pk),
  thumbprint: String(r.thumbprint),
  subject: String(r.subject),
  notBefore: String(r.not_before),
  notAfter: String(r.not_after),
  issuedAt: String(r.issued_at),
  status: r.status as IssuedCertificateRecord['status'],
  revokedAt: opt(r.revoked_at),
  revocationReason: opt(r.revocation_reason),
  derBase64: opt(r.der_base64),
  replacesSerial: opt(r.replaces_serial),
});

export const auditFromRow = (r: Row): AuditEntry => ({
  id: Number(r.id),
  at: String(r.at),
  actor: String(r.actor),
  action: String(r.action),
  targetType: String(r.target_type),
  targetId: String(r.target_id),
  detail: json<Record<string, unknown>>(r.detail),
});

export const commandFromRow = (r: Row): CommandRecord => ({
  id: String(r.id),
  devicePk: String(r.device_pk),
  userOid: opt(r.user_oid),
  origin: r.origin as CommandRecord['origin'],
  action: opt(r.action),
  payload: JSON.parse(String(r.payload)),
  state: r.state as CommandRecord['state'],
  heldReason: opt(r.held_reason),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  expiresAt: opt(r.expires_at),
  attempts: Number(r.attempts),
  maxAttempts: Number(r.max_attempts),
  sentSession: opt(r.sent_session),
  sentMsgId: opt(r.sent_msg_id),
  sentCmdId: opt(r.sent_cmd_id),
  sentAt: opt(r.sent_at),
  status: opt(r.status),
  detail: json(r.detail),
  ackedAt: opt(r.acked_at),
  error: opt(r.error),
  batch: opt(r.batch),
  profile: json(r.profile_ref),
});

export const profileFromRow = (r: Row): ProfileRecord => ({
  id: String(r.id),
  name: String(r.name),
  kind: String(r.kind),
  scope: r.scope as ProfileRecord['scope'],
  settings: JSON.parse(String(r.settings)) as Record<string, unknown>,
  version: Number(r.version),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  deletedAt: opt(r.deleted_at),
  context: json<Record<string, unknown>>(r.context),
});

/** The failed and held rows of each profile, fleet-wide (DeliveryStore.problemCounts), the same SQL on both stores. */
export const PROBLEM_COUNTS_SQL = `SELECT profile_id,
  SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
  SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END) AS held
FROM profile_deliveries WHERE status IN ('failed', 'held') GROUP BY profile_id`;

export const problemFromRow = (r: Row) => ({ profileId: String(r.profile_id), failed: Number(r.failed), held: Number(r.held) });

export const deliveryFromRow = (r: Row): ProfileDelivery => ({
  devicePk: String(r.device_pk),
  userKey: String(r.user_key),
  upn: opt(r.upn),
  profileId: String(r.profile_id),
  version: Number(r.version),
  appliedVersion: r.applied_version === null || r.applied_version === undefined ? undefined : Number(r.applied_version),
  status: r.status as ProfileDelivery['status'],
  detail: opt(r.detail),
  hold: opt(r.hold) as ProfileDelivery['hold'],
  batch: opt(r.batch),
  updatedAt: String(r.updated_at),
});

export const groupFromRow = (r: Row): Group => ({ id: String(r.id), name: String(r.name), kind: r.kind as Group['kind'], createdAt: String(r.created_at) });
export const assignmentFromRow = (r: Row): Assignment => ({
  profileId: String(r.profile_id),
  targetType: r.target_type as Assignment['targetType'],
  targetId: String(r.target_id),
  createdAt: String(r.created_at),
});

export const traceFromRow = (r: Row): TraceEntry & { id: number } => ({
  id: Number(r.id),
  sessionId: String(r.session_id),
  msgId: String(r.msg_id),
  direction: r.direction as 'in' | 'out',
  at: String(r.at),
  body: String(r.body),
  truncated: Number(r.truncated) === 1,
});

export const alertFromRow = (r: Row): DeviceAlert & { at: string } => ({
  at: String(r.at),
  code: String(r.code),
  type: opt(r.type),
  format: opt(r.format),
  mark: opt(r.mark),
  source: opt(r.source),
  data: opt(r.data),
});

export const loginFromRow = (r: Row) => ({
  oid: String(r.user_oid),
  upn: opt(r.upn),
  firstSeen: String(r.first_seen),
  lastSeen: String(r.last_seen),
  sessions: Number(r.sessions),
});
