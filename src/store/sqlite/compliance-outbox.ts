// SQLite: the outbox of compliance reports to Entra (see ComplianceOutboxStore). A claim is one
// IMMEDIATE transaction, so claimers (cluster workers on one file) take turns.
import type Database from 'better-sqlite3';
import { OUTBOX_SQL, complianceReportFromRow, outboxSql } from '../compliance-outbox-rows.js';
import type { Row } from '../rows.js';
import type { ComplianceOutboxStore, ComplianceReport } from '../types.js';

export function sqliteComplianceOutbox(db: Database.Database): ComplianceOutboxStore {
  const s = Object.fromEntries(Object.entries(OUTBOX_SQL).map(([k, v]) => [k, db.prepare(outboxSql('sqlite', v))])) as Record<
    keyof typeof OUTBOX_SQL,
    Database.Statement
  >;
  const claim = db.transaction((now: string, leaseUntil: string, limit: number): ComplianceReport[] => {
    s.supersede.run(now);
    const rows = (s.due.all(now, now, now, limit) as Row[]).map(complianceReportFromRow);
    for (const r of rows) s.lease.run(leaseUntil, r.id);
    return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
  }).immediate;
  const settle = db.transaction((id: number, state: 'refused' | 'failed', error: string, at: string) => {
    const r = s.settle.get(state, error, at, id) as Row | undefined;
    if (r && state === 'refused') s.tenantRefused.run(error, at, r.tenant_id);
  }).immediate;
  const sent = db.transaction((id: number, at: string) => {
    const r = s.sent.get(at, id) as Row | undefined;
    if (r) s.tenantOk.run(at, r.tenant_id);
    return !!r;
  }).immediate;
  return {
    async enqueue(r, at) {
      const row = s.insert.get(r.devicePk, r.tenantId, r.entraDeviceId, r.isCompliant ? 1 : 0, r.isManaged ? 1 : 0, at, at) as Row;
      return Number(row.id);
    },
    async claim(now, leaseUntil, limit) {
      return claim(now, leaseUntil, limit);
    },
    async sent(id, at) {
      return sent(id, at);
    },
    async retry(id, nextAt, error) {
      s.retry.run(nextAt, error, id);
    },
    async refused(id, error, at) {
      settle(id, 'refused', error, at);
    },
    async failed(id, error, at) {
      settle(id, 'failed', error, at);
    },
    async latestFor(devicePk) {
      const r = s.latest.get(devicePk) as Row | undefined;
      return r ? complianceReportFromRow(r) : undefined;
    },
    async nextDue() {
      const r = s.nextDue.get() as Row | undefined;
      return r?.at ? String(r.at) : undefined;
    },
  };
}
