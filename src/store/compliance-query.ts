// The device list's compliance filter (issue #14), for store/device-query.ts filterSql: devices
// in one state (the device_compliance_state index picks them); "unknown" also matches devices never
// evaluated (no row).
import type { ComplianceState } from '../domain/compliance.js';

export function complianceFilterSql(state: ComplianceState): { sql: string; values: unknown[] } {
  if (state === 'unknown') return { sql: "NOT EXISTS (SELECT 1 FROM device_compliance c WHERE c.device_pk = d.id AND c.state <> 'unknown')", values: [] };
  return { sql: 'd.id IN (SELECT c.device_pk FROM device_compliance c WHERE c.state = ?)', values: [state] };
}
