// The audit log's list query, written once for both backends: newest first, keyset paging by id,
// and the filters the console's audit page offers. Statements use `?`; forDialect numbers them
// for PostgreSQL.
import type { AuditQuery } from './types.js';
import { type Dialect, forDialect } from './statements.js';

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function auditListSql(dialect: Dialect, q: AuditQuery): { text: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  /** One condition and the values of its placeholders, in order. */
  const cond = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (q.beforeId !== undefined) cond('id < ?', q.beforeId);
  // The actor text names the person and how they came ("alice (token ci)", "break-glass@10.0.0.1"):
  // a case-insensitive part of it matches.
  if (q.actor) cond(`lower(actor) LIKE ? ESCAPE '\\'`, `%${likeEscape(q.actor.toLowerCase())}%`);
  // An action, or a family of them: "tenant" matches tenant.connect, tenant.change, …
  if (q.action) cond(`(action = ? OR action LIKE ? ESCAPE '\\')`, q.action, `${likeEscape(q.action)}.%`);
  if (q.targetType) cond('target_type = ?', q.targetType);
  if (q.targetId) cond('target_id = ?', q.targetId);
  if (q.from) cond('at >= ?', q.from);
  if (q.to) cond('at < ?', q.to);
  params.push(q.limit);
  const text = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return { text: forDialect(text, dialect), params };
}
