// PostgreSQL: the audit log entry every audited change writes in its own transaction.
import type { AuditEntry } from '../../domain/audit.js';
import { auditInsertSql, auditInsertValues } from '../statements.js';
import type { Sql } from './db.js';

const AUDIT_INSERT = auditInsertSql('postgres');

export async function appendAudit(c: Sql, e: AuditEntry): Promise<void> {
  await c.query(AUDIT_INSERT, auditInsertValues(e));
}
