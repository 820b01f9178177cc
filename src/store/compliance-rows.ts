// Rows of the compliance tables (migration 18) to domain values, for both backends.
import type { ComplianceAssignment, CompliancePolicy, ComplianceReason, ComplianceState, DeviceCompliance } from '../domain/compliance.js';
import { json, type Row } from './rows.js';

const opt = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
/** SQLite 0/1, PostgreSQL boolean; null stays undefined. */
const bool = (v: unknown) => (v === null || v === undefined ? undefined : v === true || v === 1 || v === '1' || v === 't');

export function compliancePolicyFromRow(r: Row): CompliancePolicy {
  return {
    id: String(r.id),
    name: String(r.name),
    rules: json(r.rules) ?? {},
    graceHours: Number(r.grace_hours),
    version: Number(r.version),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

export function complianceAssignmentFromRow(r: Row): ComplianceAssignment {
  return {
    policyId: String(r.policy_id),
    targetType: String(r.target_type) as ComplianceAssignment['targetType'],
    targetId: String(r.target_id),
    createdAt: String(r.created_at),
  };
}

export function deviceComplianceFromRow(r: Row): DeviceCompliance {
  const since = opt(r.noncompliant_since);
  const reported = bool(r.reported_compliant);
  return {
    devicePk: String(r.device_pk),
    state: String(r.state) as ComplianceState,
    reasons: json<ComplianceReason[]>(r.reasons) ?? [],
    policies: json<string[]>(r.policies) ?? [],
    evaluatedAt: String(r.evaluated_at),
    ...(since ? { noncompliantSince: since } : {}),
    gen: Number(r.gen),
    ...(reported !== undefined ? { reportedCompliant: reported } : {}),
  };
}

/** The upsert of a device's state (`?` placeholders: statements.ts forDialect numbers them for PostgreSQL). */
export const DEVICE_COMPLIANCE_UPSERT = `INSERT INTO device_compliance (device_pk, state, reasons, policies, evaluated_at, noncompliant_since, gen, reported_compliant)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device_pk) DO UPDATE SET state = excluded.state, reasons = excluded.reasons, policies = excluded.policies,
  evaluated_at = excluded.evaluated_at, noncompliant_since = excluded.noncompliant_since, gen = excluded.gen, reported_compliant = excluded.reported_compliant`;

export const OUTBOX_INSERT = `INSERT INTO compliance_outbox (device_pk, tenant_id, entra_device_id, is_compliant, is_managed, created_at, next_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`;
