// PostgreSQL implementation of the store (pg, a pool): the scale-out backend, for several
// stateless replicas on one database. Same tables and behaviour as sqlite/; every multi-statement
// write is one transaction, and where two replicas could pick the same row it is locked.
import { postgresApps } from './apps.js';
import { postgresContent } from './content.js';
import { postgresDeviceQueries } from './devices.js';
import { DeviceHeldError } from '../errors.js';
import type { EnrollmentClaim, Store } from '../types.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Device, IssuedCertificateRecord } from '../../domain/device.js';
import type { Tenant } from '../../domain/tenant.js';
import { postgresEntraGroups } from './entra-groups.js';
import { postgresCompliance } from './compliance.js';
import { appendAudit } from './audit.js';
import { postgresComplianceOutbox } from './compliance-outbox.js';
import { type Db, type Sql, migrate, openDb, whereIs } from './db.js';
import { postgresDeliveries } from './deliveries.js';
import { postgresManagement } from './management.js';
import { postgresProfiles } from './profiles.js';
import type { StoreLog } from '../write-behind.js';
import { postgresTlsTicketKeys } from './tls-ticket-keys.js';
import { postgresCheckinSchedules } from './settings.js';
import { postgresPush } from './push.js';
import { postgresDeviceApps } from './device-apps.js';
import { postgresEsp } from './esp.js';
import { postgresBranding } from './branding.js';
import { postgresRenewalSettings } from './renewal-settings.js';
import { postgresEnrollmentTokensUsed } from './enrollment-tokens-used.js';
import { postgresAdmins } from './admins.js';
import { auditListSql } from '../audit-query.js';
import { CERT_COLUMNS, auditFromRow, certFromRow, deviceFromRow, enrollmentAudit, n, renewalAudit, tenantFromRow, type Row } from '../rows.js';
import { certInsertSql, certInsertValues, deviceUpsertSql, deviceUpsertValues } from '../statements.js';

const DEVICE_INSERT = deviceUpsertSql('postgres', 'nothing');
const DEVICE_REENROLL = deviceUpsertSql('postgres', 'update');
const CERT_INSERT = certInsertSql('postgres');

/** `fn` changed a row (rowCount > 0) → its audit entry in the same transaction; false otherwise. */
const audited = (db: Db, a: AuditEntry, fn: (c: Sql) => Promise<number | null>) =>
  db.tx(async (c) => {
    if (!(await fn(c))) return false;
    await appendAudit(c, a);
    return true;
  });

