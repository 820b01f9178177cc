// PostgreSQL: the audit log entry every audited change writes in its own transaction.
import type { AuditEntry } from '../../domain/audit.js';
import type { Sql } from './db.js';

export async function appendAudit(c: Sql, e: AuditEntry): Promise<void> {
  await c.query('INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
    e.at,
    e.actor,
    e.action,
    e.targetType,
    e.targetId,
    e.detail ? JSON.stringify(e.detail) : null,
  ]);
}
