// PostgreSQL: the outbox of compliance reports to Entra (see ComplianceOutboxStore). Claims take
// a transaction-scoped advisory lock, so replicas claim one after the other: each claim's reads
// are made after the previous claim committed its leases (READ COMMITTED), and two replicas
// never take rows of one device at once. The lock is held for the claim's few statements only,
// never while a report is on its way to Graph.
import { OUTBOX_SQL, complianceReportFromRow } from '../compliance-outbox-rows.js';
import type { ComplianceOutboxStore, ComplianceReport } from '../types.js';
import type { Db } from './db.js';

const CLAIM_LOCK = `SELECT pg_advisory_xact_lock(hashtext('fenestra:compliance_outbox:claim'))`;

export function postgresComplianceOutbox(db: Db): ComplianceOutboxStore {
  const settle = (id: number, state: 'refused' | 'failed', error: string, at: string) =>
    db.tx(async (c) => {
      const { rows } = await c.query(OUTBOX_SQL.settle, [state, error, at, id]);
      if (rows[0] && state === 'refused') await c.query(OUTBOX_SQL.tenantRefused, [error, at, rows[0].tenant_id]);
    });
  return {
    async enqueue(r, at) {
      const [row] = await db.q(OUTBOX_SQL.insert, [r.devicePk, r.tenantId, r.entraDeviceId, r.isCompliant, r.isManaged, at, at]);
      return Number(row!.id);
    },
    async claim(now, leaseUntil, limit) {
      return db.tx(async (c) => {
        await c.query(CLAIM_LOCK);
        await c.query(OUTBOX_SQL.supersede, [now]);
        const { rows } = await c.query(OUTBOX_SQL.due, [now, now, now, limit]);
        const claimed: ComplianceReport[] = rows.map(complianceReportFromRow);
        for (const r of claimed) await c.query(OUTBOX_SQL.lease, [leaseUntil, r.id]);
        return claimed.map((r) => ({ ...r, attempts: r.attempts + 1 }));
      });
    },
    async sent(id, at) {
      return db.tx(async (c) => {
        const { rows } = await c.query(OUTBOX_SQL.sent, [at, id]);
        if (rows[0]) await c.query(OUTBOX_SQL.tenantOk, [at, rows[0].tenant_id]);
        return rows.length > 0;
      });
    },
    async retry(id, nextAt, error) {
      await db.run(OUTBOX_SQL.retry, [nextAt, error, id]);
    },
    async refused(id, error, at) {
      await settle(id, 'refused', error, at);
    },
    async failed(id, error, at) {
      await settle(id, 'failed', error, at);
    },
    async latestFor(devicePk) {
      const [r] = await db.q(OUTBOX_SQL.latest, [devicePk]);
      return r ? complianceReportFromRow(r) : undefined;
    },
    async nextDue() {
      const [r] = await db.q(OUTBOX_SQL.nextDue);
      return r?.at ? String(r.at) : undefined;
    },
  };
}
