// Write statements both backends run, written once as migrations.ts writes the schema: portable
// SQL with `?` placeholders, which forDialect numbers ($1, $2, …) for PostgreSQL. The values go
// in the same order for both (an array; SQLite binds it positionally).
import type { AuditEntry } from '../domain/audit.js';
import type { CommandRecord } from '../domain/command.js';
import type { Device, IssuedCertificateRecord } from '../domain/device.js';
import { jsonOrNull, n } from './rows.js';

export type Dialect = 'sqlite' | 'postgres';

/** `sql` for one backend: PostgreSQL numbers its placeholders. No statement here has a `?` in a literal. */
export function forDialect(sql: string, kind: Dialect): string {
  if (kind === 'sqlite') return sql;
  let i = 0;
  return sql.replaceAll('?', () => `$${++i}`);
}

const marks = (count: number) => Array.from({ length: count }, () => '?').join(', ');

/**
 * The columns an enrollment writes, and the field of the Device each comes from. The management
 * columns (last seen, inventory, current user, plan mark…) are not among them: a re-enrollment
 * keeps them (the plan mark is reset apart, with the deliveries).
 */
const DEVICE_COLUMNS = [
  ['id', 'id'],
  ['device_id', 'deviceId'],
  ['hw_dev_id', 'hwDevId'],
  ['entra_device_id', 'entraDeviceId'],
  ['enrollment_type', 'enrollmentType'],
  ['auth_method', 'authMethod'],
  ['tenant_id', 'tenantId'],
  ['user_oid', 'userOid'],
  ['upn', 'upn'],
  ['device_name', 'deviceName'],
  ['os_version', 'osVersion'],
  ['os_edition', 'osEdition'],
  ['device_type', 'deviceType'],
  ['state', 'state'],
  ['enrolled_at', 'enrolledAt'],
  ['updated_at', 'updatedAt'],
  ['terms_accepted_at', 'termsAcceptedAt'],
  ['dm_username', 'dmUsername'],
  ['dm_password_digest', 'dmPasswordDigest'],
  ['dm_server_name', 'dmServerName'],
  ['dm_server_digest', 'dmServerDigest'],
  ['dm_nonce', 'dmNonce'],
  ['principal', 'principal'],
] as const satisfies readonly (readonly [string, keyof Device])[];

// A re-enrollment replaces every enrollment column but the keys, and is enrolled again.
const REENROLL_SET = DEVICE_COLUMNS.filter(([col]) => col !== 'id' && col !== 'device_id')
  .map(([col]) => `${col} = excluded.${col}`)
  .concat('unenrolled_at = NULL')
  .join(', ');

/**
 * Insert a device by DeviceID, returning its id. On a DeviceID already there: `update` makes it
 * this enrollment (keeping its id), `nothing` returns no row (PostgreSQL: inserted concurrently).
 */
export function deviceUpsertSql(kind: Dialect, onConflict: 'update' | 'nothing'): string {
  return forDialect(
    `INSERT INTO devices (${DEVICE_COLUMNS.map(([col]) => col).join(', ')}) VALUES (${marks(DEVICE_COLUMNS.length)})
     ON CONFLICT (device_id) ${onConflict === 'update' ? `DO UPDATE SET ${REENROLL_SET}` : 'DO NOTHING'} RETURNING id`,
    kind,
  );
}

/** The values of deviceUpsertSql, in its column order (absent → NULL). */
export const deviceUpsertValues = (d: Device): unknown[] => DEVICE_COLUMNS.map(([, field]) => n(d[field]));

const CERT_INSERT_COLUMNS = [
  'serial',
  'device_pk',
  'thumbprint',
  'subject',
  'not_before',
  'not_after',
  'issued_at',
  'status',
  'revoked_at',
  'revocation_reason',
  'der_base64',
  'replaces_serial',
];

/** Insert an issued certificate (values: certInsertValues). */
export const certInsertSql = (kind: Dialect) =>
  forDialect(`INSERT INTO certificates (${CERT_INSERT_COLUMNS.join(', ')}) VALUES (${marks(CERT_INSERT_COLUMNS.length)})`, kind);

/** The values of certInsertSql for a certificate of `devicePk` (the DER is always written; absent → empty). */
export const certInsertValues = (c: IssuedCertificateRecord, devicePk: string): unknown[] => [
  c.serial,
  devicePk,
  c.thumbprint,
  c.subject,
  c.notBefore,
  c.notAfter,
  c.issuedAt,
  c.status,
  n(c.revokedAt),
  n(c.revocationReason),
  c.derBase64 ?? '',
  n(c.replacesSerial),
];

/** Append an audit entry (values: auditInsertValues). */
export const auditInsertSql = (kind: Dialect) =>
  forDialect('INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) VALUES (?, ?, ?, ?, ?, ?)', kind);

export const auditInsertValues = (e: AuditEntry): unknown[] => [e.at, e.actor, e.action, e.targetType, e.targetId, e.detail ? JSON.stringify(e.detail) : null];

const COMMAND_INSERT_COLUMNS = [
  'id',
  'device_pk',
  'user_oid',
  'origin',
  'action',
  'payload',
  'state',
  'held_reason',
  'created_at',
  'updated_at',
  'expires_at',
  'attempts',
  'max_attempts',
  'batch',
  'profile_ref',
];

/** Queue a command (values: commandInsertValues; results and delivery columns start empty). */
export const commandInsertSql = (kind: Dialect) =>
  forDialect(`INSERT INTO commands (${COMMAND_INSERT_COLUMNS.join(', ')}) VALUES (${marks(COMMAND_INSERT_COLUMNS.length)})`, kind);

export const commandInsertValues = (x: CommandRecord): unknown[] => [
  x.id,
  x.devicePk,
  n(x.userOid),
  x.origin,
  n(x.action),
  JSON.stringify(x.payload),
  x.state,
  n(x.heldReason),
  x.createdAt,
  x.updatedAt,
  n(x.expiresAt),
  x.attempts,
  x.maxAttempts,
  n(x.batch),
  jsonOrNull(x.profile),
];
