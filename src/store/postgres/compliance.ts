// PostgreSQL: compliance policies, their assignments, each device's state, and the outbox rows the
// evaluation adds with a state change. Every change to policies or assignments bumps the
// compliance generation in its transaction (the row lock serialises concurrent changes).
import type { ComplianceStore } from '../types.js';
import { type Db, type Sql } from './db.js';
import { appendAudit } from './audit.js';
import { complianceAssignmentFromRow, compliancePolicyFromRow, DEVICE_COMPLIANCE_UPSERT, deviceComplianceFromRow, OUTBOX_INSERT } from '../compliance-rows.js';
import { forDialect } from '../statements.js';

const bump = (c: Sql) => c.query('UPDATE compliance_generation SET gen = gen + 1 WHERE id = 1');
const changed = async (p: Promise<{ rowCount: number | null }>) => ((await p).rowCount ?? 0) > 0;
const UPSERT = forDialect(DEVICE_COMPLIANCE_UPSERT, 'postgres');
const OUTBOX = forDialect(OUTBOX_INSERT, 'postgres');

export function postgresCompliance(db: Db): ComplianceStore {
  return {
    async createPolicy(p, a) {
      await db.tx(async (c) => {
        await c.query('INSERT INTO compliance_policies (id, name, rules, grace_hours, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          p.id,
          p.name,
          JSON.stringify(p.rules),
          p.graceHours,
          p.version,
          p.createdAt,
          p.updatedAt,
        ]);
        await bump(c);
        await appendAudit(c, a);
      });
    },
    async getPolicy(id) {
      const [r] = await db.q('SELECT * FROM compliance_policies WHERE id = $1', [id]);
      return r ? compliancePolicyFromRow(r) : undefined;
    },
    async listPolicies() {
      return (await db.q('SELECT * FROM compliance_policies ORDER BY created_at, id')).map(compliancePolicyFromRow);
    },
    async updatePolicy(p, a) {
      return db.tx(async (c) => {
        const ok = await changed(
          c.query('UPDATE compliance_policies SET name = $1, rules = $2, grace_hours = $3, version = $4, updated_at = $5 WHERE id = $6', [
            p.name,
            JSON.stringify(p.rules),
            p.graceHours,
            p.version,
            p.updatedAt,
            p.id,
          ]),
        );
        if (!ok) return false;
        await bump(c);
        await appendAudit(c, a);
        return true;
      });
    },
    async deletePolicy(id, a) {
      return db.tx(async (c) => {
        if (!(await changed(c.query('DELETE FROM compliance_policies WHERE id = $1', [id])))) return false;
        await bump(c);
        await appendAudit(c, a);
        return true;
      });
    },
    async assign(x, a) {
      return db.tx(async (c) => {
        const ok = await changed(
          c.query('INSERT INTO compliance_assignments (policy_id, target_type, target_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
            x.policyId,
            x.targetType,
            x.targetId,
            x.createdAt,
          ]),
        );
        if (!ok) return false;
        await bump(c);
        await appendAudit(c, a);
        return true;
      });
    },
    async unassign(pid, type, tid, a) {
      return db.tx(async (c) => {
        if (!(await changed(c.query('DELETE FROM compliance_assignments WHERE policy_id = $1 AND target_type = $2 AND target_id = $3', [pid, type, tid]))))
          return false;
        await bump(c);
        await appendAudit(c, a);
        return true;
      });
    },
    async assignments(pid) {
      return (await db.q('SELECT * FROM compliance_assignments WHERE policy_id = $1 ORDER BY created_at, target_type, target_id', [pid])).map(
        complianceAssignmentFromRow,
      );
    },
    async policiesFor(keys) {
      const rows = await db.q(
        `SELECT DISTINCT policy_id FROM compliance_assignments
         WHERE target_type = 'all'
            OR (target_type = 'device' AND target_id = ANY($1::text[]))
            OR (target_type = 'user' AND target_id = ANY($2::text[]))
            OR (target_type = 'group' AND target_id IN (SELECT group_id FROM group_members WHERE member = ANY($1::text[]) OR member = ANY($2::text[])))
            OR (target_type = 'entraGroup' AND target_id IN (SELECT group_id FROM entra_group_members WHERE principal = ANY($3::text[]) OR principal = ANY($2::text[])))
         ORDER BY policy_id`,
        [keys.device, keys.user, keys.device.map((k) => k.toLowerCase())],
      );
      return rows.map((r) => String(r.policy_id));
    },
    async generation() {
      const [r] = await db.q('SELECT gen FROM compliance_generation WHERE id = 1');
      return Number(r.gen);
    },
    async get(pk) {
      const [r] = await db.q('SELECT * FROM device_compliance WHERE device_pk = $1', [pk]);
      return r ? deviceComplianceFromRow(r) : undefined;
    },
    async record(d, r) {
      await db.tx(async (c) => {
        await c.query(UPSERT, [
          d.devicePk,
          d.state,
          JSON.stringify(d.reasons),
          JSON.stringify(d.policies),
          d.evaluatedAt,
          d.noncompliantSince ?? null,
          d.gen,
          d.reportedCompliant ?? null,
        ]);
        if (r) await c.query(OUTBOX, [r.devicePk, r.tenantId, r.entraDeviceId, r.isCompliant, r.isManaged, r.createdAt, r.createdAt]);
      });
    },
    async counts() {
      return Object.fromEntries((await db.q('SELECT state, COUNT(*) AS n FROM device_compliance GROUP BY state')).map((r) => [String(r.state), Number(r.n)]));
    },
  };
}
