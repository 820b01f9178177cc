// SQLite: profiles, groups and assignments.
import type Database from 'better-sqlite3';
import type { GroupStore, ProfileStore } from '../types.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Assignment, Group, ProfileRecord } from '../../domain/profile.js';
import { assignmentFromRow, groupFromRow, profileFromRow, type Row } from '../rows.js';

export function sqliteProfiles(db: Database.Database, appendAudit: (e: AuditEntry) => void): { profiles: ProfileStore; groups: GroupStore } {
  const s = {
    pIns: db.prepare('INSERT INTO profiles (id, name, kind, scope, settings, context, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    vIns: db.prepare('INSERT INTO profile_versions (profile_id, version, settings, context, created_at) VALUES (?, ?, ?, ?, ?)'),
    vGet: db.prepare('SELECT settings, context FROM profile_versions WHERE profile_id = ? AND version = ?'),
    gen: db.prepare('SELECT gen FROM profile_generation WHERE id = 1').pluck(),
    genBump: db.prepare('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1'),
    aAll: db.prepare(
      'SELECT a.* FROM assignments a JOIN profiles p ON p.id = a.profile_id WHERE p.deleted_at IS NULL ORDER BY a.profile_id, a.target_type, a.target_id',
    ),
    mAll: db.prepare('SELECT group_id, member FROM group_members'),
    pGet: db.prepare('SELECT * FROM profiles WHERE id = ?'),
    pList: db.prepare('SELECT * FROM profiles WHERE deleted_at IS NULL ORDER BY created_at, id'),
    pUpd: db.prepare('UPDATE profiles SET name = ?, settings = ?, context = ?, version = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL'),
    pDel: db.prepare('UPDATE profiles SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL'),
    aDelAll: db.prepare('DELETE FROM assignments WHERE profile_id = ?'),
    aIns: db.prepare('INSERT INTO assignments (profile_id, target_type, target_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    aDel: db.prepare('DELETE FROM assignments WHERE profile_id = ? AND target_type = ? AND target_id = ?'),
    aList: db.prepare('SELECT * FROM assignments WHERE profile_id = ? ORDER BY created_at, target_type, target_id'),
    gIns: db.prepare('INSERT INTO groups (id, name, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    gGet: db.prepare('SELECT * FROM groups WHERE id = ?'),
    gList: db.prepare('SELECT * FROM groups ORDER BY name'),
    gDel: db.prepare('DELETE FROM groups WHERE id = ?'),
    gAssignDel: db.prepare(`DELETE FROM assignments WHERE target_type = 'group' AND target_id = ?`),
    mIns: db.prepare('INSERT INTO group_members (group_id, member) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    mDel: db.prepare('DELETE FROM group_members WHERE group_id = ? AND member = ?'),
    mList: db.prepare('SELECT member FROM group_members WHERE group_id = ? ORDER BY member'),
  };

  const tx = <A extends unknown[], R>(fn: (...a: A) => R) => db.transaction(fn).immediate as (...a: A) => R;
  const ctxJson = (p: ProfileRecord) => (p.context ? JSON.stringify(p.context) : null);
  // Every change that can alter what some device should have bumps the generation, in the same transaction.
  const create = tx((p: ProfileRecord, a: AuditEntry) => {
    const settings = JSON.stringify(p.settings);
    s.pIns.run(p.id, p.name, p.kind, p.scope, settings, ctxJson(p), p.version, p.createdAt, p.updatedAt);
    s.vIns.run(p.id, p.version, settings, ctxJson(p), p.updatedAt);
    s.genBump.run();
    appendAudit(a);
  });
  const update = tx((p: ProfileRecord, a: AuditEntry | undefined) => {
    const settings = JSON.stringify(p.settings);
    if (s.pUpd.run(p.name, settings, ctxJson(p), p.version, p.updatedAt, p.id).changes === 0) return false;
    s.vIns.run(p.id, p.version, settings, ctxJson(p), p.updatedAt);
    s.genBump.run();
    if (a) appendAudit(a);
    return true;
  });
  const del = tx((id: string, at: string, a: AuditEntry) => {
    if (s.pDel.run(at, at, id).changes === 0) return false;
    s.aDelAll.run(id);
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const assign = tx((x: Assignment, a: AuditEntry) => {
    if (s.aIns.run(x.profileId, x.targetType, x.targetId, x.createdAt).changes === 0) return false;
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
  const gCreate = tx((g: Group, a: AuditEntry) => {
    if (s.gIns.run(g.id, g.name, g.kind, g.createdAt).changes === 0) return false;
    appendAudit(a);
    return true;
  });
  const gDelete = tx((id: string, a: AuditEntry) => {
    s.gAssignDel.run(id);
    if (s.gDel.run(id).changes === 0) return false;
    s.genBump.run();
    appendAudit(a);
    return true;
  });
  const addMembers = tx((id: string, members: string[], a?: AuditEntry) => {
    const added = members.filter((m) => s.mIns.run(id, m).changes > 0);
    if (added.length) {
      s.genBump.run();
      if (a) appendAudit({ ...a, detail: { ...a.detail, added } });
    }
    return added.length;
  });
  const removeMember = tx((id: string, member: string, a?: AuditEntry) => {
    if (s.mDel.run(id, member).changes === 0) return false;
    s.genBump.run();
    if (a) appendAudit(a);
    return true;
  });

  return {
    profiles: {
      async create(p, a) {
        create(p, a);
      },
      async get(id) {
        const r = s.pGet.get(id) as Row | undefined;
        return r ? profileFromRow(r) : undefined;
      },
      async list() {
        return (s.pList.all() as Row[]).map(profileFromRow);
      },
      async update(p, a) {
        return update(p, a);
      },
      async delete(id, at, a) {
        return del(id, at, a);
      },
      async assign(x, a) {
        return assign(x, a);
      },
      async unassign(pid, type, tid, a) {
        return unassign(pid, type, tid, a);
      },
      async assignments(pid) {
        return (s.aList.all(pid) as Row[]).map(assignmentFromRow);
      },
      async allAssignments() {
        return (s.aAll.all() as Row[]).map(assignmentFromRow);
      },
      async version(id, version) {
        const r = s.vGet.get(id, version) as Row | undefined;
        if (!r) return undefined;
        return {
          settings: JSON.parse(String(r.settings)) as Record<string, unknown>,
          context: r.context === null ? undefined : (JSON.parse(String(r.context)) as Record<string, unknown>),
        };
      },
      async generation() {
        return Number(s.gen.get());
      },
    },
    groups: {
      async create(g, a) {
        return gCreate(g, a);
      },
      async get(id) {
        const r = s.gGet.get(id) as Row | undefined;
        return r ? groupFromRow(r) : undefined;
      },
      async list() {
        return (s.gList.all() as Row[]).map(groupFromRow);
      },
      async delete(id, a) {
        return gDelete(id, a);
      },
      async addMembers(id, members, a) {
        return addMembers(id, members, a);
      },
      async removeMember(id, member, a) {
        return removeMember(id, member, a);
      },
      async members(id) {
        return (s.mList.all(id) as Row[]).map((r) => String(r.member));
      },
      async allMembers() {
        return (s.mAll.all() as Row[]).map((r) => ({ groupId: String(r.group_id), member: String(r.member) }));
      },
    },
  };
}
