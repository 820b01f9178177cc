// PostgreSQL: profiles, groups and assignments. Every change that can alter what some device
// should have bumps the generation in the same transaction as the change and its audit entry
// (the generation row is locked by the bump, so concurrent changes serialise on it).
import type { GroupStore, ProfileStore } from '../types.js';
import type { ProfileRecord } from '../../domain/profile.js';
import { type Db, type Sql } from './db.js';
import { appendAudit } from './audit.js';
import { assignmentFromRow, groupFromRow, json, jsonOrNull, profileFromRow } from '../rows.js';

const bump = (c: Sql) => c.query('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1');
const changed = async (p: Promise<{ rowCount: number | null }>) => ((await p).rowCount ?? 0) > 0;

export function postgresProfiles(db: Db): { profiles: ProfileStore; groups: GroupStore } {
  const insertVersion = (c: Sql, p: ProfileRecord, settings: string) =>
    c.query('INSERT INTO profile_versions (profile_id, version, settings, context, created_at) VALUES ($1, $2, $3, $4, $5)', [
      p.id,
      p.version,
      settings,
      jsonOrNull(p.context),
      p.updatedAt,
    ]);

  return {
    profiles: {
      async create(p, a) {
        await db.tx(async (c) => {
          const settings = JSON.stringify(p.settings);
          await c.query(
            'INSERT INTO profiles (id, name, kind, scope, settings, context, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
            [p.id, p.name, p.kind, p.scope, settings, jsonOrNull(p.context), p.version, p.createdAt, p.updatedAt],
          );
          await insertVersion(c, p, settings);
          await bump(c);
          await appendAudit(c, a);
        });
      },
      async get(id) {
        const [r] = await db.q('SELECT * FROM profiles WHERE id = $1', [id]);
        return r ? profileFromRow(r) : undefined;
      },
      async list() {
        return (await db.q('SELECT * FROM profiles WHERE deleted_at IS NULL ORDER BY created_at, id')).map(profileFromRow);
      },
      async update(p, a) {
        return db.tx(async (c) => {
          const settings = JSON.stringify(p.settings);
          const ok = await changed(
            c.query('UPDATE profiles SET name = $1, settings = $2, context = $3, version = $4, updated_at = $5 WHERE id = $6 AND deleted_at IS NULL', [
              p.name,
              settings,
              jsonOrNull(p.context),
              p.version,
              p.updatedAt,
              p.id,
            ]),
          );
          if (!ok) return false;
          await insertVersion(c, p, settings);
          await bump(c);
          if (a) await appendAudit(c, a);
          return true;
        });
      },
      async delete(id, at, a) {
        return db.tx(async (c) => {
          if (!(await changed(c.query('UPDATE profiles SET deleted_at = $1, updated_at = $1 WHERE id = $2 AND deleted_at IS NULL', [at, id])))) return false;
          await c.query('DELETE FROM assignments WHERE profile_id = $1', [id]);
          await bump(c);
          await appendAudit(c, a);
          return true;
        });
      },
      async assign(x, a) {
        return db.tx(async (c) => {
          const ok = await changed(
            c.query('INSERT INTO assignments (profile_id, target_type, target_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
              x.profileId,
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
          if (!(await changed(c.query('DELETE FROM assignments WHERE profile_id = $1 AND target_type = $2 AND target_id = $3', [pid, type, tid]))))
            return false;
          await bump(c);
          await appendAudit(c, a);
          return true;
        });
      },
      async assignments(pid) {
        return (await db.q('SELECT * FROM assignments WHERE profile_id = $1 ORDER BY created_at, target_type, target_id', [pid])).map(assignmentFromRow);
      },
      async allAssignments() {
        const rows = await db.q(
          `SELECT a.* FROM assignments a JOIN profiles p ON p.id = a.profile_id WHERE p.deleted_at IS NULL
           ORDER BY a.profile_id, a.target_type, a.target_id COLLATE "C"`,
        );
        return rows.map(assignmentFromRow);
      },
      async version(id, version) {
        const [r] = await db.q('SELECT settings, context FROM profile_versions WHERE profile_id = $1 AND version = $2', [id, version]);
        if (!r) return undefined;
        return { settings: JSON.parse(String(r.settings)) as Record<string, unknown>, context: json<Record<string, unknown>>(r.context) };
      },
      async generation() {
        return Number((await db.q('SELECT gen FROM profile_generation WHERE id = 1'))[0].gen);
      },
    },
    groups: {
      async create(g, a) {
        return db.tx(async (c) => {
          if (
            !(await changed(
              c.query('INSERT INTO groups (id, name, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [g.id, g.name, g.kind, g.createdAt]),
            ))
          ) {
            return false;
          }
          await appendAudit(c, a);
          return true;
        });
      },
      async get(id) {
        const [r] = await db.q('SELECT * FROM groups WHERE id = $1', [id]);
        return r ? groupFromRow(r) : undefined;
      },
      async list() {
        // Byte order, as SQLite sorts (whatever the database's default collation).
        return (await db.q('SELECT * FROM groups ORDER BY name COLLATE "C"')).map(groupFromRow);
      },
      async delete(id, a) {
        return db.tx(async (c) => {
          await c.query(`DELETE FROM assignments WHERE target_type = 'group' AND target_id = $1`, [id]);
          if (!(await changed(c.query('DELETE FROM groups WHERE id = $1', [id])))) return false;
          await bump(c);
          await appendAudit(c, a);
          return true;
        });
      },
      async addMembers(id, members, a) {
        if (!members.length) return 0;
        return db.tx(async (c) => {
          const r = await c.query(
            'INSERT INTO group_members (group_id, member) SELECT $1, m FROM unnest($2::text[]) WITH ORDINALITY AS x (m, i) ORDER BY i ON CONFLICT DO NOTHING RETURNING member',
            [id, [...new Set(members)]],
          );
          const added = r.rows.map((x) => String(x.member));
          if (added.length) {
            await bump(c);
            if (a) await appendAudit(c, { ...a, detail: { ...a.detail, added } });
          }
          return added.length;
        });
      },
      async removeMember(id, member, a) {
        return db.tx(async (c) => {
          if (!(await changed(c.query('DELETE FROM group_members WHERE group_id = $1 AND member = $2', [id, member])))) return false;
          await bump(c);
          if (a) await appendAudit(c, a);
          return true;
        });
      },
      async members(id) {
        return (await db.q('SELECT member FROM group_members WHERE group_id = $1 ORDER BY member COLLATE "C"', [id])).map((r) => String(r.member));
      },
      async allMembers() {
        return (await db.q('SELECT group_id, member FROM group_members')).map((r) => ({ groupId: String(r.group_id), member: String(r.member) }));
      },
    },
  };
}
