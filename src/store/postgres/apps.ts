// PostgreSQL: the app catalog (apps and their versions; see AppStore).
import { APP_INSERT, APP_VERSION_INSERT, appFromRow, appUpdate, appValues, appVersionFromRow, appVersionValues } from '../app-rows.js';
import { forDialect } from '../statements.js';
import type { AppStore } from '../types.js';
import type { Db } from './db.js';

const pg = (sql: string) => forDialect(sql, 'postgres');
const INS = pg(APP_INSERT);
const V_INS = pg(APP_VERSION_INSERT);

export function postgresApps(db: Db): AppStore {
  return {
    async create(app) {
      await db.run(INS, appValues(app));
    },
    async get(id) {
      const [r] = await db.q('SELECT * FROM apps WHERE id = $1', [id]);
      return r ? appFromRow(r) : undefined;
    },
    async list() {
      return (await db.q('SELECT * FROM apps WHERE deleted_at IS NULL ORDER BY name, id')).map(appFromRow);
    },
    async byIdentity(kind, identity) {
      const [r] = await db.q('SELECT * FROM apps WHERE kind = $1 AND identity = $2 AND deleted_at IS NULL', [kind, identity]);
      return r ? appFromRow(r) : undefined;
    },
    async update(id, patch) {
      const u = appUpdate(id, patch);
      if (u) await db.run(pg(u.sql), u.values);
    },
    async addVersion(v) {
      await db.run(V_INS, appVersionValues(v));
    },
    async versions(appId) {
      return (await db.q('SELECT * FROM app_versions WHERE app_id = $1 ORDER BY created_at DESC, id DESC', [appId])).map(appVersionFromRow);
    },
    async version(id) {
      const [r] = await db.q('SELECT * FROM app_versions WHERE id = $1', [id]);
      return r ? appVersionFromRow(r) : undefined;
    },
    async deleteVersion(id) {
      await db.run('DELETE FROM app_versions WHERE id = $1', [id]);
    },
    async referencedContent() {
      // A deleted app keeps its versions: a profile still assigned (deleted by force) may deliver them.
      const rows = await db.q('SELECT DISTINCT sha256 FROM app_versions WHERE sha256 IS NOT NULL');
      return new Set(rows.map((r) => String(r.sha256)));
    },
  };
}
