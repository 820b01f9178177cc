// An audit entry of an administrator's action, stamped now (the store writes it in the action's transaction).
import type { AuditEntry } from '../domain/audit.js';

export const auditEntry = (actor: string, action: string, targetType: string, targetId: string, detail?: Record<string, unknown>): AuditEntry => ({
  at: new Date().toISOString(),
  actor,
  action,
  targetType,
  targetId,
  detail,
});
