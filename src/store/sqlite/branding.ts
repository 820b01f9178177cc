// SQLite: branding and help contacts, and what each device holds of them (see BrandingStore).
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../domain/audit.js';
import { BRANDING_KEY, brandingDeviceKey } from '../branding-rows.js';
import type { Row } from '../rows.js';
import { auditInsertSql, auditInsertValues } from '../statements.js';
import type { BrandingStore } from '../types.js';

export function sqliteBranding(db: Database.Database): BrandingStore {
  const s = {
    get: db.prepare('SELECT value, updated_at FROM settings WHERE key = ?'),
    put: db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    audit: db.prepare(auditInsertSql('sqlite')),
    genBump: db.prepare('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1'),
  };
  const set = db.transaction((value: string, at: string, audit: AuditEntry) => {
    s.put.run(BRANDING_KEY, value, at);
    s.audit.run(auditInsertValues(audit));
    s.genBump.run();
  });
  return {
    async get() {
      const r = s.get.get(BRANDING_KEY) as Row | undefined;
      return r ? { value: String(r.value), updatedAt: String(r.updated_at) } : undefined;
    },
    async set(value, at, audit) {
      set.immediate(value, at, audit);
    },
    async deviceState(devicePk) {
      const r = s.get.get(brandingDeviceKey(devicePk)) as Row | undefined;
      return r ? String(r.value) : undefined;
    },
    async putDeviceState(devicePk, value, at) {
      s.put.run(brandingDeviceKey(devicePk), value, at);
    },
  };
}
