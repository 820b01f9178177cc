// SQLite implementation of the store (better-sqlite3, WAL). The embedded default.
import { sqliteApps } from './apps.js';
import { sqliteContentFiles } from './content-files.js';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../migrations.js';
import { CERT_COLUMNS, auditFromRow, certFromRow, deviceFromRow, enrollmentAudit, renewalAudit, tenantFromRow, type Row } from '../rows.js';
import { sqliteManagement } from './management.js';
import { DeviceHeldError, StoreUnavailableError, isStoreUnavailable } from '../errors.js';
import type { StoreLog } from '../write-behind.js';
import { sqliteDeviceQueries } from './devices.js';
import { sqliteDeliveries } from './deliveries.js';
import { sqliteProfiles } from './profiles.js';
import { sqliteTlsTicketKeys } from './tls-ticket-keys.js';
import { sqliteCheckinSchedules } from './settings.js';
import { sqlitePush } from './push.js';
import { sqliteDeviceApps } from './device-apps.js';
import { sqliteEsp } from './esp.js';
import { sqliteBranding } from './branding.js';
import { sqliteRenewalSettings } from './renewal-settings.js';
import { sqliteEnrollmentTokensUsed } from './enrollment-tokens-used.js';
import { sqliteEntraGroups } from './entra-groups.js';
import { sqliteCompliance } from './compliance.js';
import { sqliteAdmins } from './admins.js';
import { sqliteComplianceOutbox } from './compliance-outbox.js';
import { ownerOnlyDatabase } from './files.js';
import { auditInsertSql, auditInsertValues, certInsertSql, certInsertValues, deviceUpsertSql, deviceUpsertValues } from '../statements.js';
import { auditListSql } from '../audit-query.js';
import type { EnrollmentClaim, Store } from '../types.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Device, IssuedCertificateRecord } from '../../domain/device.js';
import type { EnrollmentAccount, Tenant } from '../../domain/tenant.js';

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)));
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
  }
}

