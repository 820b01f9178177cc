// PostgreSQL: Entra groups, their synced members and the per-principal membership stamps (see EntraGroupStore).
import type { EntraGroupMember } from '../../domain/profile.js';
import { deltaDiff, entraGroupFromRow, membershipDiff } from '../entra-group-rows.js';
import type { EntraGroupStore, EntraGroupSyncRecord } from '../types.js';
import type { Db, Sql } from './db.js';

/** Rows per statement when writing a large membership (bounded parameter arrays). */
const CHUNK = 10_000;

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

export function postgresEntraGroups(db: Db): EntraGroupStore {
  const write = async (c: Sql, id: string, d: { add: EntraGroupMember[]; remove: string[]; principals: string[] }, r: EntraGroupSyncRecord) => {
    for (const part of chunks(d.remove)) await c.query('DELETE FROM entra_group_members WHERE group_id = $1 AND object_id = ANY($2::text[])', [id, part]);
    for (const part of chunks(d.add))
      await c.query('INSERT INTO entra_group_members (group_id, object_id, principal) SELECT $1, o, p FROM unnest($2::text[], $3::text[]) AS m (o, p)', [
        id,
        part.map((m) => m.objectId),
        part.map((m) => m.principal),
      ]);
    // Sorted: two syncs bumping the same principals lock their rows in one order.
    for (const part of chunks([...d.principals].sort()))
      await c.query(
        `INSERT INTO entra_member_stamps (principal, stamp) SELECT p, 1 FROM unnest($1::text[]) AS s (p)
         ON CONFLICT (principal) DO UPDATE SET stamp = entra_member_stamps.stamp + 1`,
        [part],
      );
    const nested = r.nested === undefined ? null : r.nested ? 1 : 0;
    await c.query(
      `UPDATE entra_groups SET display_name = COALESCE($1, display_name), kind = COALESCE($2, kind), nested = COALESCE($3, nested), delta_link = $4,
       member_count = member_count + $5, last_sync_at = $6, last_error = NULL, last_error_at = NULL WHERE id = $7`,
      [r.displayName ?? null, r.kind ?? null, nested, r.deltaLink, d.add.length - d.remove.length, r.at, id],
    );
    return { added: d.add.length, removed: d.remove.length };
  };
  // The group's row is locked first: two replicas syncing one group apply their changes one after the other.
  const lock = (c: Sql, id: string) => c.query('SELECT 1 FROM entra_groups WHERE id = $1 FOR UPDATE', [id]);
  return {
    async watch(g) {
      return (
        (await db.run('INSERT INTO entra_groups (id, tenant_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [g.id, g.tenantId, g.createdAt])) > 0
      );
    },
    async get(id) {
      const [r] = await db.q('SELECT * FROM entra_groups WHERE id = $1', [id]);
      return r ? entraGroupFromRow(r) : undefined;
    },
    async list(tenantId) {
      const rows =
        tenantId === undefined
          ? await db.q('SELECT * FROM entra_groups ORDER BY id')
          : await db.q('SELECT * FROM entra_groups WHERE tenant_id = $1 ORDER BY id', [tenantId]);
      return rows.map(entraGroupFromRow);
    },
    async replaceMembers(id, members, r) {
      return db.tx(async (c) => {
        await lock(c, id);
        const rows = (await c.query('SELECT object_id, principal FROM entra_group_members WHERE group_id = $1', [id])).rows as Record<string, unknown>[];
        const current = new Map(rows.map((x) => [String(x.object_id), String(x.principal)]));
        return write(c, id, membershipDiff(current, members), r);
      });
    },
    async applyDelta(id, added, removed, r) {
      return db.tx(async (c) => {
        await lock(c, id);
        const touched = [...removed, ...added.map((m) => m.objectId)];
        const rows = (await c.query('SELECT object_id, principal FROM entra_group_members WHERE group_id = $1 AND object_id = ANY($2::text[])', [id, touched]))
          .rows as Record<string, unknown>[];
        const current = new Map(rows.map((x) => [String(x.object_id), String(x.principal)]));
        return write(c, id, deltaDiff(current, added, removed), r);
      });
    },
    async recordError(id, error, at) {
      await db.run('UPDATE entra_groups SET last_error = $1, last_error_at = $2 WHERE id = $3', [error, at, id]);
    },
    async unwatchIfUntargeted(id) {
      return db.tx(async (c) => {
        await lock(c, id);
        const targeted = await c.query(
          `SELECT 1 FROM assignments WHERE target_type = 'entraGroup' AND target_id = $1
           UNION ALL SELECT 1 FROM compliance_assignments WHERE target_type = 'entraGroup' AND target_id = $1
           UNION ALL SELECT 1 FROM esp_policies WHERE target_type = 'entraGroup' AND target_id = $1 LIMIT 1`,
          [id],
        );
        if (targeted.rows.length) return false;
        // Sorted, as a sync bumps them: one lock order.
        await c.query(
          `INSERT INTO entra_member_stamps (principal, stamp)
           SELECT DISTINCT principal, 1 FROM entra_group_members WHERE group_id = $1 ORDER BY principal
           ON CONFLICT (principal) DO UPDATE SET stamp = entra_member_stamps.stamp + 1`,
          [id],
        );
        return ((await c.query('DELETE FROM entra_groups WHERE id = $1', [id])).rowCount ?? 0) > 0;
      });
    },
    async groupsOf(principals) {
      const out = new Map<string, string[]>();
      if (!principals.length) return out;
      const rows = await db.q('SELECT principal, group_id FROM entra_group_members WHERE principal = ANY($1::text[]) ORDER BY principal, group_id', [
        [...new Set(principals)],
      ]);
      for (const r of rows) {
        const p = String(r.principal);
        const l = out.get(p);
        if (l) l.push(String(r.group_id));
        else out.set(p, [String(r.group_id)]);
      }
      return out;
    },
    async stamps(principals) {
      if (!principals.length) return [];
      const rows = await db.q('SELECT principal, stamp FROM entra_member_stamps WHERE principal = ANY($1::text[])', [principals]);
      const m = new Map(rows.map((r) => [String(r.principal), Number(r.stamp)]));
      return principals.map((p) => m.get(p) ?? 0);
    },
  };
}
