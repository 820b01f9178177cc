// PostgreSQL: branding and help contacts, and what each device holds of them (see BrandingStore).
import { BRANDING_KEY, brandingDeviceKey } from '../branding-rows.js';
import type { BrandingStore } from '../types.js';
import { appendAudit } from './audit.js';
import type { Db } from './db.js';

const PUT =
  'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';

export function postgresBranding(db: Db): BrandingStore {
  return {
    async get() {
      const [r] = await db.q('SELECT value, updated_at FROM settings WHERE key = $1', [BRANDING_KEY]);
      return r ? { value: String(r.value), updatedAt: String(r.updated_at) } : undefined;
    },
    async set(value, at, audit) {
      await db.tx(async (c) => {
        await c.query(PUT, [BRANDING_KEY, value, at]);
        await appendAudit(c, audit);
        await c.query('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1');
      });
    },
    async deviceState(devicePk) {
      const [r] = await db.q('SELECT value FROM settings WHERE key = $1', [brandingDeviceKey(devicePk)]);
      return r ? String(r.value) : undefined;
    },
    async putDeviceState(devicePk, value, at) {
      await db.run(PUT, [brandingDeviceKey(devicePk), value, at]);
    },
  };
}
