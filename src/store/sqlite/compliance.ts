// SQLite: compliance policies, their assignments, each device's state, and the outbox rows the
// evaluation adds with a state change (the outbox's worker reads them: sqlite/compliance-outbox.ts).
import type Database from 'better-sqlite3';
import type { ComplianceStore } from '../types.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { ComplianceAssignment, CompliancePolicy, ComplianceReportRequest, DeviceCompliance } from '../../domain/compliance.js';
import { complianceAssignmentFromRow, compliancePolicyFromRow, DEVICE_COMPLIANCE_UPSERT, deviceComplianceFromRow, OUTBOX_INSERT } from '../compliance-rows.js';
import type { Row } from '../rows.js';

export function sqliteCompliance(db: Database.Database, appendAudit: (e: AuditEntry) => void): ComplianceStore {
  const s = {
    gen: db.prepare('SELECT gen FROM compliance_generation WHERE id = 1').pluck(),
    genBump: db.prepare('UPDATE compliance_generation SET gen = gen + 1 WHERE id = 1'),
    pIns: db.prepare('INSERT INTO compliance_policies (id, name, rules, grace_hours, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    pGet: db.prepare('SELECT * FROM compliance_policies WHERE id = ?'),
    pList: db.prepare('SELECT * FROM compliance_policies ORDER BY created_at, id'),
    pUpd: db.prepare('UPDATE compliance_policies SET name = ?, rules = ?, grace_hours = ?, version = ?, updated_at = ? WHERE id = ?'),
    pDel: db.prepare('DELETE FROM compliance_policies WHERE id = ?'),
    aIns: db.prepare('INSERT INTO compliance_assignments (policy_id, target_type, target_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    aDel: db.prepare('DELETE FROM compliance_assignments WHERE policy_id = ? AND target_type = ? AND target_id = ?'),
    aList: db.prepare('SELECT * FROM compliance_assignments WHERE policy_id = ? ORDER BY created_at, target_type, target_id'),
    // The keys come as JSON arrays (one statement whatever their number).
    forKeys: db
      .prepare(
        `SELECT DISTINCT policy_id FROM compliance_assignments
         WHERE target_type = 'all'
            OR (target_type = 'device' AND target_id IN (SELECT value FROM json_each(@d)))
            OR (target_type = 'user' AND target_id IN (SELECT value FROM json_each(@u)))
            OR (target_type = 'group' AND target_id IN (SELECT group_id FROM group_members WHERE member IN (SELECT value FROM json_each(@d)) OR member IN (SELECT value FROM json_each(@u))))
            OR (target_type = 'entraGroup' AND target_id IN (SELECT group_id FROM entra_group_members WHERE principal IN (SELECT lower(value) FROM json_each(@d)) OR principal IN (SELECT value FROM json_each(@u))))
         ORDER BY policy_id`,
      )
      .pluck(),
    dGet: db.prepare('SELECT * FROM device_compliance WHERE device_pk = ?'),
    dPut: db.prepare(DEVICE_COMPLIANCE_UPSERT),
    oIns: db.prepare(OUTBOX_INSERT),
    counts: db.prepare('SELECT state, COUNT(*) AS n FROM device_compliance GROUP BY state'),
  };
  const tx = <A extends unknown[], R>(fn: (...a: A) => R) => db.transaction(fn).immediate as (...a: A) => R;
  const rules = (p: CompliancePolicy) => JSON.stringify(p.rules);

  const create = tx((p: CompliancePolicy, a: AuditEntry) => {
    s.pIns.run(p.id, p.name, rules(p), p.graceHours, p.version, p.createdAt, p.updatedAt);
    s.genBump.run();
    appendAudit(a);
  });
  const update = tx((p: CompliancePolicy, a: AuditEntry) => {
    if (s.pUpd.run(p.name, rules(p), p.graceHours, p.version, p.updatedAt, p.id).changes === 0) return false;
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const del = tx((id: string, a: AuditEntry) => {
    if (s.pDel.run(id).changes === 0) return false;
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const assign = tx((x: ComplianceAssignment, a: AuditEntry) => {
    if (s.aIns.run(x.policyId, x.targetType, x.targetId, x.createdAt).changes === 0) return false;
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const unassign = tx((pid: string, type: string, tid: string, a: AuditEntry) => {
    if (s.aDel.run(pid, type, tid).changes === 0) return false;
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const record = tx((d: DeviceCompliance, r: ComplianceReportRequest | undefined) => {
    const reported = d.reportedCompliant === undefined ? null : d.reportedCompliant ? 1 : 0;
    s.dPut.run(d.devicePk, d.state, JSON.stringify(d.reasons), JSON.stringify(d.policies), d.evaluatedAt, d.noncompliantSince ?? null, d.gen, reported);
    if (r) s.oIns.run(r.devicePk, r.tenantId, r.entraDeviceId, r.isCompliant ? 1 : 0, r.isManaged ? 1 : 0, r.createdAt, r.createdAt);
  });

  return {
    async createPolicy(p, a) {
      create(p, a);
    },
    async getPolicy(id) {
      const r = s.pGet.get(id) as Row | undefined;
      return r ? compliancePolicyFromRow(r) : undefined;
    },
    async listPolicies() {
      return (s.pList.all() as Row[]).map(compliancePolicyFromRow);
    },
    async updatePolicy(p, a) {
      return update(p, a);
    },
    async deletePolicy(id, a) {
      return del(id, a);
    },
    async assign(x, a) {
      return assign(x, a);
    },
    async unassign(pid, type, tid, a) {
      return unassign(pid, type, tid, a);
    },
    async assignments(pid) {
      return (s.aList.all(pid) as Row[]).map(complianceAssignmentFromRow);
    },
    async policiesFor(keys) {
      return s.forKeys.all({ d: JSON.stringify(keys.device), u: JSON.stringify(keys.user) }) as string[];
    },
    async generation() {
      return Number(s.gen.get());
    },
    async get(pk) {
      const r = s.dGet.get(pk) as Row | undefined;
      return r ? deviceComplianceFromRow(r) : undefined;
    },
    async record(d, r) {
      record(d, r);
    },
    async counts() {
      return Object.fromEntries((s.counts.all() as Row[]).map((r) => [String(r.state), Number(r.n)]));
    },
  };
}
