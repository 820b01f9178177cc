// SQLite: Entra groups, their synced members and the per-principal membership stamps (see EntraGroupStore).
import type Database from 'better-sqlite3';
import type { EntraGroupMember } from '../../domain/profile.js';
import { deltaDiff, entraGroupFromRow, membershipDiff } from '../entra-group-rows.js';
import type { Row } from '../rows.js';
import type { EntraGroupStore, EntraGroupSyncRecord } from '../types.js';

export function sqliteEntraGroups(db: Database.Database): EntraGroupStore {
  const s = {
    ins: db.prepare('INSERT INTO entra_groups (id, tenant_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    get: db.prepare('SELECT * FROM entra_groups WHERE id = ?'),
    all: db.prepare('SELECT * FROM entra_groups ORDER BY id'),
    ofTenant: db.prepare('SELECT * FROM entra_groups WHERE tenant_id = ? ORDER BY id'),
    members: db.prepare('SELECT object_id, principal FROM entra_group_members WHERE group_id = ?'),
    member: db.prepare('SELECT principal FROM entra_group_members WHERE group_id = ? AND object_id = ?').pluck(),
    mIns: db.prepare('INSERT INTO entra_group_members (group_id, object_id, principal) VALUES (?, ?, ?)'),
    mDel: db.prepare('DELETE FROM entra_group_members WHERE group_id = ? AND object_id = ?'),
    bump: db.prepare(
      'INSERT INTO entra_member_stamps (principal, stamp) VALUES (?, 1) ON CONFLICT (principal) DO UPDATE SET stamp = entra_member_stamps.stamp + 1',
    ),
    stamp: db.prepare('SELECT stamp FROM entra_member_stamps WHERE principal = ?').pluck(),
    ofPrincipal: db.prepare('SELECT group_id FROM entra_group_members WHERE principal = ? ORDER BY group_id').pluck(),
    synced: db.prepare(
      `UPDATE entra_groups SET display_name = COALESCE(?, display_name), kind = COALESCE(?, kind), nested = COALESCE(?, nested), delta_link = ?,
       member_count = member_count + ?, last_sync_at = ?, last_error = NULL, last_error_at = NULL WHERE id = ?`,
    ),
    error: db.prepare('UPDATE entra_groups SET last_error = ?, last_error_at = ? WHERE id = ?'),
    targeted: db.prepare(
      `SELECT 1 FROM assignments WHERE target_type = 'entraGroup' AND target_id = ?
       UNION ALL SELECT 1 FROM compliance_assignments WHERE target_type = 'entraGroup' AND target_id = ?
       UNION ALL SELECT 1 FROM esp_policies WHERE target_type = 'entraGroup' AND target_id = ? LIMIT 1`,
    ),
    principals: db.prepare('SELECT DISTINCT principal FROM entra_group_members WHERE group_id = ?').pluck(),
    del: db.prepare('DELETE FROM entra_groups WHERE id = ?'),
  };
  const write = (id: string, d: { add: EntraGroupMember[]; remove: string[]; principals: string[] }, r: EntraGroupSyncRecord) => {
    for (const o of d.remove) s.mDel.run(id, o);
    for (const m of d.add) s.mIns.run(id, m.objectId, m.principal);
    for (const p of d.principals) s.bump.run(p);
    const nested = r.nested === undefined ? null : r.nested ? 1 : 0;
    s.synced.run(r.displayName ?? null, r.kind ?? null, nested, r.deltaLink, d.add.length - d.remove.length, r.at, id);
    return { added: d.add.length, removed: d.remove.length };
  };
  const replace = db.transaction((id: string, members: EntraGroupMember[], r: EntraGroupSyncRecord) => {
    const current = new Map((s.members.all(id) as Row[]).map((x) => [String(x.object_id), String(x.principal)]));
    return write(id, membershipDiff(current, members), r);
  }).immediate;
  const delta = db.transaction((id: string, added: EntraGroupMember[], removed: string[], r: EntraGroupSyncRecord) => {
    const current = new Map<string, string>();
    for (const o of [...removed, ...added.map((m) => m.objectId)]) {
      const p = s.member.get(id, o) as string | undefined;
      if (p !== undefined) current.set(o, p);
    }
    return write(id, deltaDiff(current, added, removed), r);
  }).immediate;
  const unwatch = db.transaction((id: string) => {
    if (s.targeted.get(id, id, id)) return false;
    for (const p of s.principals.all(id) as string[]) s.bump.run(p);
    return s.del.run(id).changes > 0;
  }).immediate;
  return {
    async watch(g) {
      return s.ins.run(g.id, g.tenantId, g.createdAt).changes > 0;
    },
    async get(id) {
      const r = s.get.get(id) as Row | undefined;
      return r ? entraGroupFromRow(r) : undefined;
    },
    async list(tenantId) {
      return ((tenantId === undefined ? s.all.all() : s.ofTenant.all(tenantId)) as Row[]).map(entraGroupFromRow);
    },
    async replaceMembers(id, members, r) {
      return replace(id, members, r);
    },
    async applyDelta(id, added, removed, r) {
      return delta(id, added, removed, r);
    },
    async recordError(id, error, at) {
      s.error.run(error, at, id);
    },
    async unwatchIfUntargeted(id) {
      return unwatch(id);
    },
    async groupsOf(principals) {
      const out = new Map<string, string[]>();
      for (const p of new Set(principals)) {
        const groups = s.ofPrincipal.all(p) as string[];
        if (groups.length) out.set(p, groups);
      }
      return out;
    },
    async stamps(principals) {
      return principals.map((p) => Number((s.stamp.get(p) as number | undefined) ?? 0));
    },
  };
}
