// One line of the audit log: who did what to which object.

export interface AuditEntry {
  id?: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  detail?: Record<string, unknown>;
}
