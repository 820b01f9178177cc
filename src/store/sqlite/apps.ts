// SQLite: the app catalog (apps and their versions; see AppStore).
import type Database from 'better-sqlite3';
import { APP_INSERT, APP_VERSION_INSERT, appFromRow, appUpdate, appValues, appVersionFromRow, appVersionValues } from '../app-rows.js';
import type { Row } from '../rows.js';
import type { AppStore } from '../types.js';

export function sqliteApps(db: Database.Database): AppStore {
  const s = {
    ins: db.prepare(APP_INSERT),
    get: db.prepare('SELECT * FROM apps WHERE id = ?'),
    list: db.prepare('SELECT * FROM apps WHERE deleted_at IS NULL ORDER BY name, id'),
    byIdentity: db.prepare('SELECT * FROM apps WHERE kind = ? AND identity = ? AND deleted_at IS NULL'),
    vIns: db.prepare(APP_VERSION_INSERT),
    vList: db.prepare('SELECT * FROM app_versions WHERE app_id = ? ORDER BY created_at DESC, id DESC'),
    vGet: db.prepare('SELECT * FROM app_versions WHERE id = ?'),
    vDel: db.prepare('DELETE FROM app_versions WHERE id = ?'),
    refs: db.prepare('SELECT DISTINCT sha256 FROM app_versions WHERE sha256 IS NOT NULL').pluck(),
  };
  return {
    async create(app) {
      s.ins.run(appValues(app));
    },
    async get(id) {
      const r = s.get.get(id) as Row | undefined;
      return r ? appFromRow(r) : undefined;
    },
    async list() {
      return (s.list.all() as Row[]).map(appFromRow);
    },
    async byIdentity(kind, identity) {
      const r = s.byIdentity.get(kind, identity) as Row | undefined;
      return r ? appFromRow(r) : undefined;
    },
    async update(id, patch) {
      const u = appUpdate(id, patch);
      if (u) db.prepare(u.sql).run(u.values);
    },
    async addVersion(v) {
      s.vIns.run(appVersionValues(v));
    },
    async versions(appId) {
      return (s.vList.all(appId) as Row[]).map(appVersionFromRow);
    },
    async version(id) {
      const r = s.vGet.get(id) as Row | undefined;
      return r ? appVersionFromRow(r) : undefined;
    },
    async deleteVersion(id) {
      s.vDel.run(id);
    },
    async referencedContent() {
      return new Set(s.refs.all() as string[]);
    },
  };
}
