// compliance_outbox rows for both backends (store/sqlite and store/postgres compliance-outbox.ts):
// the mapping, and the statements whose text is the same but for the placeholders ($n on
// PostgreSQL, ? on SQLite, written here as $n and rewritten for SQLite in order of appearance).
import { opt, type Row } from './rows.js';
import type { ComplianceReport, ComplianceReportState } from './types.js';

export const complianceReportFromRow = (r: Row): ComplianceReport => ({
  id: Number(r.id),
  devicePk: String(r.device_pk),
  tenantId: String(r.tenant_id),
  entraDeviceId: String(r.entra_device_id),
  // SQLite stores 0/1, PostgreSQL a boolean.
  isCompliant: r.is_compliant === true || Number(r.is_compliant) === 1,
  isManaged: r.is_managed === true || Number(r.is_managed) === 1,
  createdAt: String(r.created_at),
  attempts: Number(r.attempts),
  nextAt: String(r.next_at),
  state: String(r.state) as ComplianceReportState,
  lastError: opt(r.last_error),
  sentAt: opt(r.sent_at),
});

/** The SQL of both backends: `$n` placeholders, each used once and in order (SQLite gets `?`). */
export function outboxSql(kind: 'sqlite' | 'postgres', text: string): string {
  return kind === 'sqlite' ? text.replace(/\$\d+/g, '?') : text;
}

export const OUTBOX_SQL = {
  insert: `INSERT INTO compliance_outbox (device_pk, tenant_id, entra_device_id, is_compliant, is_managed, created_at, next_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
  // Pending rows with a newer row of their device are stale (the newer one says what to report),
  // unless one is under way (its lease unexpired): its outcome is still to be recorded.
  supersede: `UPDATE compliance_outbox SET state = 'superseded', lease_until = NULL
    WHERE state = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
      AND EXISTS (SELECT 1 FROM compliance_outbox n WHERE n.device_pk = compliance_outbox.device_pk AND n.id > compliance_outbox.id)`,
  // After that, a device has one pending row not under way at most; it waits while another row
  // of its device is (so a device's reports never cross each other on the way to Graph).
  due: `SELECT * FROM compliance_outbox o
    WHERE o.state = 'pending' AND o.next_at <= $1 AND (o.lease_until IS NULL OR o.lease_until <= $2)
      AND NOT EXISTS (SELECT 1 FROM compliance_outbox b WHERE b.device_pk = o.device_pk AND b.state = 'pending' AND b.lease_until > $3)
    ORDER BY o.next_at, o.id LIMIT $4`,
  lease: `UPDATE compliance_outbox SET attempts = attempts + 1, lease_until = $1 WHERE id = $2`,
  sent: `UPDATE compliance_outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND state = 'pending' RETURNING tenant_id`,
  retry: `UPDATE compliance_outbox SET next_at = $1, last_error = $2, lease_until = NULL WHERE id = $3 AND state = 'pending'`,
  // A final outcome other than sent: next_at records when it was reached.
  settle: `UPDATE compliance_outbox SET state = $1, last_error = $2, next_at = $3, lease_until = NULL WHERE id = $4 AND state = 'pending' RETURNING tenant_id`,
  // The tenant's reporting status: ok since the first report that went through after a refusal.
  tenantOk: `UPDATE tenants SET compliance_reporting_error = NULL, compliance_reporting_at = $1
    WHERE tenant_id = $2 AND (compliance_reporting_error IS NOT NULL OR compliance_reporting_at IS NULL)`,
  tenantRefused: `UPDATE tenants SET compliance_reporting_error = $1, compliance_reporting_at = $2 WHERE tenant_id = $3`,
  latest: `SELECT * FROM compliance_outbox WHERE device_pk = $1 ORDER BY id DESC LIMIT 1`,
  // A row under way is due again when its lease runs out (its claimer may have died).
  nextDue: `SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_at THEN lease_until ELSE next_at END) AS at
    FROM compliance_outbox WHERE state = 'pending'`,
} as const;