export function openSqliteStore(file: string, opts: { log?: StoreLog } = {}): Store {
  if (file !== ':memory:') ownerOnlyDatabase(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit is durable against a process crash at once, against power loss or an OS
  // crash once the WAL is synced (at checkpoints). Enrollment and renewal commits are synced
  // before they are answered (syncWal, below): a device must never hold a certificate we lost.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  /**
   * Makes what has been committed durable against power loss before a device is answered: the
   * WAL file is synced on libuv's thread pool (same durability as synchronous=FULL for the
   * commits before it, without holding the event loop for the disk's flush). Enrollment and
   * renewal commits await it; everything else relies on NORMAL.
   */
  const walFile = file === ':memory:' ? undefined : `${file}-wal`;
  const syncWal = async (): Promise<void> => {
    if (!walFile) return;
    // No WAL file (checkpointed and removed): the commit is in the database file itself.
    const fh = await fs.promises.open(walFile, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return fs.promises.open(file, 'r');
      throw err;
    });
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  };
  // A request write that failed for the disk (full, I/O error): readiness stays false until a
  // write succeeds again (ping tries one).
  let writeFailure: Error | undefined;
  const noteWrite = (err: unknown) => {
    if (isStoreUnavailable(err) && !writeFailure) {
      writeFailure = err as Error;
      opts.log?.error({ err }, 'SQLite: a write failed; not ready until writes succeed again');
    }
  };
  const probe = db.prepare('UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)');

  const s = {
    tenantAll: db.prepare('SELECT * FROM tenants ORDER BY created_at'),
    tenantGet: db.prepare('SELECT * FROM tenants WHERE tenant_id = ?'),
    tenantIns: db.prepare(
      `INSERT INTO tenants (tenant_id, cloud, audiences, enrollment_url, remediation_url, app_client_id, app_credential, validation, domains, created_at, updated_at)
       VALUES (@tenantId, @cloud, @audiences, @enrollmentUrl, @remediationUrl, @appClientId, @appCredential, @validation, @domains, @createdAt, @updatedAt) ON CONFLICT DO NOTHING`,
    ),
    tenantUpd: db.prepare(
      `UPDATE tenants SET cloud = @cloud, audiences = @audiences, enrollment_url = @enrollmentUrl,
       remediation_url = @remediationUrl, app_client_id = @appClientId, app_credential = @appCredential, validation = @validation,
       domains = @domains, updated_at = @updatedAt WHERE tenant_id = @tenantId`,
    ),
    tenantDel: db.prepare('DELETE FROM tenants WHERE tenant_id = ?'),
    auditIns: db.prepare(auditInsertSql('sqlite')),
    acctGet: db.prepare('SELECT * FROM enrollment_accounts WHERE username = ?'),
    acctIns: db.prepare('INSERT INTO enrollment_accounts (username, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    acctDel: db.prepare('DELETE FROM enrollment_accounts WHERE username = ?'),
    acctList: db.prepare('SELECT username, created_at FROM enrollment_accounts ORDER BY username'),
    acctCount: db.prepare('SELECT COUNT(*) AS n FROM enrollment_accounts'),
    devGet: db.prepare('SELECT * FROM devices WHERE id = ?'),
    reenrollDeliveries: db.prepare('DELETE FROM profile_deliveries WHERE device_pk = ?'),
    reenrollProfileCmds: db.prepare(
      `UPDATE commands SET state = 'cancelled', error = 'device enrolled again', updated_at = ?
       WHERE device_pk = ? AND batch IS NOT NULL AND state IN ('queued', 'held', 'sent')`,
    ),
    reenrollPlanMark: db.prepare('UPDATE devices SET plan_mark = NULL WHERE id = ?'),
    devByDeviceId: db.prepare('SELECT * FROM devices WHERE device_id = ?'),
    devRelease: db.prepare(`UPDATE devices SET released_device_id = device_id, device_id = 'released:' || id WHERE id = ?`),
    certActiveOf: db.prepare(`SELECT 1 FROM certificates WHERE thumbprint = ? AND device_pk = ? AND status = 'active'`),
    revokeDev: db.prepare(
      `UPDATE devices SET state = 'unenrolled', unenrolled_at = ?, updated_at = ?, revoke_command = NULL, revoke_deadline = NULL
       WHERE id = ? AND state = 'enrolled'`,
    ),
    revokeCerts: db.prepare(`UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE device_pk = ? AND status = 'active'`),
    revokeCmds: db.prepare(
      `UPDATE commands SET state = 'cancelled', error = 'device revoked', updated_at = ? WHERE device_pk = ? AND state IN ('queued', 'held', 'sent')`,
    ),
    revokeSessions: db.prepare('DELETE FROM dm_sessions WHERE device_pk = ?'),
    revokeMark: db.prepare(`UPDATE devices SET revoke_command = ?, revoke_deadline = ?, updated_at = ? WHERE id = ? AND state = 'enrolled'`),
    revokeDue: db.prepare(
      `SELECT d.id FROM devices d LEFT JOIN commands c ON c.id = d.revoke_command
       WHERE d.revoke_command IS NOT NULL AND d.state = 'enrolled'
         AND (d.revoke_deadline <= ? OR c.state IS NULL OR c.state IN ('acked', 'failed', 'cancelled', 'expired'))
       ORDER BY d.revoke_deadline LIMIT ?`,
    ),
    devOfTenant: db.prepare(`SELECT id FROM devices WHERE tenant_id = ? AND state = 'enrolled' ORDER BY id`),
    devList: db.prepare('SELECT * FROM devices ORDER BY enrolled_at, id LIMIT ? OFFSET ?'),
    devCount: db.prepare('SELECT COUNT(*) AS n FROM devices'),
    // Always an update on conflict: the transaction holds the write lock, so a DeviceID found free
    // above is still free (PostgreSQL, without that lock, inserts with DO NOTHING and looks again).
    devUpsert: db.prepare(deviceUpsertSql('sqlite', 'update')),
    certRevokeForDevice: db.prepare(
      `UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'reenrolled'
       WHERE device_pk = ? AND status = 'active'`,
    ),
    certSupersede: db.prepare(
      `UPDATE certificates SET status = 'superseded', revoked_at = ?, revocation_reason = 'renewed'
       WHERE serial = ? AND device_pk = ? AND status = 'active' AND EXISTS (SELECT 1 FROM devices WHERE id = ? AND state = 'enrolled')`,
    ),
    certIns: db.prepare(certInsertSql('sqlite')),
    certByThumb: db.prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE thumbprint = ?`),
    certBySerial: db.prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE serial = ?`),
    certsForDevice: db.prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE device_pk = ? ORDER BY issued_at DESC`),
  };

  const nulls = <T extends object>(o: T): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = v === undefined ? null : v;
    return out;
  };
  const tenantRow = (t: Tenant) =>
    nulls({
      enrollmentUrl: undefined,
      remediationUrl: undefined,
      appClientId: undefined,
      ...t,
      audiences: JSON.stringify(t.audiences),
      appCredential: t.appCredential ? JSON.stringify(t.appCredential) : undefined,
      validation: t.validation ? JSON.stringify(t.validation) : undefined,
      domains: t.domains ? JSON.stringify(t.domains) : undefined,
    });
  const appendAudit = (e: AuditEntry) => {
    s.auditIns.run(auditInsertValues(e));
  };

  const tenantCreate = db.transaction((t: Tenant, a: AuditEntry) => {
    if (s.tenantIns.run(tenantRow(t)).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;
  const tenantUpdate = db.transaction((t: Tenant, a: AuditEntry) => {
    if (s.tenantUpd.run(tenantRow(t)).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;
  const tenantDelete = db.transaction((id: string, a: AuditEntry) => {
    if (s.tenantDel.run(id).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;
  const acctCreate = db.transaction((acct: EnrollmentAccount, a: AuditEntry) => {
    if (s.acctIns.run(acct.username, acct.passwordHash, acct.createdAt).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;
  const acctDelete = db.transaction((username: string, a: AuditEntry) => {
    if (s.acctDel.run(username).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;
  const enroll = db.transaction((d: Device, c: IssuedCertificateRecord, claim?: EnrollmentClaim): Enrolled => {
    let existing = s.devByDeviceId.get(d.deviceId) as Row | undefined;
    if (existing && existing.state !== 'enrolled') {
      // Released (unenrolled by the device, or revoked by an admin): kept as history; the
      // enrollment gets a fresh record that inherits nothing keyed to the old one.
      s.devRelease.run(existing.id);
      existing = undefined;
    }
    if (existing && (existing.principal ?? null) !== (d.principal ?? null)) {
      if (!(claim?.certThumbprint && s.certActiveOf.get(claim.certThumbprint, existing.id))) throw new DeviceHeldError(String(existing.id));
    }
    const id = existing ? String(existing.id) : d.id;
    const device = { ...d, id, reenrolled: !!existing };
    s.devUpsert.run(deviceUpsertValues({ ...d, id }));
    if (claim) appendAudit(enrollmentAudit(device, claim));
    if (existing) {
      // A re-enrolled device starts from a clean management tree: profiles are delivered anew.
      s.reenrollDeliveries.run(id);
      s.reenrollProfileCmds.run(d.enrolledAt, id);
      s.reenrollPlanMark.run(id);
    }
    s.certRevokeForDevice.run(d.enrolledAt, id);
    s.certIns.run(certInsertValues(c, id));
    return device;
  }).immediate;
  // Bypass (docs/performance.md): ~70–220 µs CPU less per enrollment when they finish together; same result: suite.ts 'enrollments at the same moment'.
  // Group commit: the enrollments that finish in one turn of the event loop are written in one
  // transaction, each in its own savepoint (a failure refuses only its own request), and each is
  // answered once that transaction has committed. A commit writes every page it touched, so
  // under load the devices and certificates pages are written once per group, not once per device.
  type Enrolled = Device & { reenrolled: boolean };
  type PendingEnrollment = { d: Device; c: IssuedCertificateRecord; claim?: EnrollmentClaim; resolve: (d: Enrolled) => void; reject: (e: unknown) => void };
  let pendingEnrollments: PendingEnrollment[] = [];
  const enrollGroup = db.transaction((group: PendingEnrollment[]) =>
    group.map((p): { device: Enrolled } | { err: unknown } => {
      try {
        return { device: enroll(p.d, p.c, p.claim) };
      } catch (err) {
        return { err };
      }
    }),
  ).immediate;
  const flushEnrollments = () => {
    const group = pendingEnrollments;
    pendingEnrollments = [];
    if (group.length === 0) return;
    let results;
    try {
      results = enrollGroup(group);
    } catch (err) {
      noteWrite(err);
      for (const p of group) p.reject(err);
      return;
    }
    // Answered only once the commit is on disk (a device must never hold a certificate we lost).
    syncWal().then(
      () => results.forEach((r, i) => ('device' in r ? group[i].resolve(r.device) : group[i].reject(r.err))),
      (err) => {
        noteWrite(err);
        for (const p of group) p.reject(err);
      },
    );
  };
  const recordEnrollment = (d: Device, c: IssuedCertificateRecord, claim?: EnrollmentClaim) =>
    new Promise<Enrolled>((resolve, reject) => {
      if (pendingEnrollments.push({ d, c, claim, resolve, reject }) === 1) setImmediate(flushEnrollments);
    });

  const renew = db.transaction((devicePk: string, c: IssuedCertificateRecord, oldSerial: string, at: string, actor?: string) => {
    // One renewal of a certificate wins: the loser finds it superseded and writes nothing.
    if (s.certSupersede.run(at, oldSerial, devicePk, devicePk).changes === 0) return false;
    s.certIns.run(certInsertValues(c, devicePk));
    if (actor) appendAudit(renewalAudit(devicePk, c, oldSerial, actor));
    return true;
  }).immediate;
  const revoke = db.transaction((devicePk: string, at: string, reason: string, a: AuditEntry) => {
    if (s.revokeDev.run(at, at, devicePk).changes === 0) return false;
    const certificates = s.revokeCerts.run(at, reason, devicePk).changes;
    const commandsCancelled = s.revokeCmds.run(at, devicePk).changes;
    s.revokeSessions.run(devicePk);
    appendAudit({ ...a, detail: { ...a.detail, certificates, commandsCancelled } });
    return true;
  }).immediate;
  const revokeAfter = db.transaction((devicePk: string, commandId: string, deadline: string, at: string, a: AuditEntry) => {
    if (s.revokeMark.run(commandId, deadline, at, devicePk).changes === 0) return false;
    appendAudit(a);
    return true;
  }).immediate;

  const { flush, writeBehind, ...mgmt } = sqliteManagement(db, opts.log);
  const content = sqliteContentFiles(file);
  const store: Store = {
    kind: 'sqlite',
    ...mgmt,
    ...sqliteProfiles(db, appendAudit),
    deliveries: sqliteDeliveries(db),
    tlsTicketKeys: sqliteTlsTicketKeys(db),
    checkinSchedules: sqliteCheckinSchedules(db),
    push: sqlitePush(db),
    entraGroups: sqliteEntraGroups(db),
    compliance: sqliteCompliance(db, appendAudit),
    admins: sqliteAdmins(db),
    complianceOutbox: sqliteComplianceOutbox(db),
    deviceApps: sqliteDeviceApps(db),
    esp: sqliteEsp(db),
    branding: sqliteBranding(db),
    renewalSettings: sqliteRenewalSettings(db),
    enrollmentTokensUsed: sqliteEnrollmentTokensUsed(db),
    apps: sqliteApps(db),
    content,
    tenants: {
      async list() {
        return (s.tenantAll.all() as Row[]).map(tenantFromRow);
      },
      async get(id) {
        const r = s.tenantGet.get(id) as Row | undefined;
        return r ? tenantFromRow(r) : undefined;
      },
      async create(t, a) {
        return tenantCreate(t, a);
      },
      async update(t, a) {
        return tenantUpdate(t, a);
      },
      async delete(id, a) {
        return tenantDelete(id, a);
      },
    },
    audit: {
      async append(e) {
        appendAudit(e);
      },
      async list(q) {
        const { text, params } = auditListSql('sqlite', q);
        return (db.prepare(text).all(...(params as (string | number)[])) as Row[]).map(auditFromRow);
      },
    },
    enrollmentAccounts: {
      async get(username) {
        const r = s.acctGet.get(username) as Row | undefined;
        return r ? { username: String(r.username), passwordHash: String(r.password_hash), createdAt: String(r.created_at) } : undefined;
      },
      async create(acct, a) {
        return acctCreate(acct, a);
      },
      async delete(username, a) {
        return acctDelete(username, a);
      },
      async list() {
        return (s.acctList.all() as Row[]).map((r) => ({ username: String(r.username), createdAt: String(r.created_at) }));
      },
      async count() {
        return Number((s.acctCount.get() as Row).n);
      },
    },
    devices: {
      ...sqliteDeviceQueries(db, appendAudit),
      async get(id) {
        const r = s.devGet.get(id) as Row | undefined;
        return r ? deviceFromRow(r) : undefined;
      },
      async getByDeviceId(deviceId) {
        const r = s.devByDeviceId.get(deviceId) as Row | undefined;
        return r ? deviceFromRow(r) : undefined;
      },
      async list({ limit, offset }) {
        return (s.devList.all(limit, offset) as Row[]).map(deviceFromRow);
      },
      async count() {
        return Number((s.devCount.get() as Row).n);
      },
    },
    certificates: {
      async getByThumbprint(t) {
        const r = s.certByThumb.get(t) as Row | undefined;
        return r ? certFromRow(r) : undefined;
      },
      async getBySerial(serial) {
        const r = s.certBySerial.get(serial) as Row | undefined;
        return r ? certFromRow(r) : undefined;
      },
      async listForDevice(devicePk) {
        return (s.certsForDevice.all(devicePk) as Row[]).map(certFromRow);
      },
    },
    enrollments: {
      recordEnrollment,
      async recordRenewal(devicePk, c, oldSerial, at, actor) {
        try {
          const won = renew(devicePk, c, oldSerial, at, actor);
          if (won) await syncWal();
          return won;
        } catch (err) {
          noteWrite(err);
          throw err;
        }
      },
      async revoke(devicePk, at, reason, a) {
        return revoke(devicePk, at, reason, a);
      },
      async revokeAfter(devicePk, commandId, deadline, at, a) {
        return revokeAfter(devicePk, commandId, deadline, at, a);
      },
      async revocationsDue(now, limit) {
        return (s.revokeDue.all(now, limit) as Row[]).map((r) => String(r.id));
      },
      async devicesOfTenant(tenantId) {
        return (s.devOfTenant.all(tenantId) as Row[]).map((r) => String(r.id));
      },
    },
    async flush() {
      flush();
    },
    async ping() {
      db.prepare('SELECT 1').get();
      // Ready only while writes succeed: a failing write-behind is tried again now, a failed
      // request write by a probe write (it changes nothing but goes to the WAL like any other).
      if (writeBehind.failing) flush();
      if (writeFailure && !writeBehind.failing) {
        try {
          probe.run();
          opts.log?.warn({}, 'SQLite: writes succeed again');
          writeFailure = undefined;
        } catch (err) {
          writeFailure = err as Error;
        }
      }
      const failing = writeBehind.failing ?? writeFailure;
      if (failing) throw new StoreUnavailableError(`SQLite writes fail: ${failing.message}`, { cause: failing });
    },
    async close() {
      flushEnrollments();
      flush();
      db.close();
      content.close();
    },
  };
  return store;
}