export async function openPostgresStore(url: string, opts: { poolSize?: number; timeoutMs?: number; log?: StoreLog } = {}): Promise<Store> {
  const db = openDb(url, { max: opts.poolSize, timeoutMs: opts.timeoutMs });
  try {
    await migrate(db.pool);
  } catch (err) {
    await db.pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${whereIs(url)}: ${(err as Error).message}`, { cause: err });
  }
  const { flush, close: stopWriteBehind, ...mgmt } = postgresManagement(db, opts.log);
  let closed = false;

  const tenantParams = (t: Tenant) => [
    t.tenantId,
    t.cloud,
    JSON.stringify(t.audiences),
    n(t.enrollmentUrl),
    n(t.remediationUrl),
    t.createdAt,
    t.updatedAt,
    n(t.appClientId),
    t.appCredential ? JSON.stringify(t.appCredential) : null,
    t.validation ? JSON.stringify(t.validation) : null,
    t.domains ? JSON.stringify(t.domains) : null,
  ];
  const insertCert = (c: Sql, cert: IssuedCertificateRecord, devicePk: string) => c.query(CERT_INSERT, certInsertValues(cert, devicePk));

  const store: Store = {
    kind: 'postgres',
    ...mgmt,
    ...postgresProfiles(db),
    deliveries: postgresDeliveries(db),
    tlsTicketKeys: postgresTlsTicketKeys(db),
    checkinSchedules: postgresCheckinSchedules(db),
    push: postgresPush(db),
    entraGroups: postgresEntraGroups(db),
    compliance: postgresCompliance(db),
    admins: postgresAdmins(db),
    complianceOutbox: postgresComplianceOutbox(db),
    deviceApps: postgresDeviceApps(db),
    esp: postgresEsp(db),
    branding: postgresBranding(db),
    renewalSettings: postgresRenewalSettings(db),
    enrollmentTokensUsed: postgresEnrollmentTokensUsed(db),
    apps: postgresApps(db),
    content: postgresContent(db),
    tenants: {
      async list() {
        return (await db.q('SELECT * FROM tenants ORDER BY created_at, tenant_id')).map(tenantFromRow);
      },
      async get(id) {
        const [r] = await db.q('SELECT * FROM tenants WHERE tenant_id = $1', [id]);
        return r ? tenantFromRow(r) : undefined;
      },
      async create(t, a) {
        return audited(
          db,
          a,
          async (c) =>
            (
              await c.query(
                `INSERT INTO tenants (tenant_id, cloud, audiences, enrollment_url, remediation_url, created_at, updated_at, app_client_id, app_credential, validation, domains)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
                tenantParams(t),
              )
            ).rowCount,
        );
      },
      async update(t, a) {
        const [id, cloud, aud, eu, ru, , updatedAt, appClientId, appCredential, validation, domains] = tenantParams(t);
        return audited(
          db,
          a,
          async (c) =>
            (
              await c.query(
                `UPDATE tenants SET cloud = $2, audiences = $3, enrollment_url = $4, remediation_url = $5, updated_at = $6,
                 app_client_id = $7, app_credential = $8, validation = $9, domains = $10 WHERE tenant_id = $1`,
                [id, cloud, aud, eu, ru, updatedAt, appClientId, appCredential, validation, domains],
              )
            ).rowCount,
        );
      },
      async delete(id, a) {
        return audited(db, a, async (c) => (await c.query('DELETE FROM tenants WHERE tenant_id = $1', [id])).rowCount);
      },
    },
    audit: {
      async append(e) {
        await appendAudit(db.pool, e);
      },
      async list(q) {
        const { text, params } = auditListSql('postgres', q);
        return (await db.q(text, params)).map(auditFromRow);
      },
    },
    enrollmentAccounts: {
      async get(username) {
        const [r] = await db.q('SELECT * FROM enrollment_accounts WHERE username = $1', [username]);
        return r ? { username: String(r.username), passwordHash: String(r.password_hash), createdAt: String(r.created_at) } : undefined;
      },
      async create(acct, a) {
        return audited(
          db,
          a,
          async (c) =>
            (
              await c.query('INSERT INTO enrollment_accounts (username, password_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
                acct.username,
                acct.passwordHash,
                acct.createdAt,
              ])
            ).rowCount,
        );
      },
      async delete(username, a) {
        return audited(db, a, async (c) => (await c.query('DELETE FROM enrollment_accounts WHERE username = $1', [username])).rowCount);
      },
      async list() {
        // Byte order, as SQLite sorts (whatever the database's default collation).
        return (await db.q('SELECT username, created_at FROM enrollment_accounts ORDER BY username COLLATE "C"')).map((r) => ({
          username: String(r.username),
          createdAt: String(r.created_at),
        }));
      },
      async count() {
        return Number((await db.q('SELECT COUNT(*) AS n FROM enrollment_accounts'))[0].n);
      },
    },
    devices: {
      ...postgresDeviceQueries(db),
      async get(id) {
        const [r] = await db.q('SELECT * FROM devices WHERE id = $1', [id]);
        return r ? deviceFromRow(r) : undefined;
      },
      async getByDeviceId(deviceId) {
        const [r] = await db.q('SELECT * FROM devices WHERE device_id = $1', [deviceId]);
        return r ? deviceFromRow(r) : undefined;
      },
      async list({ limit, offset }) {
        return (await db.q('SELECT * FROM devices ORDER BY enrolled_at, id LIMIT $1 OFFSET $2', [limit, offset])).map(deviceFromRow);
      },
      async count() {
        return Number((await db.q('SELECT COUNT(*) AS n FROM devices'))[0].n);
      },
    },
    certificates: {
      async getByThumbprint(t) {
        const [r] = await db.q(`SELECT ${CERT_COLUMNS} FROM certificates WHERE thumbprint = $1`, [t]);
        return r ? certFromRow(r) : undefined;
      },
      async getBySerial(serial) {
        const [r] = await db.q(`SELECT ${CERT_COLUMNS} FROM certificates WHERE serial = $1`, [serial]);
        return r ? certFromRow(r) : undefined;
      },
      async listForDevice(devicePk) {
        return (await db.q(`SELECT ${CERT_COLUMNS} FROM certificates WHERE device_pk = $1 ORDER BY issued_at DESC, serial`, [devicePk])).map(certFromRow);
      },
    },
    enrollments: {
      recordEnrollment: (d, cert, claim) => db.tx((c) => enroll(c, d, cert, claim)),
      async recordRenewal(devicePk, cert, oldSerial, at, actor) {
        return db.tx(async (c) => {
          // One renewal of a certificate wins: the other waits for the row lock, then finds it
          // superseded and writes nothing.
          const won = await c.query(
            `UPDATE certificates SET status = 'superseded', revoked_at = $1, revocation_reason = 'renewed'
             WHERE serial = $2 AND device_pk = $3 AND status = 'active' AND EXISTS (SELECT 1 FROM devices WHERE id = $3 AND state = 'enrolled')`,
            [at, oldSerial, devicePk],
          );
          if (!won.rowCount) return false;
          await insertCert(c, cert, devicePk);
          if (actor) await appendAudit(c, renewalAudit(devicePk, cert, oldSerial, actor));
          return true;
        });
      },
      async revoke(devicePk, at, reason, a) {
        return db.tx(async (c) => {
          const r = await c.query(
            `UPDATE devices SET state = 'unenrolled', unenrolled_at = $1, updated_at = $1, revoke_command = NULL, revoke_deadline = NULL
             WHERE id = $2 AND state = 'enrolled'`,
            [at, devicePk],
          );
          if (!r.rowCount) return false;
          const certificates = (
            await c.query(`UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = $2 WHERE device_pk = $3 AND status = 'active'`, [
              at,
              reason,
              devicePk,
            ])
          ).rowCount;
          const commandsCancelled = (
            await c.query(
              `UPDATE commands SET state = 'cancelled', error = 'device revoked', updated_at = $1 WHERE device_pk = $2 AND state IN ('queued', 'held', 'sent')`,
              [at, devicePk],
            )
          ).rowCount;
          await c.query('DELETE FROM dm_sessions WHERE device_pk = $1', [devicePk]);
          await appendAudit(c, { ...a, detail: { ...a.detail, certificates, commandsCancelled } });
          return true;
        });
      },
      async revokeAfter(devicePk, commandId, deadline, at, a) {
        return audited(
          db,
          a,
          async (c) =>
            (
              await c.query(`UPDATE devices SET revoke_command = $1, revoke_deadline = $2, updated_at = $3 WHERE id = $4 AND state = 'enrolled'`, [
                commandId,
                deadline,
                at,
                devicePk,
              ])
            ).rowCount,
        );
      },
      async revocationsDue(now, limit) {
        const rows = await db.q(
          `SELECT d.id FROM devices d LEFT JOIN commands c ON c.id = d.revoke_command
           WHERE d.revoke_command IS NOT NULL AND d.state = 'enrolled'
             AND (d.revoke_deadline <= $1 OR c.state IS NULL OR c.state IN ('acked', 'failed', 'cancelled', 'expired'))
           ORDER BY d.revoke_deadline LIMIT $2`,
          [now, limit],
        );
        return rows.map((r) => String(r.id));
      },
      async devicesOfTenant(tenantId) {
        return (await db.q(`SELECT id FROM devices WHERE tenant_id = $1 AND state = 'enrolled' ORDER BY id`, [tenantId])).map((r) => String(r.id));
      },
    },
    flush,
    async ping() {
      await db.ping();
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopWriteBehind();
      await db.pool.end();
    },
  };

  /**
   * Enroll by DeviceID (rules: EnrollmentStore.recordEnrollment). The row of an existing device
   * is locked first, so two replicas enrolling the same device serialise; a device inserted
   * concurrently (our INSERT does nothing) is looked at again, locked.
   */
  async function enroll(c: Sql, d: Device, cert: IssuedCertificateRecord, claim?: EnrollmentClaim): Promise<Device & { reenrolled: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const [ex] = (await c.query('SELECT id, state, principal FROM devices WHERE device_id = $1 FOR UPDATE', [d.deviceId])).rows as Row[];
      let existing: Row | undefined = ex;
      if (existing && existing.state !== 'enrolled') {
        // Released: kept as history; the enrollment gets a fresh record that inherits nothing.
        await c.query(`UPDATE devices SET released_device_id = device_id, device_id = 'released:' || id WHERE id = $1`, [existing.id]);
        existing = undefined;
      }
      if (existing && (existing.principal ?? null) !== (d.principal ?? null)) {
        const holds = claim?.certThumbprint
          ? (await c.query(`SELECT 1 FROM certificates WHERE thumbprint = $1 AND device_pk = $2 AND status = 'active'`, [claim.certThumbprint, existing.id]))
              .rowCount
          : 0;
        if (!holds) throw new DeviceHeldError(String(existing.id));
      }
      const id = await upsertDevice(c, d, !!existing);
      if (id === undefined) {
        if (attempt > 0) throw new Error('the device record changed during enrollment');
        continue;
      }
      const device = { ...d, id, reenrolled: !!existing };
      if (claim) await appendAudit(c, enrollmentAudit(device, claim));
      await afterEnroll(c, d, cert, id, !!existing);
      return device;
    }
  }

  /** Insert the device (undefined if its DeviceID was inserted concurrently), or update the locked existing row. */
  async function upsertDevice(c: Sql, d: Device, existing: boolean): Promise<string | undefined> {
    const r = await c.query(existing ? DEVICE_REENROLL : DEVICE_INSERT, deviceUpsertValues(d));
    return r.rows[0] ? String(r.rows[0].id) : undefined;
  }

  async function afterEnroll(c: Sql, d: Device, cert: IssuedCertificateRecord, id: string, reenrolled: boolean): Promise<void> {
    if (reenrolled) {
      // A re-enrolled device starts from a clean management tree: profiles are delivered anew.
      await c.query('DELETE FROM profile_deliveries WHERE device_pk = $1', [id]);
      await c.query(
        `UPDATE commands SET state = 'cancelled', error = 'device enrolled again', updated_at = $1
         WHERE device_pk = $2 AND batch IS NOT NULL AND state IN ('queued', 'held', 'sent')`,
        [d.enrolledAt, id],
      );
      await c.query('UPDATE devices SET plan_mark = NULL WHERE id = $1', [id]);
    }
    await c.query(`UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = 'reenrolled' WHERE device_pk = $2 AND status = 'active'`, [
      d.enrolledAt,
      id,
    ]);
    await insertCert(c, cert, id);
  }

  return store;
}
